"""Loaders that turn BEIR folders, pairs files, saved HF datasets and Hub datasets into
canonical tables."""

from trueneg.data.beir import load_beir
from trueneg.data.hf import load_hf
from trueneg.data.hub import HubOptions, HubSource, is_hub_name, resolve_hub
from trueneg.data.hub_tables import load_hub
from trueneg.data.load import (
    demo_data_path,
    input_fingerprint,
    input_label,
    is_hub_input,
    load_dataset,
    require_input,
    resolve_input,
)
from trueneg.data.pairs import load_pairs
from trueneg.data.tables import Dataset, LoadReport

__all__ = [
    "Dataset",
    "HubOptions",
    "HubSource",
    "LoadReport",
    "demo_data_path",
    "input_fingerprint",
    "input_label",
    "is_hub_input",
    "is_hub_name",
    "load_beir",
    "load_dataset",
    "load_hf",
    "load_hub",
    "load_pairs",
    "require_input",
    "resolve_hub",
    "resolve_input",
]
