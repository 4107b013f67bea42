"""Rate-distortion of the EZW codec vs JPEG 2000 (OpenJPEG) and JPEG-LS (CharLS).

Run ``python bench/bench_rd.py`` (every development image, about a minute) or
``python bench/bench_rd.py --quick`` (the small images, 0.5 and 1 bpp).

* Lossless: bits per pixel of the whole ``encode_image`` stream (header included) vs
  JPEG 2000 lossless (pylibjpeg-openjpeg ``openjpeg.encode``: reversible 5/3, 6 resolutions,
  one layer, J2K codestream) and JPEG-LS (imagecodecs ``jpegls_encode``, CharLS, near=0;
  signed images are shifted by their minimum to unsigned, as CharLS needs). Every stream is
  decoded and checked exact.
* Lossy: ``encode_image(bpp=r)`` (CDF 9/7) at r = 0.25, 0.5, 1, 2, and JPEG 2000 (OpenJPEG
  9/7, rate control through ``compression_ratios``) searched to the byte size of *our* stream
  (equal file sizes; both actual bpp values are printed, ours including its header). PSNR
  with two peaks: 2^BitsStored - 1 and the image's max - min. Where OpenJPEG cannot reach our
  size (its 9/7 stream with every coding pass is smaller, or its pass granularity on tiny
  images), our stream is re-encoded at J2K's byte size, so "ours - J2K dB" is always at equal
  file size. The PSNR difference does not depend on the peak.

Multi-frame images are coded frame by frame; bpp and MSE are over all frames.
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
import sys  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devimages  # noqa: E402
from bench_ezw import _j2k_at_size, _to_unsigned, machine_note  # noqa: E402

from sdwtfast import ezw  # noqa: E402

RATES = (0.25, 0.5, 1.0, 2.0)
TARGET_LOSSLESS_REL = 0.02  # ours within 2% of JPEG 2000 lossless
TARGET_DB = 0.3  # ours within 0.3 dB of JPEG 2000 ...
TARGET_DB_RATES = (0.5, 1.0)  # ... at these rates


@dataclass
class LossyPoint:
    rate: float
    ours_bpp: float
    j2k_bpp: float
    ours_mse: float
    j2k_mse: float
    peak_bits: float
    peak_range: float
    eq_mse: float = math.nan  # ours re-encoded at J2K's byte size (equal-size comparison)
    eq_bpp: float = math.nan

    @staticmethod
    def _psnr(mse: float, peak: float) -> float:
        return math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)

    @property
    def ours_psnr(self) -> float:
        return self._psnr(self.ours_mse, self.peak_bits)

    @property
    def j2k_psnr(self) -> float:
        return self._psnr(self.j2k_mse, self.peak_bits)

    @property
    def ours_psnr_range(self) -> float:
        return self._psnr(self.ours_mse, self.peak_range)

    @property
    def j2k_psnr_range(self) -> float:
        return self._psnr(self.j2k_mse, self.peak_range)

    @property
    def eq_psnr(self) -> float:
        return self._psnr(self.eq_mse, self.peak_bits)

    @property
    def delta_db(self) -> float:
        """Ours minus JPEG 2000 at equal file size (same for both peaks): our stream at
        J2K's byte size, which is our nominal-rate stream unless OpenJPEG could not reach it."""
        if self.eq_mse == self.j2k_mse:
            return 0.0
        if self.eq_mse == 0:
            return math.inf
        if self.j2k_mse == 0:
            return -math.inf
        return 10.0 * math.log10(self.j2k_mse / self.eq_mse)


@dataclass
class RDResult:
    name: str
    label: str
    shape: tuple[int, ...]
    bits: int
    signed: bool
    pixels: int
    ours_lossless_bpp: float = 0.0
    j2k_lossless_bpp: float | None = None
    jls_lossless_bpp: float | None = None
    lossy: list[LossyPoint] = field(default_factory=list)

    @property
    def rel_j2k(self) -> float | None:
        """(ours - J2K) / J2K lossless bpp."""
        if not self.j2k_lossless_bpp:
            return None
        return self.ours_lossless_bpp / self.j2k_lossless_bpp - 1.0

    @property
    def rel_jls(self) -> float | None:
        if not self.jls_lossless_bpp:
            return None
        return self.ours_lossless_bpp / self.jls_lossless_bpp - 1.0


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    d = a.astype(np.float64) - b.astype(np.float64)
    return float(np.sum(d * d))


