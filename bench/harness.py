"""One interface for every codec in the comparison runs (issue 6), and the measurements.

A :class:`Method` has a ``name``, a ``family`` (the row of the source design's table it
stands for), a ``lossless`` flag, ``encode(image, target_bpp, ctx) -> bytes`` and
``decode(data, ctx) -> ndarray``. Adding a codec is a subclass with those two methods, or a
:class:`Method` built from two functions, appended to :func:`methods`.

Rate matching. Codecs with rate control get the target directly: JPEG 2000 (OpenJPEG
``compression_ratios`` relative to the stored bit depth), sdwtfast EZW and the LL-SVD mode
(byte budgets). The others are searched: JPEG by bisection on its integer quality, JPEG-LS
near-lossless on NEAR, the hybrid's wavelet background on ``background_quality`` (its bytes
are linear in it: two or three encodes), the learned codec and the hybrid's learned background
over their four levels. The search keeps the best point that does not exceed the target; when
none does (a lossless ROI alone can cost more than the target), the smallest point is kept and
marked ``reached=False``. Every record carries the *achieved* bpp and ratio; nothing pretends
to an exact match.

Compression ratio = stored bits per pixel / achieved bpp (a 14-bit CT at 1.75 bpp is 8:1,
not 9.1:1 as its 16-bit container would say).

Side information a codec needs that its own stream lacks (a sample offset to make signed data
unsigned, a bit shift to fit 12-bit JPEG) goes into a 5-byte prefix that is counted in the
size.

Metrics (:func:`measure`): PSNR with two peaks (``2**bits - 1``, labelled ``psnr_bits``, and
the image's ``max - min``, ``psnr_range``), SSIM (scikit-image, the package's settings: data
range of the reference, 7x7 window; one SSIM map averaged over each region), MSE, maximum
error, for the whole image, the ROI and the background. A lossless region has ``lossless:
True`` and an infinite PSNR, printed as "lossless".
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RATIOS = (8, 16, 32, 64)
_LAST_TIMES: dict[int, float] = {}  # id(stream) -> seconds of the encode that made it
_SIDE = struct.Struct("<ib")  # sample offset, right shift (JPEG / JPEG-LS side information)


# ---- context ------------------------------------------------------------------------------


@dataclass
class Context:
    """What a method may know besides the pixels: stored bits and the two ROI masks."""

    bits: int
    roi_box: np.ndarray
    roi_auto: np.ndarray | None = None
    shape: tuple[int, ...] = ()
    dtype: Any = None


def box_roi(shape: tuple[int, int]) -> np.ndarray:
    """The fixed ROI: the centred box of half the height and half the width (a quarter)."""
    h, w = shape
    m = np.zeros(shape, dtype=bool)
    m[h // 4 : h // 4 + max(1, h // 2), w // 4 : w // 4 + max(1, w // 2)] = True
    return m


def make_context(image: np.ndarray, bits: int, *, auto: bool = True) -> Context:
    """Context with the box ROI and (if ``auto``) the SVD detector's ROI, block-expanded as
    the codec stores it (so ROI metrics are on the pixels the codec treats as ROI)."""
    from sdwtfast import codec, roi

    box = box_roi(image.shape)
    am = None
    if auto:
        m = roi.resolve_roi("auto", image)
        am = roi.expand_blocks(roi.block_mask(m, codec.BLOCK), codec.BLOCK, image.shape)
        if not am.any() or am.all():
            am = None
    return Context(bits=bits, roi_box=box, roi_auto=am, shape=image.shape, dtype=image.dtype)


# ---- the interface -------------------------------------------------------------------------


class Method:
    """A codec in the comparison. Subclass and override :meth:`encode` / :meth:`decode`."""

    name = "?"
    family = "?"
    lossless = False
    roi: str | None = None  # "box" / "auto" for hybrids: metrics on that ROI too
    needs: tuple[str, ...] = ()  # importable modules required

    def available(self) -> bool:
        import importlib.util

        return all(importlib.util.find_spec(m) is not None for m in self.needs)

    def encode(self, image: np.ndarray, target_bpp: float | None, ctx: Context) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes, ctx: Context) -> np.ndarray:
        raise NotImplementedError

    def matched(self, image: np.ndarray, target_bpp: float, ctx: Context) -> tuple[bytes, bool]:
        """Encode at (at most) ``target_bpp``; returns ``(stream, reached)``."""
        data = self.encode(image, None if self.lossless else target_bpp, ctx)
        return data, 8.0 * len(data) / image.size <= target_bpp * 1.0005


class FnMethod(Method):
    """A method from two functions (for quick additions)."""

    def __init__(
        self,
        name: str,
        family: str,
        enc: Callable,
        dec: Callable,
        *,
        lossless: bool = False,
        needs: Sequence[str] = (),
    ):
        self.name, self.family, self.lossless, self.needs = name, family, lossless, tuple(needs)
        self._enc, self._dec = enc, dec

    def encode(self, image, target_bpp, ctx):
        return self._enc(image, target_bpp, ctx)

    def decode(self, data, ctx):
        return self._dec(data, ctx)


def _budget(image: np.ndarray, target_bpp: float) -> int:
    return int(target_bpp * image.size / 8)


def _search_int(
    encode: Callable[[int], bytes], lo: int, hi: int, budget: int, better_high: bool = True
) -> tuple[bytes, bool]:
    """Bisection over an integer knob whose size grows with it (``better_high``) or falls."""
    best, smallest = None, None
    cache: dict[int, bytes] = {}

    def enc(v: int) -> bytes:
        if v not in cache:
            t = time.perf_counter()
            cache[v] = encode(v)
            _LAST_TIMES[id(cache[v])] = time.perf_counter() - t
        return cache[v]

    a, b = lo, hi
    while a <= b:
        mid = (a + b) // 2
        d = enc(mid)
        if smallest is None or len(d) < len(smallest):
            smallest = d
        if len(d) <= budget:
            if best is None or len(d) > len(best):
                best = d
            if better_high:
                a = mid + 1
            else:
                b = mid - 1
        elif better_high:
            b = mid - 1
        else:
            a = mid + 1
    if best is not None:
        return best, True
    extreme = enc(lo if better_high else hi)
    return extreme, False


def _to_unsigned(image: np.ndarray, max_bits: int) -> tuple[np.ndarray, int, int]:
    """Offset to 0 and right-shift until the range fits ``max_bits``: (array, offset, shift)."""
    off = int(image.min())
    u = image.astype(np.int64) - off
    shift = 0
    while int(u.max()) >> shift >= (1 << max_bits):
        shift += 1
    if shift:
        u = (u + (1 << (shift - 1))) >> shift
        u = np.minimum(u, (1 << max_bits) - 1)
    dt = np.uint8 if max_bits <= 8 else np.uint16
    return u.astype(dt), off, shift


def _from_unsigned(u: np.ndarray, off: int, shift: int, dtype: np.dtype) -> np.ndarray:
    x = (u.astype(np.int64) << shift) + off
    info = np.iinfo(dtype)
    return np.clip(x, info.min, info.max).astype(dtype)


# ---- the codecs ----------------------------------------------------------------------------


class Jpeg(Method):
    """JPEG (libjpeg-turbo through imagecodecs): 8-bit for images of <= 8 bits, 12-bit
    otherwise. Images with more than 12 bits of range are offset to 0 and right-shifted to fit
    12 bits (the shift is side information; it is a loss JPEG cannot avoid). Rate: bisection
    on the quality 1..100."""

    name, family, needs = "JPEG", "JPEG", ("imagecodecs",)

    def _prep(self, image, ctx):
        eight = ctx.bits <= 8 and image.dtype == np.uint8
        u, off, shift = _to_unsigned(image, 8 if eight else 12)
        return u, off, shift, (8 if eight else 12)

    def encode(self, image, target_bpp, ctx):
        import imagecodecs

        u, off, shift, bps = self._prep(image, ctx)
        side = _SIDE.pack(off, shift)

        def enc(q: int) -> bytes:
            return side + imagecodecs.jpeg8_encode(u, level=q, bitspersample=bps)

        if target_bpp is None:
            return enc(95)
        return _search_int(enc, 1, 100, _budget(image, target_bpp))[0]

    def matched(self, image, target_bpp, ctx):
        import imagecodecs

        u, off, shift, bps = self._prep(image, ctx)
        side = _SIDE.pack(off, shift)
        return _search_int(
            lambda q: side + imagecodecs.jpeg8_encode(u, level=q, bitspersample=bps),
            1,
            100,
            _budget(image, target_bpp),
        )

    def decode(self, data, ctx):
        import imagecodecs

        off, shift = _SIDE.unpack_from(data)
        u = imagecodecs.jpeg8_decode(data[_SIDE.size :])
        return _from_unsigned(u, off, shift, ctx.dtype)


class Jpeg2000(Method):
    """JPEG 2000 (OpenJPEG via pylibjpeg-openjpeg): 9/7, one layer, its own rate control
    (``compression_ratios`` relative to the stored bits); reversible 5/3 when lossless."""

    family, needs = "JPEG2000", ("openjpeg",)

    def __init__(self, lossless: bool = False):
        self.lossless = lossless
        self.name = "JPEG 2000 lossless" if lossless else "JPEG 2000"

    def encode(self, image, target_bpp, ctx):
        import openjpeg

        if self.lossless or target_bpp is None:
            return openjpeg.encode(image, bits_stored=ctx.bits)
        ratio = max(ctx.bits / target_bpp, 1.0)
        b = openjpeg.encode(image, bits_stored=ctx.bits, compression_ratios=[ratio])
        for _ in range(6):  # OpenJPEG sometimes overshoots by a few bytes: nudge the ratio
            if len(b) <= _budget(image, target_bpp):
                break
            ratio *= 1.01
            b = openjpeg.encode(image, bits_stored=ctx.bits, compression_ratios=[ratio])
        return b

    def decode(self, data, ctx):
        import openjpeg

        return np.asarray(openjpeg.decode(data)).reshape(ctx.shape).astype(ctx.dtype)


class JpegLS(Method):
    """JPEG-LS (CharLS via imagecodecs): lossless (NEAR=0) or near-lossless, NEAR searched to
    the target (max error NEAR). Signed data offset to unsigned (side information)."""

    family, needs = "JPEG-LS", ("imagecodecs",)

    def __init__(self, lossless: bool):
        self.lossless = lossless
        self.name = "JPEG-LS lossless" if lossless else "JPEG-LS near-lossless"

    def _enc(self, image, near):
        import imagecodecs

        u, off, shift = _to_unsigned(image, 16)
        return _SIDE.pack(off, shift) + imagecodecs.jpegls_encode(u, level=near)

    def encode(self, image, target_bpp, ctx):
        if self.lossless or target_bpp is None:
            return self._enc(image, 0)
        return self.matched(image, target_bpp, ctx)[0]

    def matched(self, image, target_bpp, ctx):
        if self.lossless:
            return super().matched(image, target_bpp, ctx)
        hi = int(min(255, max(1, (int(image.max()) - int(image.min())) // 2)))
        return _search_int(
            lambda n: self._enc(image, n), 1, hi, _budget(image, target_bpp), better_high=False
        )

    def decode(self, data, ctx):
        import imagecodecs

        off, shift = _SIDE.unpack_from(data)
        u = imagecodecs.jpegls_decode(data[_SIDE.size :])
        return _from_unsigned(u, off, shift, ctx.dtype)


class LLSvd(Method):
    """The source design's DWT + SVD: :mod:`sdwtfast.llsvd` (2-level 9/7, rank-k LL chosen by
    a rate-distortion search, EZW details), byte budget = the target."""

    name, family = "DWT+SVD (LL rank-k)", "DWT+SVD"

    def encode(self, image, target_bpp, ctx):
        from sdwtfast import llsvd

        return llsvd.encode(image, bpp=target_bpp)

    def decode(self, data, ctx):
        from sdwtfast import llsvd

        return llsvd.decode(data)


class Learned(Method):
    """ "CNN only": the learned codec (:mod:`sdwtfast.background`) on the whole image; the
    target picks the best of its levels that fits."""

    name, family, needs = "CNN only (learned codec)", "CNN only", ("torch",)

    def encode(self, image, target_bpp, ctx):
        from sdwtfast import background

        if target_bpp is None:
            return background.encode(image, quality=max(background.QUALITIES))
        return self.matched(image, target_bpp, ctx)[0]

    def matched(self, image, target_bpp, ctx):
        from sdwtfast import background

        qs = list(background.QUALITIES)
        return _search_int(
            lambda i: background.encode(image, quality=qs[i]),
            0,
            len(qs) - 1,
            _budget(image, target_bpp),
        )

    def decode(self, data, ctx):
        from sdwtfast import background

        return background.decode(data)


class Ezw(Method):
    """sdwtfast whole-image EZW (:func:`sdwtfast.ezw.encode_image`): 9/7 at a byte budget
    (the header included in the target), or lossless 5/3."""

    family = "sdwtfast EZW"

    def __init__(self, lossless: bool = False):
        self.lossless = lossless
        self.name = "sdwtfast EZW lossless" if lossless else "sdwtfast EZW 9/7"

    def encode(self, image, target_bpp, ctx):
        from sdwtfast import ezw

        if self.lossless or target_bpp is None:
            return ezw.encode_image(image)
        hs = ezw.read_header(ezw.encode_image(image[:1, :1], bpp=8.0)).size
        pay = max(1, _budget(image, target_bpp) - hs)
        return ezw.encode_image(image, bpp=pay * 8.0 / image.size)

    def decode(self, data, ctx):
        from sdwtfast import ezw

        return ezw.decode_image(data)


class Container(Method):
    """sdwtfast's default ``sdwtfast.encode(image)``: a lossless container whose payload is the
    smaller of the 5/3 EZW stream and the predictive coder's (header included)."""

    name, family, lossless = "sdwtfast lossless (container)", "sdwtfast", True

    def encode(self, image, target_bpp, ctx):
        import sdwtfast

        return sdwtfast.encode(image)

    def decode(self, data, ctx):
        import sdwtfast

        return sdwtfast.decode(data)


