"""Whole-image coding: wavelet transform, deadzone quantizer and EZW, as self-describing bytes.

>>> import numpy as np, sdwtfast.ezw as ezw
>>> img = (np.arange(64 * 48, dtype=np.uint16).reshape(64, 48) * 7) % 4096
>>> data = ezw.encode_image(img)                # lossless (integer 5/3, all bit planes)
>>> bool((ezw.decode_image(data) == img).all())
True
>>> lossy = ezw.encode_image(img, bpp=0.5)      # CDF 9/7, payload cut at 0.5 bit per pixel
>>> ezw.decode_image(lossy).shape
(64, 48)

The numeric work (5/3 lifting, quantizer, EZW and its arithmetic coder) runs in the C core;
:mod:`sdwtfast.reference` runs the same pipeline on a pure-Python engine and produces the
same bytes. The stream layout is :class:`StreamHeader` followed by the EZW payload.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import limits, pyramid, validate
from .errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    UnsupportedFormatError,
)

__all__ = [
    "encode_image",
    "decode_image",
    "truncate",
    "read_header",
    "StreamHeader",
    "encode_pyramid",
    "decode_pyramid",
    "default_levels",
    "MAX_PIXELS",
    "BACKENDS",
    "WAVELETS",
    "encode_image_with",
    "decode_image_with",
]

MAGIC = b"SDWZ"
VERSION = 1
MAX_PIXELS = limits.MAX_PIXELS
"""Largest image (pixels) accepted by the encoder and by the decoder before allocating."""
MAX_SIDE = limits.MAX_SIDE

BACKENDS = pyramid.BACKENDS
WAVELETS = pyramid.WAVELETS
default_levels = validate.default_levels
_DTYPES = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 3: np.dtype(np.int16)}
_DTYPE_CODES = {v: k for k, v in _DTYPES.items()}
_FLAG_LOSSY = 1
_FLAG_CUT = 2  # payload cut by truncate(): a lossless stream is then no longer exact

# magic, version, flags, dtype, wavelet, backend, levels, top, min_plane, step_exp,
# height, width, dc, vmin, vmax, payload length, payload crc, header crc
_HFMT = "<4sBBBBBBbBbIIiiiII"
_HSIZE = struct.calcsize(_HFMT) + 4


@dataclass(frozen=True)
class StreamHeader:
    """Fields of an EZW image stream header (see ``docs/format.md``)."""

    lossy: bool
    dtype: np.dtype
    wavelet: str
    backend: str
    levels: int
    top: int
    min_plane: int
    step_exp: int
    height: int
    width: int
    dc: int
    vmin: int
    vmax: int
    payload_len: int
    payload_crc: int
    cut: bool = False

    @property
    def size(self) -> int:
        """Header size in bytes."""
        return _HSIZE


def _crc(data: bytes | memoryview) -> int:
    from . import _native

    return int(_native.crc32c(data))


def _pack_header(h: StreamHeader) -> bytes:
    body = struct.pack(
        _HFMT,
        MAGIC,
        VERSION,
        (_FLAG_LOSSY if h.lossy else 0) | (_FLAG_CUT if h.cut else 0),
        _DTYPE_CODES[h.dtype],
        WAVELETS[h.wavelet],
        BACKENDS[h.backend],
        h.levels,
        h.top,
        h.min_plane,
        h.step_exp,
        h.height,
        h.width,
        h.dc,
        h.vmin,
        h.vmax,
        h.payload_len,
        h.payload_crc,
    )
    return body + struct.pack("<I", _crc(body))


def read_header(data: bytes | bytearray | memoryview) -> StreamHeader:
    """Parse and validate the header of an EZW image stream.

    Raises
    ------
    UnsupportedFormatError
        Not an sdwtfast EZW stream, or an unknown version.
    CorruptStreamError
        Truncated or inconsistent header.
    """
    mv = memoryview(data).cast("B")
    if len(mv) < 4 or bytes(mv[:4]) != MAGIC:
        raise UnsupportedFormatError("not an sdwtfast EZW stream (bad magic)")
    if len(mv) < _HSIZE:
        raise CorruptStreamError(f"EZW stream truncated inside its header ({len(mv)} bytes)")
    f = struct.unpack(_HFMT, mv[: _HSIZE - 4])
    (crc,) = struct.unpack("<I", mv[_HSIZE - 4 : _HSIZE])
    if f[1] != VERSION:
        raise UnsupportedFormatError(f"EZW stream version {f[1]} is not supported (need {VERSION})")
    if crc != _crc(mv[: _HSIZE - 4]):
        raise CorruptStreamError("EZW stream header checksum mismatch")
    flags, dcode, wcode, bcode, levels, top, min_plane, step_exp = f[2:10]
    height, width, dc, vmin, vmax, plen, pcrc = f[10:]
    wnames = {v: k for k, v in WAVELETS.items()}
    bnames = {v: k for k, v in BACKENDS.items()}
    if dcode not in _DTYPES or wcode not in wnames or bcode not in bnames or flags & ~3:
        raise CorruptStreamError("EZW stream header has an unknown dtype, wavelet or back-end")
    if height == 0 or width == 0 or height > MAX_SIDE or width > MAX_SIDE:
        raise CorruptStreamError(f"EZW stream header has impossible geometry {height}x{width}")
    if height * width > MAX_PIXELS:
        raise LimitExceededError(
            f"EZW stream image {height}x{width} exceeds the {MAX_PIXELS} pixel limit"
        )
    if (
        levels > validate.max_levels(height, width)
        or not -1 <= top <= limits.MAX_PLANE
        or min_plane > limits.MAX_PLANE
        or abs(step_exp) > limits.MAX_STEP_EXP
    ):
        raise CorruptStreamError("EZW stream header has impossible levels or bit planes")
    lossy = bool(flags & _FLAG_LOSSY)
    if not lossy and wcode != WAVELETS["5/3"]:
        raise CorruptStreamError("lossless EZW stream must use the 5/3 wavelet")
    lim = np.iinfo(_DTYPES[dcode])
    if not lim.min <= vmin <= vmax <= lim.max or not vmin <= dc <= vmax:
        raise CorruptStreamError("EZW stream header has an impossible value range")
    return StreamHeader(
        lossy,
        _DTYPES[dcode],
        wnames[wcode],
        bnames[bcode],
        levels,
        top,
        min_plane,
        step_exp,
        height,
        width,
        dc,
        vmin,
        vmax,
        plen,
        pcrc,
        bool(flags & _FLAG_CUT),
    )


def _engine_native():
    from . import _native

    return _native


def encode_image_with(
    engine: Any,
    image: np.ndarray,
    *,
    bpp: float | None = None,
    wavelet: str | None = None,
    backend: str = "arith",
    levels: int | None = None,
    last_plane: int | None = None,
) -> bytes:
    """:func:`encode_image` on another engine (:data:`sdwtfast.reference.ENGINE`: the same
    bytes in pure Python)."""
    a = validate.image(image)
    h, w = a.shape
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {sorted(BACKENDS)}, got {backend!r}")
    lossy = bpp is not None
    if wavelet is None:
        wavelet = "9/7" if lossy else "5/3"
    if wavelet not in WAVELETS:
        raise InvalidInputError(f"wavelet must be one of {sorted(WAVELETS)}, got {wavelet!r}")
    if not lossy and wavelet != "5/3":
        raise InvalidInputError(
            "lossless coding needs the integer 5/3 wavelet (give bpp= for "
            f"lossy coding with {wavelet!r})"
        )
    if lossy:
        if isinstance(bpp, bool) or not isinstance(bpp, (int, float, np.floating, np.integer)):
            raise InvalidInputError(f"bpp must be a number, got {bpp!r}")
        if not (math.isfinite(float(bpp)) and 0 < float(bpp) <= 64):
            raise InvalidInputError(f"bpp must be a number in (0, 64], got {bpp!r}")
    min_plane = 0
    if last_plane is not None:
        if lossy or not 0 <= int(last_plane) <= 30:
            raise InvalidInputError("last_plane applies to the 5/3 integer path, 0..30")
        min_plane = int(last_plane)
    lv = validate.levels(levels, h, w)
    vmin, vmax = int(a.min()), int(a.max())
    dc = (vmin + vmax) // 2
    step_exp = 0
    if not lossy:
        coef = engine.lift53_forward(a.astype(np.int32) - np.int32(dc), lv)
        max_bytes = 0
    else:
        coef, step_exp = pyramid.quantize(engine, a.astype(np.float64) - float(dc), lv, wavelet)
        max_bytes = max(1, int(float(bpp) * h * w / 8))
    payload, top = pyramid.ezw_encode(engine, coef, lv, None, backend, max_bytes, min_plane)
    hdr = StreamHeader(
        lossy,
        a.dtype,
        wavelet,
        backend,
        lv,
        top,
        min_plane,
        step_exp,
        h,
        w,
        dc,
        vmin,
        vmax,
        len(payload),
        _crc(payload),
    )
    return _pack_header(hdr) + payload


def decode_image_with(
    engine: Any,
    data: bytes | bytearray | memoryview,
    *,
    partial: bool = False,
    max_pixels: int = limits.DEFAULT_MAX_DECODE_PIXELS,
) -> np.ndarray:
    """:func:`decode_image` on another engine (:data:`sdwtfast.reference.ENGINE`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"data must be bytes-like, got {type(data).__name__}")
    limit = validate.max_pixels(max_pixels)
    hdr = read_header(data)
    validate.declared_size(hdr.height * hdr.width, limit, f"EZW stream {hdr.height}x{hdr.width}")
    mv = memoryview(data).cast("B")
    payload = mv[_HSIZE:]
    if len(payload) > hdr.payload_len:
        raise CorruptStreamError(
            f"EZW stream has {len(payload) - hdr.payload_len} unexpected trailing bytes"
        )
    if len(payload) < hdr.payload_len:
        if not partial:
            raise CorruptStreamError(
                f"EZW stream truncated: payload has {len(payload)} of {hdr.payload_len} bytes "
                "(pass partial=True to decode an embedded prefix)"
            )
    elif _crc(payload) != hdr.payload_crc:
        raise CorruptStreamError("EZW stream payload checksum mismatch")
    h, w, lv = hdr.height, hdr.width, hdr.levels
    q, lp = pyramid.ezw_decode(
        engine, bytes(payload), (h, w), lv, None, hdr.top, hdr.backend, hdr.min_plane
    )
    if not hdr.lossy:
        if hdr.min_plane > 0 or hdr.cut or len(payload) < hdr.payload_len:
            # partially known integer coefficients: middle of the remaining interval
            coef = np.rint(engine.dequantize(q, lp, 1.0, 0.0, pyramid.R_PART)).astype(np.int32)
        else:
            coef = q
        img = engine.lift53_inverse(coef, lv).astype(np.int64) + hdr.dc
    else:
        x = pyramid.dequantize(engine, q, lp, hdr.step_exp, lv, hdr.wavelet)
        img = np.rint(x + hdr.dc)
    out = np.clip(img, hdr.vmin, hdr.vmax)
    exact = not hdr.lossy and hdr.min_plane == 0 and not hdr.cut and len(payload) == hdr.payload_len
    if exact and not np.array_equal(out, img):
        raise CorruptStreamError("lossless EZW stream decodes outside its recorded value range")
    return out.astype(hdr.dtype)


