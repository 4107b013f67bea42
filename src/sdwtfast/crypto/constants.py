"""Sizes, limits, labels and messages of :mod:`sdwtfast.crypto`.

A leaf module: it imports nothing, so every other module of the package can import it. The
labels and key-file constants are internal to the package (not re-exported by it).
"""

from __future__ import annotations

__all__ = [
    "KEY_SIZE",
    "NONCE_SIZE",
    "TAG_SIZE",
    "SALT_SIZE",
    "COMMITMENT_SIZE",
    "PREFIX_SIZE",
    "CHUNK_SIZE",
    "SEALED_CHUNK_SIZE",
    "MAX_CHUNKS",
    "KEY_CHECK_SIZE",
    "KEY_CHECK_SALT_SIZE",
    "KDF_SALT_SIZE",
    "WRONG_KEY_MESSAGE",
    "ARGON2_MAX_MEMORY_KIB",
    "ARGON2_MAX_ITERATIONS",
    "ARGON2_MAX_LANES",
    "ARGON2_MAX_WORK_KIB",
    "MAX_PASSPHRASE_BYTES",
    "AEAD_NAME",
    "COBBLESTONE_LABEL",
    "KEY_CHECK_LABEL",
    "KEY_FILE_TAG",
    "KEY_FILE_MAX_BYTES",
    "KEY_FILE_COMMENT",
]

# Cobblestone-256 with AES-256-GCM ---------------------------------------------------------

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

AEAD_NAME = b"AEAD_AES_256_GCM"
COBBLESTONE_LABEL = b"c2sp.org/chunked-encryption@v1+" + AEAD_NAME + b"\x00"
"""HKDF info prefix of the Cobblestone-256 key schedule (followed by salt and context)."""

# Key check ---------------------------------------------------------------------------------

KEY_CHECK_SIZE = 32
KEY_CHECK_SALT_SIZE = 16
KEY_CHECK_LABEL = b"sdwtfast.key-check@v1\x00"
"""HKDF info prefix of the key check (followed by its salt)."""

WRONG_KEY_MESSAGE = "wrong key or passphrase"
"""Start of the :class:`~sdwtfast.errors.AuthenticationError` message for a wrong key."""

# Passphrases: Argon2id with bounded parameters ---------------------------------------------

KDF_SALT_SIZE = 16
ARGON2_MAX_MEMORY_KIB = 1 << 20
"""Largest Argon2id memory accepted, encoding or decoding (1 GiB)."""
ARGON2_MAX_ITERATIONS = 16
ARGON2_MAX_LANES = 16
ARGON2_MAX_WORK_KIB = 4 << 20
"""Largest ``memory_kib * iterations`` accepted (4 GiB of memory passes)."""
MAX_PASSPHRASE_BYTES = 4096

# Key files ---------------------------------------------------------------------------------

KEY_FILE_TAG = "sdwtfast-key-v1"
"""First field of the key line of a v1 key file."""
KEY_FILE_MAX_BYTES = 4096
KEY_FILE_COMMENT = (
    "# sdwtfast key file. Keep it secret: anyone holding it can decrypt your images.\n"
)
