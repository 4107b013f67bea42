"""Floating-point wavelet transforms for the lossy paths: CDF 9/7 and Haar, by lifting.

Both use the Mallat layout of the integer 5/3 transform of the C core (``csrc/lift53.h``):
per level, the low-pass half (``ceil(n / 2)`` samples, from even positions) comes first, then
the high-pass half; a dimension of length 1 passes through a level unchanged; the next level
transforms the LL band. Boundaries use whole-sample symmetric extension, as in JPEG 2000, so
any size works.

The arithmetic is plain IEEE double in a fixed order (no reductions), so results are the same
from run to run and thread count to thread count on one machine, and the encoder and the
pure-Python reference share this module. Across machines numpy's vectorised kernels (SIMD
width, fused multiply-add) may round the last bit differently, so a float-wavelet decode may
differ by one grey level there (the golden tests allow +-1); the integer 5/3 path and every
entropy-coded symbol are exact everywhere.

:func:`band_weights` gives the synthesis gain of each subband: coefficients multiplied by it
have (approximately) the image-domain energy of their error, so bit-plane coding the scaled
values spends bits where they lower the MSE most.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = [
    "FLOAT_WAVELETS",
    "forward",
    "inverse",
    "bands",
    "band_weights",
    "weight_map",
    "support_mask",
]

FLOAT_WAVELETS = ("9/7", "haar")

# CDF 9/7 lifting constants (JPEG 2000 Part 1, irreversible transform).
_A = -1.586134342059924
_B = -0.052980118572961
_G = 0.882911075530934
_D = 0.443506852043971
_K = 1.230174104914001
_R2 = math.sqrt(2.0)


def _s_next(s: np.ndarray, nh: int) -> np.ndarray:
    """s[i + 1] for i < nh, mirrored at the right end (x[n] = x[n - 2])."""
    if s.shape[-1] > nh:
        return s[..., 1 : nh + 1]
    return np.concatenate([s[..., 1:nh], s[..., nh - 1 : nh]], axis=-1)


def _d_prev(d: np.ndarray, nl: int) -> np.ndarray:
    """d[i - 1] for i < nl, with d[-1] = d[0]."""
    return np.concatenate([d[..., 0:1], d[..., 0 : nl - 1]], axis=-1)


def _d_cur(d: np.ndarray, nl: int) -> np.ndarray:
    """d[i] for i < nl, with d[nh] = d[nh - 1]."""
    if d.shape[-1] == nl:
        return d
    return np.concatenate([d, d[..., -1:]], axis=-1)


def _fwd1(x: np.ndarray, wavelet: str) -> np.ndarray:
    """One forward level along the last axis; returns [low | high]."""
    n = x.shape[-1]
    if n < 2:
        return x.copy()
    s = x[..., 0::2].copy()
    d = x[..., 1::2].copy()
    nl, nh = s.shape[-1], d.shape[-1]
    if wavelet == "9/7":
        d += _A * (s[..., :nh] + _s_next(s, nh))
        s += _B * (_d_prev(d, nl) + _d_cur(d, nl))
        d += _G * (s[..., :nh] + _s_next(s, nh))
        s += _D * (_d_prev(d, nl) + _d_cur(d, nl))
        s *= 1.0 / _K
        d *= _K / 2.0
    else:  # haar
        d -= s[..., :nh]
        s[..., :nh] += d * 0.5
        s *= _R2
        d *= 1.0 / _R2
    return np.concatenate([s, d], axis=-1)


def _inv1(y: np.ndarray, wavelet: str) -> np.ndarray:
    """Inverse of :func:`_fwd1` along the last axis."""
    n = y.shape[-1]
    if n < 2:
        return y.copy()
    nl = (n + 1) // 2
    nh = n - nl
    s = y[..., :nl].copy()
    d = y[..., nl:].copy()
    if wavelet == "9/7":
        s *= _K
        d *= 2.0 / _K
        s -= _D * (_d_prev(d, nl) + _d_cur(d, nl))
        d -= _G * (s[..., :nh] + _s_next(s, nh))
        s -= _B * (_d_prev(d, nl) + _d_cur(d, nl))
        d -= _A * (s[..., :nh] + _s_next(s, nh))
    else:
        s *= 1.0 / _R2
        d *= _R2
        s[..., :nh] -= d * 0.5
        d += s[..., :nh]
    x = np.empty(y.shape, dtype=np.float64)
    x[..., 0::2] = s
    x[..., 1::2] = d
    return x


def _sizes(n: int, levels: int) -> list[int]:
    out = [n]
    for _ in range(levels):
        out.append((out[-1] + 1) // 2)
    return out


def forward(image: np.ndarray, levels: int, wavelet: str = "9/7") -> np.ndarray:
    """Multi-level 2-D forward transform (float64, Mallat layout).

    Parameters
    ----------
    image : ndarray
        2-D array (any real dtype).
    levels : int
        Decomposition levels, at most ``floor(log2(max(h, w)))``.
    wavelet : {"9/7", "haar"}

    Returns
    -------
    ndarray
        float64 coefficients of the same shape.
    """
    if wavelet not in FLOAT_WAVELETS:
        raise ValueError(f"unknown float wavelet {wavelet!r}")
    a = np.array(image, dtype=np.float64, copy=True)
    hs, ws = _sizes(a.shape[0], levels), _sizes(a.shape[1], levels)
    for lv in range(levels):
        h, w = hs[lv], ws[lv]
        a[:h, :w] = _fwd1(a[:h, :w], wavelet)
        a[:h, :w] = _fwd1(a[:h, :w].T, wavelet).T
    return a


def inverse(coef: np.ndarray, levels: int, wavelet: str = "9/7") -> np.ndarray:
    """Inverse of :func:`forward` (float64)."""
    if wavelet not in FLOAT_WAVELETS:
        raise ValueError(f"unknown float wavelet {wavelet!r}")
    a = np.array(coef, dtype=np.float64, copy=True)
    hs, ws = _sizes(a.shape[0], levels), _sizes(a.shape[1], levels)
    for lv in range(levels - 1, -1, -1):
        h, w = hs[lv], ws[lv]
        a[:h, :w] = _inv1(a[:h, :w].T, wavelet).T
        a[:h, :w] = _inv1(a[:h, :w], wavelet)
    return a


def bands(h: int, w: int, levels: int) -> list[tuple[str, int, slice, slice]]:
    """Subbands in EZW scan order: ``(name, level, rows, cols)``; LL first, level-1 HH last.

    ``name`` is ``"LL"``, ``"HL"`` (horizontal high-pass), ``"LH"`` or ``"HH"``.
    """
    hs, ws = _sizes(h, levels), _sizes(w, levels)
    out = [("LL", levels, slice(0, hs[levels]), slice(0, ws[levels]))]
    for lv in range(levels, 0, -1):
        lo_h, lo_w, full_h, full_w = hs[lv], ws[lv], hs[lv - 1], ws[lv - 1]
        out.append(("HL", lv, slice(0, lo_h), slice(lo_w, full_w)))
        out.append(("LH", lv, slice(lo_h, full_h), slice(0, lo_w)))
        out.append(("HH", lv, slice(lo_h, full_h), slice(lo_w, full_w)))
    return out


@lru_cache(maxsize=32)
def _norms_1d(levels: int, wavelet: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """L2 norms of the 1-D synthesis functions: (low after l levels, high at level l)."""
    n = 1 << (levels + 6)
    lows, highs = [1.0], [0.0]
    for lv in range(1, levels + 1):
        sizes = _sizes(n, lv)
        for kind in ("low", "high"):
            y = np.zeros(n)
            if kind == "low":
                y[sizes[lv] // 2] = 1.0
            else:
                y[sizes[lv] + (sizes[lv - 1] - sizes[lv]) // 2] = 1.0
            for k in range(lv - 1, -1, -1):
                y[: sizes[k]] = _inv1(y[: sizes[k]], wavelet)
            norm = math.sqrt(math.fsum(float(v) * float(v) for v in y))
            (lows if kind == "low" else highs).append(norm)
    return tuple(lows), tuple(highs)


def band_weights(levels: int, wavelet: str) -> dict[tuple[str, int], float]:
    """Synthesis gain of each subband, ``{(name, level): weight}``.

    For 5/3 the weights of the floating-point 5/3 filters are not needed (the lossless path
    codes integers); for "5/3" lossy coding the 9/7 weights are a close approximation and
    the caller may use them.
    """
    wv = "9/7" if wavelet == "5/3" else wavelet
    lows, highs = _norms_1d(levels, wv)
    out = {("LL", levels): lows[levels] * lows[levels]}
    for lv in range(1, levels + 1):
        out[("HL", lv)] = lows[lv] * highs[lv]
        out[("LH", lv)] = highs[lv] * lows[lv]
        out[("HH", lv)] = highs[lv] * highs[lv]
    return out


def weight_map(h: int, w: int, levels: int, wavelet: str) -> np.ndarray:
    """Per-coefficient synthesis weights for an h x w pyramid (float64)."""
    wm = np.empty((h, w), dtype=np.float64)
    bw = band_weights(levels, wavelet)
    for name, lv, rs, cs in bands(h, w, levels):
        wm[rs, cs] = bw[(name, lv)]
    return wm


# ---- ROI support: which coefficients reach which pixels ----------------------------------------

# Lifting steps of each wavelet in forward order: "P" updates d[i] from s[i] and s[i + 1]
# (mirrored at the right end), "U" updates s[i] from d[i - 1] and d[i] (mirrored at both ends);
# Haar's steps use only s[i] and d[i]. Scaling does not change dependencies.
_STEPS = {"5/3": ("P", "U"), "9/7": ("P", "U", "P", "U"), "haar": ("p", "u")}


def _need_1d(need: np.ndarray, wavelet: str) -> np.ndarray:
    """Backward dependency of one inverse level along the last axis.

    ``need`` marks output samples of the inverse; returns the [low | high] coefficients the
    inverse reads to compute them (the inverse undoes the steps in reverse order, so walking
    back from its output visits them in forward order).
    """
    n = need.shape[-1]
    if n < 2:
        return need.copy()
    s = need[..., 0::2].copy()
    d = need[..., 1::2].copy()
    nl, nh = s.shape[-1], d.shape[-1]
    nxt = np.minimum(np.arange(nh) + 1, nl - 1)  # s[i + 1], mirrored to s[i] at the end
    prv = np.maximum(np.arange(nl) - 1, 0)  # d[i - 1], d[-1] = d[0]
    cur = np.minimum(np.arange(nl), nh - 1)  # d[i], d[nh] = d[nh - 1]
    for step in _STEPS[wavelet]:
        if step == "P":
            s[..., :nh] |= d
            _or_at(s, nxt, d)
        elif step == "U":
            _or_at(d, prv, s)
            _or_at(d, cur, s)
        elif step == "p":
            s[..., :nh] |= d
        else:  # "u"
            d |= s[..., :nh]
    return np.concatenate([s, d], axis=-1)


def _or_at(dst: np.ndarray, idx: np.ndarray, src: np.ndarray) -> None:
    """dst[..., idx[k]] |= src[..., k] for every k (indices may repeat)."""
    for off in (0, 1):  # idx is non-decreasing with steps of 0 or 1: two passes suffice
        sel = np.arange(off, idx.shape[0], 2)
        dst[..., idx[sel]] |= src[..., sel]


def support_mask(pixel_mask: np.ndarray, levels: int, wavelet: str) -> np.ndarray:
    """Coefficients whose synthesis reaches any pixel of ``pixel_mask``.

    Decoding only these coefficients (the others set to zero) reproduces every masked pixel
    exactly as decoding all coefficients would, for the integer 5/3 lifting too: its inverse
    reads exactly these positions, whatever its rounding.

    Parameters
    ----------
    pixel_mask : ndarray of bool, shape (h, w)
    levels : int
    wavelet : {"5/3", "9/7", "haar"}

    Returns
    -------
    ndarray of bool, shape (h, w), Mallat layout.
    """
    need = np.array(pixel_mask, dtype=bool, copy=True)
    hs, ws = _sizes(need.shape[0], levels), _sizes(need.shape[1], levels)
    for lv in range(levels):
        h, w = hs[lv], ws[lv]
        region = need[:h, :w]
        region = _need_1d(region, wavelet)  # rows were the inverse's last step
        region = _need_1d(region.T, wavelet).T
        need[:h, :w] = region
    return need
