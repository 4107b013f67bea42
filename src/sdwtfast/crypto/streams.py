"""Cobblestone-256 between file objects: :func:`encrypt_stream` and :func:`decrypt_stream`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from ..errors import CorruptStreamError
from .cobblestone import ChunkDecryptor, ChunkEncryptor
from .constants import CHUNK_SIZE, PREFIX_SIZE, SEALED_CHUNK_SIZE
from .keys import KeyLike

__all__ = ["encrypt_stream", "decrypt_stream"]


def encrypt_stream(
    key: KeyLike,
    src: BinaryIO | Iterable[bytes],
    dst: BinaryIO,
    context: bytes = b"",
    *,
    read_size: int = 4 * CHUNK_SIZE,
) -> int:
    """Encrypt from a binary file (or an iterable of byte strings) to ``dst``.

    Memory stays bounded by ``read_size`` plus one chunk.

    Parameters
    ----------
    key : Key or bytes
        The 256-bit input key.
    src : binary file object or iterable of bytes
        The plaintext, read until end of file.
    dst : binary file object
        Receives the ciphertext.
    context : bytes
        Data bound into the key derivation.
    read_size : int
        Bytes asked of ``src`` per read.

    Returns
    -------
    int
        Ciphertext bytes written.
    """
    enc = ChunkEncryptor(key, context)
    written = dst.write(enc.prefix) or 0
    pieces = iter(lambda: src.read(read_size), b"") if hasattr(src, "read") else src
    for piece in pieces:
        written += dst.write(enc.update(piece)) or 0
    written += dst.write(enc.finalize()) or 0
    return written


def decrypt_stream(
    key: KeyLike,
    src: BinaryIO,
    dst: BinaryIO,
    context: bytes = b"",
    *,
    read_size: int = 4 * SEALED_CHUNK_SIZE,
) -> int:
    """Decrypt from a binary file to ``dst``.

    Memory stays bounded by ``read_size`` plus one chunk. ``dst`` receives authenticated
    chunks as they verify: if this raises, discard what was written (write to a temporary
    file and rename it on success). Short reads (pipes, sockets) are fine.

    Parameters
    ----------
    key : Key or bytes
        The 256-bit input key.
    src : binary file object
        The ciphertext, read until end of file.
    dst : binary file object
        Receives the plaintext.
    context : bytes
        The context given to the encryptor.
    read_size : int
        Bytes asked of ``src`` per read.

    Returns
    -------
    int
        Plaintext bytes written.

    Raises
    ------
    AuthenticationError
        Wrong key or context, or any modification, reordering or extension.
    CorruptStreamError
        The ciphertext is truncated.
    """
    prefix = _read_exact(src, PREFIX_SIZE)
    dec = ChunkDecryptor(key, prefix, context)
    written = 0
    while piece := src.read(read_size):
        written += dst.write(dec.update(piece)) or 0
    written += dst.write(dec.finalize()) or 0
    return written


def _read_exact(src: BinaryIO, n: int) -> bytes:
    """Read ``n`` bytes, looping over short reads; fewer only at end of file is an error."""
    data = read_exact(src, n)
    if len(data) != n:
        raise CorruptStreamError("encrypted payload is truncated (salt/commitment)")
    return data


def read_exact(src: BinaryIO, n: int) -> bytes:
    """Read ``n`` bytes from ``src``, looping over short reads; fewer only at end of file.

    Parameters
    ----------
    src : binary file object
    n : int

    Returns
    -------
    bytes
        ``n`` bytes, or all that was left.
    """
    parts, got = [], 0
    while got < n:
        piece = src.read(n - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)
