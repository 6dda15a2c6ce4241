"""Atomic file writes: a reader sees the old file or the new one, never half of one."""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files :func:`atomic_write` left beside ``path`` when a process writing it was
    killed (SIGKILL, power loss) between creating and renaming them; return what was removed. The file name
    may be a glob pattern (``folder / "*.npy"``). Call it where only one process writes those files."""
    path = Path(path)
    removed = []
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
        removed.append(stale)
    return removed


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success ``fsync`` it and ``os.replace`` it onto ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was. The file gets the mode
    the user's umask gives a new file (``0o666 & ~umask``, as ``open(path, "w")``), not ``mkstemp``'s
    private ``0o600``.

    Args:
        path: the file to write (its folder is created if missing).
        mode: the mode to open the temporary file with: ``"w"`` (text) or ``"wb"`` (bytes).
        **open_kwargs: passed to :func:`os.fdopen` (``encoding``, ``newline``...).

    Example::

        >>> import tempfile
        >>> from pathlib import Path
        >>> from gnnlab.utils import atomic_write
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "notes.txt"
        ...     with atomic_write(path) as handle:
        ...         _ = handle.write("first")
        ...     try:
        ...         with atomic_write(path) as handle:
        ...             _ = handle.write("half of the second")
        ...             raise RuntimeError("crash")
        ...     except RuntimeError:
        ...         pass
        ...     print(path.read_text(), sorted(entry.name for entry in Path(folder).iterdir()))
        first ['notes.txt']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file ``.<name>.<random>.tmp`` beside ``path``, created exclusively (as ``mkstemp`` does) but with
    the mode ``0o666`` that the umask then reduces, so the renamed file has a new file's usual mode."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"'atomic_write' found no unused temporary name beside {str(path)!r}")
