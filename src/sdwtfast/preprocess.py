"""Opt-in preprocessing of the source design: border cleaning, contrast, Wiener, wavelet denoising.

A medical codec never alters pixels silently: these steps run only when the caller names them
(``preprocess=("clean-border", "wiener")``), in the order given, and the codec records them in
the header. Each step works on a float copy and the result is rounded (integer images) and
clipped to the *original image's value range* ``[min, max]``, so the output has the input's
dtype, shape and bit depth. Every step is deterministic.

Steps (:data:`STEPS`)
---------------------
``"clean-border"``
    Removes burnt-in text, labels, rulers and positioning aids near the image border, never the
    anatomy. The foreground (:func:`sdwtfast.roi.foreground_mask` without its component filter:
    log-intensity Otsu) is split into 8-connected components. The **anatomy** is the largest
    component and every component at least 10 % of its area. Any other component that
    touches the **border band** (the outer 10 % of the height and of the width, at least one
    pixel) is replaced by the median of the non-foreground pixels in a 2-pixel ring around it
    (the local background level). Pixels of the anatomy and components away from the border
    are never changed.
``"contrast"``
    CLAHE (:func:`skimage.exposure.equalize_adapthist`, clip limit 0.01, default tiles, one
    histogram bin per grey level up to 4096 bins) on the
    image scaled to [0, 1] by its range, mapped back to the original range.
``"wiener"``
    :func:`scipy.signal.wiener` with a 3x3 window (noise power estimated as the mean local
    variance).
``"wavelet-denoise"``
    :func:`skimage.restoration.denoise_wavelet`, BayesShrink, soft thresholding, noise sigma
    estimated from the finest diagonal subband (``db1``, default levels) on the image scaled
    to [0, 1].

Constant images are returned unchanged by every step. Images with a side under 8 pixels are
returned unchanged by ``"contrast"`` and ``"wavelet-denoise"`` (too small for tiles/levels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from .errors import InvalidInputError

__all__ = ["STEPS", "apply", "clean_border"]

STEPS = ("clean-border", "contrast", "wiener", "wavelet-denoise")
"""Valid step names, for ``preprocess=``."""

BORDER_BAND = 0.10
"""Width of the border band, as a fraction of the height / width."""

ANATOMY_FRACTION = 0.10
"""Components of at least this fraction of the largest one's area are anatomy."""


def _validate(image: Any) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 2 or a.size == 0:
        raise InvalidInputError(f"image must be a non-empty 2-D array, got shape {a.shape}")
    if a.dtype == np.bool_ or not (
        np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
    ):
        raise InvalidInputError(f"image must be an integer or float array, got {a.dtype}")
    if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
        raise InvalidInputError("image contains NaN or infinite values")
    return a


