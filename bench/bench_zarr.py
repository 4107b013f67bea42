"""zarr / numcodecs benchmark (issue 12 item 4): a volume stored chunk by chunk in zarr with
sdwtfast against imagecodecs' JPEG-LS (CharLS) and zstd, same chunking, one run.

Run against the installed package, one thread::

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python bench/bench_zarr.py   # about 2 min
    python bench/bench_zarr.py --quick                                     # MNI at half size

Volumes: the MNI152 T1 template shipped inside nilearn (``tests/volumes.py``: 12-bit uint16,
as (slices, rows, columns) = 189 x 233 x 197), and the development multi-frame files
``eCT_Supplemental`` (2 x 512 x 512, 16-bit CT) and ``emri_small`` (10 x 64 x 64, 12-bit MR)
(``bench/devimages.py``). Every codec stores the same array with the same chunks (one slice
per chunk: JPEG-LS codes 2-D images) in an in-memory store; sdwtfast also with 3-D chunks of
16 slices (its zarr v3 serializer), and near-lossless (max error 2) beside JPEG-LS's
near-lossless mode at the same bound.

Columns: bytes stored (chunks and metadata, ``Array.nbytes_stored()``), ratio to the raw
16-bit samples, bits per voxel, CPU seconds (``time.process_time``: every thread of the
process; zarr's pool limited to one worker) to write the whole array and to read it back,
and the largest absolute error read back.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(os.path.dirname(HERE), "tests"))


@dataclass
class Row:
    """One codec on one volume."""

    volume: str
    shape: tuple[int, ...]
    codec: str
    form: str
    chunks: tuple[int, ...]
    stored: int
    raw: int
    voxels: int
    write_s: float
    read_s: float
    wall_s: float
    max_error: int


def volumes(quick: bool) -> dict[str, np.ndarray]:
    """The MNI152 template and the development multi-frame files, as (n, h, w) uint16."""
    import devimages
    from volumes import mni_volume

    data, _ = mni_volume(step=2 if quick else 1)
    out = {"MNI152 T1 12b": np.ascontiguousarray(data.transpose(2, 1, 0))}
    for name, label in (("eCT_Supplemental", "eCT CT 16b"), ("emri_small", "emri MR 12b")):
        out[label] = np.ascontiguousarray(np.stack(devimages.load(name).frames))
    return out


def codecs() -> list[tuple[str, str, Callable[[int], dict[str, Any]], bool]]:
    """(label, form, zarr.create_array arguments for a chunk depth, 2-D chunks only)."""
    from imagecodecs.numcodecs import Jpegls
    from numcodecs import Zstd

    from sdwtfast.zarrcodec import Sdwtfast, SdwtfastZarr

    def v2(codec: Any) -> Callable[[int], dict[str, Any]]:
        return lambda depth: {"zarr_format": 2, "compressors": codec}

    def v3(**options: Any) -> Callable[[int], dict[str, Any]]:
        return lambda depth: {"serializer": SdwtfastZarr(**options), "compressors": None}

    return [
        ("sdwtfast", "v2 compressor", v2(Sdwtfast()), True),
        ("sdwtfast", "v3 serializer", v3(), True),
        ("sdwtfast", "v3 serializer", v3(), False),
        ("JPEG-LS (imagecodecs)", "v2 compressor", v2(Jpegls()), True),
        ("zstd level 3", "v2 compressor", v2(Zstd(level=3)), True),
        ("zstd level 19", "v2 compressor", v2(Zstd(level=19)), True),
        ("sdwtfast max error 2", "v3 serializer", v3(roi_max_error=2), True),
        ("JPEG-LS near=2", "v2 compressor", v2(Jpegls(level=2)), True),
    ]


def store_and_read(name: str, vol: np.ndarray, label: str, form: str, args: dict, depth: int):
    """Write ``vol`` into a new in-memory zarr array and read it back, timed."""
    import zarr

    chunks = (min(depth, vol.shape[0]), *vol.shape[1:])
    t0, w0 = time.process_time(), time.perf_counter()
    z = zarr.create_array(
        zarr.storage.MemoryStore(), shape=vol.shape, chunks=chunks, dtype=vol.dtype, **args
    )
    z[:] = vol
    t1 = time.process_time()
    back = z[:]
    t2, w2 = time.process_time(), time.perf_counter()
    err = int(np.abs(back.astype(np.int64) - vol).max())
    return Row(
        volume=name,
        shape=vol.shape,
        codec=label,
        form=form,
        chunks=chunks,
        stored=z.nbytes_stored(),
        raw=vol.nbytes,
        voxels=vol.size,
        write_s=t1 - t0,
        read_s=t2 - t1,
        wall_s=w2 - w0,
        max_error=err,
    )


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    head = (
        "| volume | codec | zarr form | chunks | bytes stored | ratio | bits/voxel | "
        "write CPU s | read CPU s | max err |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r.volume} {'x'.join(map(str, r.shape))} | {r.codec} | {r.form} | "
            f"{'x'.join(map(str, r.chunks))} | {r.stored} | {r.raw / r.stored:.2f} | "
            f"{8 * r.stored / r.voxels:.3f} | {r.write_s:.2f} | {r.read_s:.2f} | {r.max_error} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="MNI at half resolution")
    args = p.parse_args(argv)
    import zarr

    warnings.filterwarnings("ignore", category=zarr.errors.ZarrUserWarning)
    zarr.config.set({"threading.max_workers": 1})
    rows = []
    for name, vol in volumes(args.quick).items():
        for label, form, make, flat in codecs():
            depth = 1 if flat else 16
            rows.append(store_and_read(name, vol, label, form, make(depth), depth))
            r = rows[-1]
            print(f"{name}: {label} ({form}, chunks {r.chunks}) {r.stored} B", file=sys.stderr)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
