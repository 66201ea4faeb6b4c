"""The Hub push: staging the card and data is local (``dry_run``); the upload is one
``huggingface_hub`` commit, tested against a stand-in client here and against the real Hub
only where it is reachable and a test repository is named."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace
from typing import ClassVar

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import trueneg
from fixtures import write_beir
from trueneg.cli.main import app
from trueneg.errors import ConfigError
from trueneg.export import HubError
from trueneg.export import hub as hub_module

REPO = "me/tiny-negatives"
TOPICS = ["vitamin bone", "coffee sleep", "sugar diabetes", "salt pressure"]
CORPUS = [(f"d{i}", f"Study {i}", f"health {TOPICS[i % 4]} cohort {i}") for i in range(12)]
QUERIES = [(f"q{i}", f"health of {topic}") for i, topic in enumerate(TOPICS)]
QRELS = [("q0", "d0", 1), ("q0", "d4", 1), ("q1", "d1", 1), ("q2", "d2", 1), ("q3", "d3", 1)]
runner = CliRunner()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub")
    data = write_beir(root / "beir", CORPUS, QUERIES, QRELS)
    return trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=3)


@pytest.fixture
def hub_down(monkeypatch):
    """The Hub as seen from a machine without it: nothing listens at its address."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")


class FakeApi:
    """Stands in for ``huggingface_hub.HfApi``: records the calls, uploads nothing."""

    calls: ClassVar[list] = []

    def __init__(self, token=None):
        self.token = token

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))

    def upload_folder(self, **kwargs):
        files = sorted(
            os.path.relpath(os.path.join(d, f), kwargs["folder_path"])
            for d, _, names in os.walk(kwargs["folder_path"])
            for f in names
        )
        self.calls.append(("upload_folder", files, kwargs))
        return SimpleNamespace(commit_url=f"https://hub.test/datasets/{kwargs['repo_id']}/c/1")


@pytest.fixture
def fake_hub(monkeypatch):
    import huggingface_hub

    FakeApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(hub_module, "hub_unreachable", lambda timeout=0: None)
    return FakeApi.calls


def test_dry_run_stages_the_card_and_data_for_datasets(run, tmp_path):
    upload = run.push_to_hub(REPO, "triplet", dry_run=True, folder=tmp_path / "stage")
    assert not upload.uploaded and upload.files == ("README.md", "data/train.parquet")
    folder = tmp_path / "stage"
    assert (folder / "README.md").read_text().startswith("---\n")
    rows = pq.read_table(folder / "data/train.parquet").to_pylist()
    assert rows == run.export("triplet").to_pylist() and upload.rows == len(rows)
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(folder), split="train")  # reads the card's configs
    assert loaded.to_list() == rows


def test_dry_run_defaults_to_a_folder_named_after_the_repo(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    upload = run.push_to_hub(REPO, "n-tuple", dry_run=True)
    assert upload.folder == tmp_path.joinpath("tiny-negatives").relative_to(tmp_path)
    assert (tmp_path / "tiny-negatives" / "data" / "train.parquet").is_file()


@pytest.mark.parametrize("repo", ["bad name", "a/b/c", "me/x--y", ""])
def test_a_bad_repo_id_is_refused_before_any_work(run, repo, tmp_path):
    with pytest.raises(ConfigError, match="repository id"):
        run.push_to_hub(repo, dry_run=True, folder=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_offline_push_fails_at_once_naming_the_repo(run, tmp_path, hub_down):
    with pytest.raises(HubError, match=re.escape(REPO)) as caught:
        run.push_to_hub(REPO, folder=tmp_path / "stage")
    assert "unreachable" in str(caught.value) and "--dry-run" in str(caught.value)
    assert not (tmp_path / "stage").exists()  # nothing built before the check


def test_hub_offline_mode_counts_as_unreachable(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    assert hub_module.hub_unreachable() == "HF_HUB_OFFLINE is set"


def test_cli_push_offline_is_one_clear_line(run, hub_down):
    args = ["export", str(run.path), "-f", "triplet", "--push-to-hub", REPO]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot push to me/tiny-negatives")
    assert "unreachable" in result.stderr and "Traceback" not in result.output


def test_upload_is_one_commit_of_the_two_files(run, fake_hub):
    upload = run.push_to_hub(REPO, "triplet", private=True, token="hf_secret")
    assert upload.uploaded and upload.url.endswith("/c/1") and upload.folder is None
    (create, repo, kwargs), (upload_call, files, up) = fake_hub
    assert (create, repo, kwargs["private"], kwargs["repo_type"]) == (
        "create_repo",
        REPO,
        True,
        "dataset",
    )
    assert upload_call == "upload_folder" and files == ["README.md", "data/train.parquet"]
    assert up["allow_patterns"] == ["README.md", "data/train.parquet"]
    assert up["repo_type"] == "dataset"


def test_the_token_is_never_written(run, fake_hub, tmp_path):
    run.push_to_hub(REPO, "triplet", token="hf_secret_token", folder=tmp_path / "stage")
    for path in (tmp_path / "stage").rglob("*"):
        if path.is_file():
            assert b"hf_secret_token" not in path.read_bytes()


def test_cli_push_prints_what_went_where(run, fake_hub, tmp_path):
    args = ["export", str(run.path), "-f", "triplet", "--push-to-hub", REPO, "--private"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"pushed README\.md and data/train\.parquet to me/tiny-negatives \(\d+ rows, 4 queries\)"
        r": https://hub\.test/\S+",
        result.stdout.strip(),
    )
    assert fake_hub[0][2]["private"] is True


def test_an_upload_refused_for_lack_of_login_says_how_to_log_in(run, fake_hub, monkeypatch):
    from huggingface_hub.errors import LocalTokenNotFoundError

    def refuse(self, repo_id, **kwargs):
        raise LocalTokenNotFoundError("no token")

    monkeypatch.setattr(FakeApi, "create_repo", refuse)
    with pytest.raises(HubError, match="hf auth login"):
        run.push_to_hub(REPO)


def test_a_dropped_connection_is_a_hub_error(run, fake_hub, monkeypatch):
    def drop(self, **kwargs):
        raise ConnectionResetError("reset by peer")

    monkeypatch.setattr(FakeApi, "upload_folder", drop)
    with pytest.raises(HubError, match=r"upload to me/tiny-negatives failed.*reset by peer"):
        run.push_to_hub(REPO)


def test_upload_to_the_real_hub(run, monkeypatch):
    """Pushes to TRUENEG_TEST_HUB_REPO (a dataset repository the token may write to)."""
    import huggingface_hub.constants

    repo = os.environ.get("TRUENEG_TEST_HUB_REPO")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    reason = hub_module.hub_unreachable(timeout=3)
    if reason is not None:
        pytest.skip(f"the Hugging Face Hub is unreachable from here ({reason})")
    if not repo:
        pytest.skip("TRUENEG_TEST_HUB_REPO names no test repository to push to")
    upload = run.push_to_hub(repo, "triplet", private=True)
    assert upload.uploaded
    card = huggingface_hub.DatasetCard.load(repo, repo_type="dataset")
    assert card.data.to_dict()["trueneg"]["format"] == "triplet"
