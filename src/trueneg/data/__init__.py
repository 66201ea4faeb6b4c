"""Loaders that turn BEIR folders, pairs files and saved HF datasets into canonical tables."""

from trueneg.data.beir import load_beir
from trueneg.data.hf import load_hf
from trueneg.data.load import demo_data_path, load_dataset
from trueneg.data.pairs import load_pairs
from trueneg.data.tables import Dataset, LoadReport

__all__ = [
    "Dataset",
    "LoadReport",
    "demo_data_path",
    "load_beir",
    "load_dataset",
    "load_hf",
    "load_pairs",
]
