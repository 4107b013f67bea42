"""The predictive coder of the ROI (``csrc/pred.h``): lossless or near-lossless, on the ROI's
pixels only (section ``PRED``; parameter ``roi.max_error`` when near-lossless).

Blended predictors per gradient context, bias correction, residuals through the core's
adaptive binary range coder. Not embedded: a prefix does not decode. The header's wavelet is
``"none"``. :meth:`Predictive.encode_at_rate` codes at the smallest error bound that fits a
byte budget, for the competition in rate mode (:mod:`sdwtfast.coders.select`).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .. import _native, limits
from ..container import ParamValue, SectionType
from ..errors import CorruptStreamError
from .base import Coded, Fidelity, Frame, param
from .ezw import exact_input

__all__ = ["Predictive", "max_value"]


def max_value(mode: str, vmin: int, vmax: int, d: int) -> int:
    """Largest value the coder sees: the pixel range (lossless: pixels shifted by ``vmin``) or
    the largest near-lossless index."""
    if mode == "lossless":
        return vmax - vmin
    return (vmax - vmin + d) // (2 * d + 1)


def raw_size(n: int, qmax: int) -> int:
    """A stream is never worth more than the raw samples (plus a little): its size cap."""
    return (n * int(qmax).bit_length() + 7) // 8 + 1024


class Predictive:
    """Lossless / near-lossless prediction of the ROI's pixels."""

    name: ClassVar[str] = "pred"
    section: ClassVar[SectionType] = SectionType.PRED
    modes: ClassVar[frozenset[str]] = frozenset({"lossless", "near-lossless"})
    embedded: ClassVar[bool] = False

    def encode(self, frame: Frame, fidelity: Fidelity, limit: int | None = None) -> Coded | None:
        """The stream, or None for a constant image or one whose stream is longer than
        ``limit`` bytes or than the raw samples."""
        d = fidelity.max_error
        qmax = max_value(fidelity.mode, frame.vmin, frame.vmax, d)
        if qmax <= 0:
            return None
        x = exact_input(frame, d)
        xp = x if d else x - np.int32(frame.vmin - frame.dc)
        cap = raw_size(xp.size, qmax) if limit is None else min(raw_size(xp.size, qmax), limit)
        payload = _native.pred_encode(xp, qmax, cap, frame.mask)
        if payload is None:
            return None
        return Coded(
            self.name, self.section, payload, {"roi.max_error": d} if d else {}, fidelity.mode
        )

    def encode_at_rate(
        self, frame: Frame, budget: int, mse_to_beat: float, bytes_to_beat: int
    ) -> Coded | None:
        """Prediction within ``budget`` bytes at the smallest error bound ``d`` (0: lossless)
        whose stream fits, if its MSE on the ROI is below ``mse_to_beat``, or, when that is
        0 (the wavelet stream is already exact), a lossless stream shorter than
        ``bytes_to_beat``. None otherwise."""
        found = _rate_search(frame, budget, mse_to_beat, bytes_to_beat)
        if found is None:
            return None
        d, payload = found
        mode = "near-lossless" if d else "lossless"
        return Coded(self.name, self.section, payload, {"roi.max_error": d} if d else {}, mode)

    def decode(
        self, frame: Frame, mode: str, wavelet: str, params: dict[str, ParamValue], payload: bytes
    ) -> np.ndarray:
        """Pixel values (int64) of the ROI."""
        d = (
            0
            if mode == "lossless"
            else param(params, "roi.max_error", int, 0, limits.MAX_ROI_ERROR)
        )
        qmax = max_value(mode, frame.vmin, frame.vmax, d)
        if not 0 < qmax <= limits.PRED_MAX_VALUE:
            raise CorruptStreamError("impossible value range for the predictive coder")
        q = _native.pred_decode(payload, frame.shape[0], frame.shape[1], qmax, frame.mask)
        return q.astype(np.int64) * (2 * d + 1) + frame.vmin


def _rate_search(
    frame: Frame, budget: int, mse_to_beat: float, bytes_to_beat: int
) -> tuple[int, bytes] | None:
    """``(d, stream)`` of :meth:`Predictive.encode_at_rate` (exponential search for a bound
    that fits, then bisection)."""
    a, mask, vmin, vmax = frame.pixels, frame.mask, frame.vmin, frame.vmax
    sel = slice(None) if mask is None else mask
    shifted = a.astype(np.int64) - vmin  # every attempt quantizes these

    def attempt(d: int, cap: int = budget) -> bytes | None:
        step = 2 * d + 1
        qmax = (vmax - vmin + d) // step
        if qmax <= 0:
            return None
        return _native.pred_encode(((shifted + d) // step).astype(np.int32), qmax, cap, mask)

    lossless = attempt(0, budget if mse_to_beat > 0 else min(budget, bytes_to_beat - 1))
    if lossless is not None or mse_to_beat == 0:
        return None if lossless is None else (0, lossless)
    # every bound's quantization error alone is at least about d^2 / 3: no point trying bounds
    # that cannot beat the wavelet stream
    d_max = min(limits.MAX_ROI_ERROR, int(math.sqrt(3.0 * mse_to_beat)) + 1)
    hi, lo, stream = 1, 0, None
    while hi <= d_max:
        stream = attempt(hi)
        if stream is not None:
            break
        lo, hi = hi, hi * 2
    if stream is None:
        if lo >= d_max or (stream := attempt(d_max)) is None:
            return None
        hi = d_max
    while hi - lo > 1:
        mid = (lo + hi) // 2
        s = attempt(mid)
        if s is None:
            lo = mid
        else:
            hi, stream = mid, s
    step = 2 * hi + 1
    q = (shifted[sel] + hi) // step
    mse = float(np.mean((np.minimum(q * step + vmin, vmax) - a[sel].astype(np.float64)) ** 2))
    return (hi, stream) if mse < mse_to_beat else None
