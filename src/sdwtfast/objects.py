"""Images with frames and samples: stacks of slices, multi-frame objects, colour.

An array of shape ``(n, h, w)`` (frames or slices), ``(h, w, s)`` (``s`` samples per pixel) or
``(n, h, w, s)`` is coded plane by plane: each plane (one sample of one frame) becomes a
complete version-1.0 container of one 2-D image (:func:`sdwtfast.api.encode`), and the object's
container (version 1.1) holds a FRAME_INDEX (the length of each plane) and the planes (FRAMES),
so any frame decodes without the others (``decode(blob, frame=k)``). Frames are coded in
parallel threads (the C coders release the GIL).

Colour: three samples coded losslessly or at a rate go through JPEG 2000's reversible colour
transform (RCT: ``Y = (R + 2G + B) >> 2``, ``Cb = B - G``, ``Cr = R - G``, exact and
integer) when the differences fit 16 bits; with an error bound the samples are coded as they
are, so the bound holds on each sample as asked. ``colour_transform=False`` codes the samples
as they are (YBR data, or any other reason).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from . import container as _ct
from . import limits, validate
from .errors import CorruptStreamError, InvalidInputError, LimitExceededError

__all__ = [
    "LAYOUTS",
    "MAX_FRAMES",
    "MAX_SAMPLES",
    "encode",
    "decode",
    "is_object",
    "layout_of",
    "plane_exact",
    "plane_info",
]

LAYOUTS = ("hw", "fhw", "hws", "fhws")
"""How the decoded array is shaped: ``f`` frames, ``h`` x ``w`` pixels, ``s`` samples."""
MAX_FRAMES = 65535
"""Most frames of one container."""
MAX_SAMPLES = 4
"""Most samples per pixel."""
_LEN = struct.Struct("<I")
_SHARED_PARAMS = ("bg", "bg.bpp", "bg.quality", "roi.max_error", "roi.bpp")


def layout_of(a: np.ndarray, samples: int | None) -> str:
    """The layout of ``a`` (:data:`LAYOUTS`): ``samples`` None infers colour from a last
    axis of 3 on a 3-D or 4-D array; ``samples=1`` makes a 3-D array a stack of frames."""
    if samples is not None and (
        isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES
    ):
        raise InvalidInputError(f"samples must be an int in 1..{MAX_SAMPLES}, got {samples!r}")
    if a.ndim == 2:
        if samples not in (None, 1):
            raise InvalidInputError(f"a 2-D image has one sample per pixel, not {samples}")
        return "hw"
    if a.ndim not in (3, 4):
        raise InvalidInputError(
            f"image must be (h, w), (n, h, w), (h, w, s) or (n, h, w, s), got shape {a.shape}"
        )
    s = (3 if a.shape[-1] == 3 else 1) if samples is None else samples
    if a.ndim == 4 or s > 1:
        if a.shape[-1] != s:
            raise InvalidInputError(f"the last axis of shape {a.shape} is not {s} samples")
        return "fhws" if a.ndim == 4 else "hws"
    return "fhw"


def _planes(a: np.ndarray, layout: str) -> np.ndarray:
    """``a`` as (frames, samples, h, w)."""
    x = a
    if "f" not in layout:
        x = x[None]
    if "s" not in layout:
        x = x[..., None]
    return np.moveaxis(x, -1, 1)


def _rct(x: np.ndarray) -> np.ndarray | None:
    """Forward RCT of (frames, 3, h, w) int64 samples, or None when Cb / Cr leave int16."""
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    cb, cr = b - g, r - g
    if min(cb.min(), cr.min()) < -32768 or max(cb.max(), cr.max()) > 32767:
        return None
    return np.stack([(r + 2 * g + b) >> 2, cb, cr], axis=1)


def _inverse_rct(y: np.ndarray) -> np.ndarray:
    lum, cb, cr = y[:, 0], y[:, 1], y[:, 2]
    g = lum - ((cb + cr) >> 2)
    return np.stack([cr + g, g, cb + g], axis=1)


def _frame_masks(roi: Any, frames: int, shape: tuple[int, int], luminance: np.ndarray) -> list[Any]:
    """The ROI of each frame: the same spec for every frame, a (n, h, w) mask frame by frame,
    or "auto" detected on each frame's first (or luminance) plane."""
    if isinstance(roi, np.ndarray) and roi.ndim == 3:
        if roi.shape != (frames, *shape):
            raise InvalidInputError(f"a 3-D ROI mask must have shape {(frames, *shape)}")
        return list(roi)
    if isinstance(roi, str) and roi == "auto":
        from . import roi as _roi

        return [_roi.resolve_roi("auto", validate.image(luminance[k])) for k in range(frames)]
    return [roi] * frames