def _check_steps(steps: Any) -> tuple[str, ...]:
    if isinstance(steps, str):
        raise InvalidInputError(
            f"steps must be a sequence of step names, got the string {steps!r} (write ({steps!r},))"
        )
    try:
        names = tuple(steps)
    except TypeError:
        raise InvalidInputError(f"steps must be a sequence of names, got {steps!r}") from None
    for n in names:
        if not isinstance(n, str) or n not in STEPS:
            raise InvalidInputError(f"unknown preprocessing step {n!r}; valid: {', '.join(STEPS)}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InvalidInputError(f"preprocessing step(s) given twice: {', '.join(dup)}")
    return names


def clean_border(x: np.ndarray) -> np.ndarray:
    """The ``"clean-border"`` step on a float image (see the module docstring).

    Parameters
    ----------
    x : numpy.ndarray
        2-D float image.

    Returns
    -------
    numpy.ndarray
        A cleaned float copy.
    """
    from skimage.filters import threshold_otsu

    out = np.array(x, dtype=np.float64)
    lo = out.min()
    above = out[out > lo]
    if above.size == 0:
        return out
    base = above.min()
    lv = np.log1p(above - base)
    if lv.min() == lv.max():
        fg = out > lo
    else:
        fg = out > base + np.expm1(threshold_otsu(lv))
    lab, n = ndimage.label(fg, structure=np.ones((3, 3), bool))
    if n <= 1:
        return out
    sizes = np.bincount(lab.ravel())
    sizes[0] = 0
    anatomy = sizes >= ANATOMY_FRACTION * sizes.max()
    anatomy[0] = False
    h, w = out.shape
    bh, bw = max(1, round(BORDER_BAND * h)), max(1, round(BORDER_BAND * w))
    band = np.zeros((h, w), bool)
    band[:bh], band[-bh:], band[:, :bw], band[:, -bw:] = True, True, True, True
    touching = np.zeros(n + 1, bool)
    touching[np.unique(lab[band])] = True
    remove = touching & ~anatomy
    remove[0] = False
    objects = ndimage.find_objects(lab)
    for label in np.flatnonzero(remove):
        sl = objects[label - 1]
        # Window around the component, 3 pixels larger, for the ring.
        y0, y1 = max(0, sl[0].start - 3), min(h, sl[0].stop + 3)
        x0, x1 = max(0, sl[1].start - 3), min(w, sl[1].stop + 3)
        comp = lab[y0:y1, x0:x1] == label
        ring = ndimage.binary_dilation(comp, iterations=2) & ~fg[y0:y1, x0:x1]
        vals = out[y0:y1, x0:x1][ring]
        level = float(np.median(vals)) if vals.size else float(np.median(out[~fg]))
        out[y0:y1, x0:x1][comp] = level
    return out


def _contrast(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    from skimage.exposure import equalize_adapthist

    if min(x.shape) < 8:
        return x
    nbins = max(256, min(4096, int(hi - lo) + 1))  # keep the grey levels of 12-bit data
    y = equalize_adapthist((x - lo) / (hi - lo), clip_limit=0.01, nbins=nbins)
    return lo + y * (hi - lo)


def _wiener(x: np.ndarray) -> np.ndarray:
    from scipy.signal import wiener

    with np.errstate(divide="ignore", invalid="ignore"):
        y = wiener(x, mysize=3)
    return np.where(np.isfinite(y), y, x)


def _wavelet(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    from skimage.restoration import denoise_wavelet

    if min(x.shape) < 8:
        return x
    y = denoise_wavelet((x - lo) / (hi - lo), method="BayesShrink", mode="soft", rescale_sigma=True)
    y = np.where(np.isfinite(y), y, (x - lo) / (hi - lo))
    return lo + y * (hi - lo)


def apply(image: np.ndarray, steps: Sequence[str]) -> np.ndarray:
    """Apply preprocessing steps, in order, returning an image of the same dtype and shape.

    Parameters
    ----------
    image : numpy.ndarray
        2-D integer or float image.
    steps : sequence of str
        Names from :data:`STEPS`, each at most once, applied in the order given. An empty
        sequence returns a copy.

    Returns
    -------
    numpy.ndarray
        New array, same dtype and shape, values within the input's ``[min, max]`` (rounded to
        integers for integer dtypes).

    Raises
    ------
    InvalidInputError
        Unknown or repeated step names, a string instead of a sequence, or a bad image.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> img = (1000 + 50 * rng.standard_normal((64, 64))).astype(np.uint16)
    >>> out = apply(img, ["wiener"])
    >>> out.dtype, out.shape, bool(out.std() < img.std())
    (dtype('uint16'), (64, 64), True)
    """
    a = _validate(image)
    names = _check_steps(steps)
    lo, hi = float(a.min()), float(a.max())
    if not names or lo == hi:
        return a.copy()
    x = a.astype(np.float64)
    for name in names:
        if name == "clean-border":
            x = clean_border(x)
        elif name == "contrast":
            x = _contrast(x, lo, hi)
        elif name == "wiener":
            x = _wiener(x)
        else:
            x = _wavelet(x, lo, hi)
        x = np.clip(x, lo, hi)
    if np.issubdtype(a.dtype, np.integer):
        x = np.rint(x)
    return np.clip(x, lo, hi).astype(a.dtype)
