"""What every coder of the container is: a small interface, the data it codes, what it returns.

A *ROI coder* codes the region of interest (the whole image when there is no ROI) losslessly,
within a maximum error, or at a rate; a *background coder* codes the pixels outside the ROI.
Each is one module that declares its name, the container section it writes, the parameters it
owns (their names start with ``roi.`` or ``bg.``) and what it can do, and is listed once in
:mod:`sdwtfast.coders` (the registry). The pipeline (:mod:`sdwtfast.api`) asks the registry; it
holds no coder-specific code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

from ..container import ParamValue, SectionType
from ..errors import CorruptStreamError

__all__ = ["Frame", "Fidelity", "Coded", "RoiCoder", "BackgroundCoder", "param"]


@dataclass(frozen=True)
class Frame:
    """One 2-D image being coded or decoded, with the facts every coder shares.

    Attributes
    ----------
    shape : (int, int)
        Height and width.
    levels : int
        Wavelet decomposition levels.
    vmin, vmax, dc : int
        Smallest and largest value, and the DC offset ``(vmin + vmax) // 2`` that wavelet
        coders subtract.
    mask : numpy.ndarray or None
        The ROI as a pixel mask (block aligned); None when the ROI is the whole image.
    pixels : numpy.ndarray or None
        The image (encoding only): ``uint8``, ``uint16`` or ``int16``.
    """

    shape: tuple[int, int]
    levels: int
    vmin: int
    vmax: int
    dc: int
    mask: np.ndarray | None = None
    pixels: np.ndarray | None = None

    @property
    def roi_pixels(self) -> int:
        """Number of ROI pixels."""
        return self.shape[0] * self.shape[1] if self.mask is None else int(self.mask.sum())


@dataclass(frozen=True)
class Fidelity:
    """What the ROI must reach: lossless, a maximum error, or a byte budget (rate).

    Attributes
    ----------
    max_error : int
        Guaranteed maximum ``|x - x_hat|`` on ROI pixels (0: lossless).
    budget : int or None
        Rate mode: the ROI stream's byte budget.
    bpp : float or None
        Rate mode: the bits per ROI pixel asked for (recorded in the stream's parameters).
    wavelet : str or None
        An explicit wavelet: the embedded wavelet/EZW stream only, no competition.
    """

    max_error: int = 0
    budget: int | None = None
    bpp: float | None = None
    wavelet: str | None = None

    @property
    def mode(self) -> str:
        """``"rate"``, ``"lossless"`` or ``"near-lossless"``."""
        if self.budget is not None:
            return "rate"
        return "lossless" if self.max_error == 0 else "near-lossless"


@dataclass
class Coded:
    """A coder's output: its section, payload and parameters, and what the header says.

    Attributes
    ----------
    coder : str
        The coder's name (``EncodeReport.roi_coder`` / ``background``).
    section : SectionType
        The container section the payload goes into.
    payload : bytes
    params : dict
        The parameters the coder owns, for the header.
    mode : str
        ROI coders: the mode the header records (``"lossless"``, ``"near-lossless"``,
        ``"rate"``).
    wavelet : str
        ROI coders: the header's wavelet field (``"none"`` for prediction).
    model_id, model_sha256 : str, bytes
        Learned coders: the model's name and the SHA-256 of its weights, for the header.
    """

    coder: str
    section: SectionType
    payload: bytes
    params: dict[str, ParamValue] = field(default_factory=dict)
    mode: str = ""
    wavelet: str = "none"
    model_id: str = ""
    model_sha256: bytes = b""


class RoiCoder(Protocol):
    """A coder of the region of interest."""

    name: ClassVar[str]
    section: ClassVar[SectionType]
    modes: ClassVar[frozenset[str]]
    embedded: ClassVar[bool]

    def encode(self, frame: Frame, fidelity: Fidelity, limit: int | None = None) -> Coded | None:
        """Code ``frame``'s ROI at ``fidelity``; None when this coder cannot, or when its
        payload would be longer than ``limit`` bytes."""
        ...

    def decode(
        self, frame: Frame, mode: str, wavelet: str, params: dict[str, ParamValue], payload: bytes
    ) -> np.ndarray:
        """The ROI's values (int64 or float; outside the ROI: anything) of the whole frame."""
        ...


class BackgroundCoder(Protocol):
    """A coder of the pixels outside the ROI."""

    name: ClassVar[str]

    def check_quality(self, quality: object) -> object:
        """``quality`` as this coder takes it (its default for None), or InvalidInputError."""
        ...

    def encode(self, frame: Frame, quality: object) -> Coded:
        """Code the background of ``frame`` (``frame.mask`` is not None)."""
        ...

    def decode(
        self,
        frame: Frame,
        params: dict[str, ParamValue],
        payload: bytes,
        model_sha256: bytes,
        model_id: str,
    ) -> np.ndarray:
        """The background's values (int64 or float) of the whole frame."""
        ...


def param(
    params: dict[str, ParamValue],
    name: str,
    kind: type,
    lo: int | float | None = None,
    hi: int | float | None = None,
) -> ParamValue:
    """A container parameter of the expected type (and range), or CorruptStreamError."""
    v = params.get(name)
    if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):
        raise CorruptStreamError(f"container parameter {name!r} missing or of the wrong type")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise CorruptStreamError(f"container parameter {name!r} = {v!r} is impossible")
    return v