class Hybrid(Method):
    """The sdwtfast hybrid (:func:`sdwtfast.encode`): ROI lossless or within ``max_error``;
    background by the wavelet path (``background_quality`` searched to the target) or the
    learned codec (its levels)."""

    family, needs = "Proposed hybrid", ()

    def __init__(self, roi: str, max_error: int, background: str):
        self.roi, self.max_error, self.background = roi, max_error, background
        fid = "lossless" if max_error == 0 else f"|e|<={max_error}"
        bg = "learned bg" if background == "learned" else "wavelet bg"
        self.name = f"hybrid {roi} ROI {fid}, {bg}"
        if background == "learned":
            self.needs = ("torch",)

    def _mask(self, ctx):
        return ctx.roi_box if self.roi == "box" else ctx.roi_auto

    def _enc(self, image, ctx, q):
        import sdwtfast

        t = time.perf_counter()
        d = sdwtfast.encode(
            image,
            roi=self._mask(ctx),
            roi_max_error=self.max_error,
            background=self.background,
            background_quality=q,
        )
        _LAST_TIMES[id(d)] = time.perf_counter() - t
        return d

    def encode(self, image, target_bpp, ctx):
        if target_bpp is None:
            return self._enc(image, ctx, None)
        return self.matched(image, target_bpp, ctx)[0]

    def matched(self, image, target_bpp, ctx):
        budget = _budget(image, target_bpp)
        if self.background == "learned":
            from sdwtfast import background

            qs = list(background.QUALITIES)
            return _search_int(lambda i: self._enc(image, ctx, qs[i]), 0, len(qs) - 1, budget)
        # wavelet background: its bytes are (nearly) linear in background_quality
        n_bg = int((~self._mask(ctx)).sum())
        q_min = 0.005
        d = self._enc(image, ctx, q_min)
        if len(d) > budget:
            return d, False
        fixed = len(d) - q_min * n_bg / 8
        best = d
        q = q_min
        for _ in range(4):
            q = max(q_min, (budget - fixed) * 8.0 / n_bg * 0.999)
            d = self._enc(image, ctx, q)
            if len(d) <= budget:
                if len(d) > len(best):
                    best = d
                if len(d) >= budget * 0.995:
                    break
                fixed -= (budget - len(d)) * 0.9
            else:
                fixed += (len(d) - budget) + 8
        return best, True

    def decode(self, data, ctx):
        import sdwtfast

        return sdwtfast.decode(data)


