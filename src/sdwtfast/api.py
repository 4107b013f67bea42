"""The pipeline behind :func:`sdwtfast.encode`, :func:`~sdwtfast.decode` and
:func:`~sdwtfast.info`: orchestration only.

validate -> preprocess -> ROI -> ROI coder (:func:`sdwtfast.coders.code_roi`) and background
coder (:data:`sdwtfast.coders.BACKGROUND_CODERS`) -> container (:mod:`sdwtfast.container`).

The ROI is coded exactly, within a maximum error, or at a rate, by whichever of the wavelet/EZW
coder and the predictive coder gives the smaller stream (:mod:`sdwtfast.coders.select`); the
pixels outside it by a background coder, by default the wavelet path at a low rate (measured
better than the learned codec; ``bench/RESULTS.md``). The ROI is stored at 8x8 block
granularity (a superset of the requested region), context coded. The default (``roi=None``,
``roi_max_error=0``) is lossless: a medical codec is never lossy unless asked.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np

from . import _native, coders, limits, objects, validate
from . import container as _ct
from .coders.base import Coded, Fidelity, Frame, param
from .errors import CorruptStreamError, InvalidInputError, LimitExceededError
from .options import EncodeOptions

if TYPE_CHECKING:
    from . import crypto

__all__ = [
    "encode",
    "decode",
    "info",
    "metadata",
    "roi_mask",
    "open_container",
    "Opened",
    "EncodeReport",
    "BLOCK",
    "RoiSpec",
    "KeyLike",
]

BLOCK = 8
"""Granularity (pixels) of the stored ROI mask."""
RoiSpec: TypeAlias = "None | Literal['auto'] | np.ndarray | Sequence[tuple[int, int, int, int]]"
"""``None``, ``"auto"``, a boolean mask of the image's shape, or a list of
``(y0, x0, y1, x1)`` boxes."""
KeyLike: TypeAlias = "crypto.Key | bytes | bytearray | memoryview | None"
"""A :class:`sdwtfast.crypto.Key` or its 32 bytes."""


@dataclass
class EncodeReport:
    """What :func:`encode` did, for the CLI and benchmarks (``encode(..., report=r)``)."""

    mode: str = ""
    roi_fraction: float = 1.0
    sections: dict[str, int] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    background: str = ""
    background_quality: float | int | None = None
    roi_coder: str = ""


def _bit_depth(vmin: int, vmax: int, signed: bool) -> int:
    if signed:
        neg = int(-vmin - 1).bit_length() if vmin < 0 else 0
        return max(1, max(int(vmax).bit_length(), neg) + 1)
    return max(1, int(vmax).bit_length())


def _prepare(
    image: Any, roi: RoiSpec, opts: EncodeOptions, levels: int | None, stamp: dict[str, float]
) -> tuple[Frame, np.ndarray | None]:
    """The frame to code (validated, preprocessed, its ROI resolved) and its block mask."""
    a = validate.image(image)
    lv = validate.levels(levels, *a.shape)
    if opts.preprocess:
        from . import preprocess as _pp

        a = _pp.apply(a, opts.preprocess)
    stamp["preprocess"] = time.perf_counter()
    mask = bmask = None
    if roi is not None:
        from . import roi as _roi

        mask = _roi.resolve_roi(roi, a)
        if mask is not None:
            bmask = _roi.block_mask(mask, BLOCK)
            mask = _roi.expand_blocks(bmask, BLOCK, a.shape)
            if mask.all():
                mask = bmask = None
    stamp["roi_detect"] = time.perf_counter()
    vmin, vmax = int(a.min()), int(a.max())
    return Frame(a.shape, lv, vmin, vmax, (vmin + vmax) // 2, mask, a), bmask


def encode(
    image: np.ndarray,
    *,
    roi: RoiSpec = None,
    roi_max_error: int = 0,
    roi_bpp: float | None = None,
    background: str = "wavelet",
    background_quality: float | int | None = None,
    wavelet: str | None = None,
    preprocess: Sequence[str] = (),
    key: KeyLike = None,
    passphrase: str | bytes | None = None,
    levels: int | None = None,
    report: EncodeReport | None = None,
    samples: int | None = None,
    metadata: bytes | None = None,
    colour_transform: bool | None = None,
    workers: int | None = None,
    effort: int | None = None,
) -> bytes:
    """Encode an image into an sdwtfast container.

    Parameters
    ----------
    image : ndarray
        ``(h, w)``, a stack of frames or slices ``(n, h, w)``, or ``s`` samples per pixel
        ``(h, w, s)`` / ``(n, h, w, s)`` (colour: s = 3). ``uint8``, ``uint16`` or ``int16``;
        any other integer type (either byte order) is accepted when its values fit ``uint16``
        or ``int16``, and decodes as that type; values no 16-bit type holds are refused, never
        wrapped. Every frame is coded (:mod:`sdwtfast.objects`), and each decodes alone.
    roi : None, "auto", bool mask, or list of (y0, x0, y1, x1) boxes
        ``None``: the whole image is the ROI. ``"auto"``: the SVD detector
        (:func:`sdwtfast.roi.detect_roi`). Boxes are half-open pixel ranges.
    roi_max_error : int
        Guaranteed maximum ``|x - x_hat|`` on every ROI pixel; 0 = lossless (default).
    roi_bpp : float, optional
        Instead of an error bound: a lossy ROI at this many bits per ROI pixel (embedded EZW).
        Unless ``wavelet`` is given, the predictive coder competes at the same budget with the
        smallest error bound that fits (0: lossless); when its ROI MSE is lower the container
        holds that stream instead (mode ``lossless`` / ``near-lossless`` with
        ``roi.max_error``), a guaranteed bound as a bonus.
    background : {"wavelet", "learned", "lossless"}
        Coder for pixels outside the ROI (ignored when the ROI is the whole image). The default
        "wavelet" (9/7 EZW on the coefficients that reach background pixels) beats the shipped
        learned codec at every rate measured (bench/RESULTS.md) and is faster.
    background_quality : int or float, optional
        "learned": a level of :data:`sdwtfast.background.QUALITIES` (default: the middle one);
        "wavelet": bits per background pixel (default 0.15).
    wavelet : {"5/3", "9/7", "haar"}, optional
        ROI wavelet: "5/3" (the only choice for lossless / near-lossless), "9/7" default for
        ``roi_bpp``. Given explicitly, the ROI is always wavelet/EZW coded (an embedded
        stream): the predictive coder does not compete.
    preprocess : sequence of str
        Opt-in preprocessing (:data:`sdwtfast.preprocess.STEPS`), recorded in the header. The
        lossless guarantee then applies to the preprocessed image.
    key : sdwtfast.crypto.Key or 32 bytes, optional
        Encrypt the container (AES-256-GCM, see :mod:`sdwtfast.crypto`).
    passphrase : str or bytes, optional
        Encrypt with a key derived from a passphrase (Argon2id).
    levels : int, optional
        Wavelet decomposition levels (default 5, 6 above 1024 pixels a side).
    report : EncodeReport, optional
        Filled with what was done (sizes, timings, ROI fraction, the coders that won; for
        frames or samples: the mode, sections and total time).
    samples : int, optional
        Samples per pixel (1..4); None: 3 when a 3-D or 4-D array's last axis is 3, else 1.
    metadata : bytes, optional
        Stored as they are in a META section (inside the encrypted body when sealed), e.g. the
        DICOM dataset or NIfTI header of the source; :func:`metadata` reads them back.
    colour_transform : bool, optional
        Three samples: the reversible colour transform (JPEG 2000's RCT) before coding (None:
        when exact and lossless or at a rate; False: the samples as they are, e.g. YBR).
    workers : int, optional
        Threads coding frames at once, and that one frame's two ROI coders may use (default:
        the CPUs; 1: one thread, e.g. one process per core in an archive).
    effort : int, optional
        1 (fastest) .. 9 (smallest), default 7 (:mod:`sdwtfast.coders.select`): 5-8 code a
        lossless or near-lossless ROI with both ROI coders and keep the smaller stream (the
        streams of before efforts existed); 1-4 decide the coder from a sample of the image
        and code it once (about half the CPU). Rate mode is the same at every effort.

    Returns
    -------
    bytes

    Raises
    ------
    InvalidInputError, LimitExceededError

    Notes
    -----
    A lossless or near-lossless ROI (the whole image when ``roi`` is None) is coded both by the
    5/3 + EZW path (on the ROI's wavelet support set) and by the predictive coder
    (``csrc/pred.h``, on the ROI's pixels), and the smaller stream is kept
    (``report.roi_coder`` says which: ``"ezw"`` or ``"pred"``).
    """
    a = validate.array(image)
    metadata = validate.metadata(metadata)
    layout = objects.layout_of(a, samples)
    if layout == "hw" and colour_transform:
        raise InvalidInputError("colour_transform applies to three samples per pixel")
    kw = dict(
        roi_max_error=roi_max_error,
        roi_bpp=roi_bpp,
        background=background,
        background_quality=background_quality,
        wavelet=wavelet,
        preprocess=preprocess,
        levels=levels,
        effort=effort,
        workers=workers,
    )
    if layout == "hw":
        return _encode_2d(a, roi, kw, key, passphrase, metadata, report)
    EncodeOptions.check(**{k: v for k, v in kw.items() if k != "levels"})
    t0 = time.perf_counter()
    blob, mode = objects.encode(
        lambda x, roi_k, bpp: _encode_2d(x, roi_k, {**kw, "roi_bpp": bpp}, None, None, None, None),
        a,
        layout,
        roi=roi,
        colour_transform=colour_transform,
        metadata=metadata,
        workers=workers,
        key=key,
        passphrase=passphrase,
        options=kw,
    )
    if report is not None:
        report.mode = mode
        report.timings_ms["total"] = (time.perf_counter() - t0) * 1e3
    return blob


def _encode_2d(
    image: np.ndarray,
    roi: RoiSpec,
    kw: dict[str, Any],
    key: KeyLike,
    passphrase: str | bytes | None,
    metadata: bytes | None,
    report: EncodeReport | None,
) -> bytes:
    """:func:`encode` of one 2-D plane (a version-1.0 container)."""
    levels = kw["levels"]
    stamp = {"start": time.perf_counter()}
    opts = EncodeOptions.check(**{k: v for k, v in kw.items() if k != "levels"})
    frame, bmask = _prepare(image, roi, opts, levels, stamp)
    base = (
        []
        if bmask is None
        else [Coded("mask", _ct.SectionType.MASK, _native.bitmap_encode(bmask), {"block": BLOCK})]
    )
    bg = []
    if frame.mask is not None:
        coder = coders.background_coder(opts.background)
        bg = [coder.encode(frame, opts.background_quality)]
    if metadata is not None:
        bg.append(Coded("meta", _ct.SectionType.META, metadata))
    stamp["background"] = time.perf_counter()
    fidelity = opts.fidelity(frame.roi_pixels)
    if fidelity.mode == "rate":
        sealed = _ct.sealing(key, passphrase)
        roi_coded = [_fit_rate(frame, fidelity, base, bg, opts.preprocess, sealed)]
    else:
        roi_coded = coders.code_roi_sections(
            frame, fidelity, effort=opts.effort, threads=opts.threads
        )
    stamp["roi_code"] = time.perf_counter()
    coded = base + roi_coded + bg
    header, sections = _assemble(frame, coded, opts.preprocess)
    blob = _ct.pack(header, sections, key=key, passphrase=passphrase)
    stamp["container"] = time.perf_counter()
    if report is not None:
        _fill_report(report, frame, coded, sections, opts, header.mode, stamp)
    return blob


def _fit_rate(
    frame: Frame,
    fidelity: Fidelity,
    base: list[Coded],
    bg: list[Coded],
    steps: tuple[str, ...],
    sealed: str | None,
) -> Coded:
    """Rate mode: the ROI stream within ``roi_bpp`` bits per ROI pixel, counting the whole
    file (header, section records, encryption) when the ROI is the whole image, and the ROI's
    section (its record and checksum included) beside a background, whose bytes are the
    background's own rate."""
    total = int(fidelity.bpp * frame.roi_pixels / 8)

    def size(roi: Coded) -> int:
        header, sections = _assemble(frame, base + [roi] + bg, steps)
        n = _ct.packed_size(header, sections, encryption=sealed)
        if frame.mask is None:  # metadata are not image data: outside the budget
            return n - sum(len(c.payload) for c in bg)
        rest = [s for s in sections if s.type != roi.section]
        return n - _ct.packed_size(header, rest, encryption=sealed)

    # the overhead of the EZW stream's parameters bounds the predictive stream's too
    empty = Coded(
        "ezw",
        _ct.SectionType.ROI,
        b"",
        {"roi.top": 0, "roi.step_exp": 0, "roi.bpp": fidelity.bpp},
        "rate",
        "9/7",
    )
    budget = total - size(empty)
    for _ in range(4):
        if budget < 1:
            raise InvalidInputError(
                f"roi_bpp={fidelity.bpp} allows {total} bytes for {frame.roi_pixels} ROI "
                f"pixels, and the container alone needs {size(empty)}: ask for more bits "
                "per pixel"
            )
        roi = coders.code_roi(frame, replace(fidelity, budget=budget))
        excess = size(roi) - total
        if excess <= 0:
            return roi
        budget -= excess
    raise LimitExceededError("the rate budget could not be met")  # pragma: no cover


def _assemble(
    frame: Frame, coded: list[Coded], steps: tuple[str, ...]
) -> tuple[_ct.Header, list[_ct.Section]]:
    """The header and sections of ``coded`` (the mask, if any, the ROI, the background)."""
    a = frame.pixels
    roi = next(c for c in coded if c.section in (_ct.SectionType.ROI, _ct.SectionType.PRED))
    params: dict[str, Any] = {"vmin": frame.vmin, "vmax": frame.vmax, "dc": frame.dc}
    for c in coded:
        params.update(c.params)
    signed = a.dtype == np.int16
    mode = roi.mode if frame.mask is None else "hybrid-" + roi.mode
    model = next((c for c in coded if c.model_id), roi)
    header = _ct.Header(
        width=frame.shape[1],
        height=frame.shape[0],
        dtype=str(a.dtype),
        bit_depth=_bit_depth(frame.vmin, frame.vmax, signed),
        signed=bool(signed),
        mode=mode,
        wavelet=roi.wavelet,
        levels=frame.levels,
        model_id=model.model_id,
        model_sha256=model.model_sha256,
        preprocessing=steps,
        params=params,
    )
    return header, [_ct.Section(c.section, c.payload) for c in coded]


def _fill_report(
    rep: EncodeReport,
    frame: Frame,
    coded: list[Coded],
    sections: list[_ct.Section],
    opts: EncodeOptions,
    mode: str,
    stamp: dict[str, float],
) -> None:
    rep.mode = mode
    rep.roi_fraction = 1.0 if frame.mask is None else float(frame.mask.mean())
    rep.sections = {s.type.name.lower(): len(s.data) for s in sections}
    rep.roi_coder = next(
        c.coder for c in coded if c.section in (_ct.SectionType.ROI, _ct.SectionType.PRED)
    )
    if frame.mask is not None:
        rep.background, rep.background_quality = opts.background, opts.background_quality
    order = sorted((t, name) for name, t in stamp.items() if name != "start")
    prev = stamp["start"]
    for t, name in order:
        rep.timings_ms[name] = (t - prev) * 1e3
        prev = t
    rep.timings_ms["total"] = (stamp["container"] - stamp["start"]) * 1e3


def _frame_of(hdr: _ct.Header, secs: dict[_ct.SectionType, bytes]) -> Frame:
    """The decoded frame's geometry and value range, checked against its header."""
    p = hdr.params
    h, w, lv = hdr.height, hdr.width, hdr.levels
    if lv > min(validate.max_levels(h, w), limits.MAX_CODED_LEVELS):
        raise CorruptStreamError("container has impossible wavelet levels")
    vmin, vmax, dc = param(p, "vmin", int), param(p, "vmax", int), param(p, "dc", int)
    if hdr.dtype not in ("uint8", "uint16", "int16") or vmin > vmax:
        raise CorruptStreamError("container has an impossible value range or dtype")
    lim = np.iinfo(hdr.dtype)
    if vmin < lim.min or vmax > lim.max or not vmin <= dc <= vmax:
        raise CorruptStreamError(f"container value range {vmin}..{vmax} does not fit {hdr.dtype}")
    mask = None
    if hdr.mode.startswith("hybrid-"):
        if _ct.SectionType.MASK not in secs or _ct.SectionType.BACKGROUND not in secs:
            raise CorruptStreamError("hybrid container lacks its MASK or BACKGROUND section")
        mask = _stored_mask(hdr, secs)
    return Frame((h, w), lv, vmin, vmax, dc, mask)


def decode(
    data: bytes | bytearray | memoryview | Opened,
    *,
    key: KeyLike = None,
    passphrase: str | bytes | None = None,
    frame: int | None = None,
    max_pixels: int = limits.DEFAULT_MAX_DECODE_PIXELS,
) -> np.ndarray:
    """Decode a container made by :func:`encode`.

    Parameters
    ----------
    data : bytes-like, or :class:`Opened`
        The container, or what :func:`open_container` made of it (then read only once).
    key, passphrase : optional
        Needed for encrypted containers (:class:`~sdwtfast.errors.KeyRequiredError` otherwise).
    frame : int, optional
        Decode this frame only (0-based), without decoding the others.
    max_pixels : int
        Refuse (:class:`~sdwtfast.errors.LimitExceededError`), before anything is decoded, a
        container that declares more samples than this (all frames and samples together;
        checked from the plain header before anything is allocated, or for an encrypted
        version-2.0 file from its sealed header, right after decryption, which allocates no
        more than the file's size). The default, 2^26 (an 8192 x 8192 image), stops a
        few-byte file from claiming gigabytes; raise it up to
        :data:`sdwtfast.limits.MAX_PIXELS` for larger images.

    Returns
    -------
    ndarray
        The image, of the encoder input's shape and dtype (a wider integer input comes back
        as the 16-bit type it was stored as); one frame: without the frame axis.

    Raises
    ------
    CorruptStreamError, UnsupportedFormatError, KeyRequiredError, AuthenticationError,
    InvalidInputError (a frame the container does not have)
    """
    op = open_container(data, key=key, passphrase=passphrase, max_pixels=max_pixels)
    hdr = op.header
    secs = {s.type: bytes(s.data) for s in op.sections}
    if objects.is_object(secs):
        return objects.decode(_decode_plane, hdr, secs, frame)
    if frame is not None and (isinstance(frame, bool) or frame != 0):
        raise InvalidInputError(f"the container holds one frame; frame={frame!r} does not exist")
    return _decode_2d(hdr, secs)


@dataclass(frozen=True)
class Opened:
    """A container read (and, if sealed, decrypted and authenticated) once, for several of
    :func:`decode`, :func:`info`, :func:`metadata` and :func:`roi_mask` (:func:`open_container`).

    Attributes
    ----------
    plain : container.ContainerInfo
        What the plain header says (no image header for a sealed 2.0 file).
    header : container.Header
        The image header (the sealed one of a 2.0 file).
    sections : list of container.Section
    size : int
        Bytes of the container.
    """

    plain: _ct.ContainerInfo
    header: _ct.Header
    sections: list
    size: int


def open_container(
    data: bytes | bytearray | memoryview | Opened,
    *,
    key: KeyLike = None,
    passphrase: str | bytes | None = None,
    max_pixels: int | None = None,
) -> Opened:
    """Read, check and (with ``key`` / ``passphrase``) open a container once.

    Pass the result to :func:`decode`, :func:`info`, :func:`metadata` or :func:`roi_mask` in
    place of the bytes: the body is then parsed, and a passphrase stretched, once for all of
    them (their ``key`` / ``passphrase`` are not used again).

    Parameters
    ----------
    data : bytes-like, or an Opened (returned as it is, after the ``max_pixels`` check)
    key, passphrase : optional
        As :func:`decode`.
    max_pixels : int, optional
        As :func:`decode`: checked from the plain header before the body is read, or from
        the sealed one right after decryption. None: not checked.

    Raises
    ------
    CorruptStreamError, UnsupportedFormatError, KeyRequiredError, AuthenticationError,
    LimitExceededError, InvalidInputError
    """
    limit = None if max_pixels is None else validate.max_pixels(max_pixels)
    if isinstance(data, Opened):
        if limit is not None:
            _check_declared_size(data.header, limit)
        return data
    plain = _ct.read_header(data)
    if limit is not None and plain.header is not None:
        _check_declared_size(plain.header, limit)
    hdr, sections = _ct.unpack(data, key=key, passphrase=passphrase)
    if limit is not None and plain.header is None:
        _check_declared_size(hdr, limit)
    return Opened(plain, hdr, sections, memoryview(data).nbytes)


def _check_declared_size(hd: _ct.Header, max_pixels: int) -> None:
    p = hd.params
    n = p.get("frames", 1) if isinstance(p.get("frames", 1), int) else 1
    s = p.get("samples", 1) if isinstance(p.get("samples", 1), int) else 1
    declared = hd.width * hd.height * max(n, 1) * max(s, 1)
    if declared > max_pixels:
        raise LimitExceededError(
            f"the container declares {declared} samples ({n} x {hd.height} x {hd.width} x {s}),"
            f" more than max_pixels={max_pixels}: pass a larger max_pixels to decode it"
        )


def _decode_plane(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """One plane of an object container: a plain version-1.0 container of ``shape``, checked
    before anything of it is decoded."""
    hd = _ct.read_header(data).header
    if (hd.height, hd.width) != shape:
        raise CorruptStreamError(f"a plane declares {hd.height}x{hd.width}, not {shape}")
    hdr, sections = _ct.unpack(data)
    secs = {s.type: bytes(s.data) for s in sections}
    if objects.is_object(secs) or hdr.params.get("frames") is not None:
        raise CorruptStreamError("a plane of an object container is itself an object")
    return _decode_2d(hdr, secs)


def _decode_2d(hdr: _ct.Header, secs: dict[_ct.SectionType, bytes]) -> np.ndarray:
    """The 2-D image of a version-1.0 container's header and sections."""
    base = hdr.mode.removeprefix("hybrid-")
    if base not in ("lossless", "near-lossless", "rate"):
        raise CorruptStreamError(f"unknown mode {hdr.mode!r}")
    roi_types = [t for t in (_ct.SectionType.ROI, _ct.SectionType.PRED) if t in secs]
    if len(roi_types) != 1:
        raise CorruptStreamError("container needs exactly one ROI or PRED section")
    frame = _frame_of(hdr, secs)
    p = hdr.params
    img = coders.decode_roi(roi_types[0], base, frame, hdr.wavelet, p, secs)
    if frame.mask is not None:
        bg = coders.background_coder(p.get("bg"), decoding=True)
        bimg = bg.decode(frame, p, secs[_ct.SectionType.BACKGROUND], hdr.model_sha256, hdr.model_id)
        img = np.where(frame.mask, img, bimg)
    out = np.clip(img, frame.vmin, frame.vmax)
    if hdr.mode == "lossless" and not np.array_equal(out, img):
        raise CorruptStreamError("lossless container decodes outside its recorded value range")
    return out.astype(hdr.dtype)


def metadata(
    data: bytes | bytearray | memoryview | Opened,
    *,
    key: KeyLike = None,
    passphrase: str | bytes | None = None,
) -> bytes | None:
    """The metadata given to :func:`encode` (None when there were none).

    Raises
    ------
    CorruptStreamError, UnsupportedFormatError, KeyRequiredError, AuthenticationError
    """
    sections = open_container(data, key=key, passphrase=passphrase).sections
    return next((bytes(s.data) for s in sections if s.type == _ct.SectionType.META), None)


def roi_mask(
    data: bytes | bytearray | memoryview | Opened,
    *,
    key: KeyLike = None,
    passphrase: str | bytes | None = None,
    max_pixels: int = limits.DEFAULT_MAX_DECODE_PIXELS,
) -> np.ndarray | None:
    """The ROI stored in a container, as a pixel mask (None: the whole image is the ROI).

    ``max_pixels`` bounds the declared geometry before the mask is decoded, as for
    :func:`decode`.
    """
    op = open_container(data, key=key, passphrase=passphrase, max_pixels=max_pixels)
    hdr = op.header
    secs = {s.type: bytes(s.data) for s in op.sections}
    return _stored_mask(hdr, secs) if _ct.SectionType.MASK in secs else None


def _stored_mask(hdr: _ct.Header, secs: dict) -> np.ndarray:
    """Pixel mask of a container's MASK section (block bitmap expanded to pixels)."""
    if param(dict(hdr.params), "block", int) != BLOCK:
        raise CorruptStreamError("unsupported ROI block size")
    from . import roi as _roi

    h, w = hdr.height, hdr.width
    bmask = _native.bitmap_decode(secs[_ct.SectionType.MASK], -(-h // BLOCK), -(-w // BLOCK))
    return _roi.expand_blocks(bmask, BLOCK, (h, w))


_IMAGE_INFO = (
    "width",
    "height",
    "dtype",
    "bit_depth",
    "signed",
    "mode",
    "wavelet",
    "levels",
    "model_id",
    "preprocessing",
    "params",
    "frames",
    "samples",
    "lossless",
)
"""The keys of :func:`info` that describe the image (None for a sealed file without its key)."""


def info(
    data: bytes | bytearray | memoryview | Opened,
    *,
    key: KeyLike = None,
    passphrase: str | bytes | None = None,
) -> dict[str, Any]:
    """Describe a container without decoding its pixels.

    Parameters
    ----------
    data : bytes-like
    key, passphrase : optional
        Open an encrypted container to describe it in full. Without them, an encrypted file
        of version 2.0 (what this build writes) shows only how to open it: its image header
        is sealed, so geometry, mode and parameters are None and ``sealed`` is True.

    Returns
    -------
    dict
        ``version``, ``encrypted``, ``key_source``, ``sealed``, geometry, dtype, bit depth,
        mode, wavelet, levels, model, preprocessing, parameters, frames, samples, lossless,
        total size and, when the body could be read (plain, or a key given), the size of
        each section and, for frames / samples, ``planes``: per coded plane its frame,
        sample, bytes, mode, wavelet, levels and parameters (value range, ROI bound, ...).

    Raises
    ------
    CorruptStreamError, UnsupportedFormatError, AuthenticationError, KeyRequiredError
        As :func:`decode` (a key is never required: without it less is shown).
    """
    if isinstance(data, Opened):
        ci, hd, sections, size = data.plain, data.header, data.sections, data.size
    else:
        ci = _ct.read_header(data)
        hd, sections, size = ci.header, None, memoryview(data).nbytes
        if not ci.encrypted or key is not None or passphrase is not None:
            op = open_container(data, key=key, passphrase=passphrase)
            hd, sections = op.header, op.sections
    out: dict[str, Any] = {
        "version": ".".join(map(str, ci.version)),
        "encrypted": ci.encrypted,
        "key_source": ci.key_source,
        "sealed": ci.header is None,
        **dict.fromkeys(_IMAGE_INFO),
        "size": size,
        "header_size": ci.header_size,
    }
    if hd is not None:
        out.update(_image_info(hd))
    if sections is not None:
        out["sections"] = {
            s.type.name.lower() if hasattr(s.type, "name") else str(s.type): len(s.data)
            for s in sections
        }
        secs = {s.type: s.data for s in sections}
        if objects.is_object(secs):
            out["planes"] = objects.plane_info(hd, secs)
    return out


def _image_info(hd: _ct.Header) -> dict[str, Any]:
    p = hd.params
    return {
        "width": hd.width,
        "height": hd.height,
        "dtype": hd.dtype,
        "bit_depth": hd.bit_depth,
        "signed": hd.signed,
        "mode": hd.mode,
        "wavelet": hd.wavelet,
        "levels": hd.levels,
        "model_id": hd.model_id or None,
        "preprocessing": list(hd.preprocessing),
        "params": dict(p),
        "frames": p.get("frames", 1),
        "samples": p.get("samples", 1),
        "lossless": bool(p["lossless"]) if "lossless" in p else objects.plane_exact(hd),
    }
