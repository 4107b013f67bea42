"""Speed of the EZW core: C vs the pure-Python reference, with OpenJPEG and CharLS for context.

Run ``python bench/bench_ezw.py`` (about a few minutes on a shared 2-core machine) or
``python bench/bench_ezw.py --quick`` (small crops, seconds).

Per image (the 512x512 14-bit CT, the 1024x1024 MR and the 1760x1760 CR of the development
set) it times, on one core (OMP/MKL/OpenBLAS pools pinned to 1 thread, OpenJPEG with
``numthreads=1``; CharLS is single-threaded):

* the C stages separately: 5/3 lifting (``_native.lift53_forward``), the lossy 9/7 analysis
  with its weighting and quantizer, ``_native.ezw_encode`` / ``_native.ezw_decode`` alone at
  1 bpp (the quantized 9/7 pyramid of ``encode_image(bpp=1)``, byte budget ``pixels/8``) and
  lossless (all bit planes of the 5/3 pyramid), and the whole ``encode_image`` /
  ``decode_image`` lossless and at 1 bpp;
* the same stages on the pure-Python reference (``sdwtfast.reference``), on the full CT and on
  a centred crop of the other images (``--ref-size``, default 256), with C re-timed on the
  same crop so the speed-up compares identical streams (the bench asserts byte equality of C
  and reference output, and equality of the decoded arrays);
* OpenJPEG (imagecodecs ``jpeg2k_encode`` reversible / ``jpeg2k_decode``, and
  pylibjpeg-openjpeg's rate-controlled lossy encode at the size of our 1 bpp stream) and
  CharLS JPEG-LS (imagecodecs; signed data shifted by its minimum to unsigned).

Times are the best of N ``time.perf_counter`` runs (minimum: the least disturbed run on a
shared machine); the reference runs once (it takes seconds).
"""

from __future__ import annotations

import os

