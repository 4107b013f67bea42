"""The competition rule: which ROI coder's stream goes into the container, at each effort.

- Lossless / near-lossless, effort 5..9 (the default, :data:`DEFAULT_EFFORT`, is 7): the exact
  EZW coder and the predictive coder both code the ROI and the shorter stream is kept (EZW on
  a tie). Both C coders release the GIL, so with a second thread allowed (``encode(workers=)``,
  default: the CPUs) prediction runs in another thread beside EZW; with one (``workers=1``) it
  runs after EZW, capped at the EZW stream's size so that it stops as soon as it cannot win.
  Either way a predictive stream longer than the raw samples is dropped, so the choice, and the
  file, are the same.
- Lossless / near-lossless, effort 1..4: the coder is decided *before* coding the image, by
  coding a sample of it with both (horizontal strips of :data:`STRIP` rows, evenly spaced,
  about ``2 ** (effort - 6)`` of the rows: 1/32 at effort 1, 1/4 at effort 4); then only the
  winner codes the image (EZW when prediction cannot code it). About 0.6x the CPU of the
  competition (``bench/RESULTS.md``, "Lossless frontier"); the file is the competition's
  whenever the sample picks the same coder.
- Sparse histograms (lossless whole images, :mod:`.valuemap`): effort 5..7 never compact;
  efforts 1..4 and 8 code the ranks of the distinct values (and store their table) when at
  most :data:`~.valuemap.SPARSE_RATIO` of the range's values occur; effort 9 codes the image
  both ways when any value of the range is unused and keeps the smaller (table included).
- Rate: the EZW stream at the budget; then prediction at the smallest error bound that fits the
  same budget competes on the ROI's MSE (it wins by a wide margin on flat, synthetic or
  sparse-histogram content), and the container then says what it holds (``lossless`` /
  ``near-lossless`` with ``roi.max_error``). Every effort.
- An explicit ``wavelet`` asks for the embedded EZW stream: nothing competes.
"""

from __future__ import annotations

import threading

import numpy as np

from .. import _native
from . import valuemap
from .base import Coded, Fidelity, Frame
from .ezw import EzwExact, EzwRate
from .pred import Predictive

__all__ = [
    "code_roi",
    "code_roi_sections",
    "EFFORTS",
    "DEFAULT_EFFORT",
    "COMPETE_EFFORT",
    "PLAIN_EFFORTS",
    "STRIP",
]

EFFORTS = range(1, 10)
"""The efforts ``encode(effort=)`` takes: 1 (fastest) .. 9 (smallest)."""
DEFAULT_EFFORT = 7
"""The default effort: the competition of the two ROI coders, as before efforts existed (the
same streams, byte for byte)."""
COMPETE_EFFORT = 5
"""From this effort on both ROI coders code the whole ROI; below it a sample decides."""
PLAIN_EFFORTS = range(5, 8)
"""Efforts that never compact a sparse histogram (the default's streams of before)."""
STRIP = 32
"""Rows of each strip of the sample that decides the coder at low effort."""
_MIN_SAMPLE_ROI = 1024
"""A sample with fewer ROI pixels decides nothing: the coders then compete."""

_EXACT, _RATE, _PRED = EzwExact(), EzwRate(), Predictive()


def code_roi(
    frame: Frame, fidelity: Fidelity, *, effort: int = DEFAULT_EFFORT, threads: int = 1
) -> Coded:
    """The ROI stream the container keeps for ``frame`` at ``fidelity`` and ``effort``,
    coding with at most ``threads`` threads (1 or more)."""
    if fidelity.mode == "rate":
        return _rate(frame, fidelity)
    if fidelity.wavelet is not None:
        return _EXACT.encode(frame, fidelity)
    if effort < COMPETE_EFFORT:
        choice = _estimate(frame, fidelity, 2.0 ** (effort - COMPETE_EFFORT - 1))
        if choice == "ezw":
            return _EXACT.encode(frame, fidelity)
        if choice == "pred":
            pred = _PRED.encode(frame, fidelity)
            return pred if pred is not None else _EXACT.encode(frame, fidelity)
    ezw, pred = _exact_pair(frame, fidelity, threads)
    return pred if pred is not None and len(pred.payload) < len(ezw.payload) else ezw


