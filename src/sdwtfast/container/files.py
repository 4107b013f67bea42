"""Writing and reading whole containers, in memory or streamed, and the encryption wiring.

:func:`write` / :func:`read` stream through a binary file object; :func:`pack` /
:func:`unpack` work in memory, :func:`save` / :func:`load` on paths. When a key or
passphrase is given, the body is sealed with Cobblestone-256 (:mod:`sdwtfast.crypto`) with
the header bytes as context (``docs/format.md``, section 4).
"""

from __future__ import annotations

import hmac
import io
import os
import secrets
from collections.abc import Callable, Iterable
from typing import BinaryIO

from .. import crypto
from ..errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
)
from .body import BodyParser, body_pieces, validate_sections
from .constants import KEY_SOURCE_KEY, KEY_SOURCE_PASSPHRASE
from .header import (
    bytes_view,
    decode_header,
    decode_image,
    encode_header,
    encode_image,
    encode_sealed_header,
    read_exact,
    read_header_bytes,
)
from .schema import RESERVED_TYPES, Encryption, Header, Section, SectionType, minor_version

__all__ = ["KeyLike", "write", "pack", "read", "unpack", "save", "load"]

KeyLike = crypto.Key | bytes
"""A 256-bit key: a :class:`sdwtfast.crypto.Key` or its 32 bytes."""

_READ_SIZE = crypto.SEALED_CHUNK_SIZE


def _encryption_for_write(
    key: KeyLike | None,
    passphrase: str | bytes | None,
    kdf_params: crypto.Argon2Params | None,
    random: Callable[[int], bytes] | None,
) -> tuple[bytes | None, Encryption | None, bytes]:
    """Return (input key, header encryption block, payload salt); (None, None, b"") if plain."""
    if key is not None and passphrase is not None:
        raise InvalidInputError("give a key or a passphrase, not both")
    if key is None and passphrase is None:
        if kdf_params is not None:
            raise InvalidInputError("kdf_params needs a passphrase")
        return None, None, b""
    rand = secrets.token_bytes if random is None else random
    salt = rand(crypto.SALT_SIZE)
    if passphrase is not None:
        params = crypto.Argon2Params() if kdf_params is None else kdf_params
        params.check(InvalidInputError)
        kdf_salt = rand(crypto.KDF_SALT_SIZE)
        ikm = crypto.derive_passphrase_key(passphrase, kdf_salt, params).secret_bytes()
        source = KEY_SOURCE_PASSPHRASE
    else:
        if kdf_params is not None:
            raise InvalidInputError("kdf_params only applies to passphrases")
        ikm, params, kdf_salt, source = crypto.key_bytes(key), None, b"", KEY_SOURCE_KEY
    check_salt = rand(crypto.KEY_CHECK_SALT_SIZE)
    enc = Encryption(source, params, kdf_salt, check_salt, crypto.key_check(ikm, check_salt))
    return ikm, enc, salt


def write(
    dst: BinaryIO,
    header: Header,
    sections: Iterable[Section],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    kdf_params: crypto.Argon2Params | None = None,
    _random: Callable[[int], bytes] | None = None,
) -> int:
    """Write a container to a binary file object, streaming; return the bytes written.

    Memory beyond the section data stays within a few 16 KiB chunks.

    Parameters
    ----------
    dst : binary file object
    header : Header
    sections : iterable of Section
        At most 64, at most one per type; written in the given order, then END.
    key : crypto.Key or bytes, optional
        Encrypt with this 256-bit key (see :func:`sdwtfast.crypto.load_key_file`).
    passphrase : str or bytes, optional
        Encrypt with a key derived by Argon2id (parameters stored in the header).
    kdf_params : crypto.Argon2Params, optional
        Argon2id cost (default: 64 MiB, 3 passes, 4 lanes).

    Returns
    -------
    int
        Bytes written.

    Raises
    ------
    InvalidInputError, LimitExceededError
        Bad header, sections or arguments.
    """
    if not isinstance(header, Header):
        raise InvalidInputError("header must be a container.Header")
    secs = validate_sections(sections)
    if any(s.type in RESERVED_TYPES for s in secs):
        raise InvalidInputError("the HEADER section is written by the container, not passed in")
    ikm, enc, salt = _encryption_for_write(key, passphrase, kdf_params, _random)
    if ikm is None:
        head = encode_header(header, None, minor_version(secs))
        written = dst.write(head) or 0
        for piece in body_pieces(secs):
            written += dst.write(piece) or 0
        return written
    head = encode_sealed_header(enc)  # version 2.0: the image header goes sealed
    secs = [Section(SectionType.HEADER, encode_image(header)), *secs]
    written = dst.write(head) or 0
    encryptor = crypto.ChunkEncryptor(ikm, head, salt=salt)
    written += dst.write(encryptor.prefix) or 0
    step = crypto.CHUNK_SIZE  # one chunk in, one chunk out: memory stays flat
    for piece in body_pieces(secs):
        for i in range(0, len(piece), step):
            out = encryptor.update(piece[i : i + step])
            if out:
                written += dst.write(out) or 0
    written += dst.write(encryptor.finalize()) or 0
    return written