for _v in (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devimages  # noqa: E402

from sdwtfast import _native, ezw, pyramid  # noqa: E402

ARITH = ezw.BACKENDS["arith"]
TARGET_EZW_MS = 10.0
TARGET_SPEEDUP = 300.0


def reference():
    """``(reference module, reference ENGINE)`` or ``(None, None)`` if not importable."""
    try:
        from sdwtfast import reference as ref
        from sdwtfast.reference.engine import ENGINE

        ref.encode_image  # noqa: B018
        ref.decode_image  # noqa: B018
    except (ImportError, AttributeError):
        return None, None
    return ref, ENGINE


def best_of(fn, repeats: int, max_s: float = 2.0):
    """Best (minimum) ``perf_counter`` seconds of ``fn()`` over ``repeats`` runs (fewer if
    the runs exceed ``max_s`` in all), and the last result."""
    best, spent, res = math.inf, 0.0, None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
        if spent > max_s:
            break
    return best, res


def lossy_pyramid(engine, a: np.ndarray, bpp: float, wavelet: str = "9/7", levels=None):
    """The quantized, weighted pyramid ``encode_image(a, bpp=bpp)`` hands to ``ezw_encode``
    (same steps as ``sdwtfast.ezw.encode_image``; the bench checks the payloads agree).
    Returns ``(coef int32, levels, max_bytes)``."""
    h, w = a.shape
    lv = ezw.default_levels(h, w) if levels is None else levels
    dc = (int(a.min()) + int(a.max())) // 2
    coef, _ = pyramid.quantize(engine, a.astype(np.float64) - float(dc), lv, wavelet)
    return coef, lv, max(1, int(bpp * h * w / 8))


def lossless_pyramid(engine, a: np.ndarray, levels=None):
    h, w = a.shape
    lv = ezw.default_levels(h, w) if levels is None else levels
    dc = (int(a.min()) + int(a.max())) // 2
    return engine.lift53_forward(a.astype(np.int32) - np.int32(dc), lv), lv


@dataclass
class Row:
    image: str
    stage: str
    c_ms: float  # C time on the full image
    pixels: int
    out_bytes: int | None = None
    ref_region: str = ""
    c_ref_ms: float | None = None  # C time on the reference region
    ref_ms: float | None = None
    identical: bool | None = None

    @property
    def mps(self) -> float:
        return self.pixels / (self.c_ms * 1e3) if self.c_ms > 0 else math.inf

    @property
    def speedup(self) -> float | None:
        if self.ref_ms is None or not self.c_ref_ms:
            return None
        return self.ref_ms / self.c_ref_ms


@dataclass
class ImageResult:
    name: str
    label: str
    shape: tuple[int, int]
    rows: list[Row] = field(default_factory=list)

    def row(self, stage: str) -> Row:
        for r in self.rows:
            if r.stage == stage:
                return r
        raise KeyError(stage)


# stage names (also used by the summary and the smoke test)
S_LIFT = "5/3 lift forward (C)"
S_97 = "9/7 fwd+weight+quantize"
S_ENC1 = "EZW encode 1 bpp (arith)"
S_DEC1 = "EZW decode 1 bpp (arith)"
S_ENCL = "EZW encode lossless"
S_DECL = "EZW decode lossless"
S_IMG_ENCL = "encode_image lossless"
S_IMG_DECL = "decode_image lossless"
S_IMG_ENC1 = "encode_image 1 bpp"
S_IMG_DEC1 = "decode_image 1 bpp"
S_J2K_ENCL = "OpenJPEG enc lossless"
S_J2K_DECL = "OpenJPEG dec lossless"
S_J2K_ENC1 = "OpenJPEG enc lossy =size"
S_J2K_DEC1 = "OpenJPEG dec lossy"
S_JLS_ENC = "CharLS enc lossless"
S_JLS_DEC = "CharLS dec lossless"
REF_STAGES = (
    S_LIFT,
    S_ENC1,
    S_DEC1,
    S_ENCL,
    S_DECL,
    S_IMG_ENCL,
    S_IMG_DECL,
    S_IMG_ENC1,
    S_IMG_DEC1,
)


def _c_stages(a: np.ndarray, repeats: int) -> dict[str, tuple[float, object]]:
    """Time every C stage on ``a``: {stage: (seconds, output)}."""
    h, w = a.shape
    n = _native
    out: dict[str, tuple[float, object]] = {}
    coefl, lv = lossless_pyramid(n, a)
    dc = (int(a.min()) + int(a.max())) // 2
    a32 = a.astype(np.int32) - np.int32(dc)
    out[S_LIFT] = best_of(lambda: n.lift53_forward(a32, lv), repeats)
    out[S_97] = best_of(lambda: lossy_pyramid(n, a, 1.0)[0], repeats)
    coef1, lv1, mb = lossy_pyramid(n, a, 1.0)
    t, (p1, top1, _) = best_of(lambda: n.ezw_encode(coef1, lv1, None, ARITH, None, 0, mb), repeats)
    out[S_ENC1] = (t, p1)
    out[S_DEC1] = best_of(lambda: n.ezw_decode(p1, h, w, lv1, None, ARITH, top1, 0), repeats)
    t, (pl, topl, _) = best_of(lambda: n.ezw_encode(coefl, lv, None, ARITH, None, 0, 0), repeats)
    out[S_ENCL] = (t, pl)
    out[S_DECL] = best_of(lambda: n.ezw_decode(pl, h, w, lv, None, ARITH, topl, 0), repeats)
    t, sl = best_of(lambda: ezw.encode_image(a), repeats)
    out[S_IMG_ENCL] = (t, sl)
    out[S_IMG_DECL] = best_of(lambda: ezw.decode_image(sl), repeats)
    t, s1 = best_of(lambda: ezw.encode_image(a, bpp=1.0), repeats)
    out[S_IMG_ENC1] = (t, s1)
    out[S_IMG_DEC1] = best_of(lambda: ezw.decode_image(s1), repeats)
    # consistency of the bench's own pipeline with encode_image
    hs = ezw.read_header(s1).size
    assert s1[hs:] == p1, "lossy_pyramid() no longer matches encode_image: fix the bench"
    assert sl[hs:] == pl, "lossless_pyramid() no longer matches encode_image: fix the bench"
    assert np.array_equal(out[S_IMG_DECL][1], a), "lossless round trip failed"
    return out


def _ref_stages(ref, eng, a: np.ndarray, c: dict) -> dict[str, tuple[float, object]]:
    """Time the reference once per stage on ``a``; asserts equality with the C outputs ``c``
    (same region)."""
    h, w = a.shape
    out: dict[str, tuple[float, object]] = {}

    def once(fn):
        t0 = time.perf_counter()
        r = fn()
        return time.perf_counter() - t0, r

    dc = (int(a.min()) + int(a.max())) // 2
    a32 = a.astype(np.int32) - np.int32(dc)
    coefl, lv = lossless_pyramid(_native, a)
    out[S_LIFT] = once(lambda: eng.lift53_forward(a32, lv))
    coef1, lv1, mb = lossy_pyramid(_native, a, 1.0)  # identical input pyramid for both coders
    t, (p1, top1, _) = once(lambda: eng.ezw_encode(coef1, lv1, None, ARITH, None, 0, mb))
    out[S_ENC1] = (t, p1)
    out[S_DEC1] = once(lambda: eng.ezw_decode(p1, h, w, lv1, None, ARITH, top1, 0))
    t, (pl, topl, _) = once(lambda: eng.ezw_encode(coefl, lv, None, ARITH, None, 0, 0))
    out[S_ENCL] = (t, pl)
    out[S_DECL] = once(lambda: eng.ezw_decode(pl, h, w, lv, None, ARITH, topl, 0))
    out[S_IMG_ENCL] = once(lambda: ref.encode_image(a))
    out[S_IMG_DECL] = once(lambda: ref.decode_image(out[S_IMG_ENCL][1]))
    out[S_IMG_ENC1] = once(lambda: ref.encode_image(a, bpp=1.0))
    out[S_IMG_DEC1] = once(lambda: ref.decode_image(out[S_IMG_ENC1][1]))
    return out


def _same(x, y) -> bool:
    if isinstance(x, (bytes, bytearray)) or isinstance(y, (bytes, bytearray)):
        return bytes(x) == bytes(y)
    if isinstance(x, tuple) and isinstance(y, tuple):
        return len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y, strict=True))
    return bool(np.array_equal(np.asarray(x), np.asarray(y)))


