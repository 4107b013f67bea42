"""LL-band SVD mode: the source design's "DWT + SVD" coder, for comparison runs.

The image is transformed by the CDF 9/7 (or Haar) wavelet with ``levels`` levels (the source
design uses 2). The coarsest band (LL) is replaced by its rank-``k`` truncated SVD
``U_k diag(s_k) V_k^T``; the detail bands are coded by the package's EZW path exactly as the
rate mode of :mod:`sdwtfast.codec` codes them (synthesis-weighted coefficients, deadzone
quantizer, embedded EZW with the arithmetic back-end, payload cut at a byte budget), with a
coefficient mask that leaves the LL band out. The whole stream (header, factors, EZW payload)
is at most ``bpp * pixels / 8`` bytes.

>>> import numpy as np
>>> from sdwtfast import llsvd
>>> img = ((np.arange(96 * 80).reshape(96, 80) * 37) % 4096).astype(np.uint16)
>>> data = llsvd.encode(img, bpp=2.0)
>>> len(data) <= 2.0 * img.size / 8
True
>>> out = llsvd.decode(data)
>>> out.shape, out.dtype
((96, 80), dtype('uint16'))

Choosing ``k``
--------------
* ``rank=k``: exactly ``k`` (clipped to the full rank ``min(LL height, LL width)``);
* ``energy=e``: the smallest ``k`` whose singular values hold at least the fraction ``e`` of
  the LL band's energy ``sum(s**2)``;
* neither: a small rate-distortion search. For each of a few candidate ``k`` (1 up to what
  the budget can pay for, geometrically spaced) the factors are paid first and the detail
  bands get the rest of the budget; the ``k`` with the least synthesis-weighted squared error
  (truncated LL + quantized factors + cut EZW details) wins. One EZW encode serves every
  candidate, because the stream is embedded (a shorter budget is a prefix).

``rank`` or ``energy`` whose factors do not fit in the budget raise
:class:`~sdwtfast.errors.InvalidInputError`.

Factor quantization
-------------------
Each column ``u_j`` of ``U_k`` and ``v_j`` of ``V_k`` is stored as int16 scaled by its own
largest magnitude (``round(u_j * 32767 / max|u_j|)``), and one float32 gain per component,
``g_j = s_j * max|u_j| / 32767 * max|v_j| / 32767``, so ``LL_k = Uq diag(g) Vq^T``. That is
``4 + 2 * (LL height + LL width)`` bytes per component; the relative error of a factor entry
is at most ``1 / 65534`` of its column's peak, far below the EZW detail error at any useful
rate. (float16 factors, 11-bit mantissas, would add errors of several grey levels on 14-bit
images.)

Stream layout (little-endian)
-----------------------------
``_HEAD`` fields, then its CRC32C (u32), then the factors (``k`` float32 gains, ``U`` as
``LL height x k`` int16 row-major, ``V`` as ``LL width x k`` int16 row-major), then the EZW
payload. The header holds: magic ``SDWS``, version, dtype code, wavelet code, levels, flags,
height, width, ``dc``, ``vmin``, ``vmax``, ``k``, EZW top plane, quantizer step exponent,
factor bytes, payload bytes, and the CRC32C of factors + payload.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from . import _native, limits, pyramid, validate
from . import wavelet as _wv
from .errors import CorruptStreamError, InvalidInputError, UnsupportedFormatError

__all__ = ["encode", "decode", "choose_rank", "MAGIC", "VERSION", "WAVELETS"]

MAGIC = b"SDWS"
VERSION = 1
WAVELETS = {"9/7": 1, "haar": 2}
_WNAMES = {v: k for k, v in WAVELETS.items()}
_DTYPES = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 3: np.dtype(np.int16)}
_DCODES = {v: k for k, v in _DTYPES.items()}
_QMAX = 32767.0
_N_CANDIDATES = 10
# magic, version, dtype, wavelet, levels, flags, height, width, dc, vmin, vmax, k, top,
# step_exp, factor bytes, payload bytes, body crc
_HEAD = struct.Struct("<4sBBBBBIIiiiIbiIII")
_HSIZE = _HEAD.size + 4


def _crc(data: bytes | memoryview) -> int:
    return int(_native.crc32c(data))


def _ll_shape(h: int, w: int, levels: int) -> tuple[int, int]:
    _, _, rs, cs = _wv.bands(h, w, levels)[0]
    return rs.stop, cs.stop


def _factor_bytes(k: int, lh: int, lw: int) -> int:
    return k * (4 + 2 * (lh + lw))


def _quantize_factors(
    u: np.ndarray, s: np.ndarray, vt: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """int16 columns scaled by their peak and float32 gains (see the module docstring)."""
    v = vt.T
    su = np.abs(u).max(axis=0) if u.size else np.zeros(0)
    sv = np.abs(v).max(axis=0) if v.size else np.zeros(0)
    su = np.where(su > 0, su, 1.0)
    sv = np.where(sv > 0, sv, 1.0)
    uq = np.rint(u / su * _QMAX).astype(np.int16)
    vq = np.rint(v / sv * _QMAX).astype(np.int16)
    g = (s * (su / _QMAX) * (sv / _QMAX)).astype(np.float32)
    return g, uq, vq


def _ll_from_factors(g: np.ndarray, uq: np.ndarray, vq: np.ndarray) -> np.ndarray:
    if g.size == 0:
        return np.zeros((uq.shape[0], vq.shape[0]))
    return (uq.astype(np.float64) * g.astype(np.float64)) @ vq.astype(np.float64).T


def choose_rank(singular_values: np.ndarray, energy: float) -> int:
    """Smallest ``k`` whose top-``k`` singular values hold ``energy`` of ``sum(s**2)``.

    Parameters
    ----------
    singular_values : numpy.ndarray
        Singular values in non-increasing order.
    energy : float
        Target fraction in ``(0, 1]``.

    Returns
    -------
    int
        ``k`` in ``0 .. len(singular_values)`` (0 only for an all-zero band).

    Examples
    --------
    >>> choose_rank(np.array([3.0, 1.0, 0.0]), 0.9)
    1
    >>> choose_rank(np.array([3.0, 1.0, 0.0]), 1.0)
    2
    """
    s2 = np.asarray(singular_values, dtype=np.float64) ** 2
    total = float(s2.sum())
    if total == 0.0:
        return 0
    cum = np.cumsum(s2) / total
    k = int(np.searchsorted(cum, float(energy) - 1e-12, side="left")) + 1
    return min(k, int(np.count_nonzero(s2)))


def _check_number(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"{name} must be a number, got {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise InvalidInputError(f"{name} must be finite, got {v!r}")
    return f


def encode(
    image: np.ndarray,
    *,
    bpp: float,
    energy: float | None = None,
    rank: int | None = None,
    levels: int = 2,
    wavelet: str = "9/7",
) -> bytes:
    """Encode an image: wavelet, rank-``k`` SVD of the LL band, EZW on the detail bands.

    Parameters
    ----------
    image : numpy.ndarray
        2-D ``uint8``, ``uint16`` or ``int16`` image (``int32`` holding 16-bit values is
        accepted), any size from 1 x 1.
    bpp : float
        Rate: the whole stream is at most ``bpp * pixels / 8`` bytes.
    energy : float, optional
        Keep the fewest singular values holding this fraction (0 < energy <= 1) of the LL
        band's energy.
    rank : int, optional
        Keep exactly this many singular values (>= 0; clipped to the band's full rank).
        Not together with ``energy``. With neither, ``k`` is chosen by a small
        rate-distortion search (module docstring).
    levels : int
        Wavelet decomposition levels, 0..10 (default 2, as in the source design), clipped to
        what the image allows (``floor(log2(max(h, w)))``; the stream records the levels
        used); 0 makes the whole image the "LL band".
    wavelet : {"9/7", "haar"}
        The (floating-point) wavelet.

    Returns
    -------
    bytes
        A self-describing stream (magic ``SDWS``).

    Raises
    ------
    InvalidInputError
        Bad image or parameter; a budget too small for the header, or for the factors of the
        requested ``rank`` / ``energy``.
    LimitExceededError
        Image larger than :data:`sdwtfast.ezw.MAX_PIXELS`.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1))
    >>> out = decode(encode(img, bpp=1.0, rank=1))
    >>> int(np.abs(out.astype(int) - img).max()) <= 4
    True
    """
    a = validate.image(image)
    h, w = a.shape
    b, lv = _check_args(h, w, bpp, energy, rank, levels, wavelet)
    budget = int(b * h * w / 8)
    vmin, vmax = int(a.min()), int(a.max())
    dc = (vmin + vmax) // 2
    c = _wv.forward(a.astype(np.float64) - dc, lv, wavelet)
    lh, lw = _ll_shape(h, w, lv)
    ll = c[:lh, :lw].copy()
    u, s, vt = np.linalg.svd(ll, full_matrices=False)
    full = int(s.size)
    per = _factor_bytes(1, lh, lw)
    k_fit = min(full, (budget - _HSIZE) // per)

    # detail bands: weighted, LL excluded from the EZW mask
    wm = _wv.weight_map(h, w, lv, wavelet)
    cw = c * wm
    cw[:lh, :lw] = 0.0
    emask = np.ones((h, w), dtype=np.uint8)
    emask[:lh, :lw] = 0
    has_detail = bool(emask.any()) and float(np.abs(cw).max()) > 0
    q, step_exp = pyramid.quantize_weighted(_native, cw.copy(), emask)

    def ezw_at(nbytes: int) -> tuple[bytes, int]:
        if not has_detail or nbytes < 1:
            return b"", -1
        payload, top = pyramid.ezw_encode(_native, q, lv, emask, max_bytes=nbytes)
        return payload, int(top)

    if rank is not None:
        k = min(int(rank), full)
    elif energy is not None:
        k = choose_rank(s, float(energy))
    else:
        k = _search_rank(
            s,
            u,
            vt,
            ll,
            wm[0, 0] if lh and lw else 1.0,
            cw,
            q,
            emask,
            lv,
            step_exp,
            budget,
            per,
            k_fit,
            ezw_at,
            has_detail,
        )
    if k > k_fit:
        raise InvalidInputError(
            f"rank {k} needs {_factor_bytes(k, lh, lw)} bytes of factors; bpp={b} allows "
            f"{budget - _HSIZE} after the header (at most rank {k_fit})"
        )
    g, uq, vq = _quantize_factors(u[:, :k], s[:k], vt[:k])
    factors = g.astype("<f4").tobytes() + uq.astype("<i2").tobytes() + vq.astype("<i2").tobytes()
    payload, top = ezw_at(budget - _HSIZE - len(factors))
    out = _pack_stream(a, wavelet, lv, k, top, step_exp, factors, payload)
    assert len(out) <= budget
    return out


def _pack_stream(
    a: np.ndarray,
    wavelet: str,
    lv: int,
    k: int,
    top: int,
    step_exp: int,
    factors: bytes,
    payload: bytes,
) -> bytes:
    """Header (with its CRC) and body of an LL-SVD stream of image ``a``."""
    vmin, vmax = int(a.min()), int(a.max())
    body = factors + payload
    fields = (_DCODES[a.dtype], WAVELETS[wavelet], lv, 0, *a.shape, (vmin + vmax) // 2, vmin)
    head = _HEAD.pack(
        MAGIC, VERSION, *fields, vmax, k, top, step_exp, len(factors), len(payload), _crc(body)
    )
    return head + struct.pack("<I", _crc(head)) + body


def _check_args(
    h: int, w: int, bpp: Any, energy: Any, rank: Any, levels: Any, wavelet: Any
) -> tuple[float, int]:
    """Validated ``(bpp, levels)`` of :func:`encode` (InvalidInputError otherwise)."""
    b = _check_number("bpp", bpp)
    if b <= 0:
        raise InvalidInputError(f"bpp must be positive, got {bpp!r}")
    if wavelet not in WAVELETS:
        raise InvalidInputError(f"wavelet must be one of {sorted(WAVELETS)}, got {wavelet!r}")
    if energy is not None and rank is not None:
        raise InvalidInputError("give energy= or rank=, not both")
    if energy is not None:
        e = _check_number("energy", energy)
        if not 0.0 < e <= 1.0:
            raise InvalidInputError(f"energy must be in (0, 1], got {energy!r}")
    if rank is not None and (
        isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 0
    ):
        raise InvalidInputError(f"rank must be a non-negative int, got {rank!r}")
    if (
        isinstance(levels, bool)
        or not isinstance(levels, (int, np.integer))
        or not 0 <= levels <= 10
    ):
        raise InvalidInputError(f"levels must be an int in 0..10, got {levels!r}")
    lv = min(int(levels), validate.max_levels(h, w))
    budget = int(b * h * w / 8)
    if budget < _HSIZE:
        raise InvalidInputError(f"bpp={b} gives {budget} bytes, less than the {_HSIZE}-byte header")
    return b, lv


def _search_rank(
    s, u, vt, ll, w_ll, cw, q, emask, lv, step_exp, budget, per, k_fit, ezw_at, has_detail
) -> int:
    """The ``k`` (among a few candidates) of least synthesis-weighted squared error."""
    if k_fit <= 0:
        return 0
    cands = sorted({int(round(x)) for x in np.geomspace(1, k_fit, _N_CANDIDATES)} | {k_fit})
    longest, top = ezw_at(budget - _HSIZE - per * cands[0])
    sel = emask.astype(bool)
    best_k, best_err = 0, math.inf
    for k in cands:
        g, uq, vq = _quantize_factors(u[:, :k], s[:k], vt[:k])
        e_ll = float(np.sum((ll - _ll_from_factors(g, uq, vq)) ** 2)) * w_ll * w_ll
        nb = budget - _HSIZE - per * k
        if has_detail and nb >= 1 and longest:
            qd, lp = pyramid.ezw_decode(_native, longest[:nb], cw.shape, lv, emask, top)
            d = _native.dequantize(
                qd, lp, math.ldexp(1.0, step_exp), pyramid.R_KNOWN, pyramid.R_PART
            )
            e_d = float(np.sum((cw[sel] - d[sel]) ** 2))
        else:
            e_d = float(np.sum(cw[sel] ** 2))
        if e_ll + e_d < best_err:
            best_k, best_err = k, e_ll + e_d
    return best_k


def _read_header(mv: memoryview) -> tuple:
    if len(mv) < 4 or bytes(mv[:4]) != MAGIC:
        raise UnsupportedFormatError("not an sdwtfast LL-SVD stream (bad magic)")
    if len(mv) < _HSIZE:
        raise CorruptStreamError(f"LL-SVD stream truncated inside its header ({len(mv)} bytes)")
    f = _HEAD.unpack(mv[: _HEAD.size])
    if f[1] != VERSION:
        raise UnsupportedFormatError(f"LL-SVD stream version {f[1]} is not supported")
    (crc,) = struct.unpack("<I", mv[_HEAD.size : _HSIZE])
    if crc != _crc(mv[: _HEAD.size]):
        raise CorruptStreamError("LL-SVD stream header checksum mismatch")
    return f


def decode(data: bytes | bytearray | memoryview) -> np.ndarray:
    """Decode a stream made by :func:`encode`.

    Parameters
    ----------
    data : bytes-like
        The stream.

    Returns
    -------
    numpy.ndarray
        The image, with the shape and dtype of the encoder's input.

    Raises
    ------
    InvalidInputError
        ``data`` is not bytes-like.
    UnsupportedFormatError
        Not an LL-SVD stream, or an unknown version.
    CorruptStreamError
        Truncated, inconsistent or modified stream.
    LimitExceededError
        Geometry above the pixel limit.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"data must be bytes-like, got {type(data).__name__}")
    mv = memoryview(data).cast("B")
    f = _read_header(mv)
    (_, _, dcode, wcode, lv, flags, h, w, dc, vmin, vmax, k, top, step_exp, nf, npay, bcrc) = f
    if dcode not in _DTYPES or wcode not in _WNAMES or flags != 0:
        raise CorruptStreamError("LL-SVD header has an unknown dtype, wavelet or flags")
    if not (0 < h <= limits.MAX_SIDE and 0 < w <= limits.MAX_SIDE) or vmin > vmax:
        raise CorruptStreamError(f"LL-SVD header has impossible geometry {h}x{w} or range")
    if h * w > limits.MAX_PIXELS:
        from .errors import LimitExceededError

        raise LimitExceededError(f"LL-SVD image {h}x{w} exceeds the pixel limit")
    if (
        lv > min(validate.max_levels(h, w), limits.MAX_CODED_LEVELS)
        or not -1 <= top <= limits.MAX_PLANE
        or abs(step_exp) > limits.MAX_STEP_EXP
    ):
        raise CorruptStreamError("LL-SVD header has impossible levels, bit plane or step")
    wavelet = _WNAMES[wcode]
    lh, lw = _ll_shape(h, w, lv)
    if k > min(lh, lw) or nf != _factor_bytes(k, lh, lw):
        raise CorruptStreamError("LL-SVD header has an impossible rank or factor size")
    body = mv[_HSIZE:]
    if len(body) != nf + npay:
        raise CorruptStreamError(
            f"LL-SVD stream has {len(body)} bytes after its header, expected {nf + npay}"
        )
    if _crc(body) != bcrc:
        raise CorruptStreamError("LL-SVD stream checksum mismatch")
    g = np.frombuffer(body[: 4 * k], dtype="<f4").astype(np.float64)
    uq = np.frombuffer(body[4 * k : 4 * k + 2 * lh * k], dtype="<i2").reshape(lh, k)
    vq = np.frombuffer(body[4 * k + 2 * lh * k : nf], dtype="<i2").reshape(lw, k)
    if not np.all(np.isfinite(g)):
        raise CorruptStreamError("LL-SVD stream has non-finite singular values")
    c = np.zeros((h, w), dtype=np.float64)
    if npay:
        if top < 0:
            raise CorruptStreamError("LL-SVD stream has a payload but no bit plane")
        emask = np.ones((h, w), dtype=np.uint8)
        emask[:lh, :lw] = 0
        qd, lp = pyramid.ezw_decode(_native, bytes(body[nf:]), (h, w), lv, emask, top)
        c = _native.dequantize(qd, lp, math.ldexp(1.0, step_exp), pyramid.R_KNOWN, pyramid.R_PART)
        c = c.reshape(h, w) / _wv.weight_map(h, w, lv, wavelet)
        c[:lh, :lw] = 0.0
    c[:lh, :lw] = _ll_from_factors(g, uq, vq)
    if not np.all(np.isfinite(c[:lh, :lw])):
        raise CorruptStreamError("LL-SVD stream decodes to non-finite coefficients")
    x = _wv.inverse(c, lv, wavelet)
    out = np.clip(np.rint(x + dc), vmin, vmax)
    return out.astype(_DTYPES[dcode])
