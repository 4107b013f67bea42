"""sdwtfast.safefile: atomic, exclusive writes that clean up after killed processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sdwtfast.safefile import TMP_TAG, remove_stale, write_atomic


def test_write_exclusive_and_forced(tmp_path):
    out = tmp_path / "a.sdw"
    write_atomic(out, b"one")
    assert out.read_bytes() == b"one"
    with pytest.raises(FileExistsError):
        write_atomic(out, b"two")
    assert out.read_bytes() == b"one"
    write_atomic(out, b"three", force=True)
    assert out.read_bytes() == b"three"
    write_atomic(tmp_path / "w.bin", writer=lambda fh: fh.write(b"xyz"))
    assert (tmp_path / "w.bin").read_bytes() == b"xyz"
    assert not [p for p in tmp_path.iterdir() if TMP_TAG in p.name]
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nope" / "x", b"")


def test_a_file_that_appears_while_writing_is_not_overwritten(tmp_path):
    """The no-overwrite check and the publication are one operation: a file created by
    someone else between the check and the end of the write survives."""
    out = tmp_path / "race.sdw"

    def writer(fh):
        out.write_bytes(b"theirs")  # appears after the check, before the publication
        fh.write(b"ours")

    with pytest.raises(FileExistsError):
        write_atomic(out, writer=writer)
    assert out.read_bytes() == b"theirs"
    assert not [p for p in tmp_path.iterdir() if TMP_TAG in p.name]


def test_errors_leave_no_temporary_file(tmp_path):
    def boom(fh):
        fh.write(b"partial" * 1000)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "x.sdw", writer=boom)
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_files_of_killed_writers_are_removed(tmp_path):
    out = tmp_path / "big.sdw"
    code = (
        "import os, sys, time\n"
        "from sdwtfast.safefile import write_atomic\n"
        "def w(fh):\n"
        "    fh.write(b'x' * 100000); fh.flush(); print('writing', flush=True); time.sleep(60)\n"
        f"write_atomic({str(out)!r}, writer=w)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"writing"
    proc.kill()  # kill -9 in the middle of the write
    proc.wait()
    stale = [p for p in tmp_path.iterdir() if TMP_TAG in p.name]
    assert len(stale) == 1 and not out.exists()  # never under the final name
    live = tmp_path / f".big.sdw{TMP_TAG}{os.getpid()}-abcd"
    live.write_bytes(b"mine")  # a live process's temporary file is kept
    write_atomic(out, b"done")
    assert out.read_bytes() == b"done"
    assert [p.name for p in tmp_path.iterdir() if TMP_TAG in p.name] == [live.name]
    assert remove_stale(out) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_outputs_are_owner_only_by_default(tmp_path):
    write_atomic(tmp_path / "p.sdw", b"x")
    assert (tmp_path / "p.sdw").stat().st_mode & 0o077 == 0


def test_a_failed_folder_sync_is_reported(tmp_path, monkeypatch):
    """EIO while syncing the folder means the new name may not survive a power loss: the
    writer must hear of it (a file system without folder sync, EINVAL, is accepted)."""
    import errno

    real_fsync = os.fsync

    def failing(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EIO, "injected I/O error")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="injected"):
        write_atomic(tmp_path / "a.bin", b"x")

    def unsupported(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EINVAL, "no folder sync here")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", unsupported)
    write_atomic(tmp_path / "b.bin", b"y")
    assert (tmp_path / "b.bin").read_bytes() == b"y"
