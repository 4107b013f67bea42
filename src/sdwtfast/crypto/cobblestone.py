"""Cobblestone-256 (AES-256-GCM, HKDF-Expand-SHA-512): key schedule, key check, sealing.

:class:`ChunkEncryptor` and :class:`ChunkDecryptor` work incrementally with bounded memory;
:func:`encrypt` and :func:`decrypt` handle a whole message; :func:`ciphertext_size` and
:func:`plaintext_size` convert sizes. File-object helpers are in :mod:`.streams`.
"""

from __future__ import annotations

import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from ..errors import AuthenticationError, CorruptStreamError, InvalidInputError, LimitExceededError
from .constants import (
    CHUNK_SIZE,
    COBBLESTONE_LABEL,
    COMMITMENT_SIZE,
    KEY_CHECK_LABEL,
    KEY_CHECK_SALT_SIZE,
    KEY_CHECK_SIZE,
    KEY_SIZE,
    MAX_CHUNKS,
    NONCE_SIZE,
    PREFIX_SIZE,
    SALT_SIZE,
    SEALED_CHUNK_SIZE,
    TAG_SIZE,
)
from .keys import BytesLike, KeyLike, key_bytes

__all__ = [
    "key_check",
    "aes256gcm_open",
    "ciphertext_size",
    "plaintext_size",
    "ChunkEncryptor",
    "ChunkDecryptor",
    "encrypt",
    "decrypt",
]

# --------------------------------------------------------------------------------------------
# Derivations
# --------------------------------------------------------------------------------------------


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    return HKDFExpand(hashes.SHA512(), length, info).derive(prk)


def _derive_message_keys(
    input_key: bytes, salt: bytes, context: bytes
) -> tuple[bytes, bytes, bytes]:
    """Cobblestone-256 key schedule: (AES key, base nonce, commitment)."""
    okm = _hkdf_expand(
        input_key, COBBLESTONE_LABEL + salt + context, KEY_SIZE + NONCE_SIZE + COMMITMENT_SIZE
    )
    return okm[:KEY_SIZE], okm[KEY_SIZE : KEY_SIZE + NONCE_SIZE], okm[KEY_SIZE + NONCE_SIZE :]


def key_check(key: KeyLike, salt: bytes) -> bytes:
    """Return the 32-byte key-check value of ``key`` for a random 16-byte ``salt``.

    It depends on the key and its own salt only (not on the rest of the header nor on the
    payload), so a mismatch means a wrong key rather than a modified file. It is a PRF output
    under a fresh salt: it reveals nothing about the key and does not link files that share
    a key.

    Parameters
    ----------
    key : Key or bytes
        The 256-bit input key.
    salt : bytes
        16 random bytes stored next to the value.

    Returns
    -------
    bytes
        The 32-byte key-check value.

    Raises
    ------
    InvalidInputError
        Bad key or salt size.
    """
    if len(salt) != KEY_CHECK_SALT_SIZE:
        raise InvalidInputError(f"a key-check salt must be {KEY_CHECK_SALT_SIZE} bytes")
    return _hkdf_expand(key_bytes(key), KEY_CHECK_LABEL + bytes(salt), KEY_CHECK_SIZE)


def _chunk_nonce(base_nonce: bytes, index: int) -> bytes:
    if index >= MAX_CHUNKS:
        raise LimitExceededError("message exceeds 2**38 chunks")
    tail = int.from_bytes(base_nonce[7:], "big") ^ index
    return base_nonce[:7] + tail.to_bytes(5, "big")


