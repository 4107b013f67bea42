"""Encryption primitives of the sdwtfast container.

Everything here is built on the ``cryptography`` library; nothing implements a cipher.

Construction
------------
The payload is sealed with **Cobblestone-256** (`c2sp.org/chunked-encryption
<https://c2sp.org/chunked-encryption>`_), instantiated with AES-256-GCM and HKDF-Expand-SHA-512:

* a fresh random 24-byte *salt* per message; ``HKDF-Expand(input key, info = label || salt ||
  context)`` yields a per-message AES key, a 12-byte base nonce and a 32-byte *commitment*, so
  nonces never repeat across files and a wrong key or a modified context (the container's plain
  header) is detected before any chunk is opened;
* the message is cut into 16 KiB chunks; chunk ``i`` is sealed with the nonce
  ``base_nonce XOR i`` (big-endian), so reordered, duplicated or dropped chunks fail;
* the final chunk is always *shorter* than 16 KiB (possibly empty): that is the last-chunk
  flag, so a stream cut at a chunk boundary, or extended past its end, fails too.

The ciphertext is ``salt || commitment || chunk_0 || ... || chunk_n``. The published C2SP
Wycheproof vectors for this construction are part of the tests.

On top of it the container adds a *key check* (:func:`key_check`): a 32-byte value derived from
the input key and its own random salt only, stored in the plain header, so "wrong key" and
"modified file" are reported as different failures.

Keys
----
:class:`Key` holds 256 secret bits and never shows them (``repr``, ``str``, pickling).
Key files (:func:`generate_key_file`, :func:`load_key_file`) are one line of versioned text
with a checksum, created with owner-only permissions. Passphrases go through Argon2id
(:func:`derive_passphrase_key`) with parameters (:class:`Argon2Params`) that are bounded
before the KDF runs, so a crafted file cannot make the reader allocate gigabytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from .errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    UnsupportedFormatError,
)

__all__ = [
    "KEY_SIZE",
    "SALT_SIZE",
    "COMMITMENT_SIZE",
    "PREFIX_SIZE",
    "CHUNK_SIZE",
    "TAG_SIZE",
    "KEY_CHECK_SIZE",
    "KEY_CHECK_SALT_SIZE",
    "KDF_SALT_SIZE",
    "WRONG_KEY_MESSAGE",
    "Key",
    "Argon2Params",
    "ChunkEncryptor",
    "ChunkDecryptor",
    "encrypt",
    "decrypt",
    "encrypt_stream",
    "decrypt_stream",
    "ciphertext_size",
    "plaintext_size",
    "key_check",
    "derive_passphrase_key",
    "aes256gcm_open",
    "generate_key_file",
    "load_key_file",
]

KEY_SIZE = 32
"""Bytes of an input key (and of the AES-256 key derived from it)."""
NONCE_SIZE = 12
TAG_SIZE = 16
SALT_SIZE = 24
COMMITMENT_SIZE = 32
PREFIX_SIZE = SALT_SIZE + COMMITMENT_SIZE
"""Bytes before the first chunk: salt and commitment (56)."""
CHUNK_SIZE = 16384
"""Plaintext bytes in every chunk but the last, which is always shorter."""
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
MAX_CHUNKS = 1 << 38
"""Cobblestone's limit on the chunk counter (4 PiB of plaintext)."""
KEY_CHECK_SIZE = 32
KEY_CHECK_SALT_SIZE = 16
KDF_SALT_SIZE = 16

WRONG_KEY_MESSAGE = "wrong key or passphrase"
"""Start of the :class:`~sdwtfast.errors.AuthenticationError` message for a wrong key."""

_AEAD_NAME = b"AEAD_AES_256_GCM"
_COBBLESTONE_LABEL = b"c2sp.org/chunked-encryption@v1+" + _AEAD_NAME + b"\x00"
_KEY_CHECK_LABEL = b"sdwtfast.key-check@v1\x00"


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


class Key:
    """A 256-bit secret key whose bytes never appear in ``repr``, ``str`` or pickles.

    Parameters
    ----------
    secret : bytes-like
        Exactly 32 bytes of uniformly random key material.

    Raises
    ------
    InvalidInputError
        If ``secret`` is not 32 bytes.

    Examples
    --------
    >>> k = Key.generate()
    >>> repr(k)
    '<sdwtfast Key: 256-bit, hidden>'
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes | bytearray | memoryview) -> None:
        try:
            raw = bytes(memoryview(secret).cast("B"))
        except TypeError:
            raise InvalidInputError("a key must be bytes-like") from None
        if len(raw) != KEY_SIZE:
            raise InvalidInputError(f"a key must be {KEY_SIZE} bytes, got {len(raw)}")
        self._secret = raw

    @classmethod
    def generate(cls) -> Key:
        """Return a fresh key from the operating system's CSPRNG."""
        return cls(secrets.token_bytes(KEY_SIZE))

    def secret_bytes(self) -> bytes:
        """Return the raw key material. Handle with care: never log or print it."""
        return self._secret

    def __repr__(self) -> str:
        return "<sdwtfast Key: 256-bit, hidden>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Key):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):  # noqa: D105 - refuse accidental persistence of key material
        raise TypeError("sdwtfast Key objects cannot be pickled")

    def __copy__(self) -> Key:
        return self

    def __deepcopy__(self, memo: dict) -> Key:
        return self


