"""Exception hierarchy of sdwtfast.

Every error the package raises on purpose derives from :class:`SdwtError`, so callers can
catch one class. Messages never contain key material.
"""

from __future__ import annotations

__all__ = [
    "SdwtError",
    "InvalidInputError",
    "CorruptStreamError",
    "UnsupportedFormatError",
    "AuthenticationError",
    "KeyRequiredError",
    "LimitExceededError",
    "NativeError",
    "status_error",
]


class SdwtError(Exception):
    """Base class of every sdwtfast error."""


class InvalidInputError(SdwtError, ValueError):
    """An argument is not acceptable (wrong dtype, shape, empty image, bad parameter)."""


class CorruptStreamError(SdwtError, ValueError):
    """A stream or container is truncated, inconsistent or otherwise undecodable."""


class UnsupportedFormatError(SdwtError, ValueError):
    """The data is not an sdwtfast stream, or is of a version or feature this build lacks."""


class AuthenticationError(SdwtError):
    """Wrong key, or encrypted data that was tampered with."""


class KeyRequiredError(SdwtError):
    """The container is encrypted and no key or passphrase was given."""


class LimitExceededError(SdwtError, ValueError):
    """A size or resource limit would be exceeded (huge image, absurd header fields)."""


class NativeError(InvalidInputError):
    """An argument the C core refused; ``status`` holds its status code (csrc/sdw_status.h)."""

    def __init__(self, msg: str, status: int):
        super().__init__(msg)
        self.status = status


# csrc/sdw_status.h
_ENOMEM, _EOVERFLOW, _ELIMIT, _ECORRUPT, _ETRUNCATED = 2, 3, 4, 6, 8


def status_error(status: int, where: str, text: str) -> Exception:
    """The exception for a C core status code (the one mapping, used by every membrane).

    Parameters
    ----------
    status : int
        Nonzero ``sdw_status``.
    where : str
        The failing call, for the message.
    text : str
        ``sdw_strerror(status)``.
    """
    msg = f"{where}: {text}"
    if status == _ENOMEM:
        return MemoryError(msg)
    if status in (_EOVERFLOW, _ELIMIT):
        return LimitExceededError(msg)
    if status in (_ECORRUPT, _ETRUNCATED):
        return CorruptStreamError(msg)
    return NativeError(msg, status)