def pack(
    header: Header,
    sections: Iterable[Section],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    kdf_params: crypto.Argon2Params | None = None,
    _random: Callable[[int], bytes] | None = None,
) -> bytes:
    """Return a container holding ``header`` and ``sections`` (encrypted if a key is given).

    See :func:`write` for the parameters. ``_random`` (a replacement for
    ``secrets.token_bytes``) exists for golden tests only: salts must never repeat.

    Returns
    -------
    bytes
        The container.
    """
    buf = io.BytesIO()
    write(
        buf,
        header,
        sections,
        key=key,
        passphrase=passphrase,
        kdf_params=kdf_params,
        _random=_random,
    )
    return buf.getvalue()


def _remaining(src: BinaryIO) -> int | None:
    try:
        if not src.seekable():
            return None
        pos = src.tell()
        end = src.seek(0, os.SEEK_END)
        src.seek(pos)
        return end - pos
    except (OSError, AttributeError, ValueError):
        return None


def _input_key(enc: Encryption, key: KeyLike | None, passphrase: str | bytes | None) -> bytes:
    if enc.key_source == KEY_SOURCE_PASSPHRASE:
        if passphrase is None:
            hint = " (a key was given, but this file needs its passphrase)" if key else ""
            raise KeyRequiredError(f"this container is encrypted with a passphrase{hint}")
        return crypto.derive_passphrase_key(passphrase, enc.kdf_salt, enc.kdf_params).secret_bytes()
    if key is None:
        hint = " (a passphrase was given, but this file needs its key file)" if passphrase else ""
        raise KeyRequiredError(f"this container is encrypted with a key file{hint}")
    return crypto.key_bytes(key)


def _read_plain(
    src: BinaryIO, body_left: int | None, keyed: bool, allow_unencrypted: bool
) -> list[Section]:
    """Parse a plain body, refusing it when a key was given (downgrade) unless allowed."""
    if keyed and not allow_unencrypted:
        raise AuthenticationError(
            "container is not encrypted although a key or passphrase was given: refused, "
            "since anyone could have written it (decode without a key to accept it)"
        )
    parser = BodyParser(body_left)
    while piece := src.read(_READ_SIZE):
        parser.feed(piece)
    return parser.close()


def _read_sealed(
    src: BinaryIO,
    head: bytes,
    enc: Encryption,
    body_left: int | None,
    key: KeyLike | None,
    passphrase: str | bytes | None,
) -> list[Section]:
    """Check the key, then open and parse a sealed body (``docs/format.md``, 4)."""
    if key is not None and passphrase is not None:
        raise InvalidInputError("give a key or a passphrase, not both")
    ikm = _input_key(enc, key, passphrase)
    if not hmac.compare_digest(crypto.key_check(ikm, enc.check_salt), enc.key_check):
        raise AuthenticationError(
            f"{crypto.WRONG_KEY_MESSAGE}: the key check does not match this container"
        )
    prefix = read_exact(src, crypto.PREFIX_SIZE)
    if len(prefix) != crypto.PREFIX_SIZE:
        raise CorruptStreamError("encrypted container is truncated (salt/commitment)")
    decryptor = crypto.ChunkDecryptor(ikm, prefix, head)
    plain_left = None if body_left is None else crypto.plaintext_size(body_left)
    parser = BodyParser(plain_left)
    while piece := src.read(_READ_SIZE):
        parser.feed(decryptor.update(piece))
    parser.feed(decryptor.finalize())
    return parser.close()


