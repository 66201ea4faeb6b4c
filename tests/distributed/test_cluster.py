"""Ray settings fail early with a message naming what was wrong; no cluster is started here."""

from __future__ import annotations

import socket
import sys
import time

import pytest
from typer.testing import CliRunner

from fixtures import write_tiny_beir
from trueneg.cli.main import app
from trueneg.distributed import check_address, connect
from trueneg.errors import ConfigError
from trueneg.settings import MineConfig

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_open_connection():
    """``connect`` reuses an open connection without checking the address: none may be open."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        pytest.skip("a Ray connection is open in this process")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "address",
    ["auto", "head-node:6379", "10.0.0.7:6379", "ray://head.example.org:10001", "[::1]:6379"],
)
def test_accepted_address_forms(address):
    assert check_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "local",
        "head-node",
        "http://head:6379",
        "ray://head",
        "head:99999",
        "head:port",
        "ray://ray://head:1",
    ],
)
def test_bad_address_form_names_the_accepted_ones(address):
    with pytest.raises(ConfigError, match="Not a Ray address") as info:
        check_address(address)
    assert "ray://HOST:PORT" in str(info.value)


def config(**settings) -> MineConfig:
    return MineConfig(data="d", out="o", **settings)


def test_config_validates_the_ray_settings():
    assert config(ray="auto", ray_workers=4).validate().ray_workers == 4
    assert config(ray="head:6379", retriever="exact:cuda").validate().ray == "head:6379"
    with pytest.raises(ConfigError, match="Not a Ray address"):
        config(ray="head").validate()
    with pytest.raises(
        ConfigError, match=r"--ray-workers \(ray_workers\) is set but --ray \(ray\) is not"
    ):
        config(ray_workers=2).validate()
    with pytest.raises(
        ConfigError, match=r"--ray-workers \(ray_workers\) must be a positive integer"
    ):
        config(ray="auto", ray_workers=0).validate()


@pytest.mark.parametrize("retriever", ["bm25", "hybrid", "faiss-flat"])
def test_ray_refuses_other_retrievers_before_any_work(retriever):
    with pytest.raises(ConfigError, match="exact dense search only") as info:
        config(ray="auto", retriever=retriever).validate()
    assert "exact:cuda" in str(info.value) and retriever in str(info.value)


def test_unreachable_address_fails_fast(closed_port):
    pytest.importorskip("ray")  # importing Ray takes seconds on a busy machine: not timed here
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="Cannot reach the Ray cluster") as info:
        connect(f"127.0.0.1:{closed_port}")
    assert time.perf_counter() - start < 5
    assert "ray start --head" in str(info.value)


def test_silent_address_times_out():
    silent = ("10.255.255.1", 10001)  # non-routable: a connection can only time out
    try:
        socket.create_connection(silent, timeout=0.5).close()
    except OSError:
        pass
    else:
        pytest.skip("this network answers every TCP connection (a proxy): nothing times out")
    pytest.importorskip("ray")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="Cannot reach the Ray cluster"):
        connect("ray://10.255.255.1:10001", timeout_s=0.5)
    assert time.perf_counter() - start < 5


def test_missing_ray_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees when not installed
    with pytest.raises(ConfigError, match=r"pip install 'trueneg\[ray\]'"):
        connect("auto")


def cli_error(*args: str) -> str:
    result = runner.invoke(app, ["mine", *args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return " ".join(result.stderr.split())


def test_cli_errors(tmp_path, closed_port):
    tiny = str(write_tiny_beir(tmp_path / "tiny"))
    out = str(tmp_path / "run")
    assert "Not a Ray address" in cli_error(tiny, "--out", out, "--ray", "head")
    assert "exact dense search only" in cli_error(
        tiny, "--out", out, "--ray", "auto", "--retriever", "bm25"
    )
    message = cli_error(tiny, "--out", out, "--ray", f"127.0.0.1:{closed_port}", "-q")
    assert f"Cannot reach the Ray cluster at 127.0.0.1:{closed_port}" in message