def encode_image(
    image: np.ndarray,
    *,
    bpp: float | None = None,
    wavelet: str | None = None,
    backend: str = "arith",
    levels: int | None = None,
    last_plane: int | None = None,
) -> bytes:
    """Encode a 2-D image with the wavelet transform, quantizer and EZW.

    Parameters
    ----------
    image : ndarray
        2-D ``uint8``, ``uint16`` or ``int16`` array (signed CT included; ``int32`` holding
        16-bit values is accepted), any size from 1x1 up to :data:`MAX_PIXELS` pixels.
    bpp : float, optional
        ``None`` (default): lossless, integer 5/3 and every bit plane; decoding returns the
        exact input. A number: lossy coding with the EZW payload cut to at most
        ``bpp * pixels / 8`` bytes.
    wavelet : {"5/3", "9/7", "haar"}, optional
        Default "5/3" for lossless (the only lossless choice), "9/7" for lossy.
    backend : {"arith", "raw"}
        "arith": context-modelled adaptive arithmetic coding (default); "raw": the classic
        EZW stream of 2-bit dominant symbols and 1-bit refinements.
    levels : int, optional
        Decomposition levels (default :func:`default_levels`).
    last_plane : int, optional
        Lossless path only: stop after this bit plane (rate control by bit plane).

    Returns
    -------
    bytes
        A self-describing stream (header + EZW payload).

    Raises
    ------
    InvalidInputError
        Wrong dtype, shape, empty image or impossible parameters.
    LimitExceededError
        Image larger than :data:`MAX_PIXELS`.
    """
    return encode_image_with(
        _engine_native(),
        image,
        bpp=bpp,
        wavelet=wavelet,
        backend=backend,
        levels=levels,
        last_plane=last_plane,
    )


