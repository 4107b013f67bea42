"""The wavelet / EZW coders of the ROI: exact (integer 5/3, lossless or near-lossless) and rate
(a float wavelet, the deadzone quantizer and an EZW stream cut at a byte budget).

Both code the ROI's wavelet *support set* (:func:`sdwtfast.wavelet.support_mask`): every
coefficient whose synthesis reaches a ROI pixel, so the ROI is reproduced exactly (or within its
bound) whatever is outside it. Section ``ROI``; parameters ``roi.top`` (the first bit plane),
``roi.max_error`` (near-lossless), ``roi.step_exp`` and ``roi.bpp`` (rate). The stream is
embedded: any prefix decodes.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import _native, limits, pyramid
from .. import wavelet as _wv
from ..container import ParamValue, SectionType
from ..errors import CorruptStreamError
from .base import Coded, Fidelity, Frame, param

__all__ = [
    "EzwExact",
    "EzwRate",
    "exact_input",
    "support",
    "code_exact",
    "decode_exact",
    "code_rate",
    "decode_rate",
]


def support(mask: np.ndarray | None, levels: int, wavelet: str) -> np.ndarray | None:
    """The coefficient set (uint8) whose synthesis reaches ``mask``'s pixels; None: all."""
    return None if mask is None else _wv.support_mask(mask, levels, wavelet).astype(np.uint8)


def exact_input(frame: Frame, max_error: int) -> np.ndarray:
    """The int32 image the exact coders see: pixels minus the DC (lossless), or the
    near-lossless quantizer indices ``(x - vmin + d) // (2d + 1)``."""
    a = frame.pixels
    if max_error == 0:
        return a.astype(np.int32) - np.int32(frame.dc)
    return ((a.astype(np.int64) - frame.vmin + max_error) // (2 * max_error + 1)).astype(np.int32)


def code_exact(x: np.ndarray, levels: int, coef_mask: np.ndarray | None) -> tuple[bytes, int]:
    """5/3 lifting and every bit plane of EZW: ``(payload, top)``."""
    return pyramid.ezw_encode(_native, _native.lift53_forward(x, levels), levels, coef_mask)


def decode_exact(
    payload: bytes, shape: tuple[int, int], levels: int, top: int, coef_mask: np.ndarray | None
) -> np.ndarray:
    """Inverse of :func:`code_exact` (int64)."""
    q, _lp = pyramid.ezw_decode(_native, payload, shape, levels, coef_mask, top)
    return _native.lift53_inverse(q, levels).astype(np.int64)


def code_rate(
    x: np.ndarray, levels: int, wavelet: str, coef_mask: np.ndarray | None, budget: int
) -> tuple[bytes, int, int]:
    """Lossy: weighted wavelet, deadzone quantizer, EZW cut at ``budget`` bytes:
    ``(payload, top, step_exp)``."""
    q, step_exp = pyramid.quantize(_native, x, levels, wavelet, coef_mask)
    payload, top = pyramid.ezw_encode(_native, q, levels, coef_mask, max_bytes=max(1, budget))
    return payload, top, step_exp


def decode_rate(
    payload: bytes,
    shape: tuple[int, int],
    levels: int,
    wavelet: str,
    top: int,
    step_exp: int,
    coef_mask: np.ndarray | None,
) -> np.ndarray:
    """Inverse of :func:`code_rate`: the float image (before its DC offset)."""
    q, lp = pyramid.ezw_decode(_native, payload, shape, levels, coef_mask, top)
    return pyramid.dequantize(_native, q, lp, step_exp, levels, wavelet)


def _top(params: dict[str, ParamValue], name: str) -> int:
    return param(params, name, int, -1, limits.MAX_PLANE)


def _step_exp(params: dict[str, ParamValue], name: str) -> int:
    return param(params, name, int, -limits.MAX_STEP_EXP, limits.MAX_STEP_EXP)


class EzwExact:
    """Lossless / near-lossless ROI: integer 5/3 and EZW on the support set (embedded)."""

    name: ClassVar[str] = "ezw"
    section: ClassVar[SectionType] = SectionType.ROI
    modes: ClassVar[frozenset[str]] = frozenset({"lossless", "near-lossless"})
    embedded: ClassVar[bool] = True

    def encode(self, frame: Frame, fidelity: Fidelity, limit: int | None = None) -> Coded:
        """Code the ROI exactly (or within ``fidelity.max_error``); never None."""
        d = fidelity.max_error
        sup = support(frame.mask, frame.levels, "5/3")
        payload, top = code_exact(exact_input(frame, d), frame.levels, sup)
        params: dict[str, ParamValue] = {"roi.top": top}
        if d:
            params["roi.max_error"] = d
        return Coded(self.name, self.section, payload, params, fidelity.mode, "5/3")

    def decode(
        self, frame: Frame, mode: str, wavelet: str, params: dict[str, ParamValue], payload: bytes
    ) -> np.ndarray:
        """Pixel values (int64) of the ROI."""
        top = _top(params, "roi.top")
        if wavelet != "5/3":
            raise CorruptStreamError(f"impossible ROI wavelet {wavelet!r} for mode {mode!r}")
        sup = support(frame.mask, frame.levels, "5/3")
        q = decode_exact(payload, frame.shape, frame.levels, top, sup)
        if mode == "lossless":
            return q + frame.dc
        d = param(params, "roi.max_error", int, 1, limits.MAX_ROI_ERROR)
        return q * (2 * d + 1) + frame.vmin


class EzwRate:
    """Rate ROI: 9/7 (or the wavelet asked for) and EZW cut at the byte budget (embedded)."""

    name: ClassVar[str] = "ezw"
    section: ClassVar[SectionType] = SectionType.ROI
    modes: ClassVar[frozenset[str]] = frozenset({"rate"})
    embedded: ClassVar[bool] = True

    def encode(self, frame: Frame, fidelity: Fidelity, limit: int | None = None) -> Coded:
        """Code the ROI within ``fidelity.budget`` payload bytes; never None."""
        wv = fidelity.wavelet or "9/7"
        sup = support(frame.mask, frame.levels, wv)
        x = frame.pixels.astype(np.float64) - frame.dc
        payload, top, step_exp = code_rate(x, frame.levels, wv, sup, fidelity.budget)
        params: dict[str, ParamValue] = {
            "roi.top": top,
            "roi.step_exp": step_exp,
            "roi.bpp": float(fidelity.bpp),
        }
        return Coded(self.name, self.section, payload, params, "rate", wv)

    def decode(
        self, frame: Frame, mode: str, wavelet: str, params: dict[str, ParamValue], payload: bytes
    ) -> np.ndarray:
        """Pixel values (float, rounded) of the ROI."""
        top = _top(params, "roi.top")
        if wavelet not in pyramid.WAVELETS:
            raise CorruptStreamError(f"impossible ROI wavelet {wavelet!r} for mode {mode!r}")
        step_exp = _step_exp(params, "roi.step_exp")
        sup = support(frame.mask, frame.levels, wavelet)
        x = decode_rate(payload, frame.shape, frame.levels, wavelet, top, step_exp, sup)
        return np.rint(x + frame.dc)
