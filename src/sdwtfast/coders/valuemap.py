"""Sparse-histogram compaction (issue 14): code the ranks of an image's distinct values and store
the value table (section ``VALUE_MAP``, container version 1.2).

An image that uses few of the values in its range (an ultrasound image of 67 values spread over
16 bits, a CT whose values come from a coarse rescale) costs the ROI coders bits for the gaps:
every residual is in value units. Coded as ranks ``0 .. n-1`` (rank ``i`` for the ``i``-th
smallest distinct value) the same image is a dense ``n``-level image. The table is
``u16`` little-endian ``value - vmin`` per distinct value (strictly increasing, the first 0, the
last ``vmax - vmin``); the header keeps the image's own ``vmin``, ``vmax`` and ``dc``, and the
ROI coder's stream is of the ranks, as if the image were ``Frame(vmin=0, vmax=n-1,
dc=(n-1)//2)`` (:func:`rank_frame`).

Lossless whole images only: a near-lossless bound on ranks is no bound on values, and a
background coder codes values. Which images are compacted is :mod:`.select`'s rule: by
:data:`SPARSE_RATIO` at some efforts, by trying both at effort 9.
"""

from __future__ import annotations

import numpy as np

from ..container import SectionType
from ..errors import CorruptStreamError
from .base import Coded, Fidelity, Frame

__all__ = [
    "SPARSE_RATIO",
    "applies",
    "distinct_values",
    "is_sparse",
    "rank_frame",
    "compact",
    "table_section",
    "read_table",
    "expand",
]

SPARSE_RATIO = 0.25
"""The cheap rule: compact when the distinct values are at most this fraction of the range."""


def applies(frame: Frame, fidelity: Fidelity) -> bool:
    """Whether compaction may apply: a lossless whole image of at least two values."""
    return fidelity.mode == "lossless" and frame.mask is None and frame.vmax > frame.vmin


def distinct_values(frame: Frame) -> np.ndarray:
    """The sorted distinct values of ``frame.pixels`` minus ``vmin`` (int64; a histogram over
    the range, so O(pixels + range), no sort)."""
    x = frame.pixels.astype(np.int64).ravel() - frame.vmin
    return np.flatnonzero(np.bincount(x, minlength=frame.vmax - frame.vmin + 1))


def is_sparse(values: np.ndarray, frame: Frame) -> bool:
    """The cheap rule: at most :data:`SPARSE_RATIO` of the range's values occur."""
    return values.size <= SPARSE_RATIO * (frame.vmax - frame.vmin + 1)


def rank_frame(frame: Frame, count: int, pixels: np.ndarray | None = None) -> Frame:
    """The frame the ROI coders see for ``count`` distinct values (ranks ``0 .. count-1``)."""
    return Frame(frame.shape, frame.levels, 0, count - 1, (count - 1) // 2, frame.mask, pixels)


def compact(frame: Frame, values: np.ndarray) -> Frame:
    """The rank image of ``frame`` (uint16) for its ``values`` (:func:`distinct_values`)."""
    lut = np.zeros(frame.vmax - frame.vmin + 1, np.uint16)
    lut[values] = np.arange(values.size, dtype=np.uint16)
    ranks = lut[frame.pixels.astype(np.int64) - frame.vmin]
    return rank_frame(frame, int(values.size), ranks)


def table_section(values: np.ndarray) -> Coded:
    """The ``VALUE_MAP`` section of ``values``."""
    return Coded("value-map", SectionType.VALUE_MAP, values.astype("<u2").tobytes())


def read_table(payload: bytes, vmin: int, vmax: int) -> np.ndarray:
    """The values (int64, ``value - vmin``) of a ``VALUE_MAP`` section, checked."""
    if len(payload) % 2 or not 4 <= len(payload) <= 2 * 65536:
        raise CorruptStreamError("VALUE_MAP section has an impossible length")
    v = np.frombuffer(payload, "<u2").astype(np.int64)
    if v[0] != 0 or v[-1] != vmax - vmin or np.any(np.diff(v) <= 0):
        raise CorruptStreamError("VALUE_MAP is not an increasing table of the value range")
    return v


def expand(ranks: np.ndarray, values: np.ndarray, vmin: int) -> np.ndarray:
    """The image (int64) of decoded ``ranks``; CorruptStreamError for a rank off the table."""
    if ranks.size and (int(ranks.min()) < 0 or int(ranks.max()) >= values.size):
        raise CorruptStreamError("decoded rank outside the VALUE_MAP table")
    return values[ranks.astype(np.int64)] + vmin
