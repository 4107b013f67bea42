"""Key files: one line of versioned text with a checksum, created owner-only.

Format (ASCII, one key line; ``#`` lines are comments)::

    sdwtfast-key-v1:<64 hex digits of key>:<8 hex digits: SHA-256 checksum>
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import secrets
import stat
import sys

from .. import validate
from ..errors import InvalidInputError, UnsupportedFormatError
from .constants import KEY_FILE_COMMENT, KEY_FILE_MAX_BYTES, KEY_FILE_TAG, KEY_SIZE
from .keys import Key

__all__ = ["generate_key_file", "load_key_file"]

_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _key_file_checksum(raw: bytes) -> str:
    return hashlib.sha256(KEY_FILE_TAG.encode() + b":" + raw).hexdigest()[:8]


def _format_key_file(key: Key) -> bytes:
    raw = key.secret_bytes()
    line = f"{KEY_FILE_TAG}:{raw.hex()}:{_key_file_checksum(raw)}\n"
    return (KEY_FILE_COMMENT + line).encode("ascii")


def _parse_key_file(text: bytes) -> Key:
    try:
        lines = text.decode("ascii").splitlines()
    except UnicodeDecodeError:
        raise InvalidInputError("not an sdwtfast key file (non-ASCII content)") from None
    body = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if len(body) != 1:
        raise InvalidInputError("not an sdwtfast key file (expected exactly one key line)")
    fields = body[0].split(":")
    if not fields[0].startswith("sdwtfast-key-"):
        raise InvalidInputError("not an sdwtfast key file")
    if fields[0] != KEY_FILE_TAG:
        raise UnsupportedFormatError("unsupported key file version (this build reads v1)")
    if len(fields) != 3 or len(fields[1]) != 2 * KEY_SIZE or len(fields[2]) != 8:
        raise InvalidInputError("malformed sdwtfast key file")
    try:
        raw = bytes.fromhex(fields[1])
    except ValueError:
        raise InvalidInputError("malformed sdwtfast key file (bad hex)") from None
    if not hmac.compare_digest(_key_file_checksum(raw), fields[2].lower()):
        raise InvalidInputError("key file checksum mismatch: the file is damaged or mistyped")
    return Key(raw)


def _write_and_close(fd: int, content: bytes) -> None:
    """Make ``fd`` owner-only, write ``content`` durably and close ``fd``."""
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _link_new(tmp: str, path: str, content: bytes) -> None:
    """Give ``tmp``'s content the name ``path``, never replacing an existing file."""
    try:
        os.link(tmp, path)  # atomic and never overwrites
    except (AttributeError, NotImplementedError, PermissionError) as exc:
        if os.path.lexists(path):
            raise FileExistsError(f"refusing to overwrite existing file: {path}") from exc
        # Filesystem without hard links: create exclusively, then write.
        fd2 = os.open(path, _CREATE_FLAGS, 0o600)
        try:
            os.write(fd2, content)
            os.fsync(fd2)
        finally:
            os.close(fd2)
    except FileExistsError:
        raise FileExistsError(f"refusing to overwrite existing file: {path}") from None


def generate_key_file(path: str | os.PathLike[str]) -> Key:
    """Create a key file holding 256 fresh random bits; return the key.

    The file is written completely under a temporary name with owner-only permissions
    (``0o600``, ``O_CREAT | O_EXCL``) and then linked to ``path`` atomically, so it is never
    seen half-written and an existing file is never replaced.

    Format (ASCII, one key line; ``#`` lines are comments)::

        sdwtfast-key-v1:<64 hex digits of key>:<8 hex digits: SHA-256 checksum>

    Parameters
    ----------
    path : str or os.PathLike
        The key file to create.

    Returns
    -------
    Key
        The new key.

    Raises
    ------
    FileExistsError
        ``path`` exists (the key file is never overwritten).
    OSError
        The directory is not writable.
    """
    path = validate.path(path, "key file")
    key = Key.generate()
    content = _format_key_file(key)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, _CREATE_FLAGS, 0o600)
    try:
        _write_and_close(fd, content)
        _link_new(tmp, path, content)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    return key


def load_key_file(path: str | os.PathLike[str], *, check_permissions: bool = True) -> Key:
    """Read a key file written by :func:`generate_key_file`.

    Parameters
    ----------
    path : str or os.PathLike
        The key file.
    check_permissions : bool
        On POSIX, refuse a key file that other users can read or write (like ``ssh``).

    Returns
    -------
    Key
        The key the file holds.

    Raises
    ------
    InvalidInputError
        Not a key file, damaged (checksum), too large, or readable by others.
    UnsupportedFormatError
        A key file of a newer version.
    OSError
        The file cannot be opened.
    """
    path = validate.path(path, "key file")
    # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: a symlink planted in
    # place of the key file is refused (the type check below then refuses what is not a file)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidInputError(f"key file {path} is a symbolic link: give the file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInputError("a key file must be a regular file")
        if st.st_size > KEY_FILE_MAX_BYTES:
            raise InvalidInputError("not an sdwtfast key file (too large)")
        if check_permissions and sys.platform != "win32" and st.st_mode & 0o077:
            raise InvalidInputError(
                f"key file {path} is accessible by other users; restrict it with chmod 600"
            )
        text = b""
        while len(text) <= KEY_FILE_MAX_BYTES:  # a regular file: reads do not block
            chunk = os.read(fd, KEY_FILE_MAX_BYTES + 1 - len(text))
            if not chunk:
                break
            text += chunk
    finally:
        os.close(fd)
    if len(text) > KEY_FILE_MAX_BYTES:
        raise InvalidInputError("not an sdwtfast key file (too large)")
    return _parse_key_file(text)