def _to_unsigned(a: np.ndarray) -> np.ndarray:
    """JPEG-LS (CharLS) needs unsigned samples: shift signed data by its minimum."""
    if a.dtype.kind == "i":
        return (a.astype(np.int32) - int(a.min())).astype(np.uint16)
    return a


def _j2k_at_size(a: np.ndarray, bits: int, target: int, iters: int = 8) -> bytes:
    """pylibjpeg-openjpeg lossy (9/7, one layer) encode whose size is closest to ``target``
    bytes without exceeding it by more than 0.5%: OpenJPEG's rate control
    (``compression_ratios``, relative to ``bits`` per pixel) bracketed, then bisected on the
    log ratio. Small images reach only the sizes OpenJPEG's coding passes allow."""
    import openjpeg

    def enc(r: float) -> bytes:
        return openjpeg.encode(a, bits_stored=bits, compression_ratios=[max(r, 1.0)])

    ok = 1.005 * target
    best: bytes | None = None

    def keep(b: bytes) -> None:
        nonlocal best
        if len(b) <= ok and (best is None or len(b) > len(best)):
            best = b

    def close() -> bool:
        return best is not None and len(best) >= 0.998 * target

    r = max(a.size * bits / 8.0 / target, 1.0)
    b = enc(r)
    keep(b)
    if len(b) > ok:  # too big: raise the ratio until it fits
        lo, hi = r, r * 1.15
        for _ in range(12):
            b = enc(hi)
            keep(b)
            if len(b) <= ok:
                break
            lo, hi = hi, hi * 1.15
    else:  # fits: lower the ratio until it does not (or the file is close enough)
        hi, lo = r, r / 1.15
        for _ in range(12):
            if close() or lo <= 1.0:
                lo = max(lo, 1.0)
                break
            b = enc(lo)
            keep(b)
            if len(b) > ok:
                break
            hi, lo = lo, lo / 1.15
    for _ in range(iters):  # bisect on the log ratio
        if close() or hi <= lo * 1.0005:
            break
        mid = math.sqrt(lo * hi)
        b = enc(mid)
        keep(b)
        if len(b) > ok:
            lo = mid
        else:
            hi = mid
    return best if best is not None else enc(hi)


