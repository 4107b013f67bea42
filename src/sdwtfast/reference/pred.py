"""Predictive lossless coder, pure Python (specification of ``csrc/pred.c``).

Pixels are coded in raster order, each from its causal neighbours ``a`` (west), ``b``
(north), ``c`` (north-west), ``d`` (north-east), and for CALIC's predictor also ``ww`` (west
of ``a``), ``nn`` (north of ``b``) and ``nne`` (north of ``d``). Outside the image: in the
first row ``a = b = c = d`` = the west neighbour (the very first pixel sees
``(maxval + 1) // 2``); in the first column ``a = c = b``; in the last column ``d = b``;
``ww`` defaults to ``a``, ``nn`` to ``b`` and ``nne`` to ``d``.

Prediction
----------
The three gradients ``d - b``, ``b - c``, ``c - a`` are quantised to -4..4 with the JPEG-LS
default thresholds for ``maxval`` (:func:`thresholds`), sign-merged (the first nonzero one made
positive; ``s`` remembers the flip) into one of 405 contexts ``qi``. Candidates:

- ``med``: LOCO-I's median edge detector;
- ``pcorr``: ``med`` plus the context's JPEG-LS bias correction ``s * C[qi]``, clamped to
  [0, maxval] (no correction in the flat context ``qi`` of all-zero gradients);
- ``pgap``: CALIC's gradient-adjusted prediction (:func:`gap_predict`) plus its own
  correction, clamped;
- ``blend``: the eight simple predictors MED, GAP (clamped), W, N, planar ``a + b - c``
  (clamped), ``(a + d + 1) >> 1``, NE and ``a + d - b`` (clamped), each weighted by
  ``max(1, 2^40 // loc^3)`` where ``loc`` is 1 plus the sum of its absolute errors at the W,
  N, NW and NE pixels (0 outside the image and outside the mask), rounded to nearest.

The candidate with the smallest decayed sum of absolute errors in context ``qi`` predicts
(ties: ``pcorr`` before ``med`` before ``pgap``; ``blend`` only when strictly better than all).

Coding
------
The residual ``ev = s * (x - pred)`` is coded through the adaptive binary range coder of
:mod:`.arith`: a zero flag, a sign (context: the signs of the west and north residuals), the
exponent ``k = floor(log2 |ev|)`` in unary (ones, then a zero unless ``k == kmax =
floor(log2 maxval)``) and the ``k`` bits under the leading one (the first in a context of
``(cls, k)``, the others of ``(k, bit position)``). ``cls`` is the half-octave class (0..39)
of the local activity ``|d - b| + |b - c| + |c - a| + 2 |ev_west| + |ev_north|``.

After each coded pixel the context's statistics move: the four decayed costs, the JPEG-LS bias
accumulator and count (halved with the costs every 64 samples) and the two corrections (each
moves by at most one per sample, bounded by ``min(maxval, 128)``).

Mask
----
With a pixel mask only pixels with ``mask != 0`` are coded. The others take their prediction,
on both sides: the encoder's neighbours see the prediction, not the pixel; the decoder returns
it. They cost nothing, their residual and blend errors count as 0, and they need not lie in
[0, maxval] on input.

The stream is the range coder's output and nothing else. Every operation is on integers; the
few places where C semantics differ from Python's (division truncating toward zero on negative
numbers) say so. The C code keeps a table of ``blend_weight`` for small arguments: it is a
cache of the same function and is not reproduced here.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import CorruptStreamError, InvalidInputError, LimitExceededError
from .arith import ArithDecoder, ArithEncoder

__all__ = [
    "PRED_MAX_VALUE",
    "thresholds",
    "quant_grad",
    "gap_predict",
    "blend_weight",
    "activity_class",
    "pred_encode",
    "pred_decode",
]

PRED_MAX_VALUE = 65535  # SDW_PRED_MAX_VALUE: 16-bit samples
PRED_MAX_PIXELS_PER_BYTE = 8192  # SDW_PRED_MAX_PIXELS_PER_BYTE: what a stream can describe
MAX_SIDE = 1 << 20  # SDW_MAX_SIDE
MAX_PIXELS = 1 << 30  # SDW_MAX_PIXELS

ACT_CLASSES = 40  # half-octave classes of the local activity
KMAX = 16  # exponents of |e| <= 65535 are 0..15; one spare
NQ = 405  # sign-merged gradient contexts: q1 in 0..4, q2, q3 in -4..4
BIAS_RESET = 64  # halve a context's statistics when it has seen this many samples
NPRED = 8  # predictors of the blend

# ---- context layout of the range coder (the order of the C struct's fields) ----------------
CTX_ZERO0 = 0  # zero flag: [cls]
CTX_SIGN0 = CTX_ZERO0 + ACT_CLASSES  # sign: [cls][sign context 0..8]
CTX_EXPO0 = CTX_SIGN0 + ACT_CLASSES * 9  # unary exponent: [cls][k]
CTX_MANT_HI0 = CTX_EXPO0 + ACT_CLASSES * KMAX  # first mantissa bit: [cls][k]
CTX_MANT_LO0 = CTX_MANT_HI0 + ACT_CLASSES * KMAX  # other mantissa bits: [k][bit position]
CTX_TOTAL = CTX_MANT_LO0 + KMAX * KMAX

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


# ---- integer helpers ----------------------------------------------------------------------


def _cdiv(a: int, b: int) -> int:
    """C's integer division (``b > 0``): the quotient truncated toward zero."""
    q = abs(a) // b
    return q if a >= 0 else -q


