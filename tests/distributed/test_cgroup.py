"""``trueneg.cgroup.headroom``: the memory a cgroup limit still allows, read from hand-made
cgroup v1 and v2 folders laid out as Linux lays them out."""

from __future__ import annotations

from pathlib import Path

from trueneg.cgroup import headroom

GiB = 1 << 30


def _write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text + "\n", encoding="ascii")


def test_v2_limit_less_usage_with_reclaimable_cache_not_counted(tmp_path: Path):
    root, me = tmp_path / "cg", tmp_path / "self"
    _write(
        root / "job" / "step",
        memory__max=str(8 * GiB),
        memory__current=str(3 * GiB),
        memory__stat=f"anon {2 * GiB}\ninactive_file {1 * GiB}",
    )
    me.write_text("0::/job/step\n", encoding="ascii")
    assert headroom(root, me) == 8 * GiB - 2 * GiB


def test_the_tightest_group_above_counts(tmp_path: Path):
    root, me = tmp_path / "cg", tmp_path / "self"
    _write(root / "job", memory__max=str(4 * GiB), memory__current=str(1 * GiB))
    _write(root / "job" / "step", memory__max="max", memory__current=str(1 * GiB))
    me.write_text("0::/job/step\n", encoding="ascii")
    assert headroom(root, me) == 3 * GiB


def test_v1_limit_and_no_limit(tmp_path: Path):
    root, me = tmp_path / "cg", tmp_path / "self"
    _write(
        root / "memory" / "box",
        memory__limit_in_bytes=str(6 * GiB),
        memory__usage_in_bytes=str(GiB),
        memory__stat="total_inactive_file 0",
    )
    me.write_text("4:memory:/box\n3:cpu:/\n", encoding="ascii")
    assert headroom(root, me) == 5 * GiB
    _write(root / "memory" / "box", memory__limit_in_bytes=str(9223372036854771712))
    assert headroom(root, me) is None


def test_a_namespaced_group_reads_the_hierarchy_root(tmp_path: Path):
    # inside a container /proc/self/cgroup names a host path the container cannot see; its own
    # limit sits at the root of the mounted hierarchy
    root, me = tmp_path / "cg", tmp_path / "self"
    _write(root, memory__max=str(2 * GiB), memory__current=str(GiB // 2))
    me.write_text("0::/kubepods/pod1/abc\n", encoding="ascii")
    assert headroom(root, me) == 2 * GiB - GiB // 2


def test_no_cgroup_file_means_no_limit(tmp_path: Path):
    assert headroom(tmp_path / "none", tmp_path / "missing") is None