def encode(
    encode_plane: Callable[..., bytes],
    image: np.ndarray,
    layout: str,
    *,
    roi: Any,
    colour_transform: bool | None,
    metadata: bytes | None,
    workers: int | None,
    key: Any,
    passphrase: Any,
    options: dict[str, Any],
) -> tuple[bytes, str]:
    """The container of an image with frames and / or samples (see the module docstring),
    and its mode (the planes' mode, or ``mixed``).

    ``encode_plane(plane, roi, roi_bpp)`` codes one 2-D plane (:func:`sdwtfast.api.encode`
    with the caller's ``options``, its ROI and its share of the rate).
    """
    planes = _planes(image, layout)
    n, s, h, w = planes.shape
    if n > MAX_FRAMES or planes.size > limits.MAX_PIXELS:
        raise LimitExceededError(f"{n} frames of {s} x {h} x {w} samples exceed the limits")
    stored = validate.stored_dtype(image)  # the dtype every plane comes back as
    x = planes.astype(np.int64)
    colour = "none"
    exact_each = options.get("roi_max_error", 0) == 0
    if s == 3 and colour_transform is not False and exact_each:
        y = _rct(x)
        if y is not None:
            x, colour = y, "rct"
        elif colour_transform:
            raise InvalidInputError(
                "the colour transform needs sample differences within 16 "
                "bits; pass colour_transform=False"
            )
    elif colour_transform and s != 3:
        raise InvalidInputError("colour_transform applies to three samples per pixel")
    masks = _frame_masks(roi, n, (h, w), x[:, 0])
    bpp = _plane_bpp(
        options.get("roi_bpp"), roi is None, stored, (n, s, h, w), layout, metadata, key, passphrase
    )
    jobs = [(k, c) for k in range(n) for c in range(s)]
    nthreads = min(len(jobs), workers or os.cpu_count() or 1)
    with ThreadPoolExecutor(max(1, nthreads)) as pool:
        blobs = list(pool.map(lambda j: encode_plane(x[j[0], j[1]], masks[j[0]], bpp), jobs))
    return _pack(blobs, stored, (n, s, h, w), layout, colour, metadata, key, passphrase)


def _plane_bpp(
    bpp: float | None,
    whole: bool,
    dtype: np.dtype,
    geometry: tuple[int, int, int, int],
    layout: str,
    metadata: bytes | None,
    key: Any,
    passphrase: Any,
) -> float | None:
    """The ``roi_bpp`` of each plane: ``bpp`` is per pixel (all samples together), and for a
    whole-image rate the object's own header, index and metadata come out of the budget, so
    that the file is at most ``bpp`` bits per pixel."""
    if bpp is None:
        return None
    n, s, h, w = geometry
    if not whole:
        return bpp / s
    sealed = _ct.sealing(key, passphrase)
    total = int(bpp * n * h * w / 8)
    hdr = _object_header(dtype, geometry, layout, "rct", True, "hybrid-near-lossless", "mixed", 0)
    sections = _object_sections([b""] * (n * s), None)
    overhead = _ct.packed_size(hdr, sections, encryption=sealed)
    if total - overhead < n * s:
        raise InvalidInputError(
            f"roi_bpp={bpp} allows {total} bytes, and the container of "
            f"{n * s} planes alone needs {overhead}: ask for more bits"
        )
    return (total - overhead) * 8 / (n * s * h * w)


def _pack(
    blobs: list[bytes],
    dtype: np.dtype,
    geometry: tuple[int, int, int, int],
    layout: str,
    colour: str,
    metadata: bytes | None,
    key: Any,
    passphrase: Any,
) -> tuple[bytes, str]:
    n, s, h, w = geometry
    infos = [_ct.read_header(b).header for b in blobs]
    modes = {i.mode for i in infos}
    lossless = all(plane_exact(i) for i in infos)
    header = _object_header(
        dtype,
        geometry,
        layout,
        colour,
        lossless,
        modes.pop() if len(modes) == 1 else "mixed",
        infos[0].wavelet if len({i.wavelet for i in infos}) == 1 else "mixed",
        infos[0].levels,
    )
    shared = {}  # the coders' settings every plane shares, for info() and DICOM descriptions
    for name in _SHARED_PARAMS:
        values = {repr(i.params.get(name)) for i in infos}
        if len(values) == 1 and infos[0].params.get(name) is not None:
            shared[name] = infos[0].params[name]
    header = replace(header, params={**shared, **header.params})
    blob = _ct.pack(header, _object_sections(blobs, metadata), key=key, passphrase=passphrase)
    return blob, header.mode


def _object_header(
    dtype: np.dtype,
    geometry: tuple[int, int, int, int],
    layout: str,
    colour: str,
    lossless: bool,
    mode: str,
    wavelet: str,
    levels: int,
) -> _ct.Header:
    n, s, h, w = geometry
    lim = np.iinfo(dtype)
    params = {"frames": n, "samples": s, "layout": layout, "colour": colour, "lossless": lossless}
    return _ct.Header(
        width=w,
        height=h,
        dtype=str(dtype),
        bit_depth=lim.bits,
        signed=bool(lim.min < 0),
        mode=mode,
        wavelet=wavelet,
        levels=levels,
        params=params,
    )


