"""The lossless frontier (issue 14): sdwtfast at several efforts beside CharLS, OpenJPEG, JPEG XL
(effort 7 and 9), PNG and zstd-19, in one run, on every development image (every frame, each
coded as a 2-D image), single thread, CPU time.

For each image and codec: bytes, encode and decode CPU ms (``time.process_time``, best of
``--repeat``); every stream is decoded and checked exact. sdwtfast runs with ``workers=1`` (one
thread); the other codecs through imagecodecs (signed images shifted to unsigned by their
minimum for them, as JPEG-LS needs). Then the geometric means over the images of each codec's
size and times relative to CharLS, and a size-vs-speed figure (``--figure``, matplotlib).

Usage (package installed; run it alone)::

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python bench/bench_frontier.py \\
        --efforts 1 7 9 --figure docs/frontier.png
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from devimages import ALL_IMAGES, load  # noqa: E402

import sdwtfast  # noqa: E402

Codec = tuple[Callable[[np.ndarray], bytes], Callable[[bytes], np.ndarray]]


def _unsigned(f: np.ndarray) -> np.ndarray:
    u = f.astype(np.int64) - int(f.min())
    return u.astype(np.uint8 if u.max() < 256 else np.uint16)


def codecs(efforts: list[int]) -> dict[str, tuple[bool, Codec]]:
    """name: (takes the unsigned shift, (encode, decode))."""
    import imagecodecs as ic

    out: dict[str, tuple[bool, Codec]] = {}
    for e in efforts:
        out[f"sdwtfast e{e}"] = (
            False,
            (lambda a, e=e: sdwtfast.encode(a, effort=e, workers=1), sdwtfast.decode),
        )
    out["CharLS"] = (True, (ic.jpegls_encode, ic.jpegls_decode))
    out["OpenJPEG"] = (True, (lambda a: ic.jpeg2k_encode(a, level=0), ic.jpeg2k_decode))
    for e in (7, 9):
        out[f"JPEG XL e{e}"] = (
            True,
            (
                lambda a, e=e: ic.jpegxl_encode(a, effort=e, distance=0, lossless=True),
                ic.jpegxl_decode,
            ),
        )
    out["PNG"] = (True, (lambda a: ic.png_encode(a, level=9), ic.png_decode))
    out["zstd-19"] = (
        True,
        (
            lambda a: ic.zstd_encode(np.ascontiguousarray(a).tobytes(), level=19),
            None,  # decoded below with the frame's shape and dtype
        ),
    )
    return out


def _cpu(fn: Callable[[], object], repeat: int) -> tuple[object, float]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return out, best * 1e3


def measure(name: str, table: dict[str, tuple[bool, Codec]], repeat: int) -> dict[str, list]:
    """codec: [bytes, encode ms, decode ms] summed over the image's frames."""
    import imagecodecs as ic

    sums: dict[str, list] = {c: [0, 0.0, 0.0] for c in table}
    for frame in load(name).frames:
        u = _unsigned(frame)
        for c, (shift, (enc, dec)) in table.items():
            a = u if shift else frame
            blob, te = _cpu(lambda enc=enc, a=a: enc(a), repeat)
            if dec is None:
                dec = lambda b, a=a: np.frombuffer(ic.zstd_decode(b), a.dtype).reshape(a.shape)  # noqa: E731
            back, td = _cpu(lambda dec=dec, blob=blob: dec(blob), repeat)
            back = np.asarray(back).reshape(a.shape)
            assert np.array_equal(back, a), f"{c} not lossless on {name}"
            s = sums[c]
            s[0] += len(blob)
            s[1] += te
            s[2] += td
    return sums


def _geomean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values))))


def report(rows: dict[str, dict[str, list]], pixels: dict[str, int]) -> dict[str, tuple]:
    names = list(next(iter(rows.values())))
    print("| image | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for img, r in rows.items():
        cells = [f"{8 * r[c][0] / pixels[img]:.3f} ({r[c][1]:.0f} / {r[c][2]:.0f})" for c in names]
        print(f"| {img} | " + " | ".join(cells) + " |")
    print("\ncells: bpp (encode / decode CPU ms)\n")
    print("| codec | size vs CharLS | encode CPU vs CharLS | decode CPU vs CharLS |")
    print("|---|---:|---:|---:|")
    means = {}
    for c in names:
        g = tuple(_geomean([rows[i][c][k] / rows[i]["CharLS"][k] for i in rows]) for k in (0, 1, 2))
        means[c] = g
        print(f"| {c} | {g[0]:.3f} | {g[1]:.2f} | {g[2]:.2f} |")
    return means


def figure(means: dict[str, tuple], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.6), dpi=110)
    n_ours = 0
    for c, (size, enc, _dec) in means.items():
        ours = c.startswith("sdwtfast")
        ax.scatter(enc, size, c="tab:red" if ours else "tab:blue", s=28)
        # sdwtfast's efforts lie close together: their labels go one line apart, above
        offset = (-12, 6 + 9 * n_ours) if ours else (4, 3)
        n_ours += ours
        ax.annotate(c, (enc, size), fontsize=7, xytext=offset, textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("encode CPU time vs CharLS (geometric mean, log)")
    ax.set_ylabel("size vs CharLS (geometric mean)")
    ax.set_title("Lossless frontier, development images, 1 thread", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="*", default=ALL_IMAGES)
    ap.add_argument("--efforts", nargs="*", type=int, default=[1, 7, 9])
    ap.add_argument("--repeat", type=int, default=2, help="timing repeats (best of)")
    ap.add_argument("--figure", help="write the size-vs-speed figure here (PNG)")
    args = ap.parse_args(argv)
    import imagecodecs

    print(
        f"bench_frontier: {platform.machine()} {platform.python_version()}, numpy "
        f"{np.__version__}, imagecodecs {imagecodecs.__version__}; one thread; CPU ms best of "
        f"{args.repeat}\n"
    )
    table = codecs(args.efforts)
    rows, pixels = {}, {}
    for name in args.images:
        rows[name] = measure(name, table, args.repeat)
        pixels[name] = load(name).pixels
        print(f"  measured {name}", file=sys.stderr, flush=True)
    means = report(rows, pixels)
    if args.figure:
        figure(means, args.figure)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
