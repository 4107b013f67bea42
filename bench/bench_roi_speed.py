"""The SVD ROI detector (``roi="auto"``): the fast method (truncated randomised SVD, one BLAS
thread) against the exact one (full LAPACK SVD, the detector before issue 14), per development
image (every frame): CPU ms of each (``time.process_time``, which counts every thread of the
process, so BLAS threads that spin on a busy machine show up) and the agreement of their masks
(IoU, and the ROI fraction of each).

The exact method runs twice: with the BLAS's own thread count (what ``roi="auto"`` did) and
limited to one thread (threadpoolctl). ``--load N`` runs N busy processes meanwhile, for the
"no slower under load" check (compare CPU ms with and without).

Usage (package installed; run it alone, it prints a markdown table)::

    python bench/bench_roi_speed.py [--repeat 5] [--load 2] [--images 693_UNCR ...]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devimages import ALL_IMAGES, load  # noqa: E402

from sdwtfast import roi  # noqa: E402


def _spin(stop: mp.Event) -> None:  # a busy process for --load
    x = 0
    while not stop.is_set():
        x = (x * 1103515245 + 12345) % 2147483648


def _cpu_ms(fn, repeat: int) -> float:
    """Median CPU ms of ``repeat`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return 1e3 * statistics.median(times)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return 1.0 if union == 0 else int((a & b).sum()) / union


def _exact_one_thread(frame: np.ndarray) -> np.ndarray:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return roi.detect_roi(frame, method="exact")


def row(name: str, k: int, frame: np.ndarray, repeat: int) -> dict:
    exact = roi.detect_roi(frame, method="exact")
    fast = roi.detect_roi(frame)
    return {
        "image": f"{name}[{k}]",
        "shape": "x".join(map(str, frame.shape)),
        "exact_ms": _cpu_ms(lambda: roi.detect_roi(frame, method="exact"), repeat),
        "exact1_ms": _cpu_ms(lambda: _exact_one_thread(frame), repeat),
        "fast_ms": _cpu_ms(lambda: roi.detect_roi(frame), repeat),
        "iou": _iou(exact, fast),
        "frac_exact": float(exact.mean()),
        "frac_fast": float(fast.mean()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="*", default=ALL_IMAGES)
    ap.add_argument("--repeat", type=int, default=5, help="timing repeats (median)")
    ap.add_argument("--load", type=int, default=0, help="busy processes meanwhile")
    args = ap.parse_args(argv)
    stop = mp.Event()
    spinners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(args.load)]
    for p in spinners:
        p.start()
    try:
        print(
            f"bench_roi_speed: {platform.machine()} {platform.python_version()}, numpy "
            f"{np.__version__}; CPU ms (process_time, median of {args.repeat}); "
            f"{args.load} busy processes meanwhile\n"
        )
        print(
            "| image | shape | exact, BLAS threads (ms) | exact, 1 thread (ms) | fast (ms) | "
            "IoU | ROI fraction exact / fast |"
        )
        print("|---|---|---:|---:|---:|---:|---|")
        rows = []
        for name in args.images:
            for k, frame in enumerate(load(name).frames[:2]):
                r = row(name, k, frame, args.repeat)
                rows.append(r)
                print(
                    f"| {r['image']} | {r['shape']} | {r['exact_ms']:.1f} | "
                    f"{r['exact1_ms']:.1f} | {r['fast_ms']:.1f} | {r['iou']:.3f} | "
                    f"{r['frac_exact']:.3f} / {r['frac_fast']:.3f} |",
                    flush=True,
                )
        print(
            f"\nIoU min {min(r['iou'] for r in rows):.3f}, mean "
            f"{np.mean([r['iou'] for r in rows]):.3f}; fast / exact (1 thread) CPU: "
            f"{np.exp(np.mean([np.log(r['fast_ms'] / r['exact1_ms']) for r in rows])):.2f} "
            "(geometric mean)"
        )
    finally:
        stop.set()
        for p in spinners:
            p.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
