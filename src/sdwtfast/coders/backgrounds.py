"""Background coders: the pixels outside the ROI (section ``BACKGROUND``; parameter ``bg`` names
the coder, the others start with ``bg.``).

- ``wavelet`` (the default, measured best): 9/7 and EZW on the coefficients that reach
  background pixels, cut at ``bg.bpp`` bits per background pixel;
- ``lossless``: integer 5/3 and every EZW bit plane on the same set;
- ``learned``: the small autoencoder of :mod:`sdwtfast.background` (its model's id and weights'
  SHA-256 in the header).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .. import limits
from ..container import ParamValue, SectionType
from ..errors import InvalidInputError, UnsupportedFormatError
from . import ezw as _ezw
from .base import Coded, Frame, param

__all__ = ["WaveletBackground", "LosslessBackground", "LearnedBackground", "DEFAULT_BACKGROUND_BPP"]

DEFAULT_BACKGROUND_BPP = 0.15
"""Bits per background pixel of the wavelet background when none is asked for."""


def _top(params: dict[str, ParamValue]) -> int:
    return param(params, "bg.top", int, -1, _ezw.limits.MAX_PLANE)


class WaveletBackground:
    """9/7 EZW of the background's support set at a rate (``background_quality``: bpp)."""

    name: ClassVar[str] = "wavelet"

    def check_quality(self, quality: object) -> float:
        """Bits per background pixel (> 0; default :data:`DEFAULT_BACKGROUND_BPP`)."""
        if quality is None:
            return DEFAULT_BACKGROUND_BPP
        if (
            isinstance(quality, bool)
            or not isinstance(quality, (int, float, np.number))
            or not (math.isfinite(float(quality)) and float(quality) > 0)
        ):
            raise InvalidInputError(
                f"background_quality for 'wavelet' is a bpp > 0, got {quality!r}"
            )
        return float(quality)

    def encode(self, frame: Frame, quality: object) -> Coded:
        """Code the background at ``quality`` bits per background pixel."""
        bg = ~frame.mask
        sup = _ezw.support(bg, frame.levels, "9/7")
        budget = int(quality * int(bg.sum()) / 8)
        x = frame.pixels.astype(np.float64) - frame.dc
        payload, top, step = _ezw.code_rate(x, frame.levels, "9/7", sup, budget)
        params: dict[str, ParamValue] = {
            "bg": self.name,
            "bg.top": top,
            "bg.step_exp": step,
            "bg.bpp": quality,
        }
        return Coded(self.name, SectionType.BACKGROUND, payload, params)

    def decode(
        self,
        frame: Frame,
        params: dict[str, ParamValue],
        payload: bytes,
        model_sha256: bytes,
        model_id: str,
    ) -> np.ndarray:
        """Background values (float, rounded)."""
        top = _top(params)
        step = param(
            params, "bg.step_exp", int, -_ezw.limits.MAX_STEP_EXP, _ezw.limits.MAX_STEP_EXP
        )
        sup = _ezw.support(~frame.mask, frame.levels, "9/7")
        x = _ezw.decode_rate(payload, frame.shape, frame.levels, "9/7", top, step, sup)
        return np.rint(x + frame.dc)


class LosslessBackground:
    """The background exact too (5/3 EZW on its support set); takes no quality."""

    name: ClassVar[str] = "lossless"

    def check_quality(self, quality: object) -> None:
        """None only: a lossless background has no quality to choose."""
        if quality is not None:
            raise InvalidInputError("background='lossless' takes no background_quality")
        return None

    def encode(self, frame: Frame, quality: object) -> Coded:
        """Code the background exactly."""
        sup = _ezw.support(~frame.mask, frame.levels, "5/3")
        payload, top = _ezw.code_exact(_ezw.exact_input(frame, 0), frame.levels, sup)
        return Coded(self.name, SectionType.BACKGROUND, payload, {"bg": self.name, "bg.top": top})

    def decode(
        self,
        frame: Frame,
        params: dict[str, ParamValue],
        payload: bytes,
        model_sha256: bytes,
        model_id: str,
    ) -> np.ndarray:
        """Background values (int64)."""
        sup = _ezw.support(~frame.mask, frame.levels, "5/3")
        return _ezw.decode_exact(payload, frame.shape, frame.levels, _top(params), sup) + frame.dc


class LearnedBackground:
    """The learned codec (:mod:`sdwtfast.background`); ``background_quality``: its level."""

    name: ClassVar[str] = "learned"

    def check_quality(self, quality: object) -> int:
        """A level of :data:`sdwtfast.background.QUALITIES` (default: the middle one)."""
        from .. import background as _bg

        if quality is None:
            return _bg.QUALITIES[len(_bg.QUALITIES) // 2]
        if isinstance(quality, bool) or quality not in _bg.QUALITIES:
            raise InvalidInputError(
                f"background_quality must be one of {_bg.QUALITIES}, got {quality!r}"
            )
        return int(quality)

    def encode(self, frame: Frame, quality: object) -> Coded:
        """Code the whole frame with the learned codec (the decoder keeps its background)."""
        from .. import background as _bg

        payload = _bg.encode(frame.pixels, quality=quality)
        return Coded(
            self.name,
            SectionType.BACKGROUND,
            payload,
            {"bg": self.name, "bg.quality": int(quality)},
            model_id=_bg.model_id(),
            model_sha256=bytes.fromhex(_bg.weights_sha256()),
        )

    def decode(
        self,
        frame: Frame,
        params: dict[str, ParamValue],
        payload: bytes,
        model_sha256: bytes,
        model_id: str,
    ) -> np.ndarray:
        """Background values (float) from the weights that made the stream."""
        from .. import background as _bg

        if _bg.weights_for(model_sha256.hex()) is None:
            raise UnsupportedFormatError(
                f"background was coded with model {model_id!r} ({model_sha256.hex()[:12]}...), "
                "whose weights this installation does not have"
            )
        limit = max(1, min(limits.MAX_PIXELS, frame.shape[0] * frame.shape[1]))
        return _bg.decode(payload, shape=frame.shape, max_pixels=limit).astype(np.float64)
