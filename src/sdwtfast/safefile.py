"""One safe way to write an output file: atomic, exclusive unless asked, and self-cleaning.

The data go to a temporary file in the destination's folder (``.NAME.sdwtmp-PID-RANDOM``),
which is flushed and fsynced, then

- without ``force``: *linked* to the final name, which fails if anything appeared there in the
  meantime (no check-then-replace race: an existing file is never overwritten unasked);
- with ``force``: renamed over it (``os.replace``);

then the folder is fsynced. A partial output never carries the final name. On any error the
temporary file is removed; temporary files left by a killed process (whose PID no longer
runs) are removed by the next write to the same output.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomic", "remove_stale", "TMP_TAG"]

TMP_TAG = ".sdwtmp-"
"""What the names of temporary files contain (after ``.NAME``)."""


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of ``path`` left by processes that no longer run.

    Returns
    -------
    list of Path
        The files removed.
    """
    p = Path(path)
    prefix = f".{p.name}{TMP_TAG}"
    removed = []
    try:
        entries = list(os.scandir(p.parent))
    except OSError:
        return removed
    for e in entries:
        if not e.name.startswith(prefix):
            continue
        pid_part = e.name[len(prefix) :].split("-", 1)[0]
        if pid_part.isdigit() and int(pid_part) != os.getpid() and not _alive(int(pid_part)):
            try:
                os.unlink(e.path)
                removed.append(Path(e.path))
            except FileNotFoundError:
                pass
    return removed


def _fsync_dir(folder: Path) -> None:
    """Make the new name durable. A file system that cannot sync a folder (EINVAL, ENOTSUP,
    EBADF on some network file systems) is accepted; any other failure (EIO, ...) is raised:
    the caller must not believe the file is safely stored."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _publish(tmp: Path, final: Path, force: bool) -> None:
    if force:
        os.replace(tmp, final)
        return
    try:
        os.link(tmp, final)  # fails with FileExistsError if the name is taken
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "exists (use force to overwrite)", str(final)) from None
    except OSError as exc:  # a file system without hard links
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if final.exists() or final.is_symlink():
            raise FileExistsError(errno.EEXIST, "exists (use force)", str(final)) from None
        os.replace(tmp, final)
        return
    os.unlink(tmp)


def write_atomic(
    path: str | os.PathLike,
    data: bytes | None = None,
    *,
    writer: Callable[[BinaryIO], object] | None = None,
    force: bool = False,
    mode: int = 0o600,
) -> None:
    """Write ``data`` (or what ``writer(file)`` writes) to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The output; its folder must exist.
    data : bytes, optional
        The content (or give ``writer``).
    writer : callable, optional
        Called with the open binary temporary file.
    force : bool
        Replace an existing file (otherwise :class:`FileExistsError`).
    mode : int
        Permissions of the new file (default owner-only: outputs may hold patient data).

    Raises
    ------
    FileExistsError
        The output exists (or appeared while writing) and ``force`` is not set.
    FileNotFoundError
        The folder does not exist.
    OSError
        The write failed (the temporary file is removed; nothing carries the final name).
    """
    final = Path(path)
    folder = final.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "folder does not exist", str(folder))
    remove_stale(final)
    if not force and (final.exists() or final.is_symlink()):
        raise FileExistsError(errno.EEXIST, "exists (use force to overwrite)", str(final))
    tmp = folder / f".{final.name}{TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            if writer is not None:
                writer(fh)
            else:
                fh.write(data or b"")
            fh.flush()
            os.fsync(fh.fileno())
        _publish(tmp, final, force)
        _fsync_dir(folder)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
