"""``load_judge``: a model folder or Hub name → a :class:`Judge`, its kind read from the files."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from trueneg.errors import ConfigError, ModelError
from trueneg.rescore.bi_encoder import OnnxBiEncoder, STBiEncoder
from trueneg.rescore.cascade import DEFAULT_RULE, CascadeJudge, parse_rule
from trueneg.rescore.onnx_cross_encoder import OnnxCrossEncoder, output_names
from trueneg.rescore.spec import RemoteSpec, is_cascade, is_remote, parse_remote, split_cascade
from trueneg.rescore.st_cross_encoder import STCrossEncoder

logger = logging.getLogger(__name__)

JUDGE_KINDS = ("onnx-cross-encoder", "cross-encoder", "onnx-bi-encoder", "bi-encoder")
# kinds a spec string selects (never passed as ``kind``): remote judges and cascades
SPEC_KINDS = ("rerank-api", "chat", "cascade")
_BI_ENCODERS = ("onnx-bi-encoder", "bi-encoder")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@runtime_checkable
class Judge(Protocol):
    """Scores (query, doc) pairs.

    Attributes:
        fingerprint: changes whenever the score of the same pair would change (model files,
            kind, max_length, prompt).
        kind: one of :data:`JUDGE_KINDS`.
    """

    fingerprint: str
    kind: str

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """float32, one per pair: a sigmoid probability (cross-encoders) or a cosine."""
        ...


def load_judge(
    name_or_path: str,
    *,
    kind: str = "auto",
    batch_size: int = 32,
    max_length: int | None = None,
    device: str = "auto",
    query_prompt: str | None = None,
    cascade: str = DEFAULT_RULE,
) -> Judge:
    """Load a judge from a local folder (ONNX or sentence-transformers), a Hub name, a remote
    judge spec (``rerank-api:URL?model=NAME``, ``chat:URL?model=NAME``) or a cascade ``A > B``
    (the grammar is in :mod:`trueneg.rescore.spec`).

    Args:
        name_or_path: model folder, or a Hub name for a sentence-transformers model.
        kind: "auto" (detect from the folder's files) or one of :data:`JUDGE_KINDS`.
        batch_size: pairs (texts, for bi-encoders) per forward pass.
        max_length: token limit; defaults to the model's own.
        device: "auto", "cpu", "cuda" or "cuda:N".
        query_prompt: bi-encoders only; text put before every query (``None``: the model's
            default, e.g. bge's retrieval instruction).
        cascade: a cascade's pass rule (:func:`trueneg.rescore.cascade.parse_rule`).
    """
    spec = str(name_or_path).strip()
    local = dict(kind=kind, batch_size=batch_size, max_length=max_length, device=device)
    if is_cascade(spec):
        parts = split_cascade(spec)
        judges = [load_judge(p, **local, query_prompt=query_prompt) for p in parts]
        return CascadeJudge(judges, parts, parse_rule(cascade))
    if is_remote(spec):
        return load_remote(parse_remote(spec))
    if kind != "auto" and kind not in JUDGE_KINDS:
        raise ConfigError(f"Unknown judge kind {kind!r}", expected=["auto", *JUDGE_KINDS])
    if query_prompt is not None and kind not in ("auto", *_BI_ENCODERS):
        raise ConfigError("query_prompt applies to bi-encoder judges only", received=kind)
    path = Path(name_or_path).expanduser()
    options: dict[str, Any] = {"batch_size": batch_size, "max_length": max_length}
    options["device"] = device
    if not path.exists():
        return _load_from_hub(str(name_or_path), kind, options, query_prompt)
    if not path.is_dir():
        raise ModelError(
            f"{path} is a file, not a model folder",
            fix="Pass the folder that holds model.onnx and tokenizer.json (or a "
            "sentence-transformers model)",
        )
    if kind == "auto" or kind.startswith("onnx"):
        detected = detect_kind(path)
        if kind != "auto" and detected != kind:
            logger.warning("Folder %s looks like a %s; loading it as %s", path, detected, kind)
        kind = kind if kind != "auto" else detected
    if query_prompt is not None and kind not in _BI_ENCODERS:
        raise ConfigError("query_prompt applies to bi-encoder judges only", received=kind)
    return _build(kind, path, options, query_prompt)


def load_remote(spec: RemoteSpec) -> Judge:
    """The judge a parsed remote spec names (nothing is sent until it scores)."""
    if spec.kind == "rerank-api":
        from trueneg.rescore.remote.rerank_api import RerankApiJudge

        return RerankApiJudge(**spec.kwargs())
    from trueneg.rescore.remote.chat import ChatJudge

    return ChatJudge(**spec.kwargs())


def detect_kind(folder: Path) -> str:
    """The judge kind of a model folder, from the files it holds."""
    found = sorted(p.name for p in folder.iterdir())
    has_onnx = (folder / "model.onnx").is_file()
    has_tokenizer = (folder / "tokenizer.json").is_file()
    if has_onnx and not has_tokenizer:
        raise _missing(folder, "tokenizer.json", found)
    if has_onnx:
        return _onnx_kind(folder / "model.onnx")
    if _is_st_cross_encoder(folder):
        return "cross-encoder"
    if (folder / "modules.json").is_file():
        return "bi-encoder"
    if has_tokenizer:
        raise _missing(folder, "model.onnx", found)
    raise ModelError(
        f"{folder} is not a model folder trueneg can read",
        received=found or "an empty folder",
        expected="model.onnx + tokenizer.json (ONNX), modules.json (sentence-transformers) "
        "or config.json of a *ForSequenceClassification model",
    )


def _missing(folder: Path, name: str, found: list[str]) -> ModelError:
    return ModelError(
        f"{folder} has no {name}; an ONNX judge needs both model.onnx and tokenizer.json",
        received=found or "an empty folder",
        expected=["model.onnx", "tokenizer.json"],
        fix=f"Copy {name} from the model's original files into {folder}",
    )


def _onnx_kind(model_path: Path) -> str:

    names = output_names(model_path)
    if "logits" in names:
        return "onnx-cross-encoder"
    if "last_hidden_state" in names or "sentence_embedding" in names:
        return "onnx-bi-encoder"
    raise ModelError(
        f"Cannot tell whether {model_path} is a cross-encoder or a bi-encoder",
        received=f"outputs {names}",
        expected="an output named logits, last_hidden_state or sentence_embedding",
        fix="Pass kind='onnx-cross-encoder' or kind='onnx-bi-encoder'",
    )


def _is_st_cross_encoder(folder: Path) -> bool:
    st_config = _read_json(folder / "config_sentence_transformers.json")
    if st_config.get("model_type") == "CrossEncoder":
        return True
    architectures = _read_json(folder / "config.json").get("architectures") or []
    return any(str(a).endswith("ForSequenceClassification") for a in architectures)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _build(kind: str, source: Path | str, options: dict[str, Any], prompt: str | None) -> Judge:
    if kind == "onnx-cross-encoder":
        return OnnxCrossEncoder(source, **options)
    if kind == "onnx-bi-encoder":
        return OnnxBiEncoder(source, query_prompt=prompt, **options)
    if kind == "bi-encoder":
        return STBiEncoder(source, query_prompt=prompt, **options)

    return STCrossEncoder(source, **options)


def _load_from_hub(name: str, kind: str, options: dict[str, Any], prompt: str | None) -> Judge:
    if not _HUB_ID.match(name) or kind.startswith("onnx"):
        raise ModelError(
            f"Model folder {name} does not exist",
            fix="Check the path; ONNX judges need a local folder with model.onnx and "
            "tokenizer.json",
        )
    kind = "cross-encoder" if kind == "auto" else kind
    try:
        return _build(kind, name, options, prompt)
    except Exception as exc:  # the Hub client raises many unrelated types
        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        raise ModelError(
            f"{name!r} is not a local folder, and loading it from the Hugging Face Hub "
            f"failed ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
            fix="Downloads are impossible offline (HF_HUB_OFFLINE is set); pass a local "
            "model folder"
            if offline
            else "Pass a local model folder, or check the name and your network",
        ) from exc
