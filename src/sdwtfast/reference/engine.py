"""The pure-Python engine: the same functions, with the same semantics, as ``sdwtfast._native``.

:data:`ENGINE` is what the pipeline of :mod:`sdwtfast.ezw` calls (``engine.lift53_forward``,
``engine.ezw_encode``, ...); passing it instead of the C membrane runs the whole codec in
Python and must produce the same bytes. Errors are raised as the membrane raises them: an
argument out of range as :class:`~sdwtfast.errors.InvalidInputError`, a size over the core's
limits as :class:`~sdwtfast.errors.LimitExceededError`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np

from . import ezw as _ezw
from . import lift53 as _lift53
from . import pred as _pred
from . import quant as _quant

__all__ = [
    "ENGINE",
    "lift53_forward",
    "lift53_inverse",
    "quantize",
    "dequantize",
    "ezw_top_plane",
    "ezw_raw_bound",
    "ezw_encode",
    "ezw_decode",
    "max_levels",
    "pred_encode",
    "pred_decode",
    "PRED_MAX_VALUE",
]

PRED_MAX_VALUE = _pred.PRED_MAX_VALUE
"""Largest ``maxval`` of the predictive coder (``SDW_PRED_MAX_VALUE``)."""


def lift53_forward(image2d: np.ndarray, levels: int) -> np.ndarray:
    """Integer 5/3 forward transform; returns a new int32 array (see :mod:`.lift53`)."""
    return _lift53.forward(image2d, levels)


def lift53_inverse(coef2d: np.ndarray, levels: int) -> np.ndarray:
    """Inverse integer 5/3 transform; returns a new int32 array (see :mod:`.lift53`)."""
    return _lift53.inverse(coef2d, levels)


def quantize(x: np.ndarray, step: float) -> np.ndarray:
    """Deadzone quantizer ``sign(x) * floor(|x| / step)`` as int32 (see :mod:`.quant`)."""
    return _quant.quantize(x, step)


def dequantize(
    q: np.ndarray,
    lp: np.ndarray | None,
    step: float,
    r_known: float = 0.5,
    r_part: float = 0.5,
) -> np.ndarray:
    """Embedded-aware dequantizer; float64 of ``q``'s shape (see :mod:`.quant`)."""
    return _quant.dequantize(q, lp, step, r_known, r_part)


def ezw_top_plane(coef: np.ndarray, mask: np.ndarray | None = None) -> int:
    """Highest bit plane with a set magnitude bit in the set, -1 if all are zero."""
    return _ezw.top_plane(coef, mask)


def ezw_raw_bound(n: int, planes: int) -> int:
    """Upper bound (bytes) of the raw back-end's output (the C core's ``sdw_ezw_raw_bound``)."""
    from ..errors import NativeError

    if not 0 <= planes <= 31:
        raise NativeError("ezw_raw_bound: invalid argument", 1)
    return n * 3 * planes // 8 + 16


def ezw_encode(
    coef2d: np.ndarray,
    levels: int,
    mask: np.ndarray | None = None,
    backend: int = _ezw.ARITH,
    top: int | None = None,
    min_plane: int = 0,
    max_bytes: int = 0,
    cap: int | None = None,
) -> tuple[bytes, int, int] | None:
    """EZW-encode a 2-D pyramid; returns ``(payload, top, planes_done)``, or None when the
    stream would not fit ``cap`` bytes (default: :func:`ezw_raw_bound` + 64; see :mod:`.ezw`)."""
    out = _ezw.encode(coef2d, levels, mask, backend, top, min_plane, max_bytes)
    if cap is None:
        cap = ezw_raw_bound(np.size(coef2d), max(0, out[1] - min_plane + 1)) + 64
    return None if len(out[0]) > cap else out


def ezw_decode(
    data: bytes,
    h: int,
    w: int,
    levels: int,
    mask: np.ndarray | None = None,
    backend: int = _ezw.ARITH,
    top: int = 0,
    min_plane: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode an EZW payload; returns ``(coef int32 (h, w), lp uint8 (h, w))``."""
    return _ezw.decode(data, h, w, levels, mask, backend, top, min_plane)


def max_levels(h: int, w: int) -> int:
    """Largest accepted number of decomposition levels for an ``h x w`` image."""
    return _lift53.max_levels(h, w)


def pred_encode(
    image: np.ndarray,
    maxval: int,
    cap: int | None = None,
    mask: np.ndarray | None = None,
) -> bytes | None:
    """Predictive lossless coding; the stream, or None beyond ``cap`` bytes (see :mod:`.pred`)."""
    return _pred.pred_encode(image, maxval, cap, mask)


def pred_decode(
    data: bytes | bytearray | memoryview,
    h: int,
    w: int,
    maxval: int,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse of :func:`pred_encode`: an int32 ``(h, w)`` array (see :mod:`.pred`)."""
    return _pred.pred_decode(data, h, w, maxval, mask)


class _Engine:
    """A read-only namespace holding exactly the engine functions."""

    __slots__ = ("_fns",)

    def __init__(self, fns: dict[str, Any]) -> None:
        object.__setattr__(self, "_fns", MappingProxyType(dict(fns)))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fns[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ENGINE is read-only")

    def __dir__(self) -> list[str]:
        return sorted(self._fns)

    def __repr__(self) -> str:
        return "<sdwtfast.reference ENGINE (pure Python)>"


ENGINE = _Engine(
    {
        "lift53_forward": lift53_forward,
        "lift53_inverse": lift53_inverse,
        "quantize": quantize,
        "dequantize": dequantize,
        "ezw_top_plane": ezw_top_plane,
        "ezw_raw_bound": ezw_raw_bound,
        "ezw_encode": ezw_encode,
        "ezw_decode": ezw_decode,
        "max_levels": max_levels,
        "pred_encode": pred_encode,
        "pred_decode": pred_decode,
        "PRED_MAX_VALUE": PRED_MAX_VALUE,
    }
)
"""The pure-Python engine, a drop-in for ``sdwtfast._native`` in :mod:`sdwtfast.ezw`."""
