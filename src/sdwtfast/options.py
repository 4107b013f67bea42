"""The options of :func:`sdwtfast.encode`, validated once, before any work is done."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from . import coders, limits, pyramid
from .coders.base import Fidelity
from .coders.select import DEFAULT_EFFORT, EFFORTS
from .errors import InvalidInputError

__all__ = ["EncodeOptions", "EFFORTS", "DEFAULT_EFFORT"]


def _positive_number(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.number))
        and math.isfinite(float(value))
        and float(value) > 0
    )


def _check_effort(effort: object) -> int:
    """``effort`` as an int of :data:`EFFORTS` (None: :data:`DEFAULT_EFFORT`)."""
    if effort is None:
        return DEFAULT_EFFORT
    if isinstance(effort, (bool, np.bool_)) or not isinstance(effort, (int, np.integer)):
        raise InvalidInputError(f"effort must be an int from 1 to 9, got {effort!r}")
    if int(effort) not in EFFORTS:
        raise InvalidInputError(f"effort must be from 1 (fastest) to 9 (smallest), got {effort}")
    return int(effort)


def _check_workers(workers: object) -> int | None:
    """``workers`` as a positive int, or None (the CPUs)."""
    if workers is None:
        return None
    if isinstance(workers, (bool, np.bool_)) or not isinstance(workers, (int, np.integer)):
        raise InvalidInputError(f"workers must be a positive int or None, got {workers!r}")
    if int(workers) < 1:
        raise InvalidInputError(f"workers must be at least 1, got {workers}")
    return int(workers)


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
    effort: int = DEFAULT_EFFORT
    workers: int | None = None

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
        effort: object = None,
        workers: object = None,
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
            _check_effort(effort),
            _check_workers(workers),
        )

    @property
    def threads(self) -> int:
        """Threads one plane's coders may use: ``workers`` (default: the CPUs)."""
        return self.workers if self.workers is not None else (os.cpu_count() or 1)

    def fidelity(self, roi_pixels: int) -> Fidelity:
        """The ROI's fidelity for a ROI of ``roi_pixels`` pixels."""
        if self.roi_bpp is None:
            return Fidelity(max_error=self.roi_max_error, wavelet=self.wavelet)
        budget = int(self.roi_bpp * roi_pixels / 8)
        return Fidelity(budget=budget, bpp=self.roi_bpp, wavelet=self.wavelet)
