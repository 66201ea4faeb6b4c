"""Export: kept negatives as training files for sentence-transformers, FlagEmbedding, Tevatron,
and as a Hugging Face Hub dataset with a card that says how they were mined and how many
false negatives the audit measured.

Usage (with a run's ``negatives`` table and its ``dataset``)::

    from trueneg.export import build_export, write_export

    write_export(build_export(negatives, dataset, "triplet"), "out/triplets.jsonl")

The card and the Hub push: :mod:`trueneg.export.card` (pure text), :mod:`trueneg.export.hub`
(stage a folder, upload it); ``Run.dataset_card`` and ``Run.push_to_hub`` tie them to a run.
"""

from trueneg.export.base import EXPORT_FORMATS, ExportFormat
from trueneg.export.build import build_export, export_notes
from trueneg.export.card import CardInputs, render_card
from trueneg.export.hub import HubError, HubUpload, check_reachable, check_repo_id, publish
from trueneg.export.io import FILE_FORMATS, to_hf_dataset, write_export
from trueneg.export.notes import left_out_note
from trueneg.export.prompts import Prompts

__all__ = [
    "EXPORT_FORMATS",
    "FILE_FORMATS",
    "CardInputs",
    "ExportFormat",
    "HubError",
    "HubUpload",
    "Prompts",
    "build_export",
    "check_reachable",
    "check_repo_id",
    "export_notes",
    "left_out_note",
    "publish",
    "render_card",
    "to_hf_dataset",
    "write_export",
]
