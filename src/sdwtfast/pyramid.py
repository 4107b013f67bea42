"""Wavelet pyramids and EZW calls shared by every wavelet coder (the stand-alone EZW stream,
the container's ROI and background coders, the LL-SVD baseline).

Each function takes the *engine* it runs on: ``sdwtfast._native`` (the C core) or
:data:`sdwtfast.reference.ENGINE` (pure Python, the same bytes). This is where the policy the
membrane does not hold lives: the EZW output buffer's size and its bounded growth, the
quantizer's power-of-two step, the synthesis weights.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import limits
from . import wavelet as _wv
from .errors import LimitExceededError

__all__ = [
    "BACKENDS",
    "WAVELETS",
    "quantize",
    "quantize_weighted",
    "dequantize",
    "ezw_encode",
    "ezw_decode",
    "STEP_BITS",
    "R_KNOWN",
    "R_PART",
]

BACKENDS = {"raw": 0, "arith": 1}
"""EZW back-ends by name (the values are the core's ``SDW_EZW_RAW`` / ``SDW_EZW_ARITH``)."""
WAVELETS = {"5/3": 0, "9/7": 1, "haar": 2}
"""Wavelets by name, with their code in stream headers."""
STEP_BITS = 20
"""The quantizer step is a power of two giving the largest coefficient about 2^20 levels."""
R_KNOWN = 0.5
"""Reconstruction offset of a fully known quantizer index (the middle of its bin)."""
R_PART = 0.5
"""Reconstruction point in the remaining interval of a partially known index (its middle)."""


def quantize(
    engine: Any, x: np.ndarray, levels: int, wavelet: str, coef_mask: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Lossy pyramid of the float image ``x``: ``(quantizer indices int32, step exponent)``.

    The transform (``wavelet``; "5/3" runs the integer lifting on ``x``, which must then hold
    integers) is scaled by each subband's synthesis gain so that the bit-plane order follows
    the MSE, coefficients outside ``coef_mask`` are zeroed, and the deadzone quantizer uses the
    step ``2^step_exp`` that gives the largest coefficient about 2^:data:`STEP_BITS` levels.
    """
    h, w = x.shape
    if wavelet == "5/3":
        c = engine.lift53_forward(x.astype(np.int32), levels).astype(np.float64)
    else:
        c = _wv.forward(x, levels, wavelet)
    c *= _wv.weight_map(h, w, levels, wavelet)
    return quantize_weighted(engine, c, coef_mask)


def quantize_weighted(
    engine: Any, c: np.ndarray, coef_mask: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """The quantizer of :func:`quantize` on a pyramid already scaled by its synthesis gains
    (``c`` is modified: zeroed outside ``coef_mask``)."""
    if coef_mask is not None:
        c[coef_mask == 0] = 0.0
    peak = float(np.abs(c).max())
    step_exp = (math.frexp(peak)[1] - STEP_BITS) if peak > 0 else 0
    return engine.quantize(c, math.ldexp(1.0, step_exp)), step_exp


def dequantize(
    engine: Any, q: np.ndarray, lp: np.ndarray, step_exp: int, levels: int, wavelet: str
) -> np.ndarray:
    """The float image (before its DC offset) of decoded indices ``q`` known down to ``lp``.

    Raises :class:`~sdwtfast.errors.CorruptStreamError` when the indices do not describe an
    image (the integer 5/3 synthesis would overflow).
    """
    h, w = q.shape
    c = engine.dequantize(q, lp, math.ldexp(1.0, step_exp), R_KNOWN, R_PART)
    c /= _wv.weight_map(h, w, levels, wavelet)
    if wavelet == "5/3":
        ci = np.clip(np.rint(c), -(1 << 29), 1 << 29).astype(np.int32)
        return engine.lift53_inverse(ci, levels).astype(np.float64)
    return _wv.inverse(c, levels, wavelet)


def ezw_encode(
    engine: Any,
    coef: np.ndarray,
    levels: int,
    mask: np.ndarray | None,
    backend: str = "arith",
    max_bytes: int = 0,
    min_plane: int = 0,
) -> tuple[bytes, int]:
    """EZW-code an int32 pyramid: ``(payload, top bit plane)``.

    The output buffer starts at the raw back-end's bound (or ``max_bytes``, the rate budget,
    when smaller) and doubles at most :data:`sdwtfast.limits.EZW_CAP_DOUBLINGS` times.
    """
    top = engine.ezw_top_plane(coef, mask)
    planes = max(0, top - min_plane + 1)
    cap = engine.ezw_raw_bound(coef.size, planes) + 64
    if max_bytes and max_bytes < cap:
        cap = max_bytes
    for _ in range(limits.EZW_CAP_DOUBLINGS + 1):
        out = engine.ezw_encode(
            coef, levels, mask, BACKENDS[backend], top, min_plane, max_bytes, cap
        )
        if out is not None:
            return out[0], top
        cap *= 2
    raise LimitExceededError(f"EZW stream larger than {cap // 2} bytes")


def ezw_decode(
    engine: Any,
    payload: bytes,
    shape: tuple[int, int],
    levels: int,
    mask: np.ndarray | None,
    top: int,
    backend: str = "arith",
    min_plane: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode an EZW payload: ``(coef int32, lowest known plane uint8)`` of ``shape``."""
    return engine.ezw_decode(
        payload, shape[0], shape[1], levels, mask, BACKENDS[backend], top, min_plane
    )
