"""Real HTTP servers the tests start on 127.0.0.1, and helpers to start and stop them.

- ``rerank_server`` (session-wide fixture): infinity-emb, installed by ``make servers`` into
  ``.servers/infinity``, serving the PyTorch copy of the ms-marco judge
  (``.models/ms-marco-MiniLM-L-12-v2-torch``, made by ``scripts/dequantize_judge.py``) on a
  free port, with an API key and the model under two names (with one model infinity answers
  any model name; with two it refuses an unknown one, as a multi-model server does).
- :class:`FlakyProxy`: a stdlib HTTP server that answers its first requests with chosen error
  statuses and forwards the rest to a real server, to test retries over a real socket.

A server that is not installed skips its tests with the make target that installs it, except
under CI (``CI`` set), where that is a failure: CI must run them. Import the fixture into the
test module (``from servers import rerank_server``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
INFINITY = REPO / ".servers" / "infinity" / "bin" / "infinity_emb"
RERANK_MODEL_DIR = REPO / ".models" / "ms-marco-MiniLM-L-12-v2-torch"
RERANK_MODELS = ("ms-marco-MiniLM-L-12-v2", "ms-marco-MiniLM-L-12-v2-copy")
RERANK_KEY = "trueneg-test-rerank-key"
START_TIMEOUT_S = 180  # loading two copies of the model takes ~10 s alone; CI shares 2 cores


@dataclass(frozen=True)
class RerankServer:
    """A running rerank server: base URL, the model names it serves, its API key, its log."""

    url: str
    models: tuple[str, ...]
    api_key: str
    log: Path

    @property
    def model(self) -> str:
        return self.models[0]


def not_installed(what: str, target: str) -> NoReturn:
    """Skip (fail under CI) because ``what`` is missing, naming the make target for it."""
    reason = f"{what}; `make {target}` installs it"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: these tests must run)")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(home: Path) -> dict[str, str]:
    """The test process's environment, offline, without telemetry, caches under ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        DO_NOT_TRACK="1",
        INFINITY_ANONYMOUS_USAGE_STATS="0",
        INFINITY_HOME=str(home),
        HF_HOME=str(home / "hf"),
    )
    return env


@contextmanager
def running(
    cmd: Sequence[str], *, health_url: str, log: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen]:
    """Start ``cmd``, wait until ``health_url`` answers 200, stop the process on exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            list(cmd), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        _wait_ready(proc, health_url, log)
        yield proc
    finally:
        stop(proc)


def _wait_ready(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited ({proc.returncode}) before it was ready:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:  # refused while it starts, or an HTTP error before the model loads
            pass
        time.sleep(0.25)
    pytest.fail(f"the server was not ready after {START_TIMEOUT_S} s:\n{tail(log)}")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's own process group (a server and any child it spawned), then
    SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            time.sleep(0.5)  # let spawned children follow their parent
            return
        except subprocess.TimeoutExpired:
            continue


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def rerank_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RerankServer]:
    """infinity-emb serving the ms-marco cross-encoder on 127.0.0.1 (see the module doc)."""
    if not INFINITY.is_file():
        not_installed(f"the rerank server is not installed ({INFINITY} is missing)", "servers")
    if not (RERANK_MODEL_DIR / "model.safetensors").is_file():
        not_installed(f"the rerank server's model {RERANK_MODEL_DIR} is missing", "servers")
    home = tmp_path_factory.mktemp("infinity")
    port = free_port()
    cmd = [str(INFINITY), "v2", "--host", "127.0.0.1", "--port", str(port), "--engine", "torch"]
    cmd += ["--device", "cpu", "--api-key", RERANK_KEY, "--no-model-warmup"]
    cmd += ["--log-level", "warning"]
    for name in RERANK_MODELS:
        cmd += ["--model-id", str(RERANK_MODEL_DIR), "--served-model-name", name]
    url = f"http://127.0.0.1:{port}"
    log = home / "server.log"
    with running(cmd, health_url=f"{url}/health", log=log, env=server_env(home)):
        yield RerankServer(url, RERANK_MODELS, RERANK_KEY, log)


class FlakyProxy:
    """A real HTTP server on 127.0.0.1 that answers its first requests with ``failures``
    (statuses such as 503 or 429, the latter with ``Retry-After: 0``) and forwards every later
    POST to ``upstream``, with ``body_update`` merged into the JSON body. ``answered`` lists
    the status of every request it got. Use as a context manager."""

    def __init__(
        self,
        upstream: str,
        failures: Sequence[int] = (),
        body_update: dict[str, Any] | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.failures = list(failures)
        self.body_update = dict(body_update or {})
        self.answered: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def answer(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict]:
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            self.answered.append(failure)
            extra = {"Retry-After": "0"} if failure == 429 else {}
            text = json.dumps({"error": f"the proxy answers {failure} on purpose"}).encode()
            return failure, text, {"Content-Type": "application/json", **extra}
        if self.body_update:
            body = json.dumps({**json.loads(body), **self.body_update}).encode()
        forward = {
            k: v for k, v in headers.items() if k.lower() in ("content-type", "authorization")
        }
        request = urllib.request.Request(
            self.upstream + path, data=body, headers=forward, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                status, payload, kind = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as exc:
            status, payload, kind = exc.code, exc.read(), exc.headers
        self.answered.append(status)
        return status, payload, {"Content-Type": kind.get("Content-Type", "application/json")}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload, headers = proxy.answer(self.path, body, dict(self.headers))
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
