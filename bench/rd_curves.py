"""Rate-distortion plots per development image (issue 6): PSNR and SSIM against bpp.

``python bench/rd_curves.py`` sweeps every method of :mod:`harness` over compression ratios
4:1 .. 128:1 on each development image (first frame, centre crop to at most ``--max-side``)
and writes ``bench/out/rd_<image>.png``: four panels, PSNR (peak 2^bits - 1) and SSIM
against achieved bpp, for the whole image and for the ROI (the fixed centred box). Lossless
methods are single points (drawn at the top of the PSNR panels, marked "lossless").
``--from-json bench/out/paper_runs.json`` plots the records of a ``paper_table.py`` run
instead of running the sweep. ``--docs`` also writes the CT plot to ``docs/rd_ct.png``.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import devimages  # noqa: E402
import harness  # noqa: E402
import paper_table  # noqa: E402

RATIOS = (4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
DOCS_PLOT = os.path.join(os.path.dirname(HERE), "docs", "rd_ct.png")


def plot_image(recs, title: str, path: str, *, dpi: int = 80) -> str:
    """Four panels (PSNR / SSIM x whole image / ROI box) for one image's records."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9), sharex=True)
    names = paper_table.method_names(recs)
    cmap = plt.get_cmap("tab20")
    finite = [paper_table._get(r, reg, "psnr_bits") for r in recs for reg in ("image", "roi_box")]
    finite = [v for v in finite if v is not None and math.isfinite(v)]
    top = (max(finite) + 5) if finite else 100
    for i, m in enumerate(names):
        rs = sorted((r for r in recs if r.method == m and not r.error), key=lambda r: r.bpp)
        if not rs:
            continue
        style = "--" if m.startswith("hybrid") else "-"
        marker = "*" if rs[0].lossless_method else "o"
        for col, reg in enumerate(("image", "roi_box")):
            for row, key in enumerate(("psnr_bits", "ssim")):
                ys = [paper_table._get(r, reg, key) for r in rs]
                xs = [r.bpp for r, y in zip(rs, ys, strict=True) if y is not None]
                ys = [y for y in ys if y is not None]
                if key == "psnr_bits":
                    ys = [top if math.isinf(y) else y for y in ys]
                axes[row, col].plot(
                    xs,
                    ys,
                    style,
                    marker=marker,
                    ms=4,
                    color=cmap(i % 20),
                    label=m if (row, col) == (0, 0) else None,
                )
    for col, reg in enumerate(("whole image", "ROI (centred box)")):
        axes[0, col].set_title(f"{reg}: PSNR (peak 2^bits-1); lossless drawn at {top:.0f}")
        axes[1, col].set_title(f"{reg}: SSIM")
        axes[0, col].set_ylabel("PSNR (dB)")
        axes[1, col].set_ylabel("SSIM")
        axes[1, col].set_xlabel("bits per pixel (achieved)")
        for row in (0, 1):
            axes[row, col].set_xscale("log")
            axes[row, col].grid(True, which="both", alpha=0.3)
    fig.legend(loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.1, 1, 0.97))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", nargs="*", default=devimages.ALL_IMAGES)
    ap.add_argument("--max-side", type=int, default=1024)
    ap.add_argument("--from-json", default=None)
    ap.add_argument("--docs", action="store_true", help="also write docs/rd_ct.png (693_UNCR)")
    ap.add_argument("--no-learned", action="store_true")
    args = ap.parse_args(argv)
    if args.from_json:
        recs = paper_table.load_json(args.from_json)
        by = {}
        for r in recs:
            by.setdefault(r.image, []).append(r)
        items = [(n, rs, "") for n, rs in by.items()]
    else:
        items = []
        for name, a, bits, note in paper_table.load_images(args.images, args.max_side):
            t = time.perf_counter()
            rs = harness.run_image(
                name,
                a,
                bits,
                ratios=RATIOS,
                method_list=harness.methods(learned=not args.no_learned),
            )
            print(f"# {name}: {time.perf_counter() - t:.1f} s", flush=True)
            items.append((name, rs, note))
    for name, rs, note in items:
        label = devimages.LABELS.get(name, name) + (f", {note}" if note else "")
        p = plot_image(
            rs,
            f"{name} ({label}): rate-distortion, every method",
            os.path.join(HERE, "out", f"rd_{name}.png"),
        )
        print("wrote", p)
        if args.docs and name == "693_UNCR":
            print(
                "wrote",
                plot_image(
                    rs, f"{name} ({label}): rate-distortion, every method", DOCS_PLOT, dpi=60
                ),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
