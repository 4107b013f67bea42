"""Validation at the edge: images and decomposition levels, before anything is coded.

An image is accepted exactly or refused with :class:`~sdwtfast.errors.InvalidInputError`: any
integer dtype (either byte order) whose values fit ``uint8``, ``uint16`` or ``int16`` is
converted without loss; anything else (floats, booleans, values outside 16 bits, more or fewer
than two dimensions) is refused with the reason. Never a wrap, never a silent slice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import limits
from .errors import InvalidInputError, LimitExceededError

__all__ = [
    "DTYPES",
    "array",
    "image",
    "metadata",
    "stored_dtype",
    "levels",
    "max_levels",
    "default_levels",
    "max_pixels",
    "declared_size",
    "path",
]

DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.int16))
"""The sample types the codec stores (a wider integer input is converted to one of them)."""


def _target(a: np.ndarray) -> np.dtype:
    """The stored type of a wider or foreign-order integer array: the one that holds its
    values."""
    if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.integer):
        raise InvalidInputError(
            f"image dtype must be an integer type (uint8, uint16, int16, or a wider integer "
            f"type holding 16-bit values), got {a.dtype}"
        )
    native = a.dtype.newbyteorder("=")
    if native in DTYPES:
        return native
    vmin, vmax = int(a.min()), int(a.max())
    if 0 <= vmin and vmax <= 65535:
        return np.dtype(np.uint16)
    if -32768 <= vmin and vmax <= 32767:
        return np.dtype(np.int16)
    raise InvalidInputError(
        f"image values {vmin}..{vmax} ({a.dtype}) fit neither uint16 nor int16: the codec "
        "stores 16-bit samples and would not code them exactly"
    )


def array(x: Any) -> np.ndarray:
    """``x`` as a numpy array (not yet checked), or InvalidInputError for what is not one."""
    if isinstance(x, (str, bytes, bytearray, memoryview, dict)) or x is None:
        raise InvalidInputError(f"image must be an integer array, got {type(x).__name__}")
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"image is not an array: {exc}") from None


def image(x: Any) -> np.ndarray:
    """A 2-D image as an array of one of :data:`DTYPES`, or an error that says why not.

    Parameters
    ----------
    x : array_like
        2-D integer image.

    Returns
    -------
    numpy.ndarray
        The image itself when it is already ``uint8``, ``uint16`` or ``int16`` in native byte
        order; otherwise an exact copy in the narrowest of them that holds its values
        (``uint16`` for non-negative values, else ``int16``).

    Raises
    ------
    InvalidInputError
        Not 2-D, empty, not integer, or values that no 16-bit type holds.
    LimitExceededError
        Over :data:`sdwtfast.limits.MAX_PIXELS` pixels or :data:`~sdwtfast.limits.MAX_SIDE`
        a side.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise InvalidInputError(f"image must be a 2-D integer array, got {type(x).__name__}")
    a = np.asarray(x)
    if a.ndim != 2:
        raise InvalidInputError(f"image must be 2-D, got {a.ndim}-D array of shape {a.shape}")
    if a.size == 0:
        raise InvalidInputError(f"image is empty (shape {a.shape})")
    if a.shape[0] > limits.MAX_SIDE or a.shape[1] > limits.MAX_SIDE or a.size > limits.MAX_PIXELS:
        raise LimitExceededError(f"image {a.shape} exceeds the {limits.MAX_PIXELS} pixel limit")
    return a if a.dtype in DTYPES else a.astype(_target(a))


def metadata(value: object) -> bytes | None:
    """The ``metadata=`` of :func:`sdwtfast.encode` as bytes (None stays None), or
    InvalidInputError before any work is done."""
    if value is None:
        return None
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"metadata must be bytes, got {type(value).__name__}")
    return bytes(value)


def stored_dtype(x: np.ndarray) -> np.dtype:
    """The type an integer array of any shape is stored as (the rule of :func:`image`).

    Raises
    ------
    InvalidInputError
        Empty, not integer, or values that no 16-bit type holds.
    """
    if x.size == 0:
        raise InvalidInputError(f"image is empty (shape {x.shape})")
    if x.dtype in DTYPES:
        return x.dtype
    return _target(x)


def max_levels(h: int, w: int) -> int:
    """Largest number of decomposition levels of an ``h x w`` image (the 5/3 core's rule)."""
    return min(limits.MAX_LEVELS, max(h, w).bit_length() - 1)


def default_levels(h: int, w: int) -> int:
    """Decomposition levels used when none are given: 5 (6 above 1024 pixels a side)."""
    return min(max_levels(h, w), 5 if max(h, w) <= 1024 else 6)


def levels(value: int | None, h: int, w: int) -> int:
    """The decomposition levels to use for an ``h x w`` image.

    Parameters
    ----------
    value : int or None
        Asked for; None for :func:`default_levels`.
    h, w : int
        Image geometry.

    Returns
    -------
    int

    Raises
    ------
    InvalidInputError
        Not an int, or outside ``0 .. min(max_levels(h, w), MAX_CODED_LEVELS)``.
    """
    if value is None:
        return default_levels(h, w)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"levels must be an int, got {value!r}")
    lv, top = int(value), min(max_levels(h, w), limits.MAX_CODED_LEVELS)
    if not 0 <= lv <= top:
        raise InvalidInputError(f"levels={lv} impossible for a {h}x{w} image (0..{top})")
    return lv


def max_pixels(value: object) -> int:
    """A decoder's ``max_pixels`` option: an int in 1 .. :data:`sdwtfast.limits.MAX_PIXELS`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not 1 <= value <= limits.MAX_PIXELS
    ):
        raise InvalidInputError(f"max_pixels must be an int in 1..{limits.MAX_PIXELS}")
    return int(value)


def declared_size(samples: int, limit: int, what: str) -> None:
    """Refuse, before anything is allocated, a stream that declares more than ``limit``
    samples (``what`` says what declared them, e.g. ``"EZW stream 16384 x 16384"``).

    Raises
    ------
    LimitExceededError
        With the numbers and the way to raise the limit.
    """
    if samples > limit:
        raise LimitExceededError(
            f"{what} declares {samples} samples, more than max_pixels={limit}:"
            " pass a larger max_pixels to decode it"
        )


def path(value: object, what: str = "path") -> str:
    """``value`` as a file-system path (str, bytes or os.PathLike), or InvalidInputError."""
    import os

    if isinstance(value, (str, bytes, os.PathLike)):
        p = os.fspath(value)
        p = os.fsdecode(p) if isinstance(p, bytes) else p
        if p and "\0" not in p:
            return p
    raise InvalidInputError(f"{what} must be a file or folder path, got {value!r:.80}")
