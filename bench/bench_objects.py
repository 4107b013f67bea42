"""Multi-frame objects: random access to one frame, and frame-parallel encoding.

A 100-slice volume is cut from the MNI template in nilearn's wheel (the slices around the
middle of the brain, 197 x 233 each, 16-bit). Measured in one run:

- encode, lossless, with ``workers=1`` and ``workers=2`` (frames in threads: the C calls
  release the GIL): wall time, CPU time and the speed-up of the wall time (the only figure
  that shows parallelism; the streams are identical, checked);
- decode of the whole volume against ``decode(blob, frame=k)`` for a few k: CPU time of one
  frame as a fraction of the whole (ideally 1/100).

    OPENBLAS_NUM_THREADS=1 python bench/bench_objects.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

import sdwtfast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.volumes import mni_volume  # noqa: E402

FRAMES = 100


def _volume() -> np.ndarray:
    vol, _ = mni_volume()
    frames = np.ascontiguousarray(np.moveaxis(vol, 2, 0))  # slices along the third axis
    mid = frames.shape[0] // 2
    return np.ascontiguousarray(frames[mid - FRAMES // 2 : mid + FRAMES // 2])


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> int:
    vol = _volume()
    print(
        f"bench_objects: sdwtfast {sdwtfast.__version__}, {vol.shape[0]} frames of "
        f"{vol.shape[1]}x{vol.shape[2]} {vol.dtype}, {os.cpu_count()} CPUs\n"
    )
    print("| encode | wall s | CPU s | wall speed-up | bytes |")
    print("|---|---:|---:|---:|---:|")
    blobs = {}
    for workers in (1, 2):
        blob, wall, cpu = _timed(lambda w=workers: sdwtfast.encode(vol, workers=w))
        blobs[workers] = (blob, wall)
        speed = blobs[1][1] / wall
        print(f"| workers={workers} | {wall:.2f} | {cpu:.2f} | {speed:.2f}x | {len(blob)} |")
    blob = blobs[1][0]
    assert blobs[2][0] == blob, "frame-parallel encoding changed the bytes"
    full, _, cpu_full = _timed(lambda: sdwtfast.decode(blob))
    assert np.array_equal(full, vol)
    print("\n| decode | CPU ms | fraction of the whole |")
    print("|---|---:|---:|")
    print(f"| all {vol.shape[0]} frames | {cpu_full * 1e3:.1f} | 1 |")
    fractions = []
    for k in (0, vol.shape[0] // 2, vol.shape[0] - 1):
        one, _, cpu = _timed(lambda k=k: sdwtfast.decode(blob, frame=k))
        assert np.array_equal(one, vol[k])
        fractions.append(cpu / cpu_full)
        print(f"| frame {k} alone | {cpu * 1e3:.1f} | {cpu / cpu_full:.4f} |")
    print(
        f"\none frame costs {np.mean(fractions):.4f} of the whole decode "
        f"(1/{vol.shape[0]} = {1 / vol.shape[0]:.4f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