def aes256gcm_open(key: bytes, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
    """Open one AES-256-GCM message (96-bit nonce, 128-bit tag), as every chunk is opened.

    Parameters
    ----------
    key : bytes
        32-byte AES key.
    nonce : bytes
        12-byte nonce.
    data : bytes
        Ciphertext followed by the 16-byte tag.
    associated_data : bytes or None
        Authenticated, unencrypted data.

    Returns
    -------
    bytes
        The plaintext.

    Raises
    ------
    AuthenticationError
        The tag does not verify.
    InvalidInputError
        Key or nonce of the wrong size.
    """
    if len(key) != KEY_SIZE or len(nonce) != NONCE_SIZE:
        raise InvalidInputError("AES-256-GCM needs a 32-byte key and a 12-byte nonce")
    if len(data) < TAG_SIZE:
        raise AuthenticationError("ciphertext shorter than the authentication tag")
    try:
        return AESGCM(key).decrypt(nonce, data, associated_data)
    except InvalidTag:
        raise AuthenticationError("authentication failed") from None


# --------------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------------


def ciphertext_size(plaintext_size: int) -> int:
    """Exact ciphertext size for a plaintext of ``plaintext_size`` bytes.

    Parameters
    ----------
    plaintext_size : int
        Plaintext bytes (at least 0).

    Returns
    -------
    int
        Ciphertext bytes, prefix and every tag included.
    """
    full, rest = divmod(plaintext_size, CHUNK_SIZE)
    return PREFIX_SIZE + full * SEALED_CHUNK_SIZE + rest + TAG_SIZE


def plaintext_size(ciphertext_size: int) -> int:
    """Plaintext size of a ciphertext of ``ciphertext_size`` bytes.

    Parameters
    ----------
    ciphertext_size : int
        Ciphertext bytes, prefix included.

    Returns
    -------
    int
        Plaintext bytes.

    Raises
    ------
    CorruptStreamError
        No well-formed ciphertext has that size (it is truncated or extended).
    """
    body = ciphertext_size - PREFIX_SIZE
    if body < TAG_SIZE:
        raise CorruptStreamError("encrypted payload is truncated")
    full, rest = divmod(body, SEALED_CHUNK_SIZE)
    if rest < TAG_SIZE:
        raise CorruptStreamError("encrypted payload has an invalid length (truncated or extended)")
    return full * CHUNK_SIZE + rest - TAG_SIZE


# --------------------------------------------------------------------------------------------
# Chunked sealing
# --------------------------------------------------------------------------------------------


def _chunk_failure(where: str) -> AuthenticationError:
    return AuthenticationError(
        f"{where} failed authentication: data modified, reordered, truncated or extended"
    )


class ChunkEncryptor:
    """Incremental Cobblestone-256 encryption with bounded memory.

    Parameters
    ----------
    key : Key or bytes
        The 256-bit input key.
    context : bytes
        Data bound into the key derivation (the container passes its plain header).
    salt : bytes, optional
        24 bytes; random unless given. Only tests should pass it: a salt must never repeat
        for a key.

    Notes
    -----
    Emit :attr:`prefix` first, then what every :meth:`update` returns, then
    :meth:`finalize`'s output. At most one chunk (16 KiB) is buffered.
    """

    def __init__(self, key: KeyLike, context: bytes = b"", *, salt: bytes | None = None):
        ikm = key_bytes(key)
        if salt is None:
            salt = secrets.token_bytes(SALT_SIZE)
        elif len(salt) != SALT_SIZE:
            raise InvalidInputError(f"a salt must be {SALT_SIZE} bytes")
        salt = bytes(salt)
        aes_key, self._base_nonce, commitment = _derive_message_keys(ikm, salt, bytes(context))
        self._aead = AESGCM(aes_key)
        self.salt = salt
        self.prefix = salt + commitment
        self._buf = bytearray()
        self._index = 0
        self._done = False

    def _seal(self, chunk: BytesLike) -> bytes:
        ct = self._aead.encrypt(_chunk_nonce(self._base_nonce, self._index), chunk, None)
        self._index += 1
        return ct

    def update(self, data: BytesLike) -> bytes:
        """Add plaintext; return the ciphertext of the chunks it completed (maybe empty).

        Parameters
        ----------
        data : bytes-like
            The next plaintext bytes.

        Returns
        -------
        bytes
            Sealed chunks, possibly none.

        Raises
        ------
        InvalidInputError
            The encryptor was already finalized.
        """
        if self._done:
            raise InvalidInputError("encryptor already finalized")
        mv = memoryview(data).cast("B")
        out = []
        buf = self._buf
        if buf:
            take = min(CHUNK_SIZE - len(buf), len(mv))
            buf += mv[:take]
            mv = mv[take:]
            if len(buf) == CHUNK_SIZE:
                out.append(self._seal(buf))
                buf.clear()
        while len(mv) >= CHUNK_SIZE:
            out.append(self._seal(mv[:CHUNK_SIZE]))
            mv = mv[CHUNK_SIZE:]
        buf += mv
        return b"".join(out)

    def finalize(self) -> bytes:
        """Seal the final, short (possibly empty) chunk and return it.

        Returns
        -------
        bytes
            The sealed final chunk.

        Raises
        ------
        InvalidInputError
            The encryptor was already finalized.
        """
        if self._done:
            raise InvalidInputError("encryptor already finalized")
        self._done = True
        ct = self._seal(self._buf)
        self._buf = bytearray()
        return ct


class ChunkDecryptor:
    """Incremental Cobblestone-256 decryption with bounded memory.

    Parameters
    ----------
    key : Key or bytes
        The 256-bit input key.
    prefix : bytes
        The first 56 bytes of the ciphertext (salt and commitment).
    context : bytes
        The context given to the encryptor.

    Raises
    ------
    AuthenticationError
        The commitment does not match (wrong key, wrong context, modified salt or
        commitment); raised here, before any chunk is opened.
    CorruptStreamError
        ``prefix`` is short.

    Notes
    -----
    :meth:`update` returns the plaintext of chunks that authenticated; it may release a valid
    prefix of a message whose tail is damaged. Only after :meth:`finalize` returns is the
    whole message authentic. After any failure every later call fails again.
    """

    def __init__(self, key: KeyLike, prefix: BytesLike, context: bytes = b""):
        ikm = key_bytes(key)
        if len(prefix) != PREFIX_SIZE:
            raise CorruptStreamError("encrypted payload is truncated (salt/commitment)")
        prefix = bytes(prefix)
        salt, commitment = prefix[:SALT_SIZE], prefix[SALT_SIZE:]
        aes_key, self._base_nonce, expected = _derive_message_keys(ikm, salt, bytes(context))
        if not hmac.compare_digest(commitment, expected):
            raise AuthenticationError(
                "key commitment mismatch: wrong key, or the header or salt was modified"
            )
        self._aead = AESGCM(aes_key)
        self._buf = bytearray()
        self._index = 0
        self._state = "open"  # "open" | "done" | "failed"

    def _open(self, sealed: BytesLike, final: bool) -> bytes:
        try:
            pt = self._aead.decrypt(_chunk_nonce(self._base_nonce, self._index), sealed, None)
        except InvalidTag:
            self._state = "failed"
            raise _chunk_failure("final chunk" if final else f"chunk {self._index}") from None
        self._index += 1
        return pt

    def _check_open(self) -> None:
        if self._state == "failed":
            raise AuthenticationError("decryption already failed")
        if self._state == "done":
            raise InvalidInputError("decryptor already finalized")

    def update(self, data: BytesLike) -> bytes:
        """Add ciphertext; return the plaintext of every complete (non-final) chunk.

        Parameters
        ----------
        data : bytes-like
            The next ciphertext bytes (after the prefix).

        Returns
        -------
        bytes
            Plaintext of the chunks that authenticated, possibly none.

        Raises
        ------
        AuthenticationError
            A chunk does not verify, or an earlier call failed.
        InvalidInputError
            The decryptor was already finalized.
        """
        self._check_open()
        buf = self._buf
        buf += memoryview(data).cast("B")
        n_full = len(buf) // SEALED_CHUNK_SIZE
        if not n_full:
            return b""
        mv = memoryview(buf)
        try:
            out = [
                self._open(mv[i * SEALED_CHUNK_SIZE : (i + 1) * SEALED_CHUNK_SIZE], False)
                for i in range(n_full)
            ]
        finally:
            mv.release()
        del buf[: n_full * SEALED_CHUNK_SIZE]
        return b"".join(out)

    def finalize(self) -> bytes:
        """Open the final chunk, which must be shorter than a full one, and return it.

        Returns
        -------
        bytes
            Plaintext of the final chunk (possibly empty).

        Raises
        ------
        CorruptStreamError
            The ciphertext ends at a chunk boundary or inside a tag (truncated).
        AuthenticationError
            The final chunk does not verify (modified, truncated or extended).
        """
        self._check_open()
        if len(self._buf) < TAG_SIZE:
            self._state = "failed"
            raise CorruptStreamError(
                "encrypted payload has an invalid length (truncated or extended)"
            )
        pt = self._open(bytes(self._buf), True)
        self._buf = bytearray()
        self._state = "done"
        return pt


def encrypt(
    key: KeyLike, plaintext: BytesLike, context: bytes = b"", *, salt: bytes | None = None
) -> bytes:
    """Encrypt ``plaintext`` with Cobblestone-256; return the whole ciphertext.

    Parameters
    ----------
    key : Key or bytes
        The 256-bit input key.
    plaintext : bytes-like
        The message.
    context : bytes
        Data bound into the key derivation; :func:`decrypt` must be given the same.
    salt : bytes, optional
        24 bytes; random unless given (tests only: a salt must never repeat for a key).

    Returns
    -------
    bytes
        ``salt || commitment || chunk_0 || ... || chunk_n``.
    """
    enc = ChunkEncryptor(key, context, salt=salt)
    return b"".join((enc.prefix, enc.update(plaintext), enc.finalize()))


def decrypt(key: KeyLike, ciphertext: BytesLike, context: bytes = b"") -> bytes:
    """Decrypt a whole Cobblestone-256 ciphertext; return the plaintext.

    Parameters
    ----------
    key : Key or bytes
        The 256-bit input key.
    ciphertext : bytes-like
        The whole ciphertext, as :func:`encrypt` returns it.
    context : bytes
        The context given to the encryptor.

    Returns
    -------
    bytes
        The plaintext.

    Raises
    ------
    AuthenticationError
        Wrong key or context, or any modification, reordering or extension.
    CorruptStreamError
        A length no valid ciphertext has (truncation).
    """
    mv = memoryview(ciphertext).cast("B")
    if len(mv) < PREFIX_SIZE:
        raise CorruptStreamError("encrypted payload is truncated (salt/commitment)")
    dec = ChunkDecryptor(key, mv[:PREFIX_SIZE], context)
    n = plaintext_size(len(mv))
    out = bytearray(n)
    om = memoryview(out)
    body = mv[PREFIX_SIZE:]
    full = n // CHUNK_SIZE
    for i in range(full + 1):
        last = i == full
        sealed = body[i * SEALED_CHUNK_SIZE : (len(body) if last else (i + 1) * SEALED_CHUNK_SIZE)]
        nonce = _chunk_nonce(dec._base_nonce, i)
        start = i * CHUNK_SIZE
        try:
            dec._aead.decrypt_into(nonce, sealed, None, om[start : start + len(sealed) - TAG_SIZE])
        except InvalidTag:
            raise _chunk_failure("final chunk" if last else f"chunk {i}") from None
    om.release()
    return bytes(out)
