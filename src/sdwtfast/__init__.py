"""sdwtfast: a hybrid medical image codec with a native EZW core.

Submodules
----------
ezw
    Whole-image wavelet + EZW coding (lossless integer 5/3, lossy 9/7, 5/3 or Haar).
reference
    Pure-Python implementation producing byte-identical streams (specification, baseline).
api
    The hybrid pipeline behind :func:`encode`, :func:`decode` and :func:`info`.
coders
    The ROI and background coders behind one interface, and the registry.
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
    "encode",
    "decode",
    "info",
    "metadata",
    "archive",
    "verify",
    "restore",
    "SdwtError",
    "InvalidInputError",
    "CorruptStreamError",
    "UnsupportedFormatError",
    "AuthenticationError",
    "KeyRequiredError",
    "LimitExceededError",
]


_SUBMODULES = (
    "api",
    "background",
    "batch",
    "codec",
    "coders",
    "container",
    "crypto",
    "dicom",
    "ezw",
    "limits",
    "metrics",
    "objects",
    "preprocess",
    "reference",
    "roi",
    "sample",
    "wavelet",
)


def __getattr__(name: str):
    # encode / decode / info live in sdwtfast.api, and submodules load on first use, so
    # that `import sdwtfast` stays fast (no torch, no scikit-image).
    import importlib

    if name in ("encode", "decode", "info", "metadata"):
        return getattr(importlib.import_module(".api", __name__), name)
    if name in ("archive", "verify", "restore"):  # the batch layer (sdwtfast.batch)
        return getattr(importlib.import_module(".batch", __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'sdwtfast' has no attribute {name!r}")
