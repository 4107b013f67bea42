"""Regions of interest: the SVD detector, user masks and boxes, block bitmaps, overlays.

The codec codes the ROI exactly, within a bound or at a rate (wavelet + EZW, or the predictive
coder, whichever is smaller) and the rest (the background) by a background coder (by default
the wavelet path at a low rate; :mod:`sdwtfast.coders`), so the ROI is a boolean pixel mask.
It comes from the caller (:func:`resolve_roi`: a mask or boxes), or from :func:`detect_roi`
(``roi="auto"``). The container stores it at block
granularity (:func:`block_mask`, :func:`expand_blocks`): a superset of the caller's ROI.

The SVD detector
----------------
Following the source design ("SVD-based ROI feature extraction"), the dominant singular values
of an image describe its smooth, low-rank structure (slowly varying background, the broad
intensity profile); what a rank-k approximation cannot represent is the localised structure:
organ boundaries, bone, lesions. :func:`detect_roi`:

1. converts the image to float64 normalised by its range (``(x - min) / (max - min)``); a large
   image (long side > :data:`SVD_MAX_SIDE`) is first reduced by block means by an integer
   factor ``f`` so the long side is at most :data:`SVD_MAX_SIDE` (the SVD then costs tens of
   milliseconds);
2. **foreground** (tissue versus air/background): Otsu's threshold on the log intensities, ignoring
   the pixels at the image minimum (the padding outside a CT field of view would otherwise pull
   the threshold into the air), then hole filling and an opening (:func:`foreground_mask`
   also drops components under :data:`MIN_COMPONENT` of the largest, such as text and lines;
   the detector keeps those that are compact blobs, since a small isolated bright region may be
   a lesion);
3. **residual energy**: a truncated SVD (``method="fast"``, the default: a randomised range
   finder with a fixed seed, power iterations and re-orthonormalisation, on the BLAS's one
   thread) or the full LAPACK SVD (``method="exact"``, the detector
   before issue 14, kept for comparison); rank ``k`` is the smallest that keeps :data:`ENERGY`
   (95 %) of the singular value energy ``sum(s**2) = ||x||_F**2``, unless ``rank`` is given;
   the approximation is made robust by a few passes that replace outlier pixels (residual above
   3 robust sigmas) by the approximation and redo the SVD, so a bright lesion stays in the
   residual instead of bending the leading components; the residual ``x - x_k`` is squared and
   pooled over blocks of ``block`` pixels (in the original image);
4. **threshold**: Otsu's threshold on the log10 block energies of the foreground blocks (of all
   blocks when the foreground covers under a quarter of them), raised
   to at least their median + :data:`MARGIN` (a factor 2 in energy: on pure noise Otsu would
   split the blocks in half); blocks above it that are (near) foreground are ROI candidates;
   small components are kept (a lesion is small);
5. **morphology**: closing and hole filling, then intersection
   with the (dilated) foreground at block level, so the ROI never wanders into the air;
6. ``min_fraction``: if the ROI covers less of the image than asked, the highest-energy blocks
   (foreground first) are added until it does.

The result is deterministic (the fast method's random projection has a fixed seed; the same
input gives the same mask) and blocky
(``block`` pixels, times ``f`` for large images). A constant image has no structure: the
detector returns an all-False mask, and ``resolve_roi("auto")`` then codes the whole image as
ROI (the conservative choice for a medical codec). Images too small for the SVD (short side below
``2 * block``) get their foreground as ROI.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from .errors import InvalidInputError

__all__ = [
    "ENERGY",
    "SVD_MAX_SIDE",
    "MIN_COMPONENT",
    "METHODS",
    "detect_roi",
    "foreground_mask",
    "resolve_roi",
    "block_mask",
    "expand_blocks",
    "overlay",
]

ENERGY = 0.95
"""Fraction of the singular value energy kept by the automatic rank."""

SVD_MAX_SIDE = 256
"""Images with a longer side are block-mean reduced before the SVD."""

MIN_COMPONENT = 0.1
"""Foreground components smaller than this fraction of the largest are dropped."""

ROBUST_ITERATIONS = 3
"""Outlier-replacement passes of the robust low-rank fit."""

MARGIN = 0.3
"""ROI blocks exceed the median log10 residual energy of the foreground blocks by this much."""

METHODS = ("fast", "exact")
"""The low-rank fits :func:`detect_roi` takes: ``"fast"`` (truncated randomised SVD, the
default) and ``"exact"`` (the full LAPACK SVD of the detector before issue 14)."""

FAST_SEED = 0x5D3F
"""Seed of the fast method's Gaussian test matrix (fixed: the detector is deterministic)."""

