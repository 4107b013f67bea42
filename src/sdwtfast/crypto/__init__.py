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

Where things live
-----------------
Every name below is re-exported here; import it from ``sdwtfast.crypto``.

``constants``
    Sizes (``KEY_SIZE``, ``CHUNK_SIZE``, ``PREFIX_SIZE``, ...), Argon2id limits
    (``ARGON2_MAX_*``, ``MAX_PASSPHRASE_BYTES``), labels and ``WRONG_KEY_MESSAGE``. A leaf:
    it imports nothing.
``keys``
    :class:`Key` and :func:`key_bytes`.
``kdf``
    :class:`Argon2Params` and :func:`derive_passphrase_key`.
``cobblestone``
    The HKDF key schedule, :func:`key_check`, :func:`aes256gcm_open`,
    :func:`ciphertext_size`, :func:`plaintext_size`, :class:`ChunkEncryptor`,
    :class:`ChunkDecryptor`, :func:`encrypt` and :func:`decrypt`.
``streams``
    :func:`encrypt_stream` and :func:`decrypt_stream` (file objects, short reads allowed).
``keyfile``
    The key file format, :func:`generate_key_file` and :func:`load_key_file`.

Imports run one way only: ``constants`` <- ``keys`` <- ``kdf``, ``cobblestone``, ``keyfile``;
``cobblestone`` <- ``streams``; this package imports them all.
"""

from __future__ import annotations

from .cobblestone import (
    ChunkDecryptor,
    ChunkEncryptor,
    aes256gcm_open,
    ciphertext_size,
    decrypt,
    encrypt,
    key_check,
    plaintext_size,
)
from .constants import (
    ARGON2_MAX_ITERATIONS,
    ARGON2_MAX_LANES,
    ARGON2_MAX_MEMORY_KIB,
    ARGON2_MAX_WORK_KIB,
    CHUNK_SIZE,
    COMMITMENT_SIZE,
    KDF_SALT_SIZE,
    KEY_CHECK_SALT_SIZE,
    KEY_CHECK_SIZE,
    KEY_SIZE,
    MAX_CHUNKS,
    MAX_PASSPHRASE_BYTES,
    NONCE_SIZE,
    PREFIX_SIZE,
    SALT_SIZE,
    SEALED_CHUNK_SIZE,
    TAG_SIZE,
    WRONG_KEY_MESSAGE,
)
from .kdf import Argon2Params, derive_passphrase_key
from .keyfile import generate_key_file, load_key_file
from .keys import Key, key_bytes
from .streams import decrypt_stream, encrypt_stream

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
    "NONCE_SIZE",
    "SEALED_CHUNK_SIZE",
    "MAX_CHUNKS",
    "ARGON2_MAX_MEMORY_KIB",
    "ARGON2_MAX_ITERATIONS",
    "ARGON2_MAX_LANES",
    "ARGON2_MAX_WORK_KIB",
    "MAX_PASSPHRASE_BYTES",
    "Key",
    "key_bytes",
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