def _object_sections(blobs: list[bytes], metadata: bytes | None) -> list[_ct.Section]:
    index = b"".join(_LEN.pack(len(b)) for b in blobs)
    sections = [
        _ct.Section(_ct.SectionType.FRAME_INDEX, index),
        _ct.Section(_ct.SectionType.FRAMES, b"".join(blobs)),
    ]
    if metadata is not None:  # bytes, checked by the caller (validate.metadata)
        sections.append(_ct.Section(_ct.SectionType.META, metadata))
    return sections


def plane_exact(h: _ct.Header) -> bool:
    """Whether a 2-D container's header says every pixel is exact."""
    return h.mode == "lossless" or (
        h.mode == "hybrid-lossless" and h.params.get("bg") == "lossless"
    )


def is_object(sections: dict) -> bool:
    """Whether unpacked sections are those of an object container (frames / samples)."""
    return _ct.SectionType.FRAMES in sections or _ct.SectionType.FRAME_INDEX in sections


def _plane_slices(hdr: _ct.Header, secs: dict) -> tuple[int, int, list[memoryview]]:
    p = hdr.params
    n, s = p.get("frames"), p.get("samples")
    if (
        not (
            isinstance(n, int)
            and isinstance(s, int)
            and 1 <= n <= MAX_FRAMES
            and 1 <= s <= MAX_SAMPLES
        )
        or p.get("layout") not in LAYOUTS
    ):
        raise CorruptStreamError("object container has impossible frames, samples or layout")
    if n * s * hdr.width * hdr.height > limits.MAX_PIXELS:
        raise LimitExceededError("object container exceeds the pixel limit")
    index, data = secs.get(_ct.SectionType.FRAME_INDEX), secs.get(_ct.SectionType.FRAMES)
    if index is None or data is None or len(index) != _LEN.size * n * s:
        raise CorruptStreamError("object container lacks a consistent FRAME_INDEX / FRAMES")
    lengths = [v for (v,) in _LEN.iter_unpack(index)]
    if sum(lengths) != len(data):
        raise CorruptStreamError("FRAME_INDEX does not add up to the FRAMES section")
    mv, pos, out = memoryview(data), 0, []
    for ln in lengths:
        out.append(mv[pos : pos + ln])
        pos += ln
    return n, s, out


def plane_info(hdr: _ct.Header, secs: dict) -> list[dict[str, Any]]:
    """What each coded plane of an object container holds, from the planes' own headers
    (nothing is decoded): frame, sample, bytes, mode, wavelet, levels and parameters."""
    n, s, planes = _plane_slices(hdr, secs)
    out = []
    for i, blob in enumerate(planes):
        ph = _ct.read_header(blob).header
        out.append(
            {
                "frame": i // s,
                "sample": i % s,
                "bytes": len(blob),
                "mode": ph.mode,
                "wavelet": ph.wavelet,
                "levels": ph.levels,
                "params": dict(ph.params),
            }
        )
    return out


def decode(
    decode_plane: Callable[[bytes], np.ndarray], hdr: _ct.Header, secs: dict, frame: int | None
) -> np.ndarray:
    """The image of an object container (one frame when ``frame`` is given)."""
    n, s, planes = _plane_slices(hdr, secs)
    frames = range(n)
    if frame is not None:
        if (
            isinstance(frame, bool)
            or not isinstance(frame, (int, np.integer))
            or not 0 <= frame < n
        ):
            raise InvalidInputError(f"frame must be an int in 0..{n - 1}, got {frame!r}")
        frames = range(int(frame), int(frame) + 1)
    out = np.empty((len(frames), s, hdr.height, hdr.width), np.int64)
    for i, k in enumerate(frames):
        for c in range(s):
            plane = decode_plane(bytes(planes[k * s + c]), (hdr.height, hdr.width))
            if plane.shape != (hdr.height, hdr.width):
                raise CorruptStreamError(f"plane {c} of frame {k} has the wrong shape")
            out[i, c] = plane
    if hdr.params.get("colour") == "rct":
        if s != 3:
            raise CorruptStreamError("colour transform recorded for other than 3 samples")
        out = _inverse_rct(out)
    lim = np.iinfo(hdr.dtype)
    if out.size and (out.min() < lim.min or out.max() > lim.max):
        raise CorruptStreamError(f"decoded samples do not fit {hdr.dtype}")
    return _shaped(out.astype(hdr.dtype), hdr.params["layout"], frame is not None)


def _shaped(x: np.ndarray, layout: str, one_frame: bool) -> np.ndarray:
    """(frames, samples, h, w) back to the layout it was encoded in (one frame: no frame
    axis)."""
    x = np.moveaxis(x, 1, -1)
    if "s" not in layout:
        x = x[..., 0]
    if one_frame or "f" not in layout:
        x = x[0]
    return np.ascontiguousarray(x)
