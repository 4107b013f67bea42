"""Quality and rate metrics: MSE, maximum error, PSNR, SSIM, compression ratio, bits per pixel.

Every distortion metric takes an optional boolean ``mask`` and is then computed over the masked
pixels only (the ROI, or its complement, the background). :func:`report` gathers all of them
for the whole image, the ROI and the background.

Lossless is lossless
--------------------
A decoded image identical to the original has MSE 0 and maximum error 0; its PSNR is
``math.inf``, and :func:`report` says ``"lossless": True``. Such a result must be presented as
*lossless* (:func:`format_psnr` prints ``"lossless"``), never as a large finite PSNR: a PSNR
value only describes a lossy result, and it depends on the peak chosen. Two peaks are offered:
the bit depth (``2**bits - 1``, comparable across images of one modality) and the reference's
range (``max - min``, as scikit-image does with ``data_range``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InvalidInputError

__all__ = [
    "mse",
    "max_abs_error",
    "psnr",
    "ssim",
    "compression_ratio",
    "bpp",
    "report",
    "format_psnr",
]


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        raise InvalidInputError(f"images differ in shape: {x.shape} and {y.shape}")
    if x.size == 0:
        raise InvalidInputError("images are empty")
    for v in (x, y):
        if not (np.issubdtype(v.dtype, np.integer) or np.issubdtype(v.dtype, np.floating)):
            raise InvalidInputError(f"images must be numeric, got {v.dtype}")
    return x.astype(np.float64), y.astype(np.float64)


def _mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != np.bool_ or m.shape != shape:
        raise InvalidInputError(f"mask must be boolean of shape {shape}, got {m.dtype} {m.shape}")
    if not m.any():
        raise InvalidInputError("mask selects no pixel")
    return m


def _diff(a: Any, b: Any, mask: Any) -> np.ndarray:
    x, y = _pair(a, b)
    m = _mask(mask, x.shape)
    d = x - y
    return d if m is None else d[m]


def mse(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean squared error between ``a`` and ``b`` (over ``mask`` if given).

    Parameters
    ----------
    a, b : numpy.ndarray
        Images of the same shape (the order does not matter).
    mask : numpy.ndarray, optional
        Boolean mask of the images' shape selecting at least one pixel.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> mse(np.array([0, 0, 0, 0]), np.array([0, 1, 2, 3]))
    3.5
    """
    d = _diff(a, b, mask)
    return float(np.mean(d * d))


