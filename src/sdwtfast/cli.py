"""The ``sdwtfast`` command line: encode, decode, info, compare, keygen, demo.

Exit codes: 0 success; 2 bad usage or invalid input; 3 output exists or I/O error;
4 corrupt stream; 5 unsupported format; 6 key required; 7 wrong key or tampered data;
8 size limit exceeded; 1 any other sdwtfast error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
    LimitExceededError,
    SdwtError,
    UnsupportedFormatError,
)

EXIT_USAGE, EXIT_IO, EXIT_CORRUPT, EXIT_FORMAT = 2, 3, 4, 5
EXIT_KEY, EXIT_AUTH, EXIT_LIMIT = 6, 7, 8


class CliError(Exception):
    """A user-facing failure with its exit code."""

    def __init__(self, msg: str, code: int):
        super().__init__(msg)
        self.code = code


# ---- files -----------------------------------------------------------------------------------


def _atomic_write(
    path: str | os.PathLike, data: bytes | None = None, *, force: bool, writer=None
) -> None:
    """Write through :func:`sdwtfast.safefile.write_atomic`: atomic, never clobber unasked."""
    from .safefile import write_atomic

    p = Path(path)
    if not p.parent.exists():
        raise CliError(f"folder {p.parent} does not exist", EXIT_IO)
    try:
        write_atomic(p, data, writer=writer, force=force)
    except FileExistsError:
        raise CliError(f"{p} exists (use --force to overwrite)", EXIT_IO) from None


DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")
ARRAY_SUFFIXES = (".npy", ".png", ".tif", ".tiff")
CONTAINER_SUFFIXES = (".sdw", ".sdwt")


def _is_nifti(p: Path) -> bool:
    return p.name.lower().endswith((".nii", ".nii.gz"))


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """Read an image as an array: every frame and every sample of a DICOM file (any file
    pydicom reads), a NIfTI volume, ``.npy`` (any shape; no pickles), PNG or TIFF (grey or
    colour). Returns ``(pixels, info)``; ``info`` may hold ``bits_stored`` and ``samples``."""
    p = Path(path)
    if p.is_dir() or _is_nifti(p) or p.suffix.lower() not in ARRAY_SUFFIXES:
        obj = _read_object(p)
        return obj[0], obj[2]
    if not p.is_file():
        raise CliError(f"{p}: no such file", EXIT_IO)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        try:
            arr = np.load(p, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise CliError(f"{p}: not a readable .npy file ({exc})", EXIT_FORMAT) from None
        return np.ascontiguousarray(arr), {}
    import imageio.v3 as iio

    try:
        arr = iio.imread(p)
    except Exception as exc:  # imageio raises many types for unreadable files
        raise CliError(f"{p}: not a readable image ({exc})", EXIT_FORMAT) from None
    samples = arr.shape[-1] if arr.ndim == 3 else 1
    return np.ascontiguousarray(arr), {"samples": samples}


def _read_object(p: Path) -> tuple[np.ndarray, dict[str, Any], dict[str, Any]]:
    """A DICOM file, a DICOM series folder or a NIfTI file: ``(pixels, encode keyword
    arguments (samples, metadata, colour transform), info)``."""
    if not p.exists():
        raise CliError(f"{p}: no such file or folder", EXIT_IO)
    if _is_nifti(p):
        nifti = _nifti_module()
        obj = nifti.read(p)
        samples = obj.pixels.shape[-1] if obj.pixels.ndim == 4 else 1  # RGB24 / RGBA32
        return obj.pixels, {"samples": samples, "metadata": nifti.metadata_bytes(obj)}, {}
    from . import dicom

    obj = dicom.read(p)
    ds = obj.datasets[0]
    photometric = str(getattr(ds, "PhotometricInterpretation", ""))
    kw = {"samples": obj.samples, "metadata": dicom.metadata_bytes(obj.datasets)}
    if photometric.startswith("YBR"):
        kw["colour_transform"] = False
    return (
        obj.pixels,
        kw,
        {"bits_stored": int(getattr(ds, "BitsStored", 0)) or None, "samples": obj.samples},
    )


def _monochrome1(opened: Any) -> bool:
    """Whether the opened container holds a DICOM object whose PhotometricInterpretation is
    MONOCHROME1 (its smallest value is white)."""
    from . import api

    meta = api.metadata(opened)
    if meta is None:
        return False
    try:
        from . import dicom

        datasets = dicom.datasets_from_metadata(meta)
    except (ImportError, SdwtError):
        return False
    return bool(datasets) and str(getattr(datasets[0], "PhotometricInterpretation", "")) == (
        "MONOCHROME1"
    )


def _nifti_module() -> Any:
    try:
        from . import nifti
    except ImportError as exc:
        raise CliError(
            f"NIfTI input and output are not available here ({exc})", EXIT_FORMAT
        ) from None
    return nifti


def _display(img: np.ndarray, bit_depth: int, signed: bool) -> np.ndarray:
    """Samples of ``bit_depth`` bits scaled to the full range of an 8- or 16-bit image for
    PNG / TIFF (uint8 data stays as it is; signed data is shifted up by 2^(bits-1))."""
    if img.dtype == np.uint8 and not signed:
        return img
    x = img.astype(np.int64)
    if signed:
        x = x + (1 << (bit_depth - 1))
    top = (1 << bit_depth) - 1
    return np.clip(x * 65535 // max(top, 1), 0, 65535).astype(np.uint16)


def _write_image(path: str, img: np.ndarray, force: bool) -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        _atomic_write(path, force=force, writer=lambda fh: np.save(fh, img, allow_pickle=False))
    elif suffix in (".png", ".tif", ".tiff"):
        import imageio.v3 as iio

        if suffix == ".png" and img.dtype == np.int16:
            raise CliError("PNG cannot hold signed 16-bit data: write .npy or .tiff", EXIT_USAGE)
        ext = ".png" if suffix == ".png" else ".tiff"
        _atomic_write(
            path,
            force=force,
            writer=lambda fh: fh.write(iio.imwrite("<bytes>", img, extension=ext)),
        )
    else:
        raise CliError(
            f"unsupported output format {suffix!r} (use .dcm, a folder, .nii, .nii.gz, .npy, "
            ".png or .tiff)",
            EXIT_USAGE,
        )


def _same_file(a: str, b: str) -> bool:
    pa, pb = Path(a), Path(b)
    try:
        return pa.resolve() == pb.resolve() or (pb.exists() and os.path.samefile(pa, pb))
    except OSError:
        return False


# ---- options ---------------------------------------------------------------------------------


def _parse_roi(spec: str | None) -> Any:
    if spec is None or spec == "none":
        return None
    if spec == "auto":
        return "auto"
    if spec.endswith(".npy"):
        return np.load(spec, allow_pickle=False)
    boxes = []
    for part in spec.split(";"):
        try:
            y0, x0, y1, x1 = (int(v) for v in part.split(","))
        except ValueError:
            raise CliError(
                f"--roi: cannot read box {part!r} (want y0,x0,y1,x1)", EXIT_USAGE
            ) from None
        boxes.append((y0, x0, y1, x1))
    return boxes


def _key_args(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(args, "key_file", None):
        from . import crypto

        out["key"] = crypto.load_key_file(args.key_file)
    if getattr(args, "passphrase_env", None):
        var = args.passphrase_env
        if var not in os.environ:
            raise CliError(f"environment variable {var} is not set", EXIT_USAGE)
        if "key" in out:
            raise CliError("give --key-file or --passphrase-env, not both", EXIT_USAGE)
        out["passphrase"] = os.environ[var]
    return out


def _bg_quality(v: str | None) -> Any:
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            raise CliError(f"--background-quality: not a number: {v!r}", EXIT_USAGE) from None


# ---- commands --------------------------------------------------------------------------------


def cmd_encode(args: argparse.Namespace) -> int:
    from . import codec

    if _same_file(args.input, args.output):
        raise CliError("the output is the input: refusing to overwrite it", EXIT_USAGE)
    if Path(args.output).suffix.lower() not in CONTAINER_SUFFIXES:
        raise CliError(f"{args.output}: a compressed file is written as .sdw", EXIT_USAGE)
    p = Path(args.input)
    if p.is_dir() or _is_nifti(p) or p.suffix.lower() not in ARRAY_SUFFIXES:
        img, kw, _ = _read_object(p)
    else:
        img, meta = read_image(p)
        kw = {"samples": meta.get("samples", 1)} if img.ndim == 3 else {}
    rep = codec.EncodeReport()
    keys = _key_args(args)
    blob = codec.encode(img, report=rep, **_coding_kwargs(args), **kw, **keys)
    _atomic_write(args.output, blob, force=args.force)
    inf = codec.info(blob, **keys)
    raw = img.size * img.dtype.itemsize
    bpp = len(blob) * 8 / (img.size / max(1, inf["samples"]))
    frames = f"{inf['frames']} frame{'s' * (inf['frames'] > 1)}"
    print(
        f"{args.output}: {len(blob)} bytes, {frames} of {inf['width']}x{inf['height']}"
        f"{'x' + str(inf['samples']) if inf['samples'] > 1 else ''}, {bpp:.3f} bpp,"
        f" ratio {raw / len(blob):.2f}:1, mode {rep.mode}"
        + (f", ROI {100 * rep.roi_fraction:.1f}% of the image" if inf["frames"] == 1 else "")
        + f", {rep.timings_ms['total']:.0f} ms"
    )
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from . import api

    if _same_file(args.input, args.output):
        raise CliError("the output is the input: refusing to overwrite it", EXIT_USAGE)
    data = Path(args.input).read_bytes()
    out = Path(args.output)
    name = out.name.lower()
    if out.is_file() and not args.force:
        raise CliError(f"{out} exists (use --force to overwrite)", EXIT_IO)
    keys = _key_args(args)
    if name.endswith(DICOM_SUFFIXES) or (out.suffix == "" and not name.endswith(ARRAY_SUFFIXES)):
        from . import dicom

        if args.frame is not None:
            raise CliError("--frame applies to .npy, PNG and TIFF outputs", EXIT_USAGE)
        datasets = dicom.decode_to_dataset(data, **keys)
        dicom.write(out, datasets, force=args.force)
        print(f"{out}: {len(datasets)} DICOM file{'s' * (len(datasets) > 1)}")
        return 0
    if _is_nifti(out):
        nifti = _nifti_module()
        nifti.write(out, nifti.decode_to_nifti(data, **keys), force=args.force)
        print(f"{out}: NIfTI volume")
        return 0
    display = out.suffix.lower() in (".png", ".tif", ".tiff")
    opened = api.open_container(data, max_pixels=args.max_pixels, **keys)  # read once
    inf = api.info(opened)
    if display and args.frame is None and inf["frames"] > 1:
        raise CliError(
            f"{args.input} holds {inf['frames']} frames: pass --frame k (0-based) for "
            f"{out.suffix}, or write .npy for all of them",
            EXIT_USAGE,
        )
    img = api.decode(opened, frame=args.frame, max_pixels=args.max_pixels)
    if display:
        if img.ndim == 3 and inf["frames"] > 1:
            img = img[0]
        img = _display(img, inf["bit_depth"], inf["signed"])
        if _monochrome1(opened):  # DICOM: 0 is white; show it the right way round
            img = (np.iinfo(img.dtype).max - img).astype(img.dtype)
    _write_image(args.output, img, args.force)
    print(f"{args.output}: {'x'.join(map(str, img.shape))} {img.dtype}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from . import codec

    data = Path(args.input).read_bytes()
    inf = codec.info(data, **_key_args(args))
    planes = inf.pop("planes", None)
    for k, v in inf.items():
        if v is not None or not inf["sealed"]:
            print(f"{k:14s} {v}")
    for p in planes or ():
        print(
            f"  frame {p['frame']:4d} sample {p['sample']}: {p['bytes']:9d} bytes, {p['mode']}, "
            f"wavelet {p['wavelet']}, {p['params']}"
        )
    if inf["sealed"] and inf["width"] is None:
        print("(the image header is sealed: pass --key-file or --passphrase-env to see it)")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from . import crypto

    crypto.generate_key_file(args.keyfile)
    print(f"{args.keyfile}: new 256-bit key (owner-only permissions); keep it safe")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from . import metrics

    a, meta = read_image(args.original)
    b, _ = read_image(args.decoded)
    if a.shape != b.shape:
        raise CliError(f"shapes differ: {a.shape} vs {b.shape}", EXIT_USAGE)
    mask, nbytes, bits = None, None, args.bits or meta.get("bits_stored")
    if args.compressed:
        from . import codec

        blob = Path(args.compressed).read_bytes()
        nbytes = len(blob)
        inf = codec.info(blob)
        bits = bits or inf["bit_depth"]
        if args.roi is None and not inf["encrypted"]:
            mask = codec.roi_mask(blob)  # the ROI the file was coded with
            if mask is not None and mask.shape != a.shape:
                raise CliError("the compressed file's geometry differs from the images", EXIT_USAGE)
    roi = _parse_roi(args.roi)
    if roi is not None:
        from . import roi as _roi

        mask = _roi.resolve_roi(roi, a)
    rep = metrics.report(a, b, nbytes, roi=mask, bits=bits)
    for region, vals in rep.items():
        if isinstance(vals, dict):
            print(f"[{region}]")
            for k, v in vals.items():
                print(f"  {k:18s} {v}")
        elif vals is not None:
            print(f"{region:20s} {vals}")
    if args.out:
        _compare_figure(a, b, mask, rep, args.out, args.force)
        print(f"figure: {args.out}")
    return 0


def _compare_figure(a, b, mask, rep, out, force) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    from . import roi as _roi

    err = np.abs(a.astype(np.float64) - b.astype(np.float64))
    fig, ax = plt.subplots(1, 4, figsize=(16, 4.4))
    lo, hi = np.percentile(a, [0.5, 99.5])
    ax[0].imshow(a, cmap="gray", vmin=lo, vmax=hi)
    ax[0].set_title("original")
    ax[1].imshow(b, cmap="gray", vmin=lo, vmax=hi)
    ax[1].set_title("decoded")
    ax[2].imshow(_roi.overlay(a, mask if mask is not None else np.ones(a.shape, bool)))
    ax[2].set_title("ROI")
    im = ax[3].imshow(err, cmap="magma")
    ax[3].set_title(f"|error| (max {err.max():.0f})")
    fig.colorbar(im, ax=ax[3], fraction=0.046)
    for x in ax:
        x.axis("off")
    from .metrics import format_psnr

    def line(name: str) -> str:
        r = rep.get(name)
        if not r:
            return ""
        ssim = r.get("ssim")
        ssim_s = "n/a" if ssim is None else f"{ssim:.4f}"
        return (
            f"{name}: PSNR {format_psnr(r.get('psnr'))}, SSIM {ssim_s}, "
            f"max |e| {r.get('max_abs_error'):.0f}"
        )

    title = "   ".join(t for t in (line("image"), line("roi"), line("background")) if t)
    if rep.get("bpp") is not None:
        title += f"\n{rep['bpp']:.3f} bpp, ratio {rep['compression_ratio']:.2f}:1"
    fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    _atomic_write(out, buf.getvalue(), force=force)


def cmd_demo(args: argparse.Namespace) -> int:
    from . import codec, metrics
    from .sample import load_ct

    img = load_ct()
    h, w = img.shape
    print(
        f"sdwtfast demo: real CT slice shipped in the package, {w}x{h} {img.dtype}, "
        f"14 bits stored, {img.nbytes} bytes raw"
    )
    runs: list[tuple[str, dict[str, Any]]] = [
        ("lossless (default)", {}),
        ("near-lossless, max error 2", {"roi_max_error": 2}),
        ("hybrid: auto ROI lossless, wavelet background", {"roi": "auto"}),
        (
            "hybrid: auto ROI max error 1, wavelet 0.1 bpp",
            {"roi": "auto", "roi_max_error": 1, "background_quality": 0.1},
        ),
    ]
    if _learned_available():
        runs.append(
            (
                "hybrid: auto ROI lossless, learned background",
                {"roi": "auto", "background": "learned"},
            )
        )
    runs.append(("at 1 bpp (whole image)", {"roi_bpp": 1.0}))
    print(
        f"{'run':47s} {'coder':>5s} {'bytes':>7s} {'bpp':>6s} {'ratio':>8s} {'ROI %':>6s}"
        f" {'ROI max':>7s} {'PSNR':>9s} {'bg PSNR':>9s} {'enc ms':>7s} {'dec ms':>7s}"
    )

    shown = None  # the run the figure shows: the first hybrid one
    for name, kw in runs:
        rep = codec.EncodeReport()
        t0 = time.perf_counter()
        blob = codec.encode(img, report=rep, **kw)
        t1 = time.perf_counter()
        out = codec.decode(blob)
        t2 = time.perf_counter()
        mask = codec.roi_mask(blob)
        roi_err = metrics.max_abs_error(img, out, mask=mask)
        whole = metrics.format_psnr(metrics.psnr(img, out)).replace(" dB", "")
        bg = (
            "-"
            if mask is None
            else metrics.format_psnr(metrics.psnr(img, out, mask=~mask)).replace(" dB", "")
        )
        print(
            f"{name:47s} {rep.roi_coder:>5s} {len(blob):7d} {len(blob) * 8 / img.size:6.3f} "
            f"{img.nbytes / len(blob):6.2f}:1 {100 * rep.roi_fraction:6.1f} {roi_err:7.0f} "
            f"{whole:>9s} {bg:>9s} {(t1 - t0) * 1e3:7.1f} {(t2 - t1) * 1e3:7.1f}"
        )
        if shown is None and mask is not None:
            shown = (name, out, mask, len(blob))
    print(
        "'coder' = the ROI's coder (ezw: wavelet + EZW, pred: the predictive coder, whichever"
        " was better); PSNR in dB, peak = max - min of the slice;\n'ROI max' = largest |error|"
        " on ROI pixels; 'bg PSNR' = PSNR outside the ROI. The learned background's first call"
        " includes loading PyTorch and the model."
    )
    if shown is not None and not args.no_figure:
        _demo_figure(img, shown, args.figure)
    print(
        "next: sdwtfast encode your.dcm your.sdw --roi auto   (then: sdwtfast info your.sdw;"
        " sdwtfast decode your.sdw back.dcm)"
    )
    return 0


def _demo_figure(img: np.ndarray, shown: tuple, path: str | None) -> None:
    """The demo's figure (image, ROI overlay, error map, one line of numbers), written next to
    the table: ``path``, or ``sdwtfast-demo.png`` (``-1``, ``-2``, ... when that exists)."""
    from . import metrics

    name, out, mask, nbytes = shown
    target = Path(path) if path else Path("sdwtfast-demo.png")
    k = 0
    while path is None and target.exists():
        k += 1
        target = Path(f"sdwtfast-demo-{k}.png")
    try:
        rep = metrics.report(img, out, nbytes, roi=mask, bits=14)
        _compare_figure(img, out, mask, rep, str(target), force=False)
    except ImportError:
        print("figure: skipped (matplotlib is not installed: pip install matplotlib)")
        return
    print(f"figure: {target.resolve()} ({name})")


def _learned_available() -> bool:
    try:
        from . import background

        return bool(background.QUALITIES) and os.path.exists(background.weights_path())
    except Exception:  # torch missing or no weights: the demo falls back to the wavelet path
        return False


# ---- archive, verify, restore (sdwtfast.batch) -----------------------------------------------


def _archive_error(exc: Exception) -> CliError:
    """An archive-level refusal as the CLI's error (3 when another run holds DST)."""
    from .batch import ArchiveBusyError

    return CliError(str(exc), EXIT_IO if isinstance(exc, ArchiveBusyError) else EXIT_USAGE)


