from __future__ import annotations

import os
import stat

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


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
@pytest.mark.parametrize("mode", ["w", "wb"])
def test_written_file_has_the_mode_a_new_file_gets(tmp_path, umask, mode):
    # the same mode as open(path, "w") under the same umask (0o644 under 0o022), not mkstemp's 0o600;
    # replacing a file of another mode gives it the new file's mode too
    if os.name != "posix":
        pytest.skip("POSIX file modes")
    previous = os.umask(umask)
    try:
        with open(tmp_path / "plain", mode):
            pass
        target = tmp_path / "atomic"
        for _ in range(2):
            with atomic_write(target, mode) as handle:
                handle.write(b"x" if "b" in mode else "x")
            assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
            target.chmod(0o600)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atomic", "plain"]