def _key_bytes(key: Key | bytes | bytearray | memoryview) -> bytes:
    if isinstance(key, Key):
        return key._secret
    try:
        raw = bytes(memoryview(key).cast("B"))
    except TypeError:
        raise InvalidInputError("key must be a sdwtfast Key or 32 bytes") from None
    if len(raw) != KEY_SIZE:
        raise InvalidInputError(f"a key must be {KEY_SIZE} bytes, got {len(raw)}")
    return raw


# --------------------------------------------------------------------------------------------
# Passphrases: Argon2id with bounded parameters
# --------------------------------------------------------------------------------------------

ARGON2_MAX_MEMORY_KIB = 1 << 20
"""Largest Argon2id memory accepted, encoding or decoding (1 GiB)."""
ARGON2_MAX_ITERATIONS = 16
ARGON2_MAX_LANES = 16
ARGON2_MAX_WORK_KIB = 4 << 20
"""Largest ``memory_kib * iterations`` accepted (4 GiB of memory passes)."""
MAX_PASSPHRASE_BYTES = 4096


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost parameters, stored in the container header.

    Parameters
    ----------
    memory_kib : int
        Memory cost in KiB (at least ``8 * lanes``, at most 1 GiB).
    iterations : int
        Number of passes (1 to 16).
    lanes : int
        Degree of parallelism (1 to 16).

    Notes
    -----
    The default (64 MiB, 3 passes, 4 lanes) is the second recommended setting of RFC 9106.
    :meth:`check` is run both when encoding and, before the KDF runs, when decoding, so a
    crafted header cannot request absurd resources.
    """

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def check(self, exc: type[Exception] = LimitExceededError) -> None:
        """Raise ``exc`` unless every parameter is within the accepted bounds."""
        m, t, p = self.memory_kib, self.iterations, self.lanes
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (m, t, p)):
            raise InvalidInputError("Argon2id parameters must be integers")
        if not 1 <= p <= ARGON2_MAX_LANES:
            raise exc(f"Argon2id lanes {p} outside 1..{ARGON2_MAX_LANES}")
        if not 1 <= t <= ARGON2_MAX_ITERATIONS:
            raise exc(f"Argon2id iterations {t} outside 1..{ARGON2_MAX_ITERATIONS}")
        if not 8 * p <= m <= ARGON2_MAX_MEMORY_KIB:
            raise exc(f"Argon2id memory {m} KiB outside {8 * p}..{ARGON2_MAX_MEMORY_KIB} KiB")
        if m * t > ARGON2_MAX_WORK_KIB:
            raise exc(f"Argon2id work {m} KiB x {t} passes exceeds {ARGON2_MAX_WORK_KIB} KiB")


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    if isinstance(passphrase, str):
        raw = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    elif isinstance(passphrase, (bytes, bytearray, memoryview)):
        raw = bytes(passphrase)
    else:
        raise InvalidInputError("a passphrase must be str or bytes")
    if not raw:
        raise InvalidInputError("the passphrase is empty")
    if len(raw) > MAX_PASSPHRASE_BYTES:
        raise InvalidInputError(f"the passphrase is longer than {MAX_PASSPHRASE_BYTES} bytes")
    return raw


def derive_passphrase_key(
    passphrase: str | bytes, salt: bytes, params: Argon2Params | None = None
) -> Key:
    """Derive a 256-bit input key from a passphrase with Argon2id.

    Parameters
    ----------
    passphrase : str or bytes
        A ``str`` is NFC-normalized and UTF-8 encoded, so the same typed passphrase gives the
        same key on every system.
    salt : bytes
        16 random bytes stored next to the parameters.
    params : Argon2Params, optional
        Cost parameters; checked against the bounds first. Default: ``Argon2Params()``.

    Returns
    -------
    Key

    Raises
    ------
    InvalidInputError
        Empty or over-long passphrase, bad salt.
    LimitExceededError
        Parameters outside the accepted bounds.
    """
    params = Argon2Params() if params is None else params
    params.check()
    if len(salt) != KDF_SALT_SIZE:
        raise InvalidInputError(f"an Argon2id salt must be {KDF_SALT_SIZE} bytes")
    kdf = Argon2id(
        salt=bytes(salt),
        length=KEY_SIZE,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return Key(kdf.derive(_passphrase_bytes(passphrase)))


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
        input_key, _COBBLESTONE_LABEL + salt + context, KEY_SIZE + NONCE_SIZE + COMMITMENT_SIZE
    )
    return okm[:KEY_SIZE], okm[KEY_SIZE : KEY_SIZE + NONCE_SIZE], okm[KEY_SIZE + NONCE_SIZE :]


def key_check(key: Key | bytes, salt: bytes) -> bytes:
    """Return the 32-byte key-check value of ``key`` for a random 16-byte ``salt``.

    It depends on the key and its own salt only (not on the rest of the header nor on the
    payload), so a mismatch means a wrong key rather than a modified file. It is a PRF output
    under a fresh salt: it reveals nothing about the key and does not link files that share
    a key.
    """
    if len(salt) != KEY_CHECK_SALT_SIZE:
        raise InvalidInputError(f"a key-check salt must be {KEY_CHECK_SALT_SIZE} bytes")
    return _hkdf_expand(_key_bytes(key), _KEY_CHECK_LABEL + bytes(salt), KEY_CHECK_SIZE)


def _chunk_nonce(base_nonce: bytes, index: int) -> bytes:
    if index >= MAX_CHUNKS:
        raise LimitExceededError("message exceeds 2**38 chunks")
    tail = int.from_bytes(base_nonce[7:], "big") ^ index
    return base_nonce[:7] + tail.to_bytes(5, "big")


def aes256gcm_open(key: bytes, nonce: bytes, data: bytes, associated_data: bytes | None) -> bytes:
    """Open one AES-256-GCM message (96-bit nonce, 128-bit tag), as every chunk is opened.

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
# Chunked sealing (Cobblestone-256)
# --------------------------------------------------------------------------------------------


