"""Whole-image lossless and near-lossless coding: sdwtfast.encode against JPEG-LS and JPEG 2000.

``sdwtfast.encode(image)`` (and ``roi_max_error=d``) codes the image with the wavelet EZW path
and with the predictive coder (``csrc/pred.h``) and keeps the smaller stream. For every
development image (all frames, each coded separately) this prints the container size (header
included), the two coders' payloads, JPEG 2000 lossless (pylibjpeg-openjpeg, reversible 5/3)
and JPEG-LS (CharLS via imagecodecs, on data shifted by its minimum), then near-lossless
against CharLS's near-lossless mode at the same maximum error, encode / decode times, and the
rate mode (``roi_bpp``, a budget for the whole file) against its EZW-only stream at the same
rate (a budget below what the container itself takes is refused, and reported so).

Usage (from outside the repository, package installed)::

    python bench/bench_lossless.py
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devimages import ALL_IMAGES, load  # noqa: E402

import sdwtfast  # noqa: E402
from sdwtfast import _native, codec, ezw, metrics  # noqa: E402
from sdwtfast.coders.pred import raw_size  # noqa: E402


def _best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _unsigned(f: np.ndarray) -> np.ndarray:
    u = f.astype(np.int64) - int(f.min())
    return u.astype(np.uint8 if u.max() < 256 else np.uint16)


def lossless_row(name: str, repeat: int) -> dict:
    import imagecodecs
    import openjpeg

    img = load(name)
    n = sum(f.size for f in img.frames)
    out = {"name": name, "label": img.label}
    sizes = {"container": 0, "ezw": 0, "pred": 0, "j2k": 0, "jls": 0}
    coders = []
    t_enc = t_dec = t_jls_e = t_jls_d = 0.0
    for f in img.frames:
        rep = codec.EncodeReport()
        blob = sdwtfast.encode(f, report=rep)
        assert np.array_equal(sdwtfast.decode(blob), f), f"{name}: not lossless"
        sizes["container"] += len(blob)
        coders.append(rep.roi_coder)
        sizes["ezw"] += len(ezw.encode_image(f))
        vmin, vmax = int(f.min()), int(f.max())
        x = f.astype(np.int32) - vmin
        sizes["pred"] += len(
            _native.pred_encode(x, vmax - vmin, raw_size(x.size, vmax - vmin)) or b""
            if vmax > vmin
            else b""
        )
        sizes["j2k"] += len(openjpeg.encode(f, bits_stored=img.bits))
        u = _unsigned(f)
        s = imagecodecs.jpegls_encode(u)
        sizes["jls"] += len(s)
        t_enc += _best_time(lambda f=f: sdwtfast.encode(f), repeat)
        t_dec += _best_time(lambda b=blob: sdwtfast.decode(b), repeat)
        t_jls_e += _best_time(lambda u=u: imagecodecs.jpegls_encode(u), repeat)
        t_jls_d += _best_time(lambda s=s: imagecodecs.jpegls_decode(s), repeat)
    out.update({k: 8.0 * v / n for k, v in sizes.items()})
    out["coder"] = "/".join(sorted(set(coders)))
    out.update(
        enc_ms=t_enc * 1e3, dec_ms=t_dec * 1e3, jls_enc_ms=t_jls_e * 1e3, jls_dec_ms=t_jls_d * 1e3
    )
    return out


def near_row(name: str, d: int) -> dict:
    import imagecodecs

    img = load(name)
    n = sum(f.size for f in img.frames)
    ours = jls = 0
    err_ours = err_jls = 0
    coders = []
    for f in img.frames:
        rep = codec.EncodeReport()
        blob = sdwtfast.encode(f, roi_max_error=d, report=rep)
        rec = sdwtfast.decode(blob)
        err_ours = max(err_ours, int(np.abs(rec.astype(np.int64) - f).max()))
        ours += len(blob)
        coders.append(rep.roi_coder)
        u = _unsigned(f)
        s = imagecodecs.jpegls_encode(u, level=d)
        r = imagecodecs.jpegls_decode(s).reshape(u.shape)
        err_jls = max(err_jls, int(np.abs(r.astype(np.int64) - u).max()))
        jls += len(s)
    return {
        "name": name,
        "d": d,
        "ours": 8.0 * ours / n,
        "jls": 8.0 * jls / n,
        "err_ours": err_ours,
        "err_jls": err_jls,
        "coder": "/".join(sorted(set(coders))),
    }


def rate_row(name: str, bpp: float) -> dict:
    """Rate mode: the container at ``roi_bpp=bpp`` against the EZW-only stream at the same rate
    (``wavelet="9/7"``, which turns the competition off). First frame."""
    f = load(name).frames[0]
    peak = float(f.max()) - float(f.min())
    rep = codec.EncodeReport()
    blob = sdwtfast.encode(f, roi_bpp=bpp, report=rep)
    ezw_only = sdwtfast.encode(f, roi_bpp=bpp, wavelet="9/7")
    return {
        "name": name,
        "bpp": bpp,
        "coder": rep.roi_coder,
        "mode": sdwtfast.info(blob)["mode"],
        "bound": sdwtfast.info(blob)["params"].get("roi.max_error", 0),
        "size": 8 * len(blob) / f.size,
        "size_ezw": 8 * len(ezw_only) / f.size,
        "psnr": metrics.psnr(f, sdwtfast.decode(blob), peak=peak),
        "psnr_ezw": metrics.psnr(f, sdwtfast.decode(ezw_only), peak=peak),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="*", default=ALL_IMAGES)
    ap.add_argument("--repeat", type=int, default=5, help="timing repeats (best of)")
    args = ap.parse_args(argv)
    print(
        f"bench_lossless: {platform.machine()} {platform.python_version()}, "
        f"numpy {np.__version__}; one thread; times best of {args.repeat}\n"
    )
    print(
        "| image | container bpp | coder | EZW payload | predictive payload | JPEG 2000 | "
        "JPEG-LS | vs JPEG-LS | vs JPEG 2000 | enc ms | dec ms | CharLS enc / dec ms |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    rows = [lossless_row(n, args.repeat) for n in args.images]
    for r in rows:
        print(
            f"| {r['label']} ({r['name']}) | {r['container']:.3f} | {r['coder']} | "
            f"{r['ezw']:.3f} | {r['pred']:.3f} | {r['j2k']:.3f} | {r['jls']:.3f} | "
            f"{100 * (r['container'] / r['jls'] - 1):+.1f}% | "
            f"{100 * (r['container'] / r['j2k'] - 1):+.1f}% | {r['enc_ms']:.1f} | "
            f"{r['dec_ms']:.1f} | {r['jls_enc_ms']:.1f} / {r['jls_dec_ms']:.1f} |"
        )
    below_jls = sum(r["container"] < r["jls"] for r in rows)
    below_j2k = sum(r["container"] < r["j2k"] for r in rows)
    print(
        f"\nlossless container smaller than JPEG-LS on {below_jls}/{len(rows)} images, "
        f"than JPEG 2000 on {below_j2k}/{len(rows)}; mean ratio to JPEG-LS "
        f"{np.mean([r['container'] / r['jls'] for r in rows]):.3f}\n"
    )
    print(
        "| image | max error d | ours bpp | coder | JPEG-LS near-lossless bpp | ours vs it | "
        "max error ours / JPEG-LS |"
    )
    print("|---|---:|---:|---|---:|---:|---|")
    wins = total = 0
    for name in args.images:
        for d in (1, 2, 4):
            r = near_row(name, d)
            assert r["err_ours"] <= d
            wins += r["ours"] < r["jls"]
            total += 1
            print(
                f"| {name} | {d} | {r['ours']:.3f} | {r['coder']} | {r['jls']:.3f} | "
                f"{100 * (r['ours'] / r['jls'] - 1):+.1f}% | {r['err_ours']} / "
                f"{r['err_jls']} |"
            )
    print(f"\nnear-lossless smaller than JPEG-LS at the same bound on {wins}/{total} points\n")
    print(
        "| image | roi_bpp | coder | stored as | bpp | PSNR (dB) | EZW only: bpp | PSNR (dB) | "
        "gain (dB) |"
    )
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for name in args.images:
        for bpp in (0.25, 0.5, 1.0, 2.0):
            try:
                r = rate_row(name, bpp)
            except sdwtfast.InvalidInputError as exc:  # budget below the container's own size
                print(f"| {name} | {bpp} | refused: {exc} | | | | | | |")
                continue
            stored = r["mode"] + (f" d={r['bound']}" if r["bound"] else "")
            gain = r["psnr"] - r["psnr_ezw"]
            print(
                f"| {name} | {bpp} | {r['coder']} | {stored} | {r['size']:.3f} | "
                f"{r['psnr']:.2f} | {r['size_ezw']:.3f} | {r['psnr_ezw']:.2f} | "
                f"{gain:+.2f} |".replace("inf", "lossless").replace("+nan", "0")
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