def _clamp(v: int, lo: int, hi: int) -> int:
    return lo if v < lo else (hi if v > hi else v)


def _ilog2(v: int) -> int:
    """``floor(log2 v)`` for ``v >= 1``."""
    return v.bit_length() - 1


def _sgn(v: int) -> int:
    return (v > 0) - (v < 0)


# ---- the model's pieces -------------------------------------------------------------------


def thresholds(maxval: int) -> tuple[int, int, int]:
    """JPEG-LS default gradient thresholds ``(T1, T2, T3)`` of a lossless coder.

    Parameters
    ----------
    maxval : int
        Largest sample value, 1..65535.

    Returns
    -------
    tuple of int
        ``1 <= T1 <= T2 <= T3 <= maxval``.
    """
    if maxval >= 128:
        f = (min(maxval, 4095) + 128) >> 8
        a = f * 1 + 2
        b = f * 4 + 3
        c = f * 17 + 4
    else:
        f = 256 // (maxval + 1)
        a = max(3 // f, 2)
        b = max(7 // f, 3)
        c = max(21 // f, 4)
    a = _clamp(a, 1, maxval)
    b = _clamp(b, a, maxval)
    c = _clamp(c, b, maxval)
    return a, b, c


def quant_grad(g: int, t1: int, t2: int, t3: int) -> int:
    """Quantises a gradient to -4..4 (0 only for ``g == 0``)."""
    if g <= -t3:
        return -4
    if g <= -t2:
        return -3
    if g <= -t1:
        return -2
    if g < 0:
        return -1
    if g == 0:
        return 0
    if g < t1:
        return 1
    if g < t2:
        return 2
    if g < t3:
        return 3
    return 4


def _halve(v: int) -> int:
    """Halves an accumulated error, rounding toward minus infinity (as JPEG-LS does)."""
    return v // 2 if v >= 0 else -((-v + 1) // 2)


def _bias_step(acc: int, n: int, corr: int, corr_max: int) -> tuple[int, int]:
    """JPEG-LS's bias update of one context whose count is now ``n``.

    Returns the new ``(acc, corr)``: the correction moves by at most one per sample.
    """
    if acc <= -n:
        acc += n
        if corr > -corr_max:
            corr -= 1
        if acc <= -n:
            acc = -n + 1
    elif acc > 0:
        acc -= n
        if corr < corr_max:
            corr += 1
        if acc > 0:
            acc = 0
    return acc, corr


def gap_predict(a: int, b: int, c: int, d: int, ww: int, nn: int, nne: int, gsc: int) -> int:
    """CALIC's gradient-adjusted prediction (not clamped).

    Parameters
    ----------
    a, b, c, d : int
        West, north, north-west and north-east neighbours.
    ww, nn, nne : int
        West of ``a``, north of ``b``, north of ``d``.
    gsc : int
        Scale of CALIC's 8-bit thresholds 80, 32 and 8: ``(maxval + 1) // 256`` for
        ``maxval >= 255``, else 1.

    Returns
    -------
    int
        The prediction; it may lie outside [0, maxval] (even be negative).
    """
    dh = abs(a - ww) + abs(b - c) + abs(b - d)
    dv = abs(a - c) + abs(b - nn) + abs(d - nne)
    if dv - dh > 80 * gsc:
        return a
    if dh - dv > 80 * gsc:
        return b
    g2 = 2 * (a + b) + (d - c)  # 4 x ((a + b) / 2 + (d - c) / 4)
    # g2 can be negative: C's divisions truncate toward zero
    if dv - dh > 32 * gsc:
        g2 = _cdiv(g2 + 4 * a, 2)
    elif dv - dh > 8 * gsc:
        g2 = _cdiv(3 * g2 + 4 * a, 4)
    elif dh - dv > 32 * gsc:
        g2 = _cdiv(g2 + 4 * b, 2)
    elif dh - dv > 8 * gsc:
        g2 = _cdiv(3 * g2 + 4 * b, 4)
    return (g2 + 2) >> 2  # an arithmetic shift in C too (floor)


def blend_weight(loc: int) -> int:
    """Weight of a blended predictor whose local error sum plus one is ``loc >= 1``.

    ``max(1, 2^40 // loc^3)`` (``loc <= 4 * 65535 + 1``, so the C ``uint64_t`` never wraps).
    """
    wt = (1 << 40) // (loc * loc * loc)
    return wt if wt else 1


def activity_class(act: int) -> int:
    """Half-octave class (0..39) of the local activity ``act >= 0``.

    With ``v = act + 1`` and ``k = floor(log2 v)``: ``2k`` plus the bit under the leading one
    of ``v`` (none for ``k == 0``), capped at 39.
    """
    v = act + 1
    k = _ilog2(v)
    cls = 2 * k + (((v >> (k - 1)) & 1) if k > 0 else 0)
    return cls if cls < ACT_CLASSES else ACT_CLASSES - 1


# ---- the shared traversal -----------------------------------------------------------------


class _Model:
    """Per-context statistics (every list indexed by the gradient context ``qi``)."""

    __slots__ = (
        "bias_acc",
        "bias_n",
        "bias_corr",
        "cost_corr",
        "cost_raw",
        "cost_gap",
        "cost_blend",
        "gap_acc",
        "gap_corr",
    )

    def __init__(self) -> None:
        self.bias_acc = [0] * NQ  # JPEG-LS's B[Q]: accumulated corrected error
        self.bias_n = [0] * NQ  # N[Q]
        self.bias_corr = [0] * NQ  # C[Q]: the correction added to MED
        self.cost_corr = [0] * NQ  # decayed sums of |error| of the four candidates
        self.cost_raw = [0] * NQ
        self.cost_gap = [0] * NQ
        self.cost_blend = [0] * NQ
        self.gap_acc = [0] * NQ  # the same bias statistics for GAP
        self.gap_corr = [0] * NQ


class _Coder:
    """One face for both directions: ``bit(ctx, b)`` codes ``b``, or ignores it and decodes."""

    __slots__ = ("enc", "dec", "decoding")

    def __init__(self, enc: ArithEncoder | None, dec: ArithDecoder | None) -> None:
        self.enc = enc
        self.dec = dec
        self.decoding = dec is not None

    def bit(self, ctx: int, b: int) -> int:
        if self.dec is not None:
            return self.dec.decode(ctx)
        self.enc.encode(ctx, b)
        return b


def _code_residual(cd: _Coder, cls: int, sc: int, kmax: int, ev: int) -> int:
    """Codes (or decodes) one residual: zero flag, sign, unary exponent, mantissa bits.

    When decoding ``ev`` is ignored; returns the residual (the decoded one when decoding). A
    decoded residual may reach ``2^(kmax + 1) - 1`` in magnitude.
    """
    if not cd.bit(CTX_ZERO0 + cls, int(ev != 0)):
        return 0
    neg = cd.bit(CTX_SIGN0 + cls * 9 + sc, int(ev < 0))
    mag = abs(ev)
    k_enc = 0 if cd.decoding else _ilog2(mag)
    k = 0
    # at most kmax ones; the terminating zero is left out when k reaches kmax
    while k < kmax and cd.bit(CTX_EXPO0 + cls * KMAX + k, int(k < k_enc)):
        k += 1
    v = 1
    for p in range(k - 1, -1, -1):
        if p == k - 1:
            ctx = CTX_MANT_HI0 + cls * KMAX + k
        else:
            ctx = CTX_MANT_LO0 + k * KMAX + p
        v = (v << 1) | cd.bit(ctx, (mag >> p) & 1)
    return -v if neg else v


class _Status(Exception):
    """A C status other than SDW_OK, raised out of the traversal."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _traverse(
    cd: _Coder,
    px: list[int],
    mask: list[int] | None,
    h: int,
    w: int,
    maxval: int,
    cap: int | None,
) -> None:
    """Visits every pixel in raster order, coding (encoder) or decoding (decoder) it.

    ``px`` is the flat image, modified in place: outside the mask a pixel is replaced by its
    prediction; when decoding, every pixel is written. Raises :class:`_Status` with the C
    status: ``ERANGE`` (encoder: a coded value outside [0, maxval]), ``EBUFSIZE`` (encoder:
    more than ``cap`` bytes written, checked after each row), ``ECORRUPT`` (decoder: a decoded
    value outside [0, maxval]), ``ETRUNCATED`` (decoder: the stream ended, checked after each
    row).
    """
    t1, t2, t3 = thresholds(maxval)
    kmax = _ilog2(maxval)  # largest exponent of a |e| <= maxval
    corr_max = maxval if maxval < 128 else 128
    gsc = (maxval + 1) // 256 if maxval >= 255 else 1  # CALIC's thresholds are for 8 bits
    m = _Model()
    zeros = [0] * NPRED
    prev_err = [0] * w  # coded residuals of the previous row (0 outside the mask)
    cur_err = [0] * w
    pe_prev = [[0] * NPRED for _ in range(w)]  # |error| of each blended predictor, per pixel
    pe_cur = [[0] * NPRED for _ in range(w)]
    for i in range(h):
        r0 = i * w  # index of this row's first pixel
        for j in range(w):
            # ---- neighbours
            if i == 0:
                a = px[r0 + j - 1] if j > 0 else (maxval + 1) // 2
                b = c = d = a
            else:
                b = px[r0 - w + j]
                a = px[r0 + j - 1] if j > 0 else b
                c = px[r0 - w + j - 1] if j > 0 else b
                d = px[r0 - w + j + 1] if j + 1 < w else b
            ww = px[r0 + j - 2] if j > 1 else a
            nn = px[r0 - 2 * w + j] if i > 1 else b
            nne = px[r0 - 2 * w + j + 1] if i > 1 and j + 1 < w else d
            # ---- median edge detector
            mx = max(a, b)
            mn = min(a, b)
            if c >= mx:
                med = mn
            elif c <= mn:
                med = mx
            else:
                med = a + b - c
            # ---- gradient context, sign-merged
            q1 = quant_grad(d - b, t1, t2, t3)
            q2 = quant_grad(b - c, t1, t2, t3)
            q3 = quant_grad(c - a, t1, t2, t3)
            s = 1
            if q1 < 0 or (q1 == 0 and (q2 < 0 or (q2 == 0 and q3 < 0))):
                s = -1
                q1, q2, q3 = -q1, -q2, -q3
            qi = (q1 * 9 + (q2 + 4)) * 9 + (q3 + 4)
            flat = q1 == 0 and q2 == 0 and q3 == 0  # no bias correction there
            pcorr = med if flat else _clamp(med + s * m.bias_corr[qi], 0, maxval)
            gap = gap_predict(a, b, c, d, ww, nn, nne, gsc)
            pgap = _clamp(gap + s * m.gap_corr[qi], 0, maxval)
            # ---- blend of eight simple predictors
            pv = [
                med,
                _clamp(gap, 0, maxval),
                a,
                b,
                _clamp(a + b - c, 0, maxval),
                (a + d + 1) >> 1,
                d,
                _clamp(a + d - b, 0, maxval),
            ]
            e_w = pe_cur[j - 1] if j > 0 else zeros
            e_n = pe_prev[j]
            e_nw = pe_prev[j - 1] if j > 0 else zeros
            e_ne = pe_prev[j + 1] if j + 1 < w else zeros
            wsum = 0
            psum = 0
            for k in range(NPRED):
                wt = blend_weight(e_w[k] + e_n[k] + e_nw[k] + e_ne[k] + 1)
                wsum += wt
                psum += wt * pv[k]
            blend = (psum + wsum // 2) // wsum  # in [0, maxval], as every candidate
            # ---- the candidate with the smallest cost in this context
            cc = m.cost_corr[qi]
            cr = m.cost_raw[qi]
            cg = m.cost_gap[qi]
            cb = m.cost_blend[qi]
            if cc <= cr:
                pred, cbest = (pcorr, cc) if cc <= cg else (pgap, cg)
            else:
                pred, cbest = (med, cr) if cr <= cg else (pgap, cg)
            if cb < cbest:
                pred = blend
            # ---- outside the mask: the prediction, at no cost
            if mask is not None and not mask[r0 + j]:
                px[r0 + j] = pred
                cur_err[j] = 0
                pe_cur[j] = [0] * NPRED
                continue
            # ---- coding context and residual
            e_west = cur_err[j - 1] if j > 0 else 0
            e_north = prev_err[j]
            act = abs(d - b) + abs(b - c) + abs(c - a) + 2 * abs(e_west) + abs(e_north)
            cls = activity_class(act)
            ev = 0
            if not cd.decoding:
                x = px[r0 + j]
                if x < 0 or x > maxval:
                    raise _Status("ERANGE")
                ev = s * (x - pred)
            sc = _sgn(e_west) + 1 + 3 * (_sgn(e_north) + 1)
            ev = _code_residual(cd, cls, sc, kmax, ev)
            x = pred + s * ev
            if cd.decoding:
                if x < 0 or x > maxval:
                    raise _Status("ECORRUPT")
                px[r0 + j] = x
            # ---- statistics of the context
            ec = s * (x - pcorr)  # error of the corrected MED prediction
            eg = s * (x - pgap)  # error of the corrected GAP prediction
            m.cost_corr[qi] += abs(ec)
            m.cost_raw[qi] += abs(x - med)
            m.cost_gap[qi] += abs(eg)
            m.cost_blend[qi] += abs(x - blend)
            pe_cur[j] = [abs(x - p) for p in pv]
            m.bias_acc[qi] += 0 if flat else ec
            m.gap_acc[qi] += eg
            if m.bias_n[qi] == BIAS_RESET:
                m.bias_acc[qi] = _halve(m.bias_acc[qi])
                m.gap_acc[qi] = _halve(m.gap_acc[qi])
                m.bias_n[qi] //= 2
                m.cost_corr[qi] //= 2
                m.cost_raw[qi] //= 2
                m.cost_gap[qi] //= 2
                m.cost_blend[qi] //= 2
            m.bias_n[qi] += 1
            nq = m.bias_n[qi]
            m.bias_acc[qi], m.bias_corr[qi] = _bias_step(
                m.bias_acc[qi], nq, m.bias_corr[qi], corr_max
            )
            m.gap_acc[qi], m.gap_corr[qi] = _bias_step(m.gap_acc[qi], nq, m.gap_corr[qi], corr_max)
            cur_err[j] = ev
        prev_err, cur_err = cur_err, prev_err
        pe_prev, pe_cur = pe_cur, pe_prev
        if cd.decoding:
            if not cd.dec.ok():
                raise _Status("ETRUNCATED")
        elif cap is not None and len(cd.enc.out) > cap:
            raise _Status("EBUFSIZE")


# ---- public functions ---------------------------------------------------------------------


def _check_size(h: int, w: int) -> None:
    """The C core's geometry check (``sdw_check_size``); ``h, w >= 1`` already."""
    if h > MAX_SIDE or w > MAX_SIDE or h * w > MAX_PIXELS:
        raise LimitExceededError("pred: a size exceeds the core's hard limits")


def _as_int32(value: object, lo: int, hi: int, what: str) -> int:
    """An integer argument as the C membrane converts it (OverflowError when it cannot)."""
    v = operator.index(value)
    if v < lo or v > hi:
        raise OverflowError(f"pred: {what} does not fit its C type")
    return v


def _image(image: object) -> np.ndarray:
    """``image`` as a 2-D int32 array, converted exactly or refused (as the membrane does)."""
    a = np.asarray(image)
    if a.ndim != 2:
        raise InvalidInputError(f"pred_encode: need a 2-D array, got shape {a.shape}")
    if a.dtype != np.int32:
        if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.integer):
            raise InvalidInputError(f"pred_encode: need integers, got {a.dtype}")
        if a.size and (int(a.min()) < INT32_MIN or int(a.max()) > INT32_MAX):
            raise InvalidInputError("pred_encode: values do not fit int32")
    return np.ascontiguousarray(a, dtype=np.int32)


def _pixel_mask(mask: object, h: int, w: int, where: str) -> list[int] | None:
    """``mask`` as a flat list of 0 / 1 of an ``h x w`` image, or None."""
    if mask is None:
        return None
    m = np.asarray(mask) != 0
    if m.ndim != 2 or m.shape[0] != h or m.shape[1] != w:
        raise InvalidInputError(f"{where}: mask shape differs from the image's")
    return [int(v) for v in m.reshape(-1).tolist()]


def pred_encode(
    image: np.ndarray,
    maxval: int,
    cap: int | None = None,
    mask: np.ndarray | None = None,
) -> bytes | None:
    """Predictive lossless coding of a 2-D image with values in [0, maxval].

    Parameters
    ----------
    image : numpy.ndarray
        2-D integer image (converted exactly to int32).
    maxval : int
        Largest value, 1..:data:`PRED_MAX_VALUE`.
    cap : int or None
        Byte budget: the stream is returned only if it is at most ``cap`` bytes long. None:
        no budget.
    mask : numpy.ndarray or None
        Pixels to code (nonzero), the image's shape; the others cost nothing, need not lie in
        [0, maxval] and decode to the coder's predictions. None: every pixel.

    Returns
    -------
    bytes or None
        The stream, or None when it would be longer than ``cap`` bytes (the C coder stops at
        the end of the first row after which it knows).

    Raises
    ------
    InvalidInputError
        Not a 2-D integer array, an empty image, a mask of another shape, ``maxval`` out of
        range, or a coded value outside [0, maxval] (unless the budget ran out on an earlier
        row).
    LimitExceededError
        A side over 2^20 or more than 2^30 pixels.
    """
    a = _image(image)
    h, w = a.shape
    maxval = _as_int32(maxval, INT32_MIN, INT32_MAX, "maxval")
    if cap is not None:
        cap = _as_int32(cap, 0, (1 << 64) - 1, "cap")
    if h == 0 or w == 0:
        raise InvalidInputError("pred_encode: empty image")
    m = _pixel_mask(mask, h, w, "pred_encode")
    _check_size(h, w)
    if maxval < 1 or maxval > PRED_MAX_VALUE:
        raise InvalidInputError("pred_encode: an argument is out of its documented range")
    enc = ArithEncoder(CTX_TOTAL)
    px = [int(v) for v in a.reshape(-1).tolist()]  # a working copy: the mask overwrites it
    try:
        _traverse(_Coder(enc, None), px, m, h, w, maxval, cap)
    except _Status as st:
        if st.name == "EBUFSIZE":
            return None
        raise InvalidInputError(
            "pred_encode: a value does not fit the representation (outside [0, maxval])"
        ) from None
    out = enc.finish()
    if cap is not None and len(out) > cap:
        return None
    return out


def pred_decode(
    data: bytes | bytearray | memoryview,
    h: int,
    w: int,
    maxval: int,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse of :func:`pred_encode`.

    Parameters
    ----------
    data : bytes-like
        Exactly the encoder's stream.
    h, w : int
        Image height and width.
    maxval : int
        As given to the encoder.
    mask : numpy.ndarray or None
        As given to the encoder.

    Returns
    -------
    numpy.ndarray
        int32 ``(h, w)`` with values in [0, maxval]; outside ``mask`` the coder's predictions,
        not image data.

    Raises
    ------
    InvalidInputError
        An empty image, a mask of another shape or ``maxval`` out of range.
    LimitExceededError
        A side over 2^20 or more than 2^30 pixels.
    CorruptStreamError
        The stream ends early, is too short to describe the coded pixels (more than
        ``PRED_MAX_PIXELS_PER_BYTE`` per byte), decodes a value outside [0, maxval], or has
        bytes left over.
    """
    buf = bytes(memoryview(data).cast("B"))
    h = _as_int32(h, 0, (1 << 64) - 1, "h")
    w = _as_int32(w, 0, (1 << 64) - 1, "w")
    maxval = _as_int32(maxval, INT32_MIN, INT32_MAX, "maxval")
    if h == 0 or w == 0:
        raise InvalidInputError("pred_decode: empty image")
    m = _pixel_mask(mask, h, w, "pred_decode")
    _check_size(h, w)
    if maxval < 1 or maxval > PRED_MAX_VALUE:
        raise InvalidInputError("pred_decode: an argument is out of its documented range")
    coded = h * w if m is None else int(np.count_nonzero(m))
    if coded // PRED_MAX_PIXELS_PER_BYTE > len(buf):
        raise CorruptStreamError(
            f"pred_decode: a stream of {len(buf)} bytes cannot describe {coded} coded pixels"
        )
    dec = ArithDecoder(buf, CTX_TOTAL)
    px = [0] * (h * w)
    try:
        _traverse(_Coder(None, dec), px, m, h, w, maxval, None)
    except _Status as st:
        if st.name == "ETRUNCATED":
            raise CorruptStreamError("pred_decode: the input ended early") from None
        raise CorruptStreamError("pred_decode: the input stream is inconsistent") from None
    if dec.pos != len(buf):  # bytes left over (pos > len is caught by the row check)
        if dec.pos > len(buf):
            raise CorruptStreamError("pred_decode: the input ended early")
        raise CorruptStreamError("pred_decode: the input stream is inconsistent")
    return np.array(px, dtype=np.int32).reshape(h, w)
