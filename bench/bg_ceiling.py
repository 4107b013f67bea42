"""Where the learned background codec loses: its transform's ceiling, and a residual layer.

1. Ceiling: PSNR of synthesis(analysis(x)) with *unquantized* (float) latents and with latents
   rounded as the codec rounds them, per quality, on a 512 x 512 crop (top-left) of four
   development images. If the float figure is far below what JPEG 2000 reaches at 0.1-0.3 bpp,
   no entropy model can close the gap: the transform is the limit.
2. Residual layer: the learned codec at quality 1 plus the plain EZW/9/7 path coding its
   residual, against EZW/9/7 alone at the same total bytes.

Usage (package installed, torch present)::

    python bench/bg_ceiling.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devimages import load  # noqa: E402

from sdwtfast.metrics import psnr  # noqa: E402


def ceiling(names: list[str]) -> None:
    from sdwtfast import background as bg

    codec = bg._codec_for(str(bg.weights_path()))
    print("| image | " + " | ".join(f"q{q} float / rounded (dB)" for q in bg.QUALITIES) + " |")
    print("|---|" + "---:|" * len(bg.QUALITIES))
    for n in names:
        a = load(n).image[:512, :512]
        lo, hi = float(a.min()), float(a.max())
        st = codec.stride
        hp, wp = -(-a.shape[0] // st) * st, -(-a.shape[1] // st) * st
        x = np.pad(
            ((a - lo) / (hi - lo)).astype(np.float32),
            ((0, hp - a.shape[0]), (0, wp - a.shape[1])),
            mode="symmetric",
        )
        cells = []
        for q in range(len(bg.QUALITIES)):
            y = codec.analysis(x, q)
            med = codec.medians[q][:, None, None]
            xf = codec.synthesis(y, q)[: a.shape[0], : a.shape[1]]
            xq = codec.synthesis((np.rint(y - med) + med).astype(np.float32), q)
            xq = xq[: a.shape[0], : a.shape[1]]
            x0 = x[: a.shape[0], : a.shape[1]]
            cells.append(f"{psnr(x0, xf, peak=1.0):.2f} / {psnr(x0, xq, peak=1.0):.2f}")
        print(f"| {n} | " + " | ".join(cells) + " |")


def residual(names: list[str]) -> None:
    from sdwtfast import background as bg
    from sdwtfast import ezw

    print(
        "\n| image | learned q1 bpp / PSNR | total bpp | learned + EZW residual PSNR | "
        "EZW alone PSNR |"
    )
    print("|---|---|---:|---:|---:|")
    for n in names:
        a = load(n).image
        peak = float(a.max()) - float(a.min())
        s = bg.encode(a, quality=1)
        base = bg.decode(s)
        rb = 8 * len(s) / a.size
        r = a.astype(np.int32) - base.astype(np.int32)
        for total in (0.25, 0.5):
            extra = total - rb
            if extra <= 0.01 or r.min() < -32768 or r.max() > 32767:
                continue
            e = ezw.encode_image(r.astype(np.int16), bpp=extra, wavelet="9/7")
            rec = base.astype(np.int32) + ezw.decode_image(e).astype(np.int32)
            used = 8 * (len(s) + len(e)) / a.size
            z = ezw.decode_image(ezw.encode_image(a, bpp=used, wavelet="9/7"))
            print(
                f"| {n} | {rb:.3f} / {psnr(a, base, peak=peak):.2f} | {used:.3f} | "
                f"{psnr(a, rec, peak=peak):.2f} | {psnr(a, z, peak=peak):.2f} |"
            )


def main() -> int:
    names = ["693_UNCR", "MR2_UNCR", "vlut_04", "JPGLosslessP14SV1_1s_1f_8b"]
    ceiling(names)
    residual(["693_UNCR", "MR2_UNCR", "RG3_UNCR", "JPGLosslessP14SV1_1s_1f_8b"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