def max_abs_error(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Largest absolute pixel difference (over ``mask`` if given).

    Parameters
    ----------
    a, b : numpy.ndarray
        Images of the same shape.
    mask : numpy.ndarray, optional
        Boolean mask selecting at least one pixel.

    Returns
    -------
    float
    """
    return float(np.max(np.abs(_diff(a, b, mask))))


def _peak(reference: np.ndarray, peak: float | None, bits: int | None) -> float:
    if peak is not None and bits is not None:
        raise InvalidInputError("give peak= or bits=, not both")
    if bits is not None:
        if isinstance(bits, (bool, np.bool_)) or not isinstance(bits, (int, np.integer)):
            raise InvalidInputError(f"bits must be an int, got {bits!r}")
        if not 1 <= bits <= 32:
            raise InvalidInputError(f"bits must be in 1..32, got {bits}")
        return float(2 ** int(bits) - 1)
    if peak is not None:
        p = float(peak)
        if not (math.isfinite(p) and p > 0):
            raise InvalidInputError(f"peak must be a positive finite number, got {peak!r}")
        return p
    r = np.asarray(reference, dtype=np.float64)
    return float(r.max() - r.min())


def psnr(
    a: np.ndarray,
    b: np.ndarray,
    *,
    peak: float | None = None,
    bits: int | None = None,
    mask: np.ndarray | None = None,
) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(peak**2 / MSE)``; ``a`` is the reference.

    Parameters
    ----------
    a : numpy.ndarray
        Reference (original) image.
    b : numpy.ndarray
        Test (decoded) image of the same shape.
    peak : float, optional
        The peak value. Default: ``a.max() - a.min()`` over the whole reference (also when a
        mask is given, so ROI and background PSNRs share one peak).
    bits : int, optional
        Bit depth: the peak is ``2**bits - 1``. Not together with ``peak``.
    mask : numpy.ndarray, optional
        Boolean mask: the MSE is taken over these pixels only.

    Returns
    -------
    float
        ``math.inf`` when the images are identical (over the mask): report it as lossless.

    Raises
    ------
    InvalidInputError
        Both ``peak`` and ``bits``; a bad peak; or a lossy result on a constant reference with
        no ``peak``/``bits`` (the range is 0: the PSNR is undefined).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0, 200], [200, 0]], np.uint8)
    >>> round(psnr(a, a + np.uint8(1), bits=8), 2)
    48.13
    >>> psnr(a, a)
    inf
    """
    e = mse(a, b, mask)
    pk = _peak(a, peak, bits)
    if e == 0:
        return math.inf
    if pk <= 0:
        raise InvalidInputError(
            "the reference is constant (range 0): give peak= or bits= to define the PSNR"
        )
    return float(10.0 * math.log10(pk * pk / e))


def ssim(a: np.ndarray, b: np.ndarray, *, mask: np.ndarray | None = None) -> float:
    """Structural similarity (scikit-image), averaged over ``mask`` if given; ``a``: reference.

    ``data_range`` is the reference's range (1 for a constant reference). The SSIM map is the
    one of :func:`skimage.metrics.structural_similarity` with its default 7x7 window (smaller,
    odd, for images with a side below 7); with a mask, the map is averaged over the mask.

    Parameters
    ----------
    a : numpy.ndarray
        Reference 2-D image.
    b : numpy.ndarray
        Test image of the same shape.
    mask : numpy.ndarray, optional
        Boolean mask selecting at least one pixel.

    Returns
    -------
    float

    Raises
    ------
    InvalidInputError
        Shapes differ, the images are not 2-D, or a side is below 3 pixels (no SSIM window).
    """
    from skimage.metrics import structural_similarity

    x, y = _pair(a, b)
    if x.ndim != 2:
        raise InvalidInputError(f"ssim needs 2-D images, got shape {x.shape}")
    m = _mask(mask, x.shape)
    side = min(x.shape)
    if side < 3:
        raise InvalidInputError(f"ssim needs images of at least 3x3 pixels, got {x.shape}")
    win = min(7, side if side % 2 else side - 1)
    rng = float(x.max() - x.min()) or 1.0
    if np.array_equal(x, y):
        return 1.0
    mean, smap = structural_similarity(x, y, data_range=rng, win_size=win, full=True)
    if m is None:
        return float(mean)
    return float(np.mean(smap[m]))


def _check_nbytes(nbytes: Any) -> int:
    if isinstance(nbytes, (bool, np.bool_)) or not isinstance(nbytes, (int, np.integer)):
        raise InvalidInputError(f"nbytes must be an int, got {nbytes!r}")
    if nbytes <= 0:
        raise InvalidInputError(f"nbytes must be positive, got {nbytes}")
    return int(nbytes)


def compression_ratio(image: np.ndarray, nbytes: int, *, bits: int | None = None) -> float:
    """Original size over compressed size.

    Parameters
    ----------
    image : numpy.ndarray
        The original image.
    nbytes : int
        Size of the compressed stream in bytes (> 0).
    bits : int, optional
        Count the original at its stored bit depth (``size * bits / 8`` bytes) rather than its
        in-memory size (``image.nbytes``): the fairer ratio for, say, 12-bit data in uint16.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((64, 64), np.uint16)
    >>> compression_ratio(img, 1024), compression_ratio(img, 1024, bits=12)
    (8.0, 6.0)
    """
    n = _check_nbytes(nbytes)
    a = np.asarray(image)
    if bits is None:
        return float(a.nbytes / n)
    b = _peak(a, None, bits)  # validates bits
    del b
    return float(a.size * int(bits) / 8.0 / n)


def bpp(image: np.ndarray, nbytes: int) -> float:
    """Bits per pixel of a compressed stream of ``nbytes`` bytes for ``image``.

    Examples
    --------
    >>> import numpy as np
    >>> bpp(np.zeros((64, 64), np.uint16), 1024)
    2.0
    """
    n = _check_nbytes(nbytes)
    a = np.asarray(image)
    if a.size == 0:
        raise InvalidInputError("image is empty")
    return float(8.0 * n / a.size)


def format_psnr(value: float | None) -> str:
    """``"lossless"`` for an infinite PSNR, ``"n/a"`` for None, else ``"xx.xx dB"``."""
    if value is None:
        return "n/a"
    if math.isinf(value) and value > 0:
        return "lossless"
    return f"{value:.2f} dB"


def _region(
    x: np.ndarray, y: np.ndarray, m: np.ndarray | None, bits: int | None
) -> dict[str, Any] | None:
    if m is not None and not m.any():
        return None
    e = mse(x, y, m)
    out: dict[str, Any] = {
        "pixels": int(x.size if m is None else m.sum()),
        "lossless": e == 0.0,
        "mse": e,
        "max_abs_error": max_abs_error(x, y, m),
    }
    try:
        out["psnr"] = psnr(x, y, mask=m)  # peak: the reference's range
    except InvalidInputError:
        out["psnr"] = None
    out["psnr_bits"] = psnr(x, y, bits=bits, mask=m) if bits is not None else None
    try:
        out["ssim"] = ssim(x, y, mask=m)
    except InvalidInputError:
        out["ssim"] = None
    return out


def report(
    original: np.ndarray,
    decoded: np.ndarray,
    nbytes: int | None = None,
    *,
    roi: np.ndarray | None = None,
    bits: int | None = None,
) -> dict[str, Any]:
    """Every metric, for the whole image and, given a ROI mask, for the ROI and the background.

    Parameters
    ----------
    original, decoded : numpy.ndarray
        The original and decoded images (same shape).
    nbytes : int, optional
        Size of the compressed stream in bytes; without it the rate entries are None.
    roi : numpy.ndarray, optional
        Boolean ROI mask of the image's shape.
    bits : int, optional
        Stored bit depth: adds ``psnr_bits`` (peak ``2**bits - 1``) and ``compression_ratio_bits``.

    Returns
    -------
    dict
        ``{"nbytes", "bpp", "compression_ratio", "compression_ratio_bits", "image", "roi",
        "background"}``; each region is a dict with ``pixels``, ``lossless``, ``mse``,
        ``max_abs_error``, ``psnr`` (peak: the original's range; ``math.inf`` if lossless),
        ``psnr_bits`` and ``ssim`` (None where undefined), or None when the region is empty.
        ``roi`` and ``background`` are present only when a mask is given.
    """
    x, y = np.asarray(original), np.asarray(decoded)
    _pair(x, y)
    m = None
    if roi is not None:
        m = np.asarray(roi)
        if m.dtype != np.bool_ or m.shape != x.shape:
            raise InvalidInputError(
                f"roi must be boolean of shape {x.shape}, got {m.dtype} {m.shape}"
            )
    rated = nbytes is not None
    out: dict[str, Any] = {
        "nbytes": _check_nbytes(nbytes) if rated else None,
        "bpp": bpp(x, nbytes) if rated else None,
        "compression_ratio": compression_ratio(x, nbytes) if rated else None,
        "compression_ratio_bits": (
            compression_ratio(x, nbytes, bits=bits) if rated and bits is not None else None
        ),
        "image": _region(x, y, None, bits),
    }
    if m is not None:
        out["roi"] = _region(x, y, m, bits)
        out["background"] = _region(x, y, ~m, bits)
    return out
