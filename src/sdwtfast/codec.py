"""The hybrid pipeline: validate -> preprocess -> ROI -> ROI and background branches -> container.

The region of interest is coded by the integer 5/3 (lossless / near-lossless) or a float
wavelet (rate mode) with EZW restricted to the coefficients whose synthesis reaches ROI
pixels (:func:`sdwtfast.wavelet.support_mask`), so the ROI is reproduced exactly (or within
the requested error bound) whatever happens outside it. Pixels outside the ROI come from the
background branch: the learned codec (:mod:`sdwtfast.background`), the wavelet path at a low
rate (EZW restricted to the coefficients that reach background pixels), or lossless. The ROI
itself is stored at 8x8 block granularity (a superset of the requested region), context
coded.

The default (``roi=None``, ``roi_max_error=0``) is lossless: a medical codec is never lossy
unless asked.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import container as _ct
from . import ezw as _ezw
from . import wavelet as _wv
from .errors import CorruptStreamError, InvalidInputError, UnsupportedFormatError

__all__ = ["encode", "decode", "info", "roi_mask", "EncodeReport", "BLOCK"]

BLOCK = 8
"""Granularity (pixels) of the stored ROI mask."""
BACKGROUNDS = ("learned", "wavelet", "lossless")
DEFAULT_BACKGROUND_BPP = 0.15
MAX_ROI_ERROR = 1 << 14
_MODES = {"lossless", "near-lossless", "rate", "hybrid"}


@dataclass
class EncodeReport:
    """What :func:`encode` did, for the CLI and benchmarks (``encode(..., report=r)``)."""

    mode: str = ""
    roi_fraction: float = 1.0
    sections: dict[str, int] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    background: str = ""
    background_quality: Any = None
    roi_coder: str = ""


def _bit_depth(vmin: int, vmax: int, signed: bool) -> int:
    if signed:
        return max(1, max(int(vmax).bit_length(), int(-vmin - 1).bit_length() if vmin < 0 else 0)
                   + 1)
    return max(1, int(vmax).bit_length())


def _levels(h: int, w: int, levels: int | None) -> int:
    return _ezw._check_levels(levels, h, w)


def _native():
    from . import _native as n

    return n


def _code_lossless(x: np.ndarray, lv: int, coef_mask: np.ndarray | None) -> tuple[bytes, int]:
    n = _native()
    coef = n.lift53_forward(x, lv)
    payload, top, _ = n.ezw_encode(coef, lv, coef_mask, 1, None, 0, 0)
    return payload, top


def _decode_lossless(payload: bytes, shape, lv: int, top: int, coef_mask) -> np.ndarray:
    n = _native()
    q, _lp = n.ezw_decode(payload, shape[0], shape[1], lv, coef_mask, 1, top, 0)
    try:
        return n.lift53_inverse(q, lv)
    except InvalidInputError as exc:
        raise CorruptStreamError(f"ROI stream decodes to bad coefficients: {exc}") from exc


def _both_lossless(x: np.ndarray, lv: int, coef_mask, xp: np.ndarray | None, qmax: int,
                   pixel_mask) -> tuple[tuple[bytes, int], bytes | None]:
    """The EZW payload of ``x`` and the predictive stream of ``xp`` (None: not tried).

    Both C coders release the GIL, so with more than one CPU the predictive coder runs in a
    second thread while EZW runs in this one; on one CPU it runs after EZW, capped at the EZW
    stream's size so that it stops as soon as it cannot win. Either way a predictive stream
    longer than the raw pixels is dropped, so the caller's choice (the shorter stream) and the
    file are the same.
    """
    n = _native()
    if xp is None:
        return _code_lossless(x, lv, coef_mask), None
    raw = (xp.size * int(qmax).bit_length() + 7) // 8 + 1024  # never worth more than raw
    if (os.cpu_count() or 1) < 2:
        ezw = _code_lossless(x, lv, coef_mask)
        cap = min(raw, len(ezw[0]) - 1)
        return ezw, n.pred_encode(xp, qmax, cap=cap, mask=pixel_mask)
    out: list[Any] = [None, None]

    def run_pred() -> None:
        try:
            out[0] = n.pred_encode(xp, qmax, cap=raw, mask=pixel_mask)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            out[1] = exc

    t = threading.Thread(target=run_pred, name="sdwtfast-pred", daemon=True)
    t.start()
    try:
        ezw = _code_lossless(x, lv, coef_mask)
    finally:
        t.join()
    if out[1] is not None:
        raise out[1]
    return ezw, out[0]


def _pred_maxval(mode: str, vmin: int, vmax: int, d: int) -> int:
    """Largest value the predictive coder sees: the pixel range (lossless, pixels shifted by
    ``vmin``) or the largest near-lossless index."""
    if mode == "lossless":
        return vmax - vmin
    return (vmax - vmin + d) // (2 * d + 1)


def _pred_rate(a: np.ndarray, mask, vmin: int, vmax: int, budget: int, mse_to_beat: float,
               bytes_to_beat: int) -> tuple[int, bytes] | None:
    """Prediction within ``budget`` bytes: ``(d, stream)`` for the smallest error bound ``d``
    (0: lossless) whose stream fits, if its MSE (on the mask) is below ``mse_to_beat`` — or,
    when that is 0 (the wavelet stream is already exact), a lossless stream shorter than
    ``bytes_to_beat``."""
    n = _native()
    sel = slice(None) if mask is None else mask
    ref = a[sel].astype(np.float64)
    shifted = a.astype(np.int64) - vmin  # every attempt quantizes these

    def attempt(d: int, cap: int = budget) -> bytes | None:
        step = 2 * d + 1
        qmax = (vmax - vmin + d) // step
        if qmax <= 0:
            return None
        q = ((shifted + d) // step).astype(np.int32)
        return n.pred_encode(q, qmax, cap=cap, mask=mask)

    lossless = attempt(0, budget if mse_to_beat > 0 else min(budget, bytes_to_beat - 1))
    if lossless is not None or mse_to_beat == 0:
        return None if lossless is None else (0, lossless)

    def mse(d: int) -> float:
        step = 2 * d + 1
        q = (shifted[sel] + d) // step
        return float(np.mean((np.minimum(q * step + vmin, vmax) - ref) ** 2))

    # every error bound's quantization error alone is at least about d^2 / 3: no point trying
    # bounds that cannot beat the wavelet stream
    d_max = min(MAX_ROI_ERROR, int(math.sqrt(3.0 * mse_to_beat)) + 1)
    hi, lo, stream = 1, 0, None  # exponential search for a bound that fits, then bisection
    while hi <= d_max:
        stream = attempt(hi)
        if stream is not None:
            break
        lo, hi = hi, hi * 2
    if stream is None:
        if lo >= d_max or (stream := attempt(d_max)) is None:
            return None
        hi = d_max
    while hi - lo > 1:
        mid = (lo + hi) // 2
        s = attempt(mid)
        if s is None:
            lo = mid
        else:
            hi, stream = mid, s
    return (hi, stream) if mse(hi) < mse_to_beat else None


def _code_rate(x: np.ndarray, lv: int, wavelet: str, coef_mask, budget: int
               ) -> tuple[bytes, int, int]:
    """Lossy branch: float wavelet, synthesis weights, deadzone quantizer, EZW at a budget."""
    n = _native()
    if wavelet == "5/3":
        c = n.lift53_forward(x.astype(np.int32), lv).astype(np.float64)
    else:
        c = _wv.forward(x, lv, wavelet)
    c *= _wv.weight_map(x.shape[0], x.shape[1], lv, wavelet)
    if coef_mask is not None:
        c[coef_mask == 0] = 0.0
    peak = float(np.abs(c).max())
    step_exp = (math.frexp(peak)[1] - 20) if peak > 0 else 0
    q = n.quantize(c, math.ldexp(1.0, step_exp))
    payload, top, _ = n.ezw_encode(q, lv, coef_mask, 1, None, 0, max(1, budget))
    return payload, top, step_exp


def _decode_rate(payload, shape, lv, wavelet, top, step_exp, coef_mask) -> np.ndarray:
    n = _native()
    q, lp = n.ezw_decode(payload, shape[0], shape[1], lv, coef_mask, 1, top, 0)
    c = n.dequantize(q, lp, math.ldexp(1.0, step_exp), 0.5, 0.5)
    c /= _wv.weight_map(shape[0], shape[1], lv, wavelet)
    if wavelet == "5/3":
        ci = np.clip(np.rint(c), -(1 << 29), 1 << 29).astype(np.int32)
        try:
            return n.lift53_inverse(ci, lv).astype(np.float64)
        except InvalidInputError as exc:
            raise CorruptStreamError(f"stream decodes to bad coefficients: {exc}") from exc
    return _wv.inverse(c, lv, wavelet)


def _check_options(roi_max_error, roi_bpp, background, background_quality, wavelet, preprocess):
    if isinstance(roi_max_error, bool) or not isinstance(roi_max_error, (int, np.integer)):
        raise InvalidInputError(f"roi_max_error must be a non-negative int, got {roi_max_error!r}")
    if not 0 <= int(roi_max_error) <= MAX_ROI_ERROR:
        raise InvalidInputError(f"roi_max_error must be in 0..{MAX_ROI_ERROR}")
    if roi_bpp is not None:
        if int(roi_max_error) != 0:
            raise InvalidInputError("give either roi_max_error or roi_bpp, not both")
        if isinstance(roi_bpp, bool) or not isinstance(roi_bpp, (int, float, np.number)) or \
                not (math.isfinite(float(roi_bpp)) and float(roi_bpp) > 0):
            raise InvalidInputError(f"roi_bpp must be a positive number, got {roi_bpp!r}")
    if background not in BACKGROUNDS:
        raise InvalidInputError(f"background must be one of {BACKGROUNDS}, got {background!r}")
    if wavelet is not None and wavelet not in _ezw.WAVELETS:
        raise InvalidInputError(f"wavelet must be one of {sorted(_ezw.WAVELETS)}, got {wavelet!r}")
    if roi_bpp is None and wavelet not in (None, "5/3"):
        raise InvalidInputError(
            f"lossless and near-lossless ROI coding use the integer 5/3 wavelet, not {wavelet!r}"
        )
    if background == "lossless" and background_quality is not None:
        raise InvalidInputError("background='lossless' takes no background_quality")
    if background == "wavelet" and background_quality is not None:
        bq = background_quality
        if isinstance(bq, bool) or not isinstance(bq, (int, float, np.number)) or \
                not (math.isfinite(float(bq)) and float(bq) > 0):
            raise InvalidInputError(
                f"background_quality for 'wavelet' is a bpp > 0, got {background_quality!r}"
            )
    if isinstance(preprocess, str):
        raise InvalidInputError("preprocess must be a sequence of step names, e.g. ('wiener',)")
    return tuple(preprocess)


def encode(
    image: np.ndarray,
    *,
    roi: Any = None,
    roi_max_error: int = 0,
    roi_bpp: float | None = None,
    background: str = "wavelet",
    background_quality: Any = None,
    wavelet: str | None = None,
    preprocess: Sequence[str] = (),
    key: Any = None,
    passphrase: str | bytes | None = None,
    levels: int | None = None,
    report: EncodeReport | None = None,
) -> bytes:
    """Encode an image into an sdwtfast container.

    Parameters
    ----------
    image : ndarray
        2-D ``uint8``, ``uint16`` or ``int16`` array (``int32`` holding 16-bit values is
        accepted and decoded as ``int16``/``uint16``).
    roi : None, "auto", bool mask, or list of (y0, x0, y1, x1) boxes
        ``None``: the whole image is the ROI. ``"auto"``: the SVD detector
        (:func:`sdwtfast.roi.detect_roi`). Boxes are half-open pixel ranges.
    roi_max_error : int
        Guaranteed maximum ``|x - x_hat|`` on every ROI pixel; 0 = lossless (default).
    roi_bpp : float, optional
        Instead of an error bound: lossy ROI at this many bits per ROI pixel (embedded EZW).
        Unless ``wavelet`` is given, the predictive coder competes at the same budget with the
        smallest error bound that fits (0: lossless); when its ROI MSE is lower the container
        holds that stream instead (mode ``lossless`` / ``near-lossless`` with
        ``roi.max_error``), a guaranteed bound as a bonus.
    background : {"wavelet", "learned", "lossless"}
        Coder for pixels outside the ROI (ignored when the ROI is the whole image). The default
        is "wavelet" (9/7 EZW on the coefficients that reach background pixels): measured on
        the development images it beats the shipped learned codec at every rate, by about
        7 dB at 0.1-0.6 bpp, and is faster (bench/RESULTS.md). "learned" uses
        :mod:`sdwtfast.background`.
    background_quality : int or float, optional
        "learned": a level of :data:`sdwtfast.background.QUALITIES` (default: the middle one);
        "wavelet": bits per background pixel (default 0.15).
    wavelet : {"5/3", "9/7", "haar"}, optional
        ROI wavelet: "5/3" (the only choice for lossless / near-lossless), "9/7" default for
        ``roi_bpp``. Given explicitly, the ROI is always wavelet/EZW coded (an embedded
        stream): the predictive coder does not compete.
    preprocess : sequence of str
        Opt-in preprocessing (:data:`sdwtfast.preprocess.STEPS`), recorded in the header. The
        lossless guarantee then applies to the preprocessed image.
    key : sdwtfast.crypto.Key or 32 bytes, optional
        Encrypt the container (AES-256-GCM, see :mod:`sdwtfast.crypto`).
    passphrase : str or bytes, optional
        Encrypt with a key derived from a passphrase (Argon2id).
    levels : int, optional
        Wavelet decomposition levels (default 5, 6 above 1024 pixels a side).
    report : EncodeReport, optional
        Filled with what was done (sizes, timings, ROI fraction).

    Returns
    -------
    bytes

    Raises
    ------
    InvalidInputError, LimitExceededError

    Notes
    -----
    A lossless or near-lossless ROI (the whole image when ``roi`` is None) is coded both by the
    5/3 + EZW path (on the ROI's wavelet support set) and by the predictive coder
    (``csrc/pred.h``, on the ROI's pixels), and the smaller stream is kept
    (``report.roi_coder`` says which: ``"ezw"`` or ``"pred"``).
    """
    t0 = time.perf_counter()
    rep = report if report is not None else EncodeReport()
    steps = _check_options(roi_max_error, roi_bpp, background, background_quality, wavelet,
                           preprocess)
    a = _ezw._validate_image(image)
    h, w = a.shape
    lv = _levels(h, w, levels)
    if steps:
        from . import preprocess as _pp

        a = _pp.apply(a, steps)
    t_pre = time.perf_counter()
    mask = bmask = None
    if roi is not None:
        from . import roi as _roi

        mask = _roi.resolve_roi(roi, a)
    if mask is not None:
        bmask = _roi.block_mask(mask, BLOCK)
        pix = _roi.expand_blocks(bmask, BLOCK, a.shape)
        if pix.all():
            mask, bmask = None, None
        else:
            mask = pix
    t_roi = time.perf_counter()
    vmin, vmax = int(a.min()), int(a.max())
    dc = (vmin + vmax) // 2
    signed = a.dtype == np.int16
    params: dict[str, Any] = {"vmin": vmin, "vmax": vmax, "dc": dc}
    sections: list[_ct.Section] = []
    if bmask is not None:
        sections.append(_ct.Section(_ct.SectionType.MASK, _native().bitmap_encode(bmask)))
        params["block"] = BLOCK
    # ---- ROI branch
    d = int(roi_max_error)
    roi_section = _ct.SectionType.ROI
    if roi_bpp is not None:
        mode, wv = "rate", wavelet or "9/7"
        sup = None if mask is None else _wv.support_mask(mask, lv, wv).astype(np.uint8)
        npix = a.size if mask is None else int(mask.sum())
        budget = int(float(roi_bpp) * npix / 8)
        x = a.astype(np.float64) - dc
        payload, top, step_exp = _code_rate(x, lv, wv, sup, budget)
        params.update({"roi.top": top, "roi.step_exp": step_exp, "roi.bpp": float(roi_bpp)})
        rep.roi_coder = "ezw"
        if wavelet is None:
            # near-lossless prediction at the smallest error bound that fits the same budget
            # competes on the ROI's MSE (it wins by a wide margin on flat, synthetic or
            # sparse-histogram content); the container then says so: mode near-lossless
            rec = np.clip(np.rint(_decode_rate(payload, (h, w), lv, wv, top, step_exp, sup)
                                  + dc), vmin, vmax)
            sel = slice(None) if mask is None else mask
            mse_ezw = float(np.mean((rec[sel] - a[sel].astype(np.float64)) ** 2))
            alt = _pred_rate(a, mask, vmin, vmax, budget, mse_ezw, len(payload))
            if alt is not None:
                d, payload = alt
                mode, wv, roi_section = "lossless", "none", _ct.SectionType.PRED
                for k in ("roi.top", "roi.step_exp", "roi.bpp"):
                    del params[k]
                if d:
                    mode = "near-lossless"
                    params["roi.max_error"] = d
                rep.roi_coder = "pred"
    else:
        wv = "5/3"
        sup = None if mask is None else _wv.support_mask(mask, lv, "5/3").astype(np.uint8)
        if d == 0:
            mode = "lossless"
            x = a.astype(np.int32) - np.int32(dc)
        else:
            mode = "near-lossless"
            step = 2 * d + 1
            x = ((a.astype(np.int64) - vmin + d) // step).astype(np.int32)
            params["roi.max_error"] = d
        # the predictive coder competes (on the ROI's pixels only when there is a ROI); the
        # smaller stream is kept (EZW on a tie)
        qmax = _pred_maxval(mode, vmin, vmax, d)
        xp = x if d else x - np.int32(vmin - dc)
        try_pred = qmax > 0 and wavelet is None  # an explicit "5/3" asks for the EZW stream
        (payload, top), alt = _both_lossless(x, lv, sup, xp if try_pred else None, qmax, mask)
        params["roi.top"] = top
        rep.roi_coder = "ezw"
        if alt is not None and len(alt) < len(payload):
            payload, wv, roi_section = alt, "none", _ct.SectionType.PRED
            del params["roi.top"]
            rep.roi_coder = "pred"
    sections.append(_ct.Section(roi_section, payload))
    t_roi_code = time.perf_counter()
    # ---- background branch
    model_id, model_sha = "", b""
    if mask is not None:
        rep.background = background
        bg_mask = ~mask
        if background == "learned":
            from . import background as _bg

            q = background_quality if background_quality is not None else _bg.QUALITIES[
                len(_bg.QUALITIES) // 2]
            if q not in _bg.QUALITIES:
                raise InvalidInputError(
                    f"background_quality must be one of {_bg.QUALITIES}, got {q!r}"
                )
            bg_payload = _bg.encode(a, quality=q)
            model_id, model_sha = _bg.model_id(), bytes.fromhex(_bg.weights_sha256())
            params["bg.quality"] = int(q)
            rep.background_quality = q
        elif background == "wavelet":
            bpp = float(background_quality) if background_quality is not None else \
                DEFAULT_BACKGROUND_BPP
            bsup = _wv.support_mask(bg_mask, lv, "9/7").astype(np.uint8)
            budget = int(bpp * int(bg_mask.sum()) / 8)
            bg_payload, btop, bstep = _code_rate(a.astype(np.float64) - dc, lv, "9/7", bsup,
                                                 budget)
            params.update({"bg.top": btop, "bg.step_exp": bstep, "bg.bpp": bpp})
            rep.background_quality = bpp
        else:
            bsup = _wv.support_mask(bg_mask, lv, "5/3").astype(np.uint8)
            bg_payload, btop = _code_lossless(a.astype(np.int32) - np.int32(dc), lv, bsup)
            params["bg.top"] = btop
        params["bg"] = background
        sections.append(_ct.Section(_ct.SectionType.BACKGROUND, bg_payload))
        mode = "hybrid-" + mode
    t_bg = time.perf_counter()
    header = _ct.Header(
        width=w, height=h, dtype=str(a.dtype), bit_depth=_bit_depth(vmin, vmax, signed),
        signed=bool(signed), mode=mode, wavelet=wv, levels=lv, model_id=model_id,
        model_sha256=model_sha, preprocessing=steps, params=params,
    )
    blob = _ct.pack(header, sections, key=key, passphrase=passphrase)
    t_end = time.perf_counter()
    rep.mode = mode
    rep.roi_fraction = 1.0 if mask is None else float(mask.mean())
    rep.sections = {s.type.name.lower(): len(s.data) for s in sections}
    rep.timings_ms = {
        "preprocess": (t_pre - t0) * 1e3, "roi_detect": (t_roi - t_pre) * 1e3,
        "roi_code": (t_roi_code - t_roi) * 1e3, "background": (t_bg - t_roi_code) * 1e3,
        "container": (t_end - t_bg) * 1e3, "total": (t_end - t0) * 1e3,
    }
    return blob


def _param(p: dict, name: str, kind: type) -> Any:
    v = p.get(name)
    if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
        raise CorruptStreamError(f"container parameter {name!r} missing or of the wrong type")
    return v


def _decode_roi(hdr, p: dict, payload: bytes, shape: tuple[int, int], lv: int, mask, vmin: int,
                dc: int) -> np.ndarray:
    """The ROI section (EZW): pixel values (int64 or float) of the ROI, the whole image when
    ``mask`` is None."""
    base = hdr.mode.removeprefix("hybrid-")
    top = _param(p, "roi.top", int)
    if not -1 <= top <= 30:
        raise CorruptStreamError("impossible ROI top bit plane")
    if hdr.wavelet not in _ezw.WAVELETS or (base != "rate" and hdr.wavelet != "5/3"):
        raise CorruptStreamError(f"impossible ROI wavelet {hdr.wavelet!r} for mode {base!r}")
    sup = None if mask is None else _wv.support_mask(mask, lv, hdr.wavelet).astype(np.uint8)
    if base == "rate":
        step_exp = _param(p, "roi.step_exp", int)
        if not -1100 < step_exp < 1100:
            raise CorruptStreamError("impossible ROI quantizer step")
        x = _decode_rate(payload, shape, lv, hdr.wavelet, top, step_exp, sup)
        return np.rint(x + dc)
    q = _decode_lossless(payload, shape, lv, top, sup).astype(np.int64)
    if base == "lossless":
        return q + dc
    d = _param(p, "roi.max_error", int)
    if not 1 <= d <= MAX_ROI_ERROR:
        raise CorruptStreamError("impossible near-lossless error bound")
    return q * (2 * d + 1) + vmin


def decode(data: bytes | bytearray | memoryview, *, key: Any = None,
           passphrase: str | bytes | None = None) -> np.ndarray:
    """Decode a container made by :func:`encode`.

    Parameters
    ----------
    data : bytes-like
    key, passphrase : optional
        Needed for encrypted containers (:class:`~sdwtfast.errors.KeyRequiredError` otherwise).

    Returns
    -------
    ndarray
        The image, of the encoder input's shape and dtype (``int32`` input comes back as the
        16-bit dtype it was stored as).

    Raises
    ------
    CorruptStreamError, UnsupportedFormatError, KeyRequiredError, AuthenticationError
    """
    hdr, sections = _ct.unpack(data, key=key, passphrase=passphrase)
    secs = {s.type: bytes(s.data) for s in sections}
    p = dict(hdr.params)
    h, w, lv = hdr.height, hdr.width, hdr.levels
    if lv > _ezw._max_levels(h, w) or lv > 10:
        raise CorruptStreamError("container has impossible wavelet levels")
    vmin, vmax, dc = _param(p, "vmin", int), _param(p, "vmax", int), _param(p, "dc", int)
    if hdr.dtype not in ("uint8", "uint16", "int16") or vmin > vmax:
        raise CorruptStreamError("container has an impossible value range or dtype")
    lim = np.iinfo(hdr.dtype)
    if vmin < lim.min or vmax > lim.max or not vmin <= dc <= vmax:
        raise CorruptStreamError(f"container value range {vmin}..{vmax} does not fit {hdr.dtype}")
    base = hdr.mode.removeprefix("hybrid-")
    if base not in ("lossless", "near-lossless", "rate"):
        raise CorruptStreamError(f"unknown mode {hdr.mode!r}")
    has_roi, has_pred = _ct.SectionType.ROI in secs, _ct.SectionType.PRED in secs
    if has_roi == has_pred:
        raise CorruptStreamError("container needs exactly one ROI or PRED section")
    mask = None
    if hdr.mode.startswith("hybrid-"):
        if _ct.SectionType.MASK not in secs or _ct.SectionType.BACKGROUND not in secs:
            raise CorruptStreamError("hybrid container lacks its MASK or BACKGROUND section")
        mask = _stored_mask(hdr, secs)
    if has_pred:
        if base == "rate":
            raise CorruptStreamError("the predictive coder codes only lossless or "
                                     "near-lossless ROIs")
        d = 0 if base == "lossless" else _param(p, "roi.max_error", int)
        if not 0 <= d <= MAX_ROI_ERROR:
            raise CorruptStreamError("impossible near-lossless error bound")
        qmax = _pred_maxval(base, vmin, vmax, d)
        if not 0 < qmax <= _native().PRED_MAX_VALUE:
            raise CorruptStreamError("impossible value range for the predictive coder")
        q = _native().pred_decode(secs[_ct.SectionType.PRED], h, w, qmax, mask=mask)
        img = q.astype(np.int64) * (2 * d + 1) + vmin
    else:
        img = _decode_roi(hdr, p, secs[_ct.SectionType.ROI], (h, w), lv, mask, vmin, dc)
    if mask is not None:
        bg = p.get("bg")
        bsecs = secs[_ct.SectionType.BACKGROUND]
        if bg == "learned":
            from . import background as _bg

            if _bg.weights_for(hdr.model_sha256.hex()) is None:
                raise UnsupportedFormatError(
                    f"background was coded with model {hdr.model_id!r} "
                    f"({hdr.model_sha256.hex()[:12]}...), whose weights this installation "
                    "does not have"
                )
            bimg = _bg.decode(bsecs).astype(np.float64)
        elif bg == "wavelet":
            btop, bstep = _param(p, "bg.top", int), _param(p, "bg.step_exp", int)
            if not -1 <= btop <= 30 or not -1100 < bstep < 1100:
                raise CorruptStreamError("impossible background parameters")
            bsup = _wv.support_mask(~mask, lv, "9/7").astype(np.uint8)
            bimg = np.rint(_decode_rate(bsecs, (h, w), lv, "9/7", btop, bstep, bsup) + dc)
        elif bg == "lossless":
            btop = _param(p, "bg.top", int)
            if not -1 <= btop <= 30:
                raise CorruptStreamError("impossible background parameters")
            bsup = _wv.support_mask(~mask, lv, "5/3").astype(np.uint8)
            bimg = _decode_lossless(bsecs, (h, w), lv, btop, bsup).astype(np.int64) + dc
        else:
            raise CorruptStreamError(f"unknown background coder {bg!r}")
        if bimg.shape != (h, w):
            raise CorruptStreamError("background decodes to the wrong shape")
        img = np.where(mask, img, bimg)
    out = np.clip(img, vmin, vmax)
    if hdr.mode == "lossless" and not np.array_equal(out, img):
        raise CorruptStreamError("lossless container decodes outside its recorded value range")
    return out.astype(hdr.dtype)


def roi_mask(data: bytes | bytearray | memoryview, *, key: Any = None,
             passphrase: str | bytes | None = None) -> np.ndarray | None:
    """The ROI stored in a container, as a pixel mask (None: the whole image is the ROI)."""
    hdr, sections = _ct.unpack(data, key=key, passphrase=passphrase)
    secs = {s.type: bytes(s.data) for s in sections}
    return _stored_mask(hdr, secs) if _ct.SectionType.MASK in secs else None


def _stored_mask(hdr: _ct.Header, secs: dict) -> np.ndarray:
    """Pixel mask of a container's MASK section (block bitmap expanded to pixels)."""
    if _param(dict(hdr.params), "block", int) != BLOCK:
        raise CorruptStreamError("unsupported ROI block size")
    from . import roi as _roi

    h, w = hdr.height, hdr.width
    bmask = _native().bitmap_decode(secs[_ct.SectionType.MASK], -(-h // BLOCK), -(-w // BLOCK))
    return _roi.expand_blocks(bmask, BLOCK, (h, w))


def info(data: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Describe a container without decoding it; no key needed.

    Returns
    -------
    dict
        ``version``, ``encrypted``, ``key_source``, geometry, dtype, bit depth, mode,
        wavelet, levels, model, preprocessing, parameters, total size and, for unencrypted
        containers, the size of each section.
    """
    ci = _ct.read_header(data)
    hd = ci.header
    out: dict[str, Any] = {
        "version": ".".join(map(str, ci.version)),
        "encrypted": ci.encrypted,
        "key_source": ci.key_source,
        "width": hd.width,
        "height": hd.height,
        "dtype": hd.dtype,
        "bit_depth": hd.bit_depth,
        "signed": hd.signed,
        "mode": hd.mode,
        "wavelet": hd.wavelet,
        "levels": hd.levels,
        "model_id": hd.model_id or None,
        "preprocessing": list(hd.preprocessing),
        "params": dict(hd.params),
        "size": len(data),
        "header_size": ci.header_size,
    }
    if not ci.encrypted:
        _, sections = _ct.unpack(data)
        out["sections"] = {s.type.name.lower() if hasattr(s.type, "name") else str(s.type):
                           len(s.data) for s in sections}
    return out