FAST_OVERSAMPLE = 8
"""Columns of the range finder beyond the rank it looks for."""

FAST_POWER = 2
"""Power iterations of the range finder (each sharpens the leading singular directions)."""


# --------------------------------------------------------------------------- validation


def _as_image(image: Any, what: str = "image") -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 2:
        raise InvalidInputError(f"{what} must be 2-D, got {a.ndim}-D array of shape {a.shape}")
    if a.size == 0:
        raise InvalidInputError(f"{what} is empty (shape {a.shape})")
    if a.dtype == np.bool_ or not (
        np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
    ):
        raise InvalidInputError(f"{what} must be an integer or float array, got {a.dtype}")
    if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
        raise InvalidInputError(f"{what} contains NaN or infinite values")
    return a


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"{name} must be an int, got {value!r}")
    if value < low:
        raise InvalidInputError(f"{name} must be >= {low}, got {value}")
    return int(value)


# --------------------------------------------------------------------------- helpers


def _otsu(values: np.ndarray) -> float | None:
    """Otsu's threshold of ``values``, or None when they are all equal."""
    from skimage.filters import threshold_otsu

    if values.size == 0 or values.min() == values.max():
        return None
    return float(threshold_otsu(values))


def _reduce(x: np.ndarray, f: int) -> np.ndarray:
    """Block means over ``f`` x ``f`` blocks (edge-padded to a multiple of ``f``)."""
    if f == 1:
        return x
    h, w = x.shape
    hp, wp = -(-h // f) * f, -(-w // f) * f
    xp = np.pad(x, ((0, hp - h), (0, wp - w)), mode="edge")
    return xp.reshape(hp // f, f, wp // f, f).mean(axis=(1, 3))


def _keep_large(
    mask: np.ndarray, fraction: float = MIN_COMPONENT, blobs: bool = False
) -> np.ndarray:
    """Keep the 8-connected components of at least ``fraction`` of the largest one's area.

    With ``blobs``, also keep compact components (filling at least 60 % of their bounding box,
    and of at least 0.05 % of the image): a lesion, but not a line, a ruler or a letter.
    """
    lab, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if n <= 1:
        return mask.copy()
    sizes = np.bincount(lab.ravel())[1:]
    keep = np.zeros(n + 1, bool)
    keep[1:] = sizes >= fraction * sizes.max()
    if blobs:
        for i, sl in enumerate(ndimage.find_objects(lab)):
            box = (sl[0].stop - sl[0].start) * (sl[1].stop - sl[1].start)
            if sizes[i] >= 0.6 * box and sizes[i] >= 5e-4 * mask.size:
                keep[i + 1] = True
    return keep[lab]


def foreground_mask(image: np.ndarray) -> np.ndarray:
    """Tissue versus air/background: a boolean mask of the image's shape.

    Otsu's threshold on the log intensities ``log(1 + x - b)``, computed without the pixels at
    the image minimum (padding outside a field of view; ``b`` is the smallest remaining value):
    the log scale separates dim tissue (MR muscle, ultrasound speckle) from the noise floor
    where a linear Otsu would split fat from muscle. Then hole filling, an opening (radius 1
    for images with a short side of at least 32 pixels) and removal of components smaller than
    :data:`MIN_COMPONENT` of the largest. A constant image has no foreground (all False).

    Parameters
    ----------
    image : numpy.ndarray
        2-D integer or float image.

    Returns
    -------
    numpy.ndarray
        Boolean mask, True on the foreground.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((64, 64), np.uint8); img[16:48, 16:48] = 200
    >>> int(foreground_mask(img).sum())
    1024
    """
    return _keep_large(_raw_foreground(_as_image(image)))


def _raw_foreground(a: np.ndarray) -> np.ndarray:
    """:func:`foreground_mask` without the component filter."""
    x = a.astype(np.float64)
    lo = x.min()
    above = x[x > lo]
    if above.size == 0:
        return np.zeros(x.shape, bool)
    base = above.min()
    t = _otsu(np.log1p(above - base))
    if t is None:
        # Two levels at most: the higher one is the foreground.
        fg = x > lo
    else:
        fg = x > base + np.expm1(t)
    if not fg.any():
        return fg
    fg = ndimage.binary_fill_holes(fg)
    if min(fg.shape) >= 32:
        opened = ndimage.binary_opening(fg, structure=np.ones((3, 3), bool))
        if opened.any():
            fg = opened
    return fg


# --------------------------------------------------------------------------- detector


def _auto_rank(s: np.ndarray, energy: float = ENERGY) -> int:
    e = np.cumsum(s.astype(np.float64) ** 2)
    if e[-1] <= 0:
        return 1
    return int(np.searchsorted(e / e[-1], energy) + 1)


def _robust_low_rank(
    x: np.ndarray, rank: int | None, iterations: int = ROBUST_ITERATIONS
) -> np.ndarray:
    """Rank-k approximation of ``x`` that is not pulled towards bright outliers.

    A plain truncated SVD spends its leading components partly on a bright lesion and smears
    the residual along the lesion's rows and columns. So: the rank is fixed from the singular
    values of ``x`` (:data:`ENERGY`, or ``rank``); then, ``iterations`` times, the pixels whose
    residual exceeds 3 robust standard deviations (1.4826 MAD) are replaced by the current
    approximation and the SVD is redone. Deterministic (LAPACK ``gesdd``, no random state).
    """
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    k = _auto_rank(s) if rank is None else rank
    k = max(1, min(k, len(s) - 1))
    approx = (u[:, :k] * s[:k]) @ vt[:k]
    for _ in range(iterations):
        work = _outliers_replaced(x, approx)
        if work is None:
            break
        u, s, vt = np.linalg.svd(work, full_matrices=False)
        approx = (u[:, :k] * s[:k]) @ vt[:k]
    return approx


def _outliers_replaced(x: np.ndarray, approx: np.ndarray) -> np.ndarray | None:
    """``x`` with the pixels whose residual exceeds 3 robust standard deviations (1.4826
    MAD) replaced by ``approx``; None when there are none (the robust fit has converged)."""
    r = x - approx
    sigma = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    if sigma <= 0:
        return None
    out = np.abs(r) > 3.0 * sigma
    return np.where(out, approx, x) if out.any() else None


_BLAS_LOCK = threading.Lock()
_BLAS_STATE: dict[str, Any] = {"depth": 0, "limiter": None, "controller": None}


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the block with the BLAS on one thread (threadpoolctl, when it is installed).

    A BLAS that starts threads for a 256 x 40 product spends more time waking them than
    computing, and on a loaded machine its spinning threads contend with every other process
    (the exact detector took 0.5-6 s per slice then). Reference counted under a lock, so that
    frames coded in threads at once restore the caller's setting only when the last leaves.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - an optional speed-up, never a requirement
        yield
        return
    with _BLAS_LOCK:
        if _BLAS_STATE["depth"] == 0:
            if _BLAS_STATE["controller"] is None:
                _BLAS_STATE["controller"] = ThreadpoolController()
            _BLAS_STATE["limiter"] = _BLAS_STATE["controller"].limit(limits=1, user_api="blas")
        _BLAS_STATE["depth"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["depth"] -= 1
            if _BLAS_STATE["depth"] == 0:
                _BLAS_STATE["limiter"].restore_original_limits()
                _BLAS_STATE["limiter"] = None


def _orthonormal(y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of ``y`` (reduced QR)."""
    return np.linalg.qr(y, mode="reduced")[0]


def _range_basis(x: np.ndarray, start: np.ndarray, power: int) -> np.ndarray:
    """Orthonormal basis of ``x @ start`` after ``power`` power iterations (each one
    re-orthonormalised, so that small singular directions are not lost to rounding)."""
    q = _orthonormal(x @ start)
    for _ in range(power):
        q = _orthonormal(x @ _orthonormal(x.T @ q))
    return q


def _truncated_svd(x: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``u, s, vt`` of ``x`` projected on the basis ``q`` (a small dense SVD)."""
    ub, s, vt = np.linalg.svd(q.T @ x, full_matrices=False)
    return q @ ub, s, vt


def _fast_rank(
    x: np.ndarray, rank: int | None
) -> tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The rank of the fit (as :func:`_auto_rank` on the full spectrum, from the leading
    singular values and ``||x||_F**2``) and the truncated SVD it was found with.

    The basis starts with ``rank + FAST_OVERSAMPLE`` (or 24) Gaussian columns of a fixed seed
    and doubles until the leading values hold :data:`ENERGY` of the energy with
    :data:`FAST_OVERSAMPLE` columns to spare (at most the short side: then it is exact).
    """
    short = min(x.shape)
    rng = np.random.default_rng(FAST_SEED)
    width = min(short, (rank if rank is not None else 16) + FAST_OVERSAMPLE)
    total = float(np.einsum("ij,ij->", x, x))
    while True:
        q = _range_basis(x, rng.standard_normal((x.shape[1], width)), FAST_POWER)
        usv = _truncated_svd(x, q)
        if rank is not None:
            return rank, usv
        e = np.cumsum(usv[1].astype(np.float64) ** 2)
        k = int(np.searchsorted(e / total, ENERGY) + 1) if total > 0 else 1
        if k + FAST_OVERSAMPLE <= width or width >= short:
            return min(k, width), usv
        width = min(short, 2 * width)


def _fast_low_rank(
    x: np.ndarray, rank: int | None, iterations: int = ROBUST_ITERATIONS
) -> np.ndarray:
    """:func:`_robust_low_rank` with a truncated randomised SVD (``method="fast"``).

    Each robust pass refits from the previous pass's basis with one power iteration (the
    subspace moves little when a few outlier pixels are replaced), so the whole fit costs a few
    products of the image with a ``short side x (k + 8)`` matrix instead of four full SVDs.
    """
    with _one_blas_thread():
        k, (u, s, vt) = _fast_rank(x, rank)
        k = max(1, min(k, min(x.shape) - 1))
        approx = (u[:, :k] * s[:k]) @ vt[:k]
        for _ in range(iterations):
            work = _outliers_replaced(x, approx)
            if work is None:
                break
            q = _range_basis(work, vt.T, 1)
            u, s, vt = _truncated_svd(work, q)
            approx = (u[:, :k] * s[:k]) @ vt[:k]
    return approx


def detect_roi(
    image: np.ndarray,
    *,
    rank: int | None = None,
    block: int = 8,
    min_fraction: float = 0.0,
    method: str = "fast",
) -> np.ndarray:
    """Detect the region of interest of a medical image by the residual of a low-rank SVD.

    See the module docstring for the method. Deterministic: the same image and options always
    give the same mask.

    Parameters
    ----------
    image : numpy.ndarray
        2-D integer (uint8, uint16, int16, ...) or finite float image.
    rank : int, optional
        Rank of the approximation whose residual marks the ROI. Default: the smallest rank that
        keeps 95 % (:data:`ENERGY`) of the singular value energy. Clipped to the largest
        useful rank (short side - 1 of the analysed image).
    block : int
        Side in pixels of the blocks over which the residual energy is pooled (>= 1). Also the
        granularity of the mask (times the reduction factor for images whose long side exceeds
        :data:`SVD_MAX_SIDE`).
    min_fraction : float
        The ROI covers at least this fraction of the image (0 to 1): if the detection is
        smaller, the highest-energy blocks are added, foreground first.
    method : {"fast", "exact"}
        The low-rank fit (:data:`METHODS`): ``"fast"`` (default; a truncated randomised SVD on
        one BLAS thread, about 3x less CPU on a 512 x 512 CT) or ``"exact"`` (the full LAPACK
        SVD of the detector before issue 14). Their masks agree closely
        (``bench/bench_roi_speed.py``: IoU per development image in ``bench/RESULTS.md``).

    Returns
    -------
    numpy.ndarray
        Boolean mask of the image's shape, True in the ROI. All False for a constant image
        (unless ``min_fraction`` asks for more).

    Raises
    ------
    InvalidInputError
        Not a 2-D non-empty numeric finite image, or options out of range.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:128, :128]
    >>> img = (400 + xx + yy + 800 * ((yy - 40) ** 2 + (xx - 80) ** 2 < 100)).astype(np.uint16)
    >>> m = detect_roi(img)
    >>> bool(m[40, 80]), bool(m[120, 5])
    (True, False)
    >>> bool((m == detect_roi(img, method="exact")).mean() > 0.95)
    True
    """
    a = _as_image(image)
    block = _check_int(block, "block", 1)
    if rank is not None:
        rank = _check_int(rank, "rank", 1)
    if isinstance(min_fraction, (bool, np.bool_)) or not isinstance(
        min_fraction, (int, float, np.integer, np.floating)
    ):
        raise InvalidInputError(f"min_fraction must be a number, got {min_fraction!r}")
    if not 0.0 <= float(min_fraction) <= 1.0:
        raise InvalidInputError(f"min_fraction must be in [0, 1], got {min_fraction!r}")
    if not isinstance(method, str) or method not in METHODS:
        raise InvalidInputError(f"method must be one of {METHODS}, got {method!r}")
    min_fraction = float(min_fraction)
    h, w = a.shape

    x = a.astype(np.float64)
    lo, hi = float(x.min()), float(x.max())
    if hi == lo:
        roi = np.zeros((h, w), bool)
        return _top_up(roi, np.zeros((h, w)), roi, 1, min_fraction)
    x = (x - lo) / (hi - lo)

    f = max(1, -(-max(h, w) // SVD_MAX_SIDE))
    xs = _reduce(x, f)
    # The gate keeps small bright components (a lesion apart from the body is tissue too).
    fg_s = _keep_large(_raw_foreground(xs), blobs=True)
    bs = max(1, round(block / f))  # block side in the reduced image
    cell = bs * f  # block side in the original image

    if min(xs.shape) < 2 * bs or min(xs.shape) < 4:
        # Too small for a meaningful SVD: the foreground is the ROI.
        roi_s = fg_s
        score = xs
    else:
        fit = _fast_low_rank if method == "fast" else _robust_low_rank
        roi_s, score = _residual_roi(xs, fit(xs, rank), fg_s, bs)
    roi = _upsample(roi_s, f, h, w)
    if min_fraction > 0:
        fg = _upsample(fg_s, f, h, w)
        sc = _upsample(score, f, h, w)
        roi = _top_up(roi, sc, fg, cell, min_fraction)
    return roi


def _upsample(a: np.ndarray, f: int, h: int, w: int) -> np.ndarray:
    """Each value of ``a`` repeated over ``f`` x ``f`` pixels, cropped to ``h`` x ``w``."""
    return np.repeat(np.repeat(a, f, axis=0), f, axis=1)[:h, :w]


def _residual_roi(
    xs: np.ndarray, approx: np.ndarray, fg_s: np.ndarray, bs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 3-5 of the detector on the reduced image: the ROI and the blocks' score."""
    r2 = (xs - approx) ** 2
    energy = _reduce(r2, bs)  # mean residual energy per block
    fg_b = _reduce(fg_s.astype(np.float64), bs) > 0
    logv = np.log10(energy + 1e-12)
    # The reference population: the foreground blocks, unless the foreground is small
    # (then it may be the lesion itself, and Otsu would split the lesion).
    ref = logv[fg_b] if fg_b.mean() >= 0.25 else logv.ravel()
    t = _otsu(ref)
    # Otsu always splits; a block must also hold clearly more residual energy than the
    # typical foreground block (MARGIN decades), else pure noise would become ROI.
    t = None if t is None else max(t, float(np.median(ref)) + MARGIN)
    cand = (logv > t) if t is not None else np.zeros_like(fg_b)
    near_fg = ndimage.binary_dilation(fg_b, structure=np.ones((3, 3), bool))
    cand &= near_fg
    if cand.any():
        p = 3  # pad so the closing does not erode ROI touching the image border
        cp = np.pad(cand, p)
        cp = ndimage.binary_closing(cp, structure=np.ones((3, 3), bool), iterations=2)
        cand = ndimage.binary_fill_holes(cp[p:-p, p:-p])
    cand &= near_fg
    roi_s = np.repeat(np.repeat(cand, bs, axis=0), bs, axis=1)[: xs.shape[0], : xs.shape[1]]
    score = np.repeat(np.repeat(logv, bs, axis=0), bs, axis=1)[: xs.shape[0], : xs.shape[1]]
    return roi_s, score - score.min()


def _top_up(
    roi: np.ndarray, score: np.ndarray, fg: np.ndarray, cell: int, min_fraction: float
) -> np.ndarray:
    """Add whole ``cell`` blocks by decreasing (foreground, score) until ``min_fraction``."""
    h, w = roi.shape
    need = int(np.ceil(min_fraction * h * w - 1e-9))
    if int(roi.sum()) >= need:
        return roi
    bm = block_mask(roi, cell)
    bh, bw = bm.shape
    pad = ((0, bh * cell - h), (0, bw * cell - w))
    sc = np.pad(score, pad, mode="edge").reshape(bh, cell, bw, cell).mean(axis=(1, 3))
    fb = np.pad(fg, pad).reshape(bh, cell, bw, cell).any(axis=(1, 3))
    # Stable order: foreground blocks first, then by decreasing score, then raster order.
    order = np.lexsort((np.arange(bh * bw), -sc.ravel(), ~fb.ravel()))
    out = roi.copy()
    for idx in order:
        if int(out.sum()) >= need:
            break
        by, bx = divmod(int(idx), bw)
        out[by * cell : (by + 1) * cell, bx * cell : (bx + 1) * cell] = True
    return out


# --------------------------------------------------------------------------- public roi= arg


def resolve_roi(roi: Any, image: np.ndarray) -> np.ndarray | None:
    """Turn the public ``roi=`` argument into a boolean pixel mask.

    Parameters
    ----------
    roi : None, "auto", numpy.ndarray, or sequence of boxes
        - ``None``: the whole image is ROI; returns None.
        - ``"auto"``: :func:`detect_roi` on ``image``. If the detector selects nothing (a
          constant image) or everything, returns None: the whole image is coded as ROI (the
          conservative, lossless-everywhere choice).
        - a numpy array of the image's shape, boolean or with only the values 0 and 1.
        - a box ``(y0, x0, y1, x1)`` or a list/tuple of such boxes (ints, half-open,
          ``0 <= y0 < y1 <= h`` and ``0 <= x0 < x1 <= w``); their union is the ROI. Masks must
          be numpy arrays: nested lists are read as boxes.
    image : numpy.ndarray
        The 2-D image the ROI belongs to.

    Returns
    -------
    numpy.ndarray or None
        A new boolean mask of the image's shape, or None for "the whole image".

    Raises
    ------
    InvalidInputError
        Unknown string, mask of the wrong shape or with values other than 0/1, malformed,
        empty or out-of-range boxes, or a user ROI that selects no pixel (an empty ROI is
        refused rather than guessed: pass ``roi=None`` to code the whole image as ROI).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((4, 6), np.uint8)
    >>> resolve_roi([(0, 0, 2, 2), (3, 5, 4, 6)], img).sum()
    np.int64(5)
    >>> resolve_roi(None, img) is None
    True
    """
    a = _as_image(image)
    shape = a.shape
    if roi is None:
        return None
    if isinstance(roi, str):
        if roi != "auto":
            raise InvalidInputError(
                f"roi must be None, 'auto', a boolean mask or boxes, got the string {roi!r}"
            )
        m = detect_roi(a)
        if not m.any() or m.all():
            return None
        return m
    if isinstance(roi, np.ndarray):
        return _check_mask(roi, shape)
    if isinstance(roi, Sequence):
        return _boxes_mask(roi, shape)
    raise InvalidInputError(
        f"roi must be None, 'auto', a numpy boolean mask or a list of (y0, x0, y1, x1) boxes, "
        f"got {type(roi).__name__}"
    )


def _check_mask(m: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if m.shape != shape:
        raise InvalidInputError(f"ROI mask has shape {m.shape}, the image has shape {shape}")
    if m.dtype != np.bool_:
        if not (np.issubdtype(m.dtype, np.integer) or np.issubdtype(m.dtype, np.floating)):
            raise InvalidInputError(f"ROI mask must be boolean or 0/1, got dtype {m.dtype}")
        bad = (m != 0) & (m != 1)
        if bad.any():
            v = m[bad].ravel()[0]
            raise InvalidInputError(f"ROI mask must be boolean or contain only 0 and 1, found {v}")
    out = np.array(m, dtype=bool)
    if not out.any():
        raise InvalidInputError(
            "ROI mask selects no pixel; pass roi=None to code the whole image as ROI"
        )
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _boxes_mask(boxes: Sequence[Any], shape: tuple[int, ...]) -> np.ndarray:
    if len(boxes) == 0:
        raise InvalidInputError("ROI box list is empty; pass roi=None for the whole image")
    if len(boxes) == 4 and all(_is_int(v) for v in boxes):
        boxes = [boxes]  # a single box
    h, w = shape
    out = np.zeros(shape, bool)
    for i, b in enumerate(boxes):
        if isinstance(b, (str, bytes)) or not isinstance(b, (Sequence, np.ndarray)) or len(b) != 4:
            raise InvalidInputError(f"ROI box {i} must be (y0, x0, y1, x1), got {b!r}")
        if not all(_is_int(v) for v in b):
            raise InvalidInputError(f"ROI box {i} must have int coordinates, got {b!r}")
        y0, x0, y1, x1 = (int(v) for v in b)
        if not (0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w):
            raise InvalidInputError(
                f"ROI box {i} {(y0, x0, y1, x1)} is empty or outside the image {h}x{w} "
                f"(need 0 <= y0 < y1 <= {h} and 0 <= x0 < x1 <= {w}, half-open)"
            )
        out[y0:y1, x0:x1] = True
    return out


# --------------------------------------------------------------------------- block bitmaps


def block_mask(mask: np.ndarray, block: int) -> np.ndarray:
    """The blocks touched by a pixel mask.

    Parameters
    ----------
    mask : numpy.ndarray
        2-D boolean pixel mask.
    block : int
        Block side in pixels (>= 1).

    Returns
    -------
    numpy.ndarray
        Boolean array of shape ``(ceil(h / block), ceil(w / block))``: True where any pixel of
        the block is in the mask.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((5, 5), bool); m[4, 0] = True
    >>> block_mask(m, 2).astype(int).tolist()
    [[0, 0, 0], [0, 0, 0], [1, 0, 0]]
    """
    block = _check_int(block, "block", 1)
    m = np.asarray(mask)
    if m.ndim != 2 or m.dtype != np.bool_:
        raise InvalidInputError(f"mask must be a 2-D boolean array, got {m.dtype} {m.shape}")
    h, w = m.shape
    bh, bw = -(-h // block), -(-w // block)
    mp = np.pad(m, ((0, bh * block - h), (0, bw * block - w)))
    return mp.reshape(bh, block, bw, block).any(axis=(1, 3))


def expand_blocks(bmask: np.ndarray, block: int, shape: tuple[int, int]) -> np.ndarray:
    """The pixel mask covered by a block bitmap, cropped to ``shape``.

    ``expand_blocks(block_mask(m, b), b, m.shape)`` is a superset of ``m``.

    Parameters
    ----------
    bmask : numpy.ndarray
        2-D boolean block bitmap of shape ``(ceil(h / block), ceil(w / block))``.
    block : int
        Block side in pixels (>= 1).
    shape : tuple of int
        ``(h, w)`` of the image.

    Returns
    -------
    numpy.ndarray
        Boolean pixel mask of ``shape``.
    """
    block = _check_int(block, "block", 1)
    if len(shape) != 2 or not all(_is_int(v) and v > 0 for v in shape):
        raise InvalidInputError(f"shape must be two positive ints, got {shape!r}")
    h, w = (int(v) for v in shape)
    b = np.asarray(bmask)
    want = (-(-h // block), -(-w // block))
    if b.dtype != np.bool_ or b.shape != want:
        raise InvalidInputError(
            f"block mask must be boolean of shape {want} for {h}x{w} and block {block}, "
            f"got {b.dtype} {b.shape}"
        )
    return np.repeat(np.repeat(b, block, axis=0), block, axis=1)[:h, :w].copy()


# --------------------------------------------------------------------------- figures


def overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """An RGB picture of the image with the ROI tinted and outlined, for figures.

    The image is windowed to its 0.5-99.5 percentiles; ROI pixels get a red tint, the ROI
    border is drawn in yellow.

    Parameters
    ----------
    image : numpy.ndarray
        2-D image.
    mask : numpy.ndarray
        Boolean ROI mask of the image's shape.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(h, w, 3)``.
    """
    a = _as_image(image).astype(np.float64)
    m = np.asarray(mask)
    if m.shape != a.shape or m.dtype != np.bool_:
        raise InvalidInputError(f"mask must be boolean of shape {a.shape}, got {m.dtype} {m.shape}")
    lo, hi = np.percentile(a, [0.5, 99.5])
    if hi <= lo:
        lo, hi = float(a.min()), float(a.max()) + 1.0
    g = np.clip((a - lo) / (hi - lo), 0.0, 1.0)
    rgb = np.repeat(g[..., None], 3, axis=2)
    tint = np.array([1.0, 0.15, 0.15])
    rgb[m] = 0.65 * rgb[m] + 0.35 * tint
    width = max(1, round(max(a.shape) / 400))
    inner = ndimage.binary_erosion(
        m, structure=np.ones((3, 3), bool), iterations=width, border_value=0
    )
    rgb[m & ~inner] = (1.0, 0.9, 0.0)
    return np.round(rgb * 255).astype(np.uint8)