def methods(*, learned: bool = True) -> list[Method]:
    """Every method of the comparison, in table order."""
    out: list[Method] = [
        Jpeg(),
        Jpeg2000(),
        Jpeg2000(lossless=True),
        JpegLS(lossless=True),
        JpegLS(lossless=False),
        LLSvd(),
        Ezw(),
        Ezw(lossless=True),
        Container(),
    ]
    if learned:
        out.append(Learned())
    for roi in ("box", "auto"):
        for d in (0, 2):
            out.append(Hybrid(roi, d, "wavelet"))
            if learned:
                out.append(Hybrid(roi, d, "learned"))
    return out


# ---- measurements --------------------------------------------------------------------------


def _region(
    x: np.ndarray,
    y: np.ndarray,
    m: np.ndarray | None,
    bits: int,
    rng: float,
    smap: np.ndarray | None,
) -> dict[str, Any]:
    d = (x - y) if m is None else (x - y)[m]
    e = float(np.mean(d * d))
    pb, pr = float(2**bits - 1), rng

    def ps(peak):
        return math.inf if e == 0 else 10.0 * math.log10(peak * peak / e)

    if e == 0:
        s = 1.0
    elif smap is None:
        s = None
    else:
        s = float(smap.mean() if m is None else smap[m].mean())
    return {
        "pixels": int(d.size),
        "lossless": e == 0,
        "mse": e,
        "max_abs_error": float(np.abs(d).max()),
        "psnr_bits": ps(pb),
        "psnr_range": ps(pr) if pr > 0 else None,
        "ssim": s,
    }


