"""Rate-distortion and speed of the learned background codec against JPEG 2000 and EZW 9/7.

For every development image (first frame of multi-frame files) and every quality, the learned
codec's real stream size gives the rate; JPEG 2000 (OpenJPEG through imagecodecs, its PSNR
target bisected until the stream is as large as possible without exceeding that size) and, when
:mod:`sdwtfast.ezw` is importable, the plain EZW/9/7 path are run at the same rate. PSNR and SSIM
use the image's own range as peak. Also times a 512 x 512 encode/decode on one thread.

Usage::

    python bench/bench_background.py                 # print the tables
    python bench/bench_background.py --results bench/RESULTS.md   # also update our section
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

SECTION = "## Learned background codec"


def psnr(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(peak * peak / mse)


def ssim(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    from skimage.metrics import structural_similarity

    if min(a.shape) < 7:
        return float("nan")
    return float(structural_similarity(a.astype(np.float64), b.astype(np.float64), data_range=peak))


def jpeg2k_at(img: np.ndarray, nbytes: int) -> tuple[np.ndarray, int] | None:
    """OpenJPEG stream of at most ``nbytes`` (largest found by bisecting the PSNR target)."""
    import imagecodecs

    lo_v = int(img.min())
    shifted = img.astype(np.int64) - lo_v
    arr = shifted.astype(np.uint8 if shifted.max() < 256 else np.uint16)
    best = None
    lo, hi = 1.0, 160.0
    for _ in range(22):
        mid = 0.5 * (lo + hi)
        s = imagecodecs.jpeg2k_encode(arr, level=mid, codecformat="j2k")
        if len(s) <= nbytes:
            best = s
            lo = mid
        else:
            hi = mid
    if best is None:
        return None
    rec = imagecodecs.jpeg2k_decode(best).astype(np.int64) + lo_v
    return rec, len(best)


def ezw_at(img: np.ndarray, bpp: float) -> tuple[np.ndarray, int] | None:
    try:
        from sdwtfast import ezw
    except ImportError:
        return None
    try:
        data = ezw.encode_image(img, bpp=bpp)
        return ezw.decode_image(data), len(data)
    except Exception as exc:  # noqa: BLE001 - a baseline failing must not stop the bench
        print(f"  ezw failed: {exc}", file=sys.stderr)
        return None


def images() -> list[tuple[str, np.ndarray]]:
    import data_store
    import pydicom
    from pydicom.data import get_testdata_file

    from sdwtfast.train_background import DEV_FILES, DEV_TESTDATA

    base = Path(data_store.__file__).parent / "data"
    paths = [(n, base / f"{n}.dcm") for n in DEV_FILES]
    paths += [(n.removesuffix(".dcm"), Path(get_testdata_file(n))) for n in DEV_TESTDATA]
    out = []
    for name, p in paths:
        a = pydicom.dcmread(str(p)).pixel_array
        out.append((name, np.ascontiguousarray(a if a.ndim == 2 else a[0])))
    return out


def timing(bg) -> tuple[float, float]:
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:512, 0:512]
    img = 2000 + 1000 * np.sin(xx / 40.0) * np.cos(yy / 55.0) + rng.normal(0, 20, (512, 512))
    img = img.clip(0, 4095).astype(np.uint16)
    bg.decode(bg.encode(img, quality=2))  # warm up (model load)
    te, td = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        s = bg.encode(img, quality=2)
        t1 = time.perf_counter()
        bg.decode(s)
        td.append(time.perf_counter() - t1)
        te.append(t1 - t0)
    return min(te), min(td)


def run(baselines: bool) -> str:
    from sdwtfast import background as bg

    lines = []
    rows = []
    per_q: dict[int, list[tuple[float, float, float, float]]] = {q: [] for q in bg.QUALITIES}
    band: list[float] = []
    band_ezw: list[float] = []
    lines.append(
        "| image | q | bpp | PSNR | SSIM | J2K bpp | J2K PSNR | J2K SSIM | EZW bpp | EZW PSNR |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for name, img in images():
        peak = float(max(int(img.max()) - int(img.min()), 1))
        for q in bg.QUALITIES:
            s = bg.encode(img, quality=q)
            rec = bg.decode(s)
            bpp = 8 * len(s) / img.size
            p, ss = psnr(img, rec, peak), ssim(img, rec, peak)
            jp = jb = js = ep = eb = float("nan")
            if baselines:
                j = jpeg2k_at(img, len(s))
                if j is not None:
                    jp, js = psnr(img, j[0], peak), ssim(img, j[0], peak)
                    jb = 8 * j[1] / img.size
                e = ezw_at(img, bpp)
                if e is not None:
                    ep, eb = psnr(img, e[0], peak), 8 * e[1] / img.size
            per_q[q].append((bpp, p, jp, ep))
            if 0.1 <= bpp <= 0.3 and not math.isnan(jp):
                band.append(p - jp)
                if not math.isnan(ep):
                    band_ezw.append(p - ep)
            rows.append(
                f"| {name} | {q} | {bpp:.3f} | {p:.2f} | {ss:.4f} | {jb:.3f} | {jp:.2f} "
                f"| {js:.4f} | {eb:.3f} | {ep:.2f} |"
            )
            print(rows[-1], flush=True)
    lines += rows
    summary = [
        "",
        "| q | mean bpp | mean PSNR | mean J2K PSNR (same bytes) | mean EZW PSNR |",
        "|---|---|---|---|---|",
    ]
    for q, vals in per_q.items():
        a = np.array(vals, dtype=np.float64)
        summary.append(
            f"| {q} | {np.nanmean(a[:, 0]):.3f} | {np.nanmean(a[:, 1]):.2f} | "
            f"{np.nanmean(a[:, 2]):.2f} | {np.nanmean(a[:, 3]):.2f} |"
        )
    if band:
        summary.append("")
        summary.append(
            f"Points with 0.1 <= bpp <= 0.3: {len(band)}; mean PSNR minus JPEG 2000 "
            f"at the same bytes: {np.mean(band):+.2f} dB"
            + (f"; minus EZW 9/7: {np.mean(band_ezw):+.2f} dB" if band_ezw else "")
        )
    te, td = timing(bg)
    size = bg.weights_path().stat().st_size
    summary.append("")
    summary.append(
        f"512x512 uint16, quality 2, one thread: encode {te * 1e3:.0f} ms, "
        f"decode {td * 1e3:.0f} ms. Weights + tables on disk: {size / 1e6:.2f} MB "
        f"(sha256 {bg.weights_sha256()[:16]}...)."
    )
    text = "\n".join(lines + summary)
    print("\n".join(summary), flush=True)
    return text


def write_section(path: Path, body: str) -> None:
    """Replace (or append) our section of RESULTS.md, leaving every other section alone."""
    old = path.read_text() if path.exists() else ""
    block = f"{SECTION}\n\n{body.strip()}\n"
    if SECTION in old:
        start = old.index(SECTION)
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + block + ("\n" + old[nxt + 1 :] if nxt >= 0 else "")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + block
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--no-baselines", action="store_true", help="skip JPEG 2000 and EZW")
    p.add_argument("--results", default=None, help="RESULTS.md whose section to update")
    p.add_argument("--intro", default="", help="text placed before the tables")
    args = p.parse_args(argv)
    text = run(not args.no_baselines)
    if args.results:
        write_section(Path(args.results), (args.intro + "\n\n" if args.intro else "") + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
