"""Reversible integer 5/3 (LeGall) lifting, numpy reference of ``csrc/lift53.c``.

One level on an ``h x w`` block transforms every row, then every column, in place; the next
level works on the low-pass quadrant. Layout is Mallat: low-pass samples first along each axis,
so after one level LL is ``[0, ceil(h/2)) x [0, ceil(w/2))``, HL is to its right, LH below it
and HH in the corner. A line of length 1 is all low-pass and passes through unchanged.

One 1-D level on a line ``x`` of ``n >= 2`` samples (``nl = ceil(n/2)`` low, ``nh = floor(n/2)``
high), with floor divisions and whole-sample mirror extension at the ends:

- predict: ``d[i] = x[2i+1] - floor((x[2i] + x[2i+2]) / 2)``, where ``x[n]`` reads ``x[n-2]``;
- update: ``s[i] = x[2i] + floor((d[i-1] + d[i] + 2) / 4)``, where ``d[-1] = d[0]`` and
  ``d[nh] = d[nh-1]``;
- store ``s`` then ``d``.

The inverse undoes the update, then the predict. Arithmetic is done in int64 (numpy's ``>>``
on signed integers is the floor division by a power of two); every stored value must satisfy
``|c| < 2^30``, else the transform fails as the C core does with ``SDW_ERANGE``.
"""

from __future__ import annotations

import numpy as np

from ..errors import CorruptStreamError, InvalidInputError, LimitExceededError

__all__ = ["MAX_LEVELS", "max_levels", "forward", "inverse"]

MAX_LEVELS = 16
MAX_SIDE = 1 << 20
MAX_PIXELS = 1 << 30
COEF_LIMIT = 1 << 30


def max_levels(h: int, w: int) -> int:
    """Largest accepted number of levels for an ``h x w`` image.

    Parameters
    ----------
    h, w : int
        Image height and width.

    Returns
    -------
    int
        ``floor(log2(max(h, w)))`` capped at 16; 0 for a 1x1 image, -1 when ``h`` or ``w``
        is 0.
    """
    if h < 0 or w < 0:
        raise OverflowError("can't convert negative value to size_t")
    if h == 0 or w == 0:
        return -1
    return min(max(h, w).bit_length() - 1, MAX_LEVELS)


def check_geometry(h: int, w: int, levels: int) -> None:
    """Raises like the C core's argument checks for an ``h x w`` pyramid of ``levels``.

    Raises
    ------
    InvalidInputError
        Empty image, negative levels or more than :func:`max_levels`.
    LimitExceededError
        A side over 2^20 samples or more than 2^30 samples in all.
    """
    if h == 0 or w == 0 or levels < 0:
        raise InvalidInputError("an argument is out of its documented range")
    if h > MAX_SIDE or w > MAX_SIDE or h * w > MAX_PIXELS:
        raise LimitExceededError("a size exceeds the core's hard limits")
    if levels > max_levels(h, w):
        raise InvalidInputError("an argument is out of its documented range")


def _as_int32_2d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise InvalidInputError(f"expected a 2-D array, got {a.ndim} dimensions")
    if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.integer):
        raise InvalidInputError(f"expected integers, got {a.dtype}")
    if a.size and a.dtype != np.int32 and (a.min() < -(1 << 31) or a.max() > (1 << 31) - 1):
        raise InvalidInputError("values do not fit int32")
    return np.array(a, dtype=np.int32, order="C", copy=True)


def _check_range(v: np.ndarray, exc: type[Exception] = InvalidInputError) -> None:
    if v.size and (int(v.max()) >= COEF_LIMIT or int(v.min()) <= -COEF_LIMIT):
        raise exc("lift53: a value does not fit the representation (|c| >= 2^30)")


