"""Hub out: a folder holding the dataset card and the data file, then one upload.

Staging (:func:`stage_folder`) is local and needs no network, so a card can be reviewed
before anything leaves the machine (``--dry-run``). :func:`upload_folder` makes the one
upload with ``huggingface_hub`` (the ``hub`` extra); its token comes from ``HF_TOKEN`` or
``hf auth login``, and trueneg never writes it anywhere.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa

from trueneg.errors import ConfigError, TruenegError
from trueneg.export.build import export_notes
from trueneg.export.card import DATA_FILE
from trueneg.export.io import write_export
from trueneg.storage import atomic_write_text

CARD_FILE = "README.md"
REACH_TIMEOUT_S = 5.0
LOGIN_FIX = "Log in with `hf auth login`, or set HF_TOKEN to a token that can write to it"
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}$")


class HubError(TruenegError):
    """The Hugging Face Hub could not be reached, or refused the upload."""


@dataclass(frozen=True)
class HubUpload:
    """What a push staged and (unless a dry run) uploaded.

    ``files``: their paths in the repository (the card, then the data file); ``folder``: where
    they were staged (None: a temporary folder, removed after the upload); ``url``: the
    commit's address, None when nothing was uploaded; ``notes``: the export's
    (:func:`~trueneg.export.export_notes`)."""

    repo: str
    folder: Path | None
    files: tuple[str, ...]
    rows: int
    private: bool
    notes: dict[str, Any] = field(default_factory=dict)
    url: str | None = None

    @property
    def uploaded(self) -> bool:
        return self.url is not None


def check_repo_id(repo: str) -> str:
    """``repo`` if it is a Hub dataset id (``name`` or ``owner/name``), else a ConfigError."""
    if not _REPO_ID.match(repo) or "--" in repo or ".." in repo or repo.endswith((".", "-")):
        raise ConfigError(
            "Not a Hugging Face Hub repository id",
            received=repo,
            expected="OWNER/NAME (letters, digits, '-', '_', '.'), e.g. me/scifact-negatives",
        )
    return repo


def repo_name(repo: str) -> str:
    """``me/scifact-negatives`` → ``scifact-negatives``."""
    return repo.rpartition("/")[2]


def stage_folder(table: pa.Table, card: str, folder: str | Path) -> tuple[str, ...]:
    """Write ``card`` as ``FOLDER/README.md`` and ``table`` as ``FOLDER/data/train.parquet``
    (atomically; other files in ``folder`` are left alone and are not uploaded). Returns the
    files' paths inside the folder (and the repository)."""
    folder = Path(folder)
    write_export(table, folder / DATA_FILE)
    atomic_write_text(folder / CARD_FILE, card)
    return CARD_FILE, DATA_FILE


def publish(
    table: pa.Table,
    card: str,
    repo: str,
    *,
    folder: str | Path | None = None,
    dry_run: bool = False,
    private: bool = False,
    token: str | None = None,
) -> HubUpload:
    """Stage ``card`` and ``table`` in ``folder`` and upload them to the dataset repo
    ``repo`` (one commit). ``dry_run`` stages only, in ``folder`` or ``./NAME`` (the repo's
    name); without it and without ``folder`` the files are staged in a temporary folder."""
    done = {"repo": repo, "rows": table.num_rows, "private": private}
    done["notes"] = export_notes(table)
    if dry_run or folder is not None:
        target = Path(folder) if folder is not None else Path(repo_name(repo))
        files = stage_folder(table, card, target)
        url = None if dry_run else upload_folder(target, repo, private=private, token=token)
        return HubUpload(folder=target, files=files, url=url, **done)
    with tempfile.TemporaryDirectory(prefix="trueneg-hub-") as tmp:
        files = stage_folder(table, card, tmp)
        url = upload_folder(tmp, repo, private=private, token=token)
    return HubUpload(folder=None, files=files, url=url, **done)


def hub_unreachable(timeout: float = REACH_TIMEOUT_S) -> str | None:
    """Why the Hub cannot be reached now (offline mode, no route, no answer within
    ``timeout`` seconds), or None when it answers."""
    hub = _client()
    if hub.constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    try:
        hub.utils.get_session().head(hub.constants.ENDPOINT, timeout=timeout)
    except Exception as exc:  # any failure to get an answer means: not reachable
        return f"{type(exc).__name__}: {exc}"
    return None


def check_reachable(repo: str, timeout: float = REACH_TIMEOUT_S) -> None:
    """Raise :class:`HubError` naming ``repo`` when the Hub does not answer."""
    reason = hub_unreachable(timeout)
    if reason is not None:
        raise HubError(
            f"Cannot push to {repo}: the Hugging Face Hub ({_client().constants.ENDPOINT}) is "
            "unreachable from this machine",
            received=reason,
            fix="Check the network (or unset HF_HUB_OFFLINE), or build the card and data "
            "offline with --dry-run and upload the folder later with "
            f"`hf upload {repo} FOLDER --repo-type dataset`",
        )


def upload_folder(
    folder: str | Path, repo: str, *, private: bool = False, token: str | None = None
) -> str:
    """Create the dataset repo ``repo`` if needed (``private`` applies only then) and upload
    the staged card and data file in one commit; returns the commit's URL."""
    hub = _client()
    api = hub.HfApi(token=token)
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo,
            folder_path=str(folder),
            repo_type="dataset",
            allow_patterns=[CARD_FILE, DATA_FILE],
            commit_message="Hard negatives and dataset card from trueneg",
        )
    except hub.errors.HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        denied = status in (401, 403)
        raise HubError(
            f"The Hugging Face Hub refused the upload to {repo}",
            received=f"HTTP {status}: {str(exc).splitlines()[0]}",
            fix=LOGIN_FIX if denied else f"Check that you may write to {repo}",
        ) from None
    except hub.errors.LocalTokenNotFoundError:
        raise HubError(f"No Hugging Face token to push to {repo}", fix=LOGIN_FIX) from None
    except Exception as exc:  # the connection dropped mid-way (httpx, OSError, ...)
        raise HubError(
            f"The upload to {repo} failed",
            received=f"{type(exc).__name__}: {exc}",
            fix="Run the same command again (an upload is one commit: none was half made)",
        ) from None
    return str(getattr(commit, "commit_url", "") or f"{hub.constants.ENDPOINT}/datasets/{repo}")


def _client() -> ModuleType:
    """The ``huggingface_hub`` module (an optional dependency: the ``hub`` extra)."""
    try:
        import huggingface_hub
        import huggingface_hub.constants
        import huggingface_hub.errors
        import huggingface_hub.utils
    except ImportError:
        raise ConfigError(
            "Pushing to the Hugging Face Hub needs the `huggingface_hub` package",
            fix="pip install 'trueneg[hub]'",
        ) from None
    return huggingface_hub