def cmd_archive(args: argparse.Namespace) -> int:
    """``sdwtfast archive SRC DST``: exit 0 when every input is archived, 1 when some failed."""
    from . import batch as archive

    if args.dask and args.scheduler:
        raise CliError("give --dask local or --scheduler URL, not both", EXIT_USAGE)
    try:
        summary = archive.archive(
            args.src,
            args.dst,
            **_coding_kwargs(args),
            by=args.by,
            workers=args.workers,
            dask=args.scheduler or args.dask,
            outputs=args.outputs,
            reencode=args.reencode,
            retry_failed=args.retry_failed,
            progress="json" if args.json else None if args.quiet else "bar",
            **_key_args(args),
        )
    except InvalidInputError as exc:
        raise _archive_error(exc) from None
    return 0 if summary.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    """``sdwtfast verify DST``: exit 0 when clean, 4 on any mismatch, missing or extra file."""
    import json

    from . import batch as archive

    try:
        rep = archive.verify(
            args.dst,
            workers=args.workers,
            progress=None if args.quiet or args.json else "bar",
            **_key_args(args),
        )
    except InvalidInputError as exc:
        raise _archive_error(exc) from None
    if args.json:
        print(json.dumps({"checked": rep.checked, "clean": rep.clean, "problems": rep.problems}))
    elif not args.quiet or not rep.clean:
        print(rep.table())
    return 0 if rep.clean else EXIT_CORRUPT