def _others(a: np.ndarray, bits: int, target: int, repeats: int) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    try:
        import imagecodecs
    except ImportError:
        return out
    t, bl = best_of(lambda: imagecodecs.jpeg2k_encode(a, reversible=True, numthreads=1), repeats)
    out[S_J2K_ENCL] = (t, bl)
    out[S_J2K_DECL] = best_of(lambda: imagecodecs.jpeg2k_decode(bl, numthreads=1), repeats)
    try:
        import openjpeg  # noqa: F401

        b1 = _j2k_at_size(a, bits, target)
        ratio = a.size * bits / 8.0 / len(b1)
        out[S_J2K_ENC1] = best_of(
            lambda: openjpeg.encode(a, bits_stored=bits, compression_ratios=[ratio]), repeats
        )
        out[S_J2K_DEC1] = best_of(lambda: imagecodecs.jpeg2k_decode(b1, numthreads=1), repeats)
    except ImportError:
        pass
    u = _to_unsigned(a)
    t, bj = best_of(lambda: imagecodecs.jpegls_encode(u), repeats)
    out[S_JLS_ENC] = (t, bj)
    out[S_JLS_DEC] = best_of(lambda: imagecodecs.jpegls_decode(bj), repeats)
    return out


def bench_image(
    name: str,
    a: np.ndarray,
    bits: int,
    *,
    repeats: int = 10,
    ref_size: int = 256,
    ref_full_max: int = 512 * 512,
    use_reference: bool = True,
    label: str | None = None,
) -> ImageResult:
    """Benchmark one image. The reference runs on the full image when it has at most
    ``ref_full_max`` pixels, else on a centred ``ref_size`` crop."""
    a = np.ascontiguousarray(a)
    h, w = a.shape
    res = ImageResult(name, label or name, (h, w))
    c = _c_stages(a, repeats)
    target = len(c[S_IMG_ENC1][1])
    o = _others(a, bits, target, repeats)
    ref, eng = reference() if use_reference else (None, None)
    rc = rr = None
    region = ""
    if ref is not None:
        ra = a if a.size <= ref_full_max else devimages.crop(a, ref_size)
        region = "full" if ra is a else f"{ra.shape[0]}x{ra.shape[1]} crop"
        rc = c if ra is a else _c_stages(ra, repeats)
        rr = _ref_stages(ref, eng, ra, rc)
    for stage, (t, out) in list(c.items()) + list(o.items()):
        nb = (
            len(out)
            if isinstance(out, (bytes, bytearray))
            else (len(out[0]) if isinstance(out, tuple) and isinstance(out[0], bytes) else None)
        )
        row = Row(name, stage, t * 1e3, h * w, nb)
        if rr is not None and stage in rr:
            row.ref_region = region
            row.c_ref_ms = rc[stage][0] * 1e3
            row.ref_ms = rr[stage][0] * 1e3
            row.identical = _same(rc[stage][1], rr[stage][1])
        res.rows.append(row)
    return res


def _f(x, fmt="{:.2f}", none="-"):
    return none if x is None else fmt.format(x)


def format_table(r: ImageResult) -> str:
    h, w = r.shape
    lines = [f"### {r.label} ({r.name}, {h}x{w}, {h * w / 1e6:.2f} MP)", ""]
    lines.append(
        "| stage | C ms | MP/s | out bpp | ref region | C ms (region) | ref ms "
        "| speed-up | identical |"
    )
    lines.append("|---|---:|---:|---:|---|---:|---:|---:|---|")
    for x in r.rows:
        bpp = None if x.out_bytes is None else 8.0 * x.out_bytes / x.pixels
        lines.append(
            f"| {x.stage} | {x.c_ms:.2f} | {x.mps:.1f} | {_f(bpp, '{:.3f}')} | "
            f"{x.ref_region or '-'} | {_f(x.c_ref_ms)} | {_f(x.ref_ms, '{:.0f}')} | "
            f"{_f(x.speedup, '{:.0f}x')} | {_f(x.identical, '{}')} |"
        )
    return "\n".join(lines)