def code_roi_sections(
    frame: Frame, fidelity: Fidelity, *, effort: int = DEFAULT_EFFORT, threads: int = 1
) -> list[Coded]:
    """The ROI stream (:func:`code_roi`) and, when the ranks of the image's distinct values
    are coded instead of the values, the ``VALUE_MAP`` section that maps them back."""
    if effort in PLAIN_EFFORTS or not valuemap.applies(frame, fidelity):
        return [code_roi(frame, fidelity, effort=effort, threads=threads)]
    values = valuemap.distinct_values(frame)
    if effort < max(EFFORTS):
        if not valuemap.is_sparse(values, frame):
            return [code_roi(frame, fidelity, effort=effort, threads=threads)]
        return _compacted(frame, values, fidelity, effort, threads)
    plain = code_roi(frame, fidelity, effort=effort, threads=threads)
    if values.size == frame.vmax - frame.vmin + 1:
        return [plain]  # every value occurs: nothing to compact
    comp = _compacted(frame, values, fidelity, effort, threads)
    record = 12  # a section's type, flags, length and CRC
    return comp if sum(len(c.payload) + record for c in comp) < len(plain.payload) else [plain]


def _compacted(
    frame: Frame, values: np.ndarray, fidelity: Fidelity, effort: int, threads: int
) -> list[Coded]:
    ranks = valuemap.compact(frame, values)
    roi = code_roi(ranks, fidelity, effort=effort, threads=threads)
    return [roi, valuemap.table_section(values)]


def sample_rows(height: int, fraction: float) -> np.ndarray:
    """The rows of the low-effort sample: strips of :data:`STRIP` rows, evenly spaced, about
    ``fraction`` of ``height`` (at least one strip; all rows when that is most of them)."""
    n = max(1, round(fraction * height / STRIP))
    if n * STRIP >= 0.75 * height:
        return np.arange(height)
    starts = np.linspace(0, height - STRIP, n).round().astype(np.int64)
    return (starts[:, None] + np.arange(STRIP)[None, :]).ravel()


def _estimate(frame: Frame, fidelity: Fidelity, fraction: float) -> str | None:
    """``"ezw"`` or ``"pred"``: the coder whose stream of the sample is shorter; None when
    the sample is the whole image or holds too little of the ROI to tell."""
    rows = sample_rows(frame.shape[0], fraction)
    if rows.size == frame.shape[0]:
        return None
    mask = None if frame.mask is None else np.ascontiguousarray(frame.mask[rows])
    if mask is not None and int(mask.sum()) < _MIN_SAMPLE_ROI:
        return None
    shape = (int(rows.size), frame.shape[1])
    levels = min(frame.levels, _native.max_levels(*shape))
    pixels = np.ascontiguousarray(frame.pixels[rows])
    sample = Frame(shape, levels, frame.vmin, frame.vmax, frame.dc, mask, pixels)
    ezw = _EXACT.encode(sample, fidelity)
    pred = _PRED.encode(sample, fidelity, limit=len(ezw.payload) - 1)
    return "pred" if pred is not None else "ezw"


def _exact_pair(frame: Frame, fidelity: Fidelity, threads: int) -> tuple[Coded, Coded | None]:
    if threads < 2:
        ezw = _EXACT.encode(frame, fidelity)
        return ezw, _PRED.encode(frame, fidelity, limit=len(ezw.payload) - 1)
    out: list = [None, None]

    def run_pred() -> None:
        try:
            out[0] = _PRED.encode(frame, fidelity)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            out[1] = exc

    t = threading.Thread(target=run_pred, name="sdwtfast-pred", daemon=True)
    t.start()
    try:
        ezw = _EXACT.encode(frame, fidelity)
    finally:
        t.join()
    if out[1] is not None:
        raise out[1]
    return ezw, out[0]


def _rate(frame: Frame, fidelity: Fidelity) -> Coded:
    ezw = _RATE.encode(frame, fidelity)
    if fidelity.wavelet is not None:
        return ezw
    rec = _RATE.decode(frame, "rate", ezw.wavelet, ezw.params, ezw.payload)
    rec = np.clip(rec, frame.vmin, frame.vmax)
    sel = slice(None) if frame.mask is None else frame.mask
    mse = float(np.mean((rec[sel] - frame.pixels[sel].astype(np.float64)) ** 2))
    alt = _PRED.encode_at_rate(frame, fidelity.budget, mse, len(ezw.payload))
    return ezw if alt is None else alt
