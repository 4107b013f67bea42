"""Deadzone quantizer and embedded-aware dequantizer, numpy reference of ``csrc/quant.c``.

Quantize: ``q = sign(x) * floor(|x| / step)``, computed as ``trunc(|x| * (1 / step))`` in
double precision exactly as the C code does, so the zero bin is ``(-step, step)``.

Dequantize: ``lp[i]`` is the lowest bit plane of ``|q[i]|`` the decoder knows (0: every bit).
The magnitude lies in ``[|q|, |q| + 2^lp)`` and is reconstructed at ``|q| + r_known``
(``lp == 0``) or ``|q| + r_part * 2^lp`` (``lp > 0``), times ``step``, with the sign of ``q``;
``q == 0`` gives 0.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidInputError

__all__ = ["quantize", "dequantize"]

_LIMIT = 1073741824.0  # 2^30


def _check_step(step: float) -> float:
    step = float(step)
    if not (step > 0.0) or not math.isfinite(step):
        raise InvalidInputError("quantize: step must be finite and > 0")
    return step


def quantize(x: np.ndarray, step: float) -> np.ndarray:
    """Deadzone quantizer.

    Parameters
    ----------
    x : numpy.ndarray
        Values (any shape, converted to float64).
    step : float
        Quantizer step, finite and > 0.

    Returns
    -------
    numpy.ndarray
        int32 array of ``x``'s shape.

    Raises
    ------
    InvalidInputError
        Bad step, a NaN value, or ``|x| / step >= 2^30``.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected numpy.ndarray, got {type(x).__name__}")
    xf = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    step = _check_step(step)
    inv = 1.0 / step
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(xf) * inv
    bad = np.flatnonzero(~(a < _LIMIT))  # also catches NaN
    if bad.size:
        if math.isnan(a[bad[0]]):
            raise InvalidInputError("quantize: NaN input")
        raise InvalidInputError("quantize: |x| / step >= 2^30")
    m = a.astype(np.int32)  # truncation == floor for a >= 0
    q = np.where(xf < 0.0, -m, m).astype(np.int32)
    return q.reshape(np.shape(x))


def dequantize(
    q: np.ndarray,
    lp: np.ndarray | None,
    step: float,
    r_known: float = 0.5,
    r_part: float = 0.5,
) -> np.ndarray:
    """Embedded-aware dequantizer.

    Parameters
    ----------
    q : numpy.ndarray
        Quantized magnitudes with sign (converted to int32).
    lp : numpy.ndarray or None
        Lowest known bit plane per value (uint8, same size), None when every bit is known.
    step : float
        Quantizer step, finite and > 0.
    r_known, r_part : float
        Reconstruction offsets in ``[0, 1)`` for fully and partially known values.

    Returns
    -------
    numpy.ndarray
        float64 array of ``q``'s shape.

    Raises
    ------
    InvalidInputError
        Bad step or offsets, ``lp`` of another size, or ``lp > 30`` for a nonzero value.
    """
    if not isinstance(q, np.ndarray):
        raise TypeError(f"expected numpy.ndarray, got {type(q).__name__}")
    qf = np.ascontiguousarray(q, dtype=np.int32).reshape(-1)
    if lp is not None:
        lpf = np.ascontiguousarray(lp, dtype=np.uint8).reshape(-1)
        if lpf.shape[0] != qf.shape[0]:
            raise InvalidInputError("dequantize: lp and q differ in size")
    else:
        lpf = np.zeros(qf.shape[0], dtype=np.uint8)
    step, r_known, r_part = float(step), float(r_known), float(r_part)
    if (
        not (step > 0.0)
        or not math.isfinite(step)
        or not (0.0 <= r_known < 1.0)
        or not (0.0 <= r_part < 1.0)
    ):
        raise InvalidInputError("dequantize: bad step or reconstruction offsets")
    nonzero = qf != 0
    if np.any(lpf[nonzero] > 30):
        raise InvalidInputError("dequantize: lp > 30")
    p = np.where(nonzero, lpf, 0).astype(np.int64)
    mag = np.abs(qf.astype(np.int64)).astype(np.float64)
    mag = mag + np.where(p == 0, r_known, r_part * np.ldexp(1.0, p))
    out = np.where(qf < 0, -mag, mag) * step
    out[~nonzero] = 0.0
    return out.reshape(np.shape(q))
