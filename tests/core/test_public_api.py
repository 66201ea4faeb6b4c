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


def test_help_of_mine_lists_every_setting_with_its_default_and_meaning():
    import dataclasses
    import pydoc

    import trueneg
    from trueneg.settings import MineConfig, default_text

    text = " ".join(pydoc.render_doc(trueneg.mine, renderer=pydoc.plaintext).split())
    for field in dataclasses.fields(MineConfig):
        default = default_text(MineConfig, field.name) or "unset"
        assert f"{field.name} (" in text, field.name
        assert f"default {' '.join(default.split())}):" in text, field.name
    assert "no description yet" not in text, "a MineConfig field has no meaning: add its help"


def test_fallback_meanings_name_only_fields_without_their_own_help():
    import dataclasses

    from trueneg.api.settings_doc import HELP, MEANINGS
    from trueneg.settings import MineConfig

    fields = {f.name: f for f in dataclasses.fields(MineConfig)}
    assert set(MEANINGS) <= set(fields), "a meaning for a setting MineConfig no longer has"
    assert not [name for name in MEANINGS if HELP in fields[name].metadata]


@pytest.mark.parametrize(("tty", "shown"), [(True, True), (False, False)])
def test_mine_shows_progress_when_stderr_is_a_terminal(monkeypatch, tty, shown):
    import inspect

    from trueneg.api import mine, progress_default

    assert inspect.signature(mine).parameters["show_progress"].default is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert progress_default() is shown


def test_run_tables_document_their_columns():
    from trueneg.api import Run

    for name in ("query_id", "doc_id", "rank", "score", "pos_cosine", "judge", "kept", "reason"):
        assert f"``{name}``" in Run.negatives.__doc__
    public = [n for n in dir(Run) if not n.startswith("_") and callable(getattr(Run, n))]
    assert not [n for n in public if not getattr(Run, n).__doc__], "undocumented Run methods"
