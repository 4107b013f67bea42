"""sdwtfast: a hybrid medical image codec with a native EZW core.

Submodules
----------
ezw
    Whole-image wavelet + EZW coding (lossless integer 5/3, lossy 9/7, 5/3 or Haar).
reference
    Pure-Python implementation producing byte-identical streams (specification, baseline).
errors
    The exception hierarchy (:class:`~sdwtfast.errors.SdwtError` and subclasses).
"""

from __future__ import annotations

from .errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
    LimitExceededError,
    SdwtError,
    UnsupportedFormatError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "SdwtError",
    "InvalidInputError",
    "CorruptStreamError",
    "UnsupportedFormatError",
    "AuthenticationError",
    "KeyRequiredError",
    "LimitExceededError",
]