def cmd_restore(args: argparse.Namespace) -> int:
    """``sdwtfast restore DST OUT``: exit 0 when every input is written back, 1 otherwise."""
    from . import batch as archive

    try:
        rep = archive.restore(args.dst, args.out, force=args.force, **_key_args(args))
    except InvalidInputError as exc:
        raise _archive_error(exc) from None
    for path, why in rep.failures:
        print(f"sdwtfast restore: failed: {path}: {why}", file=sys.stderr)
    n_failed = len(rep.failures)
    print(f"{args.out}: {rep.restored} inputs restored ({rep.files} files), {n_failed} failed")
    return 0 if rep.ok else 1


def _add_archive(sub: Any, keys: Any) -> None:
    a = sub.add_parser(
        "archive",
        help="compress every image under SRC into a mirrored tree of .sdw files under DST, "
        "with a journal: resumable, parallel, verifiable (see docs/archive.md)",
    )
    a.add_argument("src")
    a.add_argument("dst")
    _add_coding_options(a)
    a.add_argument(
        "--by",
        choices=("file", "series"),
        default="file",
        help="one container per file (default) or per folder of DICOM files",
    )
    a.add_argument("--workers", type=int, help="processes (default: the CPUs; 1: this one)")
    a.add_argument("--dask", choices=("local",), help="run on a local Dask cluster")
    a.add_argument("--scheduler", metavar="URL", help="run on the Dask cluster at tcp://HOST:PORT")
    a.add_argument(
        "--outputs",
        choices=("workers", "client"),
        default="workers",
        help="who writes the containers (default: the workers; DST shared)",
    )
    a.add_argument(
        "--reencode",
        action="store_true",
        help="options differ from the archive's: code every input again",
    )
    a.add_argument("--retry-failed", action="store_true", help="code failed inputs again")
    a.add_argument("--quiet", action="store_true", help="no progress, no table (failures only)")
    a.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    keys(a)
    a.set_defaults(fn=cmd_archive)

    v = sub.add_parser("verify", help="decode every container of an archive and check it")
    v.add_argument("dst")
    v.add_argument("--workers", type=int, help="processes (default: the CPUs)")
    v.add_argument("--quiet", action="store_true", help="print only the problems")
    v.add_argument("--json", action="store_true", help="one JSON object on stdout")
    keys(v)
    v.set_defaults(fn=cmd_verify)

    r = sub.add_parser("restore", help="write an archive's inputs back (DICOM, NIfTI, npy...)")
    r.add_argument("dst")
    r.add_argument("out")
    r.add_argument("--force", action="store_true", help="overwrite existing files")
    keys(r)
    r.set_defaults(fn=cmd_restore)