def rd_image(
    name: str,
    frames,
    bits: int,
    *,
    rates=RATES,
    label: str | None = None,
    signed: bool | None = None,
) -> RDResult:
    """Lossless and lossy comparison on one image (a 2-D array or a list of frames)."""
    if isinstance(frames, np.ndarray) and frames.ndim == 2:
        frames = [frames]
    frames = [np.ascontiguousarray(f) for f in frames]
    n = sum(f.size for f in frames)
    sgn = frames[0].dtype.kind == "i" if signed is None else signed
    res = RDResult(name, label or name, (len(frames),) + frames[0].shape, bits, sgn, n)
    # lossless
    nb = 0
    for f in frames:
        s = ezw.encode_image(f)
        assert np.array_equal(ezw.decode_image(s), f), f"{name}: lossless round trip failed"
        nb += len(s)
    res.ours_lossless_bpp = 8.0 * nb / n
    try:
        import openjpeg

        nb = 0
        for f in frames:
            b = openjpeg.encode(f, bits_stored=bits)
            assert np.array_equal(openjpeg.decode(b).reshape(f.shape), f), "J2K not lossless"
            nb += len(b)
        res.j2k_lossless_bpp = 8.0 * nb / n
    except ImportError:
        openjpeg = None
    try:
        import imagecodecs

        nb = 0
        for f in frames:
            u = _to_unsigned(f)
            b = imagecodecs.jpegls_encode(u)
            assert np.array_equal(imagecodecs.jpegls_decode(b).reshape(u.shape), u), "JLS"
            nb += len(b)
        res.jls_lossless_bpp = 8.0 * nb / n
    except ImportError:
        imagecodecs = None
    # lossy
    lo = min(int(f.min()) for f in frames)
    hi = max(int(f.max()) for f in frames)
    peak_bits, peak_range = float((1 << bits) - 1), float(max(hi - lo, 1))
    for r in rates:
        ob = jb = eb = 0
        om = jm = em = 0.0
        for f in frames:
            s = ezw.encode_image(f, bpp=r)
            m = _mse(ezw.decode_image(s), f)
            om += m
            ob += len(s)
            if openjpeg is not None:
                b = _j2k_at_size(f, bits, len(s))
                jm += _mse(openjpeg.decode(b).reshape(f.shape), f)
                jb += len(b)
                if len(b) < 0.995 * len(s):  # OpenJPEG fell short: ours at J2K's size too
                    hs = ezw.read_header(s).size
                    s = ezw.encode_image(f, bpp=max(len(b) - hs, 1) * 8.0 / f.size)
                    m = _mse(ezw.decode_image(s), f)
                em += m
                eb += len(s)
        nan = math.nan
        res.lossy.append(
            LossyPoint(
                r,
                8.0 * ob / n,
                8.0 * jb / n if openjpeg else nan,
                om / n,
                jm / n if openjpeg else nan,
                peak_bits,
                peak_range,
                em / n if openjpeg else nan,
                8.0 * eb / n if openjpeg else nan,
            )
        )
    return res


def _p(x, fmt="{:.3f}"):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "inf" if x == math.inf else fmt.format(x)


