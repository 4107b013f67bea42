"""SHA-256 of every stream the codec makes on the development images, for refactoring checks.

A change that must not alter the bitstream (a code move, a speed-up) is checked by running this
before and after it and comparing the output line by line: each line names an image (every
frame), an option set and the SHA-256 and size of ``sdwtfast.encode`` (or ``ezw.encode_image``)
on it. Lossless option sets also check the round trip. Option sets cover every coder: the
lossless and near-lossless whole image (EZW against prediction, and forced EZW), rate mode
(prediction competing, and forced 9/7), hybrid boxes with lossless, near-lossless and rate ROIs
over the wavelet, lossless and learned backgrounds, and the stand-alone EZW streams.

    python bench/stream_digest.py > before.txt      # ... change ...
    python bench/stream_digest.py > after.txt && diff before.txt after.txt
    python bench/stream_digest.py --quick           # the two small pydicom images only
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devimages import ALL_IMAGES, crop, load  # noqa: E402

import sdwtfast  # noqa: E402
from sdwtfast import ezw  # noqa: E402


def _box(shape: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    h, w = shape
    return [(h // 4, w // 4, h // 4 + h // 2, w // 4 + w // 2)]


def _option_sets(shape: tuple[int, int]) -> dict[str, dict]:
    box = _box(shape)
    return {
        "lossless": {},
        "lossless-ezw": {"wavelet": "5/3"},
        "near2": {"roi_max_error": 2},
        "rate0.5": {"roi_bpp": 0.5},
        "rate1-97": {"roi_bpp": 1.0, "wavelet": "9/7"},
        "box-lossless-bg0.1": {"roi": box, "background_quality": 0.1},
        "box-near3-bg0.05": {"roi": box, "roi_max_error": 3, "background_quality": 0.05},
        "box-rate2-bg0.1": {"roi": box, "roi_bpp": 2.0, "background_quality": 0.1},
        "box-lossless-bglossless": {"roi": box, "background": "lossless"},
        "box-lossless-learned": {"roi": box, "background": "learned"},
    }


def _ezw_sets() -> dict[str, dict]:
    return {
        "ezw-lossless": {},
        "ezw-raw": {"backend": "raw"},
        "ezw-97-1bpp": {"bpp": 1.0},
        "ezw-haar-0.5": {"bpp": 0.5, "wavelet": "haar"},
    }


def _line(name: str, opt: str, blob: bytes) -> str:
    return f"{name:32s} {opt:26s} {len(blob):9d} {hashlib.sha256(blob).hexdigest()[:24]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the two small pydicom images only")
    ap.add_argument("--size", type=int, default=256, help="centre crop side (default 256)")
    args = ap.parse_args(argv)
    names = ["CT_small", "MR_small"] if args.quick else ALL_IMAGES
    for name in names:
        for k, frame in enumerate(load(name).frames[:2]):
            img = crop(frame, args.size)
            label = f"{name}[{k}]"
            for opt, kw in _option_sets(img.shape).items():
                blob = sdwtfast.encode(img, **kw)
                if opt.startswith("lossless") or opt.endswith("bglossless"):
                    assert np.array_equal(sdwtfast.decode(blob), img), (label, opt)
                print(_line(label, opt, blob), flush=True)
            for opt, kw in _ezw_sets().items():
                print(_line(label, opt, ezw.encode_image(img, **kw)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
