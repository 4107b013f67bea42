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
    "OutOfMemoryError",
    "NativeError",
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


class OutOfMemoryError(LimitExceededError, MemoryError):
    """Memory ran out (the C core's ``SDW_ENOMEM``); also a :class:`MemoryError`."""


class NativeError(InvalidInputError):
    """An argument the C core refused; ``status`` holds its status code (csrc/sdw_status.h).

    Raised by the membranes' one status mapping, ``sdwtfast._native.status_exception``.
    """

    def __init__(self, msg: str, status: int):
        super().__init__(msg)
        self.status = status