def format_table(r: RDResult) -> str:
    f, h, w = r.shape
    frames = f"{f} frames of " if f > 1 else ""
    shift = "; JPEG-LS on data shifted by its minimum" if r.signed else ""
    lines = [
        f"### {r.label} ({r.name}: {frames}{h}x{w}, {r.bits} bits stored, "
        f"{'signed' if r.signed else 'unsigned'}{shift})",
        "",
    ]
    lines += [
        "| lossless | bpp | ours vs it |",
        "|---|---:|---:|",
        f"| ours (EZW 5/3 arith) | {r.ours_lossless_bpp:.3f} | |",
        f"| JPEG 2000 (OpenJPEG 5/3) | {_p(r.j2k_lossless_bpp)} | "
        f"{_p(None if r.rel_j2k is None else 100 * r.rel_j2k, '{:+.2f}%')} |",
        f"| JPEG-LS (CharLS) | {_p(r.jls_lossless_bpp)} | "
        f"{_p(None if r.rel_jls is None else 100 * r.rel_jls, '{:+.2f}%')} |",
        "",
    ]
    lines += [
        "| rate | ours bpp | J2K bpp | ours PSNR (2^b-1) | J2K PSNR (2^b-1) "
        "| ours PSNR (max-min) | J2K PSNR (max-min) | ours @J2K size: bpp, PSNR (2^b-1) "
        "| ours - J2K dB (equal size) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in r.lossy:
        eq = "same" if p.eq_bpp == p.ours_bpp else f"{_p(p.eq_bpp)}, {_p(p.eq_psnr, '{:.2f}')}"
        lines.append(
            f"| {p.rate:g} | {p.ours_bpp:.3f} | {_p(p.j2k_bpp)} | "
            f"{_p(p.ours_psnr, '{:.2f}')} | {_p(p.j2k_psnr, '{:.2f}')} | "
            f"{_p(p.ours_psnr_range, '{:.2f}')} | "
            f"{_p(p.j2k_psnr_range, '{:.2f}')} | {eq} | {_p(p.delta_db, '{:+.2f}')} |"
        )
    return "\n".join(lines)


def summary(results: list[RDResult]) -> str:
    lines = [
        "### Summary and targets (bench_rd)",
        "",
        "| image | ours bpp | J2K bpp | ours vs J2K | <=+2% | JPEG-LS bpp | below JLS "
        + "".join(f"| dB @{r:g} " for r in TARGET_DB_RATES)
        + "|",
        "|---|---:|---:|---:|---|---:|---|" + "---:|" * len(TARGET_DB_RATES),
    ]
    ll_ok = stretch_ll = 0
    db_ok = db_stretch = db_n = 0
    worst_ll = worst_db = None
    for r in results:
        rel = r.rel_j2k
        ok = rel is not None and rel <= TARGET_LOSSLESS_REL
        below = r.rel_jls is not None and r.rel_jls < 0
        ll_ok += ok
        stretch_ll += below
        if rel is not None and (worst_ll is None or rel > worst_ll[0]):
            worst_ll = (rel, r.name)
        dbs = []
        for rate in TARGET_DB_RATES:
            p = next((q for q in r.lossy if q.rate == rate), None)
            if p is None or math.isnan(p.j2k_mse):
                dbs.append("-")
                continue
            db_n += 1
            db_ok += p.delta_db >= -TARGET_DB
            db_stretch += p.delta_db > 0
            if worst_db is None or p.delta_db < worst_db[0]:
                worst_db = (p.delta_db, f"{r.name} @{rate:g}")
            dbs.append(_p(p.delta_db, "{:+.2f}"))
        lines.append(
            f"| {r.name} | {r.ours_lossless_bpp:.3f} | {_p(r.j2k_lossless_bpp)} | "
            f"{_p(None if rel is None else 100 * rel, '{:+.2f}%')} | "
            f"{'yes' if ok else 'NO'} | {_p(r.jls_lossless_bpp)} | "
            f"{'yes' if below else 'no'} | " + " | ".join(dbs) + " |"
        )
    k = len(results)
    lines += ["", "| target | result | verdict |", "|---|---|---|"]
    if worst_ll is not None:
        verdict = (
            "met"
            if ll_ok == k
            else (
                f"missed on {k - ll_ok} image(s); worst {100 * worst_ll[0]:+.2f}% ({worst_ll[1]})"
            )
        )
        lines.append(
            f"| lossless bpp within 2% of JPEG 2000, each image | {ll_ok}/{k} | {verdict} |"
        )
        lines.append(
            f"| stretch: lossless below JPEG-LS | {stretch_ll}/{k} | "
            f"{'met' if stretch_ll == k else 'partly' if stretch_ll else 'missed'} |"
        )
    if worst_db is not None:
        verdict = (
            "met"
            if db_ok == db_n
            else (f"missed on {db_n - db_ok}; worst {worst_db[0]:+.2f} dB ({worst_db[1]})")
        )
        lines.append(
            f"| lossy PSNR within {TARGET_DB} dB of JPEG 2000 at 0.5 and 1 bpp | "
            f"{db_ok}/{db_n} points | {verdict} |"
        )
        lines.append(
            f"| stretch: lossy PSNR above JPEG 2000 | {db_stretch}/{db_n} points | "
            f"{'met' if db_stretch == db_n else 'partly' if db_stretch else 'missed'}"
            " |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: CT_small, MR_small, emri_small at 0.5 and 1 bpp",
    )
    ap.add_argument("--images", nargs="*", default=None)
    args = ap.parse_args(argv)
    names = args.images or (
        ["CT_small", "MR_small", "emri_small"] if args.quick else devimages.ALL_IMAGES
    )
    rates = TARGET_DB_RATES if args.quick else RATES
    print(f"# bench_rd: {machine_note()}; rates {', '.join(f'{r:g}' for r in rates)} bpp")
    results = []
    for name in names:
        im = devimages.load(name)
        r = rd_image(name, im.frames, im.bits, rates=rates, label=im.label, signed=im.signed)
        results.append(r)
        print()
        print(format_table(r), flush=True)
    print()
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