def read(
    src: BinaryIO,
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    allow_unencrypted: bool = False,
) -> tuple[Header, list[Section]]:
    """Read a whole container from a binary file object (to its end), streaming.

    Memory beyond the returned section data stays within a few 16 KiB chunks when ``src``
    is seekable (section buffers are allocated at their checked size).

    Parameters
    ----------
    src : binary file object
        Positioned at the container's first byte; it must end with the container.
    key : crypto.Key or bytes, optional
        For containers encrypted with a key.
    passphrase : str or bytes, optional
        For containers encrypted with a passphrase.
    allow_unencrypted : bool
        With a key or passphrase given, an unencrypted container is refused unless this is
        True: it is not authenticated, so accepting it silently would let anyone substitute
        a forged file for an encrypted one (downgrade).

    Returns
    -------
    header : Header
    sections : list of Section
        In file order, END excluded; unknown optional sections included. Each ``data`` is a
        ``bytearray`` owned by the caller.

    Raises
    ------
    KeyRequiredError
        Encrypted, and no (matching kind of) key given.
    AuthenticationError
        Wrong key or passphrase (message starts with ``crypto.WRONG_KEY_MESSAGE``), or the
        header or data were modified, reordered, truncated or extended; or a key was given
        for an unencrypted container (see ``allow_unencrypted``).
    CorruptStreamError
        Truncated or corrupted (CRC, framing) container.
    UnsupportedFormatError
        Not a container, unsupported version, unknown required section type.
    LimitExceededError
        Geometry, section count or KDF parameters beyond the limits.
    """
    total = _remaining(src)
    head = read_header_bytes(src)
    info, enc = decode_header(head)
    body_left = None if total is None else total - len(head)
    if enc is None:
        keyed = key is not None or passphrase is not None
        sections = _read_plain(src, body_left, keyed, allow_unencrypted)
    else:
        sections = _read_sealed(src, head, enc, body_left, key, passphrase)
    return _image_header(info.header, sections)


def _image_header(plain: Header | None, sections: list[Section]) -> tuple[Header, list[Section]]:
    """The header (sealed HEADER section of a 2.0 file, else the plain one) and the other
    sections; a HEADER section anywhere else is a corrupt file."""
    if plain is None:
        if not sections or sections[0].type != SectionType.HEADER:
            raise CorruptStreamError("version-2 container without its sealed image header")
        plain, sections = decode_image(sections[0].data), sections[1:]
    if any(s.type in RESERVED_TYPES for s in sections):
        raise CorruptStreamError("misplaced HEADER section")
    return plain, sections


def unpack(
    data: bytes | bytearray | memoryview,
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    allow_unencrypted: bool = False,
) -> tuple[Header, list[Section]]:
    """Decode a whole container held in memory; see :func:`read` for details.

    Returns
    -------
    header : Header
    sections : list of Section

    Examples
    --------
    >>> from sdwtfast.container import SectionType
    >>> k = crypto.Key.generate()
    >>> h = Header(width=1, height=1, dtype="uint8", bit_depth=8)
    >>> blob = pack(h, [Section(SectionType.META, b"{}")], key=k)
    >>> unpack(blob, key=k)[1][0].data
    bytearray(b'{}')
    """
    try:
        view = bytes_view(data)
    except TypeError:
        raise InvalidInputError("container data must be bytes-like") from None
    src = io.BytesIO(data if isinstance(data, bytes) else bytes(view))  # bytes: shared
    return read(src, key=key, passphrase=passphrase, allow_unencrypted=allow_unencrypted)


def save(
    path: str | os.PathLike[str],
    header: Header,
    sections: Iterable[Section],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    kdf_params: crypto.Argon2Params | None = None,
    overwrite: bool = False,
) -> int:
    """Write a container to ``path`` atomically (temporary file, fsync, rename).

    The file is created with owner-only permissions (it may hold patient data).

    Parameters
    ----------
    path : str or os.PathLike
    header, sections, key, passphrase, kdf_params
        As for :func:`write`.
    overwrite : bool
        Replace an existing file (atomically) instead of refusing.

    Returns
    -------
    int
        Bytes written.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    """
    from ..safefile import write_atomic

    written: list[int] = []

    def writer(f: BinaryIO) -> None:
        written.append(
            write(f, header, sections, key=key, passphrase=passphrase, kdf_params=kdf_params)
        )

    write_atomic(path, writer=writer, force=overwrite)  # never replaces a file unasked
    return written[0]


def load(
    path: str | os.PathLike[str],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    allow_unencrypted: bool = False,
) -> tuple[Header, list[Section]]:
    """Read the container stored at ``path``; see :func:`read`.

    Parameters
    ----------
    path : str or os.PathLike
    key, passphrase, allow_unencrypted
        As for :func:`read`.

    Returns
    -------
    header : Header
    sections : list of Section
    """
    with open(path, "rb") as f:
        return read(f, key=key, passphrase=passphrase, allow_unencrypted=allow_unencrypted)