# ---- main ------------------------------------------------------------------------------------


def _add_key_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key-file", help="key file made by 'sdwtfast keygen'")
    p.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="read a passphrase from environment variable VAR",
    )


def _coding_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of sdwtfast.encode that :func:`_add_coding_options` declares."""
    return {
        "roi": _parse_roi(args.roi),
        "roi_max_error": args.roi_max_error,
        "roi_bpp": args.roi_bpp,
        "background": args.background,
        "background_quality": _bg_quality(args.background_quality),
        "wavelet": args.wavelet,
        "preprocess": tuple(s for s in (args.preprocess or "").split(",") if s),
        "effort": args.effort,
    }


def _add_coding_options(p: argparse.ArgumentParser) -> None:
    """The options of sdwtfast.encode, shared by ``encode`` and ``archive``."""
    p.add_argument("--roi", help="'auto', 'none', boxes 'y0,x0,y1,x1;...' or a mask .npy")
    p.add_argument(
        "--roi-max-error",
        type=int,
        default=0,
        help="max |error| on ROI pixels (0 = lossless, the default)",
    )
    p.add_argument(
        "--roi-bpp",
        type=float,
        help="ROI at this rate instead (9/7 EZW, or prediction with an error bound "
        "or lossless when that has the lower MSE in the same budget)",
    )
    p.add_argument(
        "--background",
        default="wavelet",
        choices=("wavelet", "learned", "lossless"),
        help="coder outside the ROI (default wavelet: measured better than learned)",
    )
    p.add_argument("--background-quality", help="learned level, or bpp for 'wavelet'")
    p.add_argument(
        "--wavelet",
        choices=("5/3", "9/7", "haar"),
        help="force this wavelet: the ROI is EZW coded, no predictive alternative",
    )
    p.add_argument("--preprocess", help="comma list: clean-border,contrast,wiener,wavelet-denoise")
    p.add_argument(
        "--effort",
        type=int,
        help="1 (fastest) .. 9 (smallest); default 7: both ROI coders, the smaller kept",
    )


def _add_encode(sub: Any, keys: Any) -> None:
    e = sub.add_parser(
        "encode",
        help="compress an image: a DICOM file (every frame), a DICOM series folder, NIfTI, "
        ".npy, PNG or TIFF; the output is a .sdw file",
    )
    e.add_argument("input")
    e.add_argument("output")
    _add_coding_options(e)
    e.add_argument("--force", action="store_true", help="overwrite the output")
    keys(e)
    e.set_defaults(fn=cmd_encode)


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    ap = argparse.ArgumentParser(prog="sdwtfast", description=__doc__.split("\n")[0])
    ap.add_argument("--version", action="version", version=f"sdwtfast {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    keys = _add_key_options

    _add_encode(sub, keys)

    d = sub.add_parser(
        "decode",
        help="decompress to DICOM (.dcm, or a folder for a series), NIfTI (.nii, .nii.gz), "
        ".npy (stored values, every frame), PNG or TIFF (one frame, for display: 9-16-bit "
        "samples scaled to the full 16-bit range, signed ones shifted up by half the range, "
        "DICOM MONOCHROME1 inverted so that white is white)",
    )
    d.add_argument("input")
    d.add_argument("output")
    d.add_argument("--frame", type=int, help="decode this frame only (0-based)")
    d.add_argument(
        "--max-pixels",
        type=int,
        default=1 << 26,
        help="refuse a file that declares more samples than this (default 2^26, an "
        "8192x8192 image; at most 2^28)",
    )
    d.add_argument("--force", action="store_true")
    keys(d)
    d.set_defaults(fn=cmd_decode)

    i = sub.add_parser(
        "info",
        help="describe a compressed file (an encrypted one in full only with its key)",
    )
    i.add_argument("input")
    keys(i)
    i.set_defaults(fn=cmd_info)

    c = sub.add_parser("compare", help="quality metrics and a figure")
    c.add_argument("original")
    c.add_argument("decoded")
    c.add_argument("--roi", help="ROI for ROI/background metrics (as for encode)")
    c.add_argument("--compressed", help="compressed file, for ratio and bpp")
    c.add_argument("--bits", type=int, help="bit depth for the PSNR peak 2^bits - 1")
    c.add_argument("--out", help="write a PNG figure here")
    c.add_argument("--force", action="store_true")
    c.set_defaults(fn=cmd_compare)

    k = sub.add_parser("keygen", help="create a 256-bit key file (refuses to overwrite)")
    k.add_argument("keyfile")
    k.set_defaults(fn=cmd_keygen)

    m = sub.add_parser("demo", help="run the codec on the CT slice shipped in the package")
    m.add_argument("--figure", help="where to write the figure (default: sdwtfast-demo.png here)")
    m.add_argument("--no-figure", action="store_true", help="print the table only")
    m.set_defaults(fn=cmd_demo)

    _add_archive(sub, keys)
    return ap


_EXIT = [
    (KeyRequiredError, EXIT_KEY, "key required"),
    (AuthenticationError, EXIT_AUTH, "authentication failed"),
    (CorruptStreamError, EXIT_CORRUPT, "corrupt data"),
    (UnsupportedFormatError, EXIT_FORMAT, "unsupported format"),
    (LimitExceededError, EXIT_LIMIT, "too large"),
    (InvalidInputError, EXIT_USAGE, "invalid input"),
]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sdwtfast`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except BrokenPipeError:  # the reader went away (| head): not an error
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 0
    except CliError as exc:
        print(f"sdwtfast: error: {exc}", file=sys.stderr)
        return exc.code
    except SdwtError as exc:
        for cls, code, what in _EXIT:
            if isinstance(exc, cls):
                print(f"sdwtfast: {what}: {exc}", file=sys.stderr)
                return code
        print(f"sdwtfast: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"sdwtfast: error: {exc}", file=sys.stderr)
        return EXIT_IO
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
