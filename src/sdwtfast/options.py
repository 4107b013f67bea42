"""The options of :func:`sdwtfast.encode`, validated once, before any work is done."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from . import coders, limits, pyramid
from .coders.base import Fidelity
from .errors import InvalidInputError

__all__ = ["EncodeOptions"]


def _positive_number(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.number))
        and math.isfinite(float(value))
        and float(value) > 0
    )


@dataclass(frozen=True)
class EncodeOptions:
    """Validated encode options (see :func:`sdwtfast.encode` for their meaning).

    ``background_quality`` holds the background coder's own value (its default filled in).
    """

    roi_max_error: int = 0
    roi_bpp: float | None = None
    background: str = "wavelet"
    background_quality: object = None
    wavelet: str | None = None
    preprocess: tuple[str, ...] = ()

    @classmethod
    def check(
        cls,
        *,
        roi_max_error: object = 0,
        roi_bpp: object = None,
        background: object = "wavelet",
        background_quality: object = None,
        wavelet: object = None,
        preprocess: object = (),
    ) -> EncodeOptions:
        """Validate the arguments of :func:`sdwtfast.encode`.

        Raises
        ------
        InvalidInputError
            Naming the argument and what it takes.
        """
        if isinstance(roi_max_error, bool) or not isinstance(roi_max_error, (int, np.integer)):
            raise InvalidInputError(
                f"roi_max_error must be a non-negative int, got {roi_max_error!r}"
            )
        if not 0 <= int(roi_max_error) <= limits.MAX_ROI_ERROR:
            raise InvalidInputError(f"roi_max_error must be in 0..{limits.MAX_ROI_ERROR}")
        if roi_bpp is not None:
            if int(roi_max_error) != 0:
                raise InvalidInputError("give either roi_max_error or roi_bpp, not both")
            if not _positive_number(roi_bpp) or float(roi_bpp) > 64:
                raise InvalidInputError(f"roi_bpp must be a number in (0, 64], got {roi_bpp!r}")
        bg = coders.background_coder(background)
        if wavelet is not None and wavelet not in pyramid.WAVELETS:
            raise InvalidInputError(
                f"wavelet must be one of {sorted(pyramid.WAVELETS)}, got {wavelet!r}"
            )
        if roi_bpp is None and wavelet not in (None, "5/3"):
            raise InvalidInputError(
                f"lossless and near-lossless ROI coding use the integer 5/3 wavelet, not "
                f"{wavelet!r}"
            )
        quality = bg.check_quality(background_quality)
        if isinstance(preprocess, (str, bytes)) or not isinstance(preprocess, Iterable):
            raise InvalidInputError("preprocess must be a sequence of step names, e.g. ('wiener',)")
        return cls(
            int(roi_max_error),
            None if roi_bpp is None else float(roi_bpp),
            str(background),
            quality,
            wavelet,
            tuple(preprocess),
        )

    def fidelity(self, roi_pixels: int) -> Fidelity:
        """The ROI's fidelity for a ROI of ``roi_pixels`` pixels."""
        if self.roi_bpp is None:
            return Fidelity(max_error=self.roi_max_error, wavelet=self.wavelet)
        budget = int(self.roi_bpp * roi_pixels / 8)
        return Fidelity(budget=budget, bpp=self.roi_bpp, wavelet=self.wavelet)
