"""Evaluate the SVD ROI detector on the development images.

Prints, per image (first frame), the shape, the fraction of pixels the detector selects, the
fraction it finds to be foreground (tissue), the fraction of the ROI inside the foreground and
the detection time; writes an overlay per image to ``bench/out/roi_<name>.png`` and a montage
to ``docs/roi_overlays.png``.

    PYTHONPATH=src python bench/roi_eval.py [--no-figures] [--markdown]

Only the development images are used (pydicom-data's files through the ``data_store`` package,
``CT_small`` and ``MR_small`` from pydicom).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from sdwtfast.devset import PYDICOM_DATA, PYDICOM_TEST
from sdwtfast.devset import path_of as _path
from sdwtfast.roi import detect_roi, foreground_mask, overlay

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_first_frame(name: str) -> np.ndarray:
    """First frame, in the MONOCHROME2 convention the detector expects (higher = brighter).

    A MONOCHROME1 image (``RG3_UNCR``) is inverted within its own range, as a viewer would.
    """
    import pydicom

    ds = pydicom.dcmread(_path(name))
    a = np.asarray(ds.pixel_array)
    a = a[0] if a.ndim == 3 else a
    if ds.PhotometricInterpretation == "MONOCHROME1":
        a = (a.max() - a + a.min()).astype(a.dtype)
    return np.ascontiguousarray(a)


def _save_png(rgb: np.ndarray, path: str) -> None:
    from PIL import Image

    Image.fromarray(rgb).save(path, optimize=True)


def _montage(tiles: list[tuple[str, np.ndarray]], path: str, tile: int = 256) -> None:
    from PIL import Image, ImageDraw

    cols = 5
    rows = -(-len(tiles) // cols)
    canvas = Image.new("RGB", (cols * tile, rows * (tile + 14)), (0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, (name, rgb) in enumerate(tiles):
        im = Image.fromarray(rgb)
        scale = tile / max(im.size)
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.LANCZOS
        im = im.resize(size, resample)
        r, c = divmod(i, cols)
        x0 = c * tile + (tile - im.width) // 2
        y0 = r * (tile + 14) + 14 + (tile - im.height) // 2
        canvas.paste(im, (x0, y0))
        draw.text((c * tile + 3, r * (tile + 14) + 1), name, fill=(255, 255, 255))
    canvas.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-figures", action="store_true", help="only print the table")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    args = ap.parse_args(argv)

    rows = []
    tiles = []
    for name in PYDICOM_DATA + PYDICOM_TEST:
        img = load_first_frame(name)
        detect_roi(img)  # warm-up (imports, caches)
        t0 = time.perf_counter()
        roi = detect_roi(img)
        ms = 1e3 * (time.perf_counter() - t0)
        roi2 = detect_roi(img)
        fg = foreground_mask(img)
        inside = float((roi & fg).sum() / max(1, roi.sum()))
        rows.append(
            (
                name,
                f"{img.shape[0]}x{img.shape[1]}",
                str(img.dtype),
                roi.mean(),
                fg.mean(),
                inside,
                ms,
                bool(np.array_equal(roi, roi2)),
            )
        )
        if not args.no_figures:
            rgb = overlay(img, roi)
            os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
            _save_png(rgb, os.path.join(HERE, "out", f"roi_{name}.png"))
            tiles.append((name, rgb))

    if args.markdown:
        print(
            "| image | shape | dtype | ROI fraction | foreground fraction "
            "| ROI inside foreground | time ms |"
        )
        print("|---|---|---|---:|---:|---:|---:|")
        for n, s, d, r, f, i, ms, _ in rows:
            print(f"| {n} | {s} | {d} | {r:.3f} | {f:.3f} | {i:.3f} | {ms:.1f} |")
    else:
        print(
            f"{'image':28s} {'shape':>10s} {'dtype':>7s} {'ROI':>6s} {'fg':>6s} "
            f"{'in fg':>6s} {'ms':>7s} {'same':>5s}"
        )
        for n, s, d, r, f, i, ms, same in rows:
            print(f"{n:28s} {s:>10s} {d:>7s} {r:6.3f} {f:6.3f} {i:6.3f} {ms:7.1f} {same!s:>5s}")
    if not all(r[-1] for r in rows):
        print("NOT DETERMINISTIC", file=sys.stderr)
        return 1
    if tiles:
        _montage(tiles, os.path.join(ROOT, "docs", "roi_overlays.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
