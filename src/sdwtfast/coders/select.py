"""The competition rule: which ROI coder's stream goes into the container.

- Lossless / near-lossless: the exact EZW coder and the predictive coder both code the ROI and
  the shorter stream is kept (EZW on a tie). Both C coders release the GIL, so with a second CPU
  prediction runs in another thread beside EZW; on one CPU it runs after EZW, capped at the EZW
  stream's size so that it stops as soon as it cannot win. Either way a predictive stream longer
  than the raw samples is dropped, so the choice, and the file, are the same.
- Rate: the EZW stream at the budget; then prediction at the smallest error bound that fits the
  same budget competes on the ROI's MSE (it wins by a wide margin on flat, synthetic or
  sparse-histogram content), and the container then says what it holds (``lossless`` /
  ``near-lossless`` with ``roi.max_error``).
- An explicit ``wavelet`` asks for the embedded EZW stream: nothing competes.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .base import Coded, Fidelity, Frame
from .ezw import EzwExact, EzwRate
from .pred import Predictive

__all__ = ["code_roi"]

_EXACT, _RATE, _PRED = EzwExact(), EzwRate(), Predictive()


def code_roi(frame: Frame, fidelity: Fidelity) -> Coded:
    """The ROI stream the container keeps for ``frame`` at ``fidelity``."""
    if fidelity.mode == "rate":
        return _rate(frame, fidelity)
    if fidelity.wavelet is not None:
        return _EXACT.encode(frame, fidelity)
    ezw, pred = _exact_pair(frame, fidelity)
    return pred if pred is not None and len(pred.payload) < len(ezw.payload) else ezw


def _exact_pair(frame: Frame, fidelity: Fidelity) -> tuple[Coded, Coded | None]:
    if (os.cpu_count() or 1) < 2:
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
