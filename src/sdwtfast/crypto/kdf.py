"""Passphrases: Argon2id (:func:`derive_passphrase_key`) with bounded :class:`Argon2Params`."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ..errors import InvalidInputError, LimitExceededError
from .constants import (
    ARGON2_MAX_ITERATIONS,
    ARGON2_MAX_LANES,
    ARGON2_MAX_MEMORY_KIB,
    ARGON2_MAX_WORK_KIB,
    KDF_SALT_SIZE,
    KEY_SIZE,
    MAX_PASSPHRASE_BYTES,
)
from .keys import Key

__all__ = ["Argon2Params", "derive_passphrase_key"]


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
        """Raise ``exc`` unless every parameter is within the accepted bounds.

        Parameters
        ----------
        exc : type of Exception
            The exception raised for a parameter out of bounds.

        Raises
        ------
        InvalidInputError
            A parameter is not an ``int``.
        exc
            A parameter, or the work ``memory_kib * iterations``, is out of bounds.
        """
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