def measure(
    original: np.ndarray, decoded: np.ndarray, bits: int, rois: dict[str, np.ndarray | None]
) -> dict[str, Any]:
    """Metrics for the whole image and for each ROI (``"roi_<name>"``) and its complement
    (``"bg_<name>"``). One SSIM map (scikit-image, data range of the reference, 7x7 window)
    is averaged over each region."""
    from skimage.metrics import structural_similarity

    x = original.astype(np.float64)
    y = decoded.astype(np.float64)
    rng = float(x.max() - x.min())
    smap = None
    side = min(x.shape)
    if side >= 3 and not np.array_equal(x, y):
        win = min(7, side if side % 2 else side - 1)
        _, smap = structural_similarity(x, y, data_range=rng or 1.0, win_size=win, full=True)
    out = {"image": _region(x, y, None, bits, rng, smap)}
    for name, m in rois.items():
        if m is None or not m.any() or m.all():
            continue
        out[f"roi_{name}"] = _region(x, y, m, bits, rng, smap)
        out[f"bg_{name}"] = _region(x, y, ~m, bits, rng, smap)
    return out


@dataclass
class Record:
    image: str
    method: str
    family: str
    lossless_method: bool
    target_ratio: float | None
    reached: bool
    nbytes: int
    bpp: float
    ratio: float
    encode_s: float
    decode_s: float
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def region(self, name: str) -> dict[str, Any] | None:
        return self.metrics.get(name)


