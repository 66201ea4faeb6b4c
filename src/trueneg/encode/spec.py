"""What a sentence-transformers folder says about encoding, read without sentence-transformers.

The fast and ONNX encoders run the Hugging Face model themselves, so they must reproduce the
``Transformer → Pooling → Normalize`` pipeline the folder describes: maximum length, lower
casing, pooling mode and the saved prompts. Anything else (Dense layers, routers, prompt-free
pooling) is refused with a clear error rather than encoded differently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trueneg.encode.base import TextKind
from trueneg.encode.models import hub_snapshot
from trueneg.errors import ConfigError, ModelError

POOLING_MODES = ("mean", "cls", "max")
_LEGACY_POOLING = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
_SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")


@dataclass(frozen=True)
class ModelSpec:
    """The encoding recipe of one sentence-transformers folder.

    Attributes:
        folder: the model's root folder.
        transformer_folder: where the Hugging Face config, weights and tokenizer live.
        max_seq_length: tokens per text, special tokens included (longer texts are truncated).
        do_lower_case: lower-case texts before tokenizing (on top of the tokenizer's own rule).
        pooling: ``mean``, ``cls`` or ``max``.
        prompts: the prompts saved with the model (``config_sentence_transformers.json``).
    """

    folder: Path
    transformer_folder: Path
    max_seq_length: int
    do_lower_case: bool = False
    pooling: str = "mean"
    prompts: dict[str, str] = field(default_factory=dict)

    def prompt(self, kind: TextKind, explicit: str | None) -> str:
        """The prefix sentence-transformers' ``encode_query`` / ``encode_document`` would use.

        An explicit prompt wins; otherwise the model's own ``query`` or ``document`` prompt,
        and no prefix when it has none (sentence-transformers 5+ does not fall back to
        ``default_prompt_name`` for these two methods).
        """
        if explicit is not None:
            return explicit
        return self.prompts.get(kind) or ""


def read_spec(model_path: str) -> ModelSpec:
    """Read the encoding recipe of a local sentence-transformers folder or a cached hub model.

    Raises:
        ModelError: the folder is missing, or uses a module the fast encoders do not run.
    """
    folder = _folder(model_path)
    modules = _modules(folder)
    transformer = folder / modules["Transformer"]
    st_config = _json(transformer / "sentence_bert_config.json")
    pooling_config = (
        _json(folder / modules["Pooling"] / "config.json")
        if "Pooling" in modules
        else {"pooling_mode": "mean"}
    )
    saved = _json(folder / "config_sentence_transformers.json")
    return ModelSpec(
        folder=folder,
        transformer_folder=transformer,
        max_seq_length=_max_seq_length(transformer, st_config),
        do_lower_case=bool(st_config.get("do_lower_case", False)),
        pooling=_pooling_mode(pooling_config, model_path),
        prompts=_saved_prompts(saved),
    )


def model_prompts(model_path: str) -> dict[str, str]:
    """The named prompts a sentence-transformers model saved (``prompts`` in its
    ``config_sentence_transformers.json``); a local folder or a hub model in the cache."""
    return _saved_prompts(_json(_folder(model_path) / "config_sentence_transformers.json"))


def named_prompt(model_path: str, prompt: str | None, name: str | None, option: str) -> str | None:
    """The prompt text to use: ``prompt`` as given, or the model's prompt called ``name``
    (sentence-transformers' ``prompt_name``); ``option`` names the setting in errors.

    Raises:
        ConfigError: both a prompt and a prompt name were given.
        ModelError: the model has no prompt of that name (the error lists those it has).
    """
    check_prompt_choice(prompt, name, option)
    if name is None:
        return prompt
    prompts = model_prompts(model_path)
    if name not in prompts:
        raise ModelError(
            f"The model has no prompt named {name!r}",
            received=f"--{option} {name} for {model_path}",
            expected="one of its prompts: "
            + (", ".join(f"{k} ({v!r})" for k, v in sorted(prompts.items())) or "none saved"),
            fix=f"Pass one of those names to --{option}, or give the prompt text itself "
            "(--query-prompt / --document-prompt)",
        )
    return prompts[name]


def check_prompt_choice(prompt: str | None, name: str | None, option: str) -> None:
    """A prompt is given as text or by name (``option``: ``prompt-name`` /
    ``document-prompt-name``), not both."""
    if prompt is not None and name is not None:
        raise ConfigError(
            f"Both a prompt and --{option} are given",
            received={"prompt": prompt, option.replace("-", "_"): name},
            fix=f"Keep one: the prompt text, or --{option} to use one the model saved",
        )


def _saved_prompts(saved: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in (saved.get("prompts") or {}).items() if isinstance(v, str)}


def _folder(model_path: str) -> Path:
    path = Path(model_path)
    if path.is_dir():
        return path
    snapshot = hub_snapshot(model_path)
    if snapshot is None:
        raise ModelError(
            "Model not found locally",
            received=model_path,
            expected="a local sentence-transformers folder, or a hub name already in the cache",
            fix="Pass a local model folder with --model",
        )
    return snapshot


def _modules(folder: Path) -> dict[str, str]:
    """Module kind (``Transformer``, ``Pooling``, ``Normalize``) → its sub-folder."""
    listing = folder / "modules.json"
    if not listing.is_file():  # a plain Hugging Face model: sentence-transformers mean-pools it
        return {"Transformer": ""}
    found: dict[str, str] = {}
    for entry in json.loads(listing.read_text(encoding="utf-8")):
        kind = str(entry.get("type", "")).rsplit(".", 1)[-1]
        if kind not in _SUPPORTED_MODULES or kind in found:
            raise ModelError(
                "The fast encoders run Transformer → Pooling → Normalize models only",
                received=f"module {entry.get('type')!r} in {listing}",
                expected=" → ".join(_SUPPORTED_MODULES),
                fix="Use --encoder sentence-transformers for this model",
            )
        found[kind] = str(entry.get("path", ""))
    if "Transformer" not in found:
        raise ModelError(
            "No Transformer module in modules.json",
            received=str(listing),
            fix="Use --encoder sentence-transformers for this model",
        )
    return found


def _max_seq_length(transformer: Path, st_config: dict[str, Any]) -> int:
    """sentence-transformers' rule: the saved max_seq_length, else the tokenizer's limit capped
    at the model's position embeddings."""
    text_kwargs = (st_config.get("processing_kwargs") or {}).get("text") or {}
    saved = st_config.get("max_seq_length") or text_kwargs.get("max_length")
    if saved:
        return int(saved)
    limits = [
        _json(transformer / "tokenizer_config.json").get("model_max_length"),
        _json(transformer / "config.json").get("max_position_embeddings"),
    ]
    usable = [int(x) for x in limits if isinstance(x, int | float) and 0 < x < 1_000_000]
    return min(usable) if usable else 512


def _pooling_mode(config: dict[str, Any], model_path: str) -> str:
    mode = config.get("pooling_mode")
    if mode is None:
        active = [name for key, name in _LEGACY_POOLING.items() if config.get(key)]
        mode = active[0] if len(active) == 1 else (active or "mean")
    if isinstance(mode, list | tuple) and len(mode) == 1:
        mode = mode[0]
    if mode not in POOLING_MODES or config.get("include_prompt", True) is False:
        raise ModelError(
            "The fast encoders do not run this pooling",
            received=f"{mode!r} (include_prompt={config.get('include_prompt', True)}) "
            f"in {model_path}",
            expected=f"one of {POOLING_MODES}, with prompt tokens included",
            fix="Use --encoder sentence-transformers for this model",
        )
    return str(mode)


def _json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


class FolderSpec:
    """``spec`` (the folder's recipe, read once) and ``max_length`` for the encoders that read
    a sentence-transformers folder themselves. Needs ``model_path``, ``max_seq_length`` (None:
    the model's own) and ``_spec`` (None until read)."""

    model_path: str
    max_seq_length: int | None
    _spec: ModelSpec | None

    @property
    def spec(self) -> ModelSpec:
        """The model folder's encoding recipe (read on first access)."""
        if self._spec is None:
            self._spec = read_spec(self.model_path)
        return self._spec

    @property
    def max_length(self) -> int:
        return self.max_seq_length or self.spec.max_seq_length
