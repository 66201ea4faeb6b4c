"""The curated public API: what README shows is importable and callable, in any import order,
and importing it loads no heavy library."""

import subprocess
import sys

import pytest

PUBLIC = ["mine", "open_run", "audit", "train", "evaluate", "load_dataset"]


@pytest.mark.parametrize(
    "first", ["trueneg.audit.html", "trueneg.train.core", "trueneg.evaluate.core", "trueneg"]
)
def test_functions_sharing_a_subpackages_name_stay_callable(first):
    code = (
        f"import {first}\nimport trueneg\n"
        f"bad = [n for n in {PUBLIC!r} if not callable(getattr(trueneg, n))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_trueneg_loads_no_heavy_library():
    code = (
        "import sys, trueneg\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'ray', 'faiss',"
        " 'onnxruntime', 'matplotlib', 'ranx', 'datasets') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