def run_point(
    method: Method, image: np.ndarray, ctx: Context, name: str, target_ratio: float | None
) -> Record:
    """Encode (matched to ``bits / target_ratio`` bpp, or natively for lossless methods),
    decode, check and measure one point."""
    ctx.shape, ctx.dtype = image.shape, image.dtype
    tb = None if target_ratio is None else ctx.bits / target_ratio
    t0 = time.perf_counter()
    try:
        if tb is None:
            data, reached = method.encode(image, None, ctx), True
        else:
            data, reached = method.matched(image, tb, ctx)
        t1 = time.perf_counter()
        out = method.decode(data, ctx)
        t2 = time.perf_counter()
    except Exception as exc:  # a codec that cannot do this point: recorded, not fatal
        return Record(
            name,
            method.name,
            method.family,
            method.lossless,
            target_ratio,
            False,
            0,
            math.nan,
            math.nan,
            math.nan,
            math.nan,
            {},
            f"{type(exc).__name__}: {exc}",
        )
    # a searched rate: the time of the encode that made the chosen stream, not of the search
    enc_s = _LAST_TIMES.pop(id(data), t1 - t0)
    _LAST_TIMES.clear()
    if out.shape != image.shape:
        raise AssertionError(f"{method.name}: decoded shape {out.shape} != {image.shape}")
    n = len(data)
    bpp = 8.0 * n / image.size
    rec = Record(
        name,
        method.name,
        method.family,
        method.lossless,
        target_ratio,
        reached,
        n,
        bpp,
        ctx.bits / bpp,
        enc_s,
        t2 - t1,
        measure(image, out, ctx.bits, {"box": ctx.roi_box, "auto": ctx.roi_auto}),
    )
    if method.lossless and not rec.metrics["image"]["lossless"]:
        raise AssertionError(f"{method.name}: lossless method is not lossless on {name}")
    return rec


def run_image(
    name: str,
    image: np.ndarray,
    bits: int,
    *,
    ratios: Sequence[float] = RATIOS,
    method_list: Sequence[Method] | None = None,
    ctx: Context | None = None,
    log: Callable[[str], None] | None = None,
) -> list[Record]:
    """Every available method at every ratio (lossless methods once) on one image."""
    ctx = ctx or make_context(image, bits)
    recs: list[Record] = []
    for m in method_list if method_list is not None else methods():
        if not m.available():
            continue
        if m.roi == "auto" and ctx.roi_auto is None:
            continue
        for r in [None] if m.lossless else ratios:
            t = time.perf_counter()
            rec = run_point(m, image, ctx, name, r)
            recs.append(rec)
            if log:
                log(
                    f"  {name} {m.name} {r}: {rec.bpp:.3f} bpp "
                    f"{time.perf_counter() - t:.2f}s {rec.error}"
                )
    return recs
