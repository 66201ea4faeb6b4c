"""A `Run` reads one finished run: a re-mine that changed nothing keeps it usable, one that
changed its tables makes it refuse to mix old and new; readers hold the run's shared lock."""

import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.errors import RunDirError
from trueneg.run import RunDir


@pytest.fixture
def tiny(tmp_path):
    return write_tiny_beir(tmp_path / "beir")


def test_a_run_mined_again_unchanged_stays_readable(tiny, tmp_path):
    run = trueneg.mine(tiny, tmp_path / "run", retriever="bm25", filters=[], num_negatives=2)
    before = run.negatives()
    trueneg.mine(tiny, tmp_path / "run", retriever="bm25", filters=[], num_negatives=2)
    assert run.negatives().equals(before)


def test_a_run_mined_again_with_other_tables_refuses_to_mix(tiny, tmp_path):
    run = trueneg.mine(tiny, tmp_path / "run", retriever="bm25", filters=[], num_negatives=2)
    again = trueneg.mine(tiny, tmp_path / "run", retriever="bm25", filters=["max-score:0"])
    assert again.summary().kept == 0 < run.summary().kept
    with pytest.raises(RunDirError, match="mined again") as err:
        run.negatives()
    assert "open it again" in str(err.value).lower()


def test_mine_into_a_run_being_read_fails_at_once(tiny, tmp_path):
    run = trueneg.mine(tiny, tmp_path / "run", retriever="bm25", filters=[], num_negatives=2)
    with run.reading(), pytest.raises(RunDirError, match="being read"):
        trueneg.mine(tiny, tmp_path / "run", retriever="bm25", filters=[], num_negatives=3)
    assert run.negatives().num_rows  # nothing was changed


def test_a_reader_waits_for_nobody_once_mine_is_done(tiny, tmp_path):
    trueneg.mine(tiny, tmp_path / "run", retriever="bm25", filters=[], num_negatives=2)
    with RunDir(tmp_path / "run", create=True).writing(), pytest.raises(RunDirError):
        trueneg.open_run(tmp_path / "run")
    assert trueneg.open_run(tmp_path / "run").negatives().num_rows
