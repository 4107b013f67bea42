"""The coders of the container, behind one small interface (:mod:`.base`), in one registry.

========================  ==========  ===========================================  ========
coder                     section     fidelity                                     embedded
========================  ==========  ===========================================  ========
:class:`.ezw.EzwExact`    ROI         lossless, near-lossless (integer 5/3 + EZW)  yes
:class:`.ezw.EzwRate`     ROI         rate (9/7, 5/3 or Haar + quantizer + EZW)    yes
:class:`.pred.Predictive` PRED        lossless, near-lossless (prediction)         no
========================  ==========  ===========================================  ========

A lossless whole image with a sparse histogram may be coded as the ranks of its values, with
their table in a ``VALUE_MAP`` section (:mod:`.valuemap`; the rule is :mod:`.select`'s).

Background coders, by the name ``background=`` takes: ``wavelet`` (default), ``lossless``,
``learned`` (:mod:`.backgrounds`). Which ROI stream is kept is :mod:`.select`'s rule.

A new coder is one module with a class that satisfies :class:`~.base.RoiCoder` or
:class:`~.base.BackgroundCoder`, plus one line here (and, for a ROI coder that competes, one
line in :mod:`.select`).
"""

from __future__ import annotations

import numpy as np

from ..container import SectionType
from ..errors import CorruptStreamError, InvalidInputError
from . import valuemap
from .backgrounds import LearnedBackground, LosslessBackground, WaveletBackground
from .base import BackgroundCoder, Coded, Fidelity, Frame, RoiCoder
from .ezw import EzwExact, EzwRate
from .pred import Predictive
from .select import code_roi, code_roi_sections

__all__ = [
    "ROI_CODERS",
    "BACKGROUND_CODERS",
    "BACKGROUNDS",
    "roi_decoder",
    "background_coder",
    "code_roi",
    "code_roi_sections",
    "decode_roi",
    "Frame",
    "Fidelity",
    "Coded",
    "RoiCoder",
    "BackgroundCoder",
]

ROI_CODERS: tuple[RoiCoder, ...] = (EzwExact(), EzwRate(), Predictive())
BACKGROUND_CODERS: dict[str, BackgroundCoder] = {
    c.name: c for c in (WaveletBackground(), LearnedBackground(), LosslessBackground())
}
BACKGROUNDS = ("learned", "wavelet", "lossless")
"""The names ``background=`` takes."""


def roi_decoder(section: SectionType, mode: str) -> RoiCoder:
    """The ROI coder that reads ``section`` in ``mode``, or CorruptStreamError."""
    for c in ROI_CODERS:
        if c.section == section and mode in c.modes:
            return c
    raise CorruptStreamError(f"no ROI coder reads a {section.name} section in mode {mode!r}")


def decode_roi(
    section: SectionType,
    mode: str,
    frame: Frame,
    wavelet: str,
    params: dict,
    sections: dict[SectionType, bytes],
) -> np.ndarray:
    """The ROI's values of a container: its ``section``'s stream (ROI or PRED) decoded by
    :func:`roi_decoder`'s coder, through the ``VALUE_MAP`` table when there is one."""
    coder = roi_decoder(section, mode)
    table = sections.get(SectionType.VALUE_MAP)
    if table is None:
        return coder.decode(frame, mode, wavelet, params, sections[section])
    if mode != "lossless" or frame.mask is not None:
        raise CorruptStreamError("a VALUE_MAP belongs to a lossless whole image only")
    values = valuemap.read_table(table, frame.vmin, frame.vmax)
    rank = valuemap.rank_frame(frame, int(values.size))
    ranks = coder.decode(rank, mode, wavelet, params, sections[section])
    return valuemap.expand(ranks, values, frame.vmin)


def background_coder(name: object, *, decoding: bool = False) -> BackgroundCoder:
    """The background coder called ``name`` (InvalidInputError, or CorruptStreamError when
    the name comes from a stream)."""
    coder = BACKGROUND_CODERS.get(name) if isinstance(name, str) else None
    if coder is None:
        if decoding:
            raise CorruptStreamError(f"unknown background coder {name!r}")
        raise InvalidInputError(f"background must be one of {BACKGROUNDS}, got {name!r}")
    return coder
