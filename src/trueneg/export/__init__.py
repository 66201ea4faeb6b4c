"""Export: kept negatives as training files for sentence-transformers, FlagEmbedding, Tevatron.

Usage (with a run's ``negatives`` table and its ``dataset``)::

    from trueneg.export import build_export, write_export

    write_export(build_export(negatives, dataset, "triplet"), "out/triplets.jsonl")
"""

from trueneg.export.base import EXPORT_FORMATS, ExportFormat
from trueneg.export.build import build_export, export_notes
from trueneg.export.io import FILE_FORMATS, to_hf_dataset, write_export

__all__ = [
    "EXPORT_FORMATS",
    "FILE_FORMATS",
    "ExportFormat",
    "build_export",
    "export_notes",
    "to_hf_dataset",
    "write_export",
]