def _fwd_lines(x: np.ndarray) -> np.ndarray:
    """One forward level along the last axis of ``x`` (int64, length >= 2)."""
    n = x.shape[-1]
    nl, nh = (n + 1) // 2, n // 2
    even = x[..., 0::2]  # nl samples
    odd = x[..., 1::2]  # nh samples
    # x[2i+2], mirrored to x[2i] past the end
    right = np.concatenate([even, even[..., -1:]], axis=-1)[..., 1 : nh + 1]
    hi = odd - ((even[..., :nh] + right) >> 1)
    dl = np.concatenate([hi[..., :1], hi], axis=-1)[..., :nl]  # d[i-1], d[-1] = d[0]
    dr = np.concatenate([hi, hi[..., -1:]], axis=-1)[..., :nl]  # d[i], d[nh] = d[nh-1]
    lo = even + ((dl + dr + 2) >> 2)
    out = np.concatenate([lo, hi], axis=-1)
    _check_range(out)
    return out


def _inv_lines(x: np.ndarray) -> np.ndarray:
    """One inverse level along the last axis of ``x`` (int64, length >= 2)."""
    n = x.shape[-1]
    nl, nh = (n + 1) // 2, n // 2
    lo, hi = x[..., :nl], x[..., nl:]
    dl = np.concatenate([hi[..., :1], hi], axis=-1)[..., :nl]
    dr = np.concatenate([hi, hi[..., -1:]], axis=-1)[..., :nl]
    even = lo - ((dl + dr + 2) >> 2)
    right = np.concatenate([even, even[..., -1:]], axis=-1)[..., 1 : nh + 1]
    odd = hi + ((even[..., :nh] + right) >> 1)
    out = np.empty_like(x)
    out[..., 0::2] = even
    out[..., 1::2] = odd
    _check_range(out, CorruptStreamError)  # coefficients no valid image produces
    return out


def _level_sizes(h: int, w: int, levels: int) -> list[tuple[int, int]]:
    sizes = [(h, w)]
    for _ in range(levels):
        ph, pw = sizes[-1]
        sizes.append(((ph + 1) // 2, (pw + 1) // 2))
    return sizes


def forward(image: np.ndarray, levels: int) -> np.ndarray:
    """Forward integer 5/3 transform.

    Parameters
    ----------
    image : numpy.ndarray
        2-D integer array (converted to int32 as the C membrane does).
    levels : int
        Decomposition levels, ``0 <= levels <= max_levels(h, w)``.

    Returns
    -------
    numpy.ndarray
        New int32 array of the same shape, Mallat layout.

    Raises
    ------
    InvalidInputError
        Bad geometry or levels, or a coefficient reaching ``|c| >= 2^30``.
    LimitExceededError
        Image over the core's size limits.
    """
    a = _as_int32_2d(image)
    h, w = a.shape
    check_geometry(h, w, levels)
    work = a.astype(np.int64)
    for ch, cw in _level_sizes(h, w, levels)[:levels]:
        if cw >= 2:
            work[:ch, :cw] = _fwd_lines(work[:ch, :cw])
        if ch >= 2:
            work[:ch, :cw] = _fwd_lines(work[:ch, :cw].T).T
    return work.astype(np.int32)


def inverse(coef: np.ndarray, levels: int) -> np.ndarray:
    """Inverse of :func:`forward` with the same ``levels``.

    Parameters
    ----------
    coef : numpy.ndarray
        2-D coefficient array in Mallat layout.
    levels : int
        Decomposition levels used by the forward transform.

    Returns
    -------
    numpy.ndarray
        New int32 array of the same shape.

    Raises
    ------
    InvalidInputError
        Bad geometry or levels, or a value reaching ``|c| >= 2^30`` (corrupt coefficients).
    LimitExceededError
        Array over the core's size limits.
    """
    a = _as_int32_2d(coef)
    h, w = a.shape
    check_geometry(h, w, levels)
    work = a.astype(np.int64)
    for ch, cw in reversed(_level_sizes(h, w, levels)[:levels]):
        if ch >= 2:
            work[:ch, :cw] = _inv_lines(work[:ch, :cw].T).T
        if cw >= 2:
            work[:ch, :cw] = _inv_lines(work[:ch, :cw])
    return work.astype(np.int32)