def ciphertext_size(plaintext_size: int) -> int:
    """Exact ciphertext size for a plaintext of ``plaintext_size`` bytes."""
    full, rest = divmod(plaintext_size, CHUNK_SIZE)
    return PREFIX_SIZE + full * SEALED_CHUNK_SIZE + rest + TAG_SIZE


def plaintext_size(ciphertext_size: int) -> int:
    """Plaintext size of a ciphertext of ``ciphertext_size`` bytes.

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

    def __init__(self, key: Key | bytes, context: bytes = b"", *, salt: bytes | None = None):
        ikm = _key_bytes(key)
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

    def _seal(self, chunk) -> bytes:
        ct = self._aead.encrypt(_chunk_nonce(self._base_nonce, self._index), chunk, None)
        self._index += 1
        return ct

    def update(self, data) -> bytes:
        """Add plaintext; return the ciphertext of the chunks it completed (maybe empty)."""
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
        """Seal the final, short (possibly empty) chunk and return it."""
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

    def __init__(self, key: Key | bytes, prefix: bytes, context: bytes = b""):
        ikm = _key_bytes(key)
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

    def _open(self, sealed, final: bool) -> bytes:
        try:
            pt = self._aead.decrypt(_chunk_nonce(self._base_nonce, self._index), sealed, None)
        except InvalidTag:
            self._state = "failed"
            where = "final chunk" if final else f"chunk {self._index}"
            raise AuthenticationError(
                f"{where} failed authentication: data modified, reordered, truncated or extended"
            ) from None
        self._index += 1
        return pt

    def _check_open(self) -> None:
        if self._state == "failed":
            raise AuthenticationError("decryption already failed")
        if self._state == "done":
            raise InvalidInputError("decryptor already finalized")

    def update(self, data) -> bytes:
        """Add ciphertext; return the plaintext of every complete (non-final) chunk."""
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
    key: Key | bytes, plaintext, context: bytes = b"", *, salt: bytes | None = None
) -> bytes:
    """Encrypt ``plaintext`` (bytes-like) with Cobblestone-256; return the whole ciphertext."""
    enc = ChunkEncryptor(key, context, salt=salt)
    return b"".join((enc.prefix, enc.update(plaintext), enc.finalize()))


def decrypt(key: Key | bytes, ciphertext, context: bytes = b"") -> bytes:
    """Decrypt a whole Cobblestone-256 ciphertext; return the plaintext.

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
            where = "final chunk" if last else f"chunk {i}"
            raise AuthenticationError(
                f"{where} failed authentication: data modified, reordered, truncated or extended"
            ) from None
    om.release()
    return bytes(out)