def decode_image(
    data: bytes | bytearray | memoryview,
    *,
    partial: bool = False,
    max_pixels: int = limits.DEFAULT_MAX_DECODE_PIXELS,
) -> np.ndarray:
    """Decode a stream made by :func:`encode_image`.

    Parameters
    ----------
    data : bytes-like
        The stream.
    partial : bool
        Accept a truncated payload and decode its embedded prefix (every coefficient at the
        middle of its remaining uncertainty interval). By default a truncated stream is an
        error, and a complete one must match its checksum.
    max_pixels : int
        Refuse (LimitExceededError), from the header alone, a stream that declares more
        pixels (default 2^26, as :func:`sdwtfast.decode`; at most
        :data:`sdwtfast.limits.MAX_PIXELS`).

    Returns
    -------
    ndarray
        The image, with the shape and dtype of the encoder's input.

    Raises
    ------
    UnsupportedFormatError, CorruptStreamError, LimitExceededError
    """
    return decode_image_with(_engine_native(), data, partial=partial, max_pixels=max_pixels)


def truncate(data: bytes, payload_bytes: int) -> bytes:
    """Cut an EZW stream to its first ``payload_bytes`` payload bytes (a valid stream).

    Any prefix of the embedded payload decodes; this rewrites the header so the shorter
    stream is complete and checksummed.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"data must be bytes-like, got {type(data).__name__}")
    if isinstance(payload_bytes, bool) or not isinstance(payload_bytes, (int, np.integer)):
        raise InvalidInputError(f"payload_bytes must be an int, got {payload_bytes!r}")
    hdr = read_header(data)
    if not 0 <= payload_bytes <= hdr.payload_len:
        raise InvalidInputError(f"payload_bytes must be in 0..{hdr.payload_len}")
    payload = bytes(memoryview(data)[_HSIZE : _HSIZE + payload_bytes])
    if len(payload) != payload_bytes:
        raise CorruptStreamError("EZW stream is shorter than its header says")
    new = dataclasses.replace(
        hdr,
        payload_len=len(payload),
        payload_crc=_crc(payload),
        cut=hdr.cut or payload_bytes < hdr.payload_len,
    )
    return _pack_header(new) + payload


def encode_pyramid(
    coef: np.ndarray,
    levels: int,
    *,
    mask: np.ndarray | None = None,
    backend: str = "arith",
    max_bytes: int | None = None,
    last_plane: int = 0,
) -> tuple[bytes, int]:
    """EZW-encode an int32 coefficient pyramid (Mallat layout). Returns ``(payload, top)``.

    ``mask`` (same shape, bool) restricts coding to a coefficient set; the decoder must be
    given the same mask. ``top`` (the highest bit plane) must be passed to the decoder.
    """
    c = np.asarray(coef)
    if c.ndim != 2 or c.size == 0 or c.dtype == np.bool_ or not np.issubdtype(c.dtype, np.integer):
        raise InvalidInputError("coef must be a non-empty 2-D integer array")
    if c.dtype != np.int32 and (
        int(c.min()) <= -(1 << limits.MAX_PLANE) or int(c.max()) >= 1 << limits.MAX_PLANE
    ):
        raise InvalidInputError(f"coefficients must be below 2^{limits.MAX_PLANE} in magnitude")
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {sorted(BACKENDS)}")
    m = None if mask is None else _check_mask(mask, c.shape)
    payload, top = pyramid.ezw_encode(
        _engine_native(),
        c.astype(np.int32),
        int(levels),
        m,
        backend,
        int(max_bytes or 0),
        int(last_plane),
    )
    return payload, int(top)


def decode_pyramid(
    payload: bytes,
    shape: tuple[int, int],
    levels: int,
    top: int,
    *,
    mask: np.ndarray | None = None,
    backend: str = "arith",
    last_plane: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode an EZW payload: ``(coef int32, lowest-known-plane uint8)`` arrays of ``shape``."""
    h, w = (int(s) for s in shape)
    if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
        raise InvalidInputError(f"impossible pyramid shape {shape}")
    if h * w > MAX_PIXELS:
        raise LimitExceededError(f"pyramid {h}x{w} exceeds the pixel limit")
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {sorted(BACKENDS)}")
    m = None if mask is None else _check_mask(mask, (h, w))
    return pyramid.ezw_decode(
        _engine_native(), bytes(payload), (h, w), int(levels), m, int(top), backend, int(last_plane)
    )


def _check_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    m = np.asarray(mask)
    if m.shape != tuple(shape):
        raise InvalidInputError(f"mask shape {m.shape} differs from the pyramid's {tuple(shape)}")
    return np.ascontiguousarray(m != 0, dtype=np.uint8)