def summary(results: list[ImageResult]) -> str:
    """Targets of issue 2 that this bench measures (on the CT if present)."""
    lines = ["### Targets (bench_ezw)", "", "| target | measured | verdict |", "|---|---|---|"]
    ct = next((r for r in results if r.name == "693_UNCR"), results[0] if results else None)
    if ct is None:
        return "\n".join(lines)
    if ct.shape != (512, 512):
        lines.insert(1, f"(on {ct.shape[0]}x{ct.shape[1]} crops: NOT the issue's 512x512 targets)")
    for stage in (S_ENC1, S_DEC1):
        ms = ct.row(stage).c_ms
        verdict = "met" if ms <= TARGET_EZW_MS else f"missed by {ms - TARGET_EZW_MS:.2f} ms"
        lines.append(f"| {stage} <= {TARGET_EZW_MS:.0f} ms ({ct.name}) | {ms:.2f} ms | {verdict} |")
    try:
        ours, oj = ct.row(S_IMG_ENCL).c_ms, ct.row(S_J2K_ENCL).c_ms
        verdict = "met" if ours < oj else f"missed: {ours / oj:.2f}x OpenJPEG's time"
        lines.append(
            f"| lossless encode_image < OpenJPEG lossless ({ct.name}) | "
            f"{ours:.2f} vs {oj:.2f} ms | {verdict} |"
        )
    except KeyError:
        pass
    for r in results:
        sp = [(x.speedup, x.stage) for x in r.rows if x.speedup is not None]
        if not sp:
            lines.append(
                f"| C >= {TARGET_SPEEDUP:.0f}x reference ({r.name}) | reference not "
                "importable | not measured |"
            )
            continue
        ezw_sp = [s for s in sp if s[1].startswith("EZW")]
        lo, lo_stage = min(ezw_sp or sp)
        allsame = all(x.identical for x in r.rows if x.identical is not None)
        verdict = "met" if lo >= TARGET_SPEEDUP else f"missed: {lo:.0f}x"
        lines.append(
            f"| C EZW >= {TARGET_SPEEDUP:.0f}x reference ({r.name}, "
            f"{r.rows[1].ref_region or r.rows[0].ref_region}) | min {lo:.0f}x "
            f"({lo_stage}); streams identical: {allsame} | {verdict} |"
        )
    return "\n".join(lines)


def machine_note() -> str:
    return (
        f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    ).strip()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 128x128 crops, 2 repeats, reference on 64x64 crops",
    )
    ap.add_argument("--repeats", type=int, default=None, help="best-of-N (default 10)")
    ap.add_argument(
        "--ref-size",
        type=int,
        default=None,
        help="crop side for the reference on images above 512x512 (default 256)",
    )
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--images", nargs="*", default=devimages.BENCH_IMAGES)
    args = ap.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 10)
    ref_size = args.ref_size or (64 if args.quick else 256)
    print(
        f"# bench_ezw: {machine_note()}; one thread; best of {repeats} perf_counter runs; "
        f"reference run once, full CT / {ref_size}x{ref_size} crops of larger images"
    )
    results = []
    for name in args.images:
        im = devimages.load(name)
        a = im.image
        if args.quick:
            a = devimages.crop(a, 128)
        r = bench_image(
            name,
            a,
            im.bits,
            repeats=repeats,
            ref_size=ref_size,
            ref_full_max=(64 * 64 if args.quick else 512 * 512),
            use_reference=not args.no_reference,
            label=im.label,
        )
        results.append(r)
        print()
        print(format_table(r), flush=True)
    print()
    print(summary(results))
    bad = [x for r in results for x in r.rows if x.identical is False]
    if bad:
        print(
            "\nERROR: C and reference outputs differ: "
            + ", ".join(f"{x.image}/{x.stage}" for x in bad)
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