def encrypt_stream(
    key: Key | bytes,
    src: BinaryIO | Iterable[bytes],
    dst: BinaryIO,
    context: bytes = b"",
    *,
    read_size: int = 4 * CHUNK_SIZE,
) -> int:
    """Encrypt from a binary file (or an iterable of byte strings) to ``dst``.

    Memory stays bounded by ``read_size`` plus one chunk. Returns the bytes written.
    """
    enc = ChunkEncryptor(key, context)
    written = dst.write(enc.prefix) or 0
    pieces = iter(lambda: src.read(read_size), b"") if hasattr(src, "read") else src
    for piece in pieces:
        written += dst.write(enc.update(piece)) or 0
    written += dst.write(enc.finalize()) or 0
    return written


def decrypt_stream(
    key: Key | bytes,
    src: BinaryIO,
    dst: BinaryIO,
    context: bytes = b"",
    *,
    read_size: int = 4 * SEALED_CHUNK_SIZE,
) -> int:
    """Decrypt from a binary file to ``dst``; returns the plaintext bytes written.

    Memory stays bounded by ``read_size`` plus one chunk. ``dst`` receives authenticated
    chunks as they verify: if this raises, discard what was written (write to a temporary
    file and rename it on success).
    """
    prefix = _read_exact(src, PREFIX_SIZE)
    dec = ChunkDecryptor(key, prefix, context)
    written = 0
    while piece := src.read(read_size):
        written += dst.write(dec.update(piece)) or 0
    written += dst.write(dec.finalize()) or 0
    return written


def _read_exact(src: BinaryIO, n: int) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise CorruptStreamError("encrypted payload is truncated (salt/commitment)")
    return data


# --------------------------------------------------------------------------------------------
# Key files
# --------------------------------------------------------------------------------------------

_KEY_FILE_TAG = "sdwtfast-key-v1"
_KEY_FILE_MAX_BYTES = 4096
_KEY_FILE_COMMENT = (
    "# sdwtfast key file. Keep it secret: anyone holding it can decrypt your images.\n"
)


def _key_file_checksum(raw: bytes) -> str:
    return hashlib.sha256(_KEY_FILE_TAG.encode() + b":" + raw).hexdigest()[:8]


def _format_key_file(key: Key) -> bytes:
    raw = key.secret_bytes()
    line = f"{_KEY_FILE_TAG}:{raw.hex()}:{_key_file_checksum(raw)}\n"
    return (_KEY_FILE_COMMENT + line).encode("ascii")


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
    if fields[0] != _KEY_FILE_TAG:
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


def generate_key_file(path: str | os.PathLike[str]) -> Key:
    """Create a key file holding 256 fresh random bits; return the key.

    The file is written completely under a temporary name with owner-only permissions
    (``0o600``, ``O_CREAT | O_EXCL``) and then linked to ``path`` atomically, so it is never
    seen half-written and an existing file is never replaced.

    Format (ASCII, one key line; ``#`` lines are comments)::

        sdwtfast-key-v1:<64 hex digits of key>:<8 hex digits: SHA-256 checksum>

    Raises
    ------
    FileExistsError
        ``path`` exists (the key file is never overwritten).
    OSError
        The directory is not writable.
    """
    path = os.fspath(path)
    key = Key.generate()
    content = _format_key_file(key)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic and never overwrites
        except (AttributeError, NotImplementedError, PermissionError) as exc:
            if os.path.lexists(path):
                raise FileExistsError(f"refusing to overwrite existing file: {path}") from exc
            # Filesystem without hard links: create exclusively, then write.
            fd2 = os.open(path, flags, 0o600)
            try:
                os.write(fd2, content)
                os.fsync(fd2)
            finally:
                os.close(fd2)
        except FileExistsError:
            raise FileExistsError(f"refusing to overwrite existing file: {path}") from None
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

    Raises
    ------
    InvalidInputError
        Not a key file, damaged (checksum), too large, or readable by others.
    UnsupportedFormatError
        A key file of a newer version.
    OSError
        The file cannot be opened.
    """
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInputError("a key file must be a regular file")
        if st.st_size > _KEY_FILE_MAX_BYTES:
            raise InvalidInputError("not an sdwtfast key file (too large)")
        if check_permissions and sys.platform != "win32" and st.st_mode & 0o077:
            raise InvalidInputError(
                f"key file {path} is accessible by other users; restrict it with chmod 600"
            )
        text = os.read(fd, _KEY_FILE_MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(text) > _KEY_FILE_MAX_BYTES:
        raise InvalidInputError("not an sdwtfast key file (too large)")
    return _parse_key_file(text)
