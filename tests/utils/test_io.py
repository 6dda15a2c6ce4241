from __future__ import annotations

import pytest

from gnnlab.utils import atomic_write


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "out" / "result.txt"
    with atomic_write(target) as handle:
        handle.write("first")
    with atomic_write(target) as handle:
        handle.write("second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["result.txt"]


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.txt"]
