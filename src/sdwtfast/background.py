"""Learned background codec: a trained autoencoder whose latents are rANS coded.

The analysis transform of a small factorized-prior autoencoder (:mod:`sdwtfast._bgmodel`)
maps the image to latents; they are rounded around learned medians to integers and entropy
coded by the C rANS coder with integer CDF tables that were computed once, at training time,
and ship with the weights. Decoding only ever uses those integer tables, so the symbols decode
identically on every machine; the synthesis transform's float output may differ by about one
grey level between machines.

Public API
----------
QUALITIES
    The operating points, 1 (lowest rate) .. 4.
encode(image, *, quality) -> bytes
decode(data) -> numpy.ndarray
model_id(), weights_sha256()
    Identity of the shipped weights (recorded in every stream; decoding a stream made with other
    weights raises :class:`~sdwtfast.errors.UnsupportedFormatError`).

Stream layout (little-endian)::

    magic "SDBG" | version u8 | quality u8 | dtype u8 | flags u8 (1: constant image, nothing
    follows) | height u32 | width u32 |
    lo i32 | hi i32 | weights SHA-256[:8] | skip frequency u16 | refinement table u8 |
    skip stream length u32 | refinement stream length u32 |
    skip stream | refinement stream | latent stream

The image is normalised to [0, 1] by its own range ``[lo, hi]`` (recorded), padded to a multiple
of 16 by symmetric extension (the true size is recorded) and transformed in overlapping tiles,
so memory stays bounded for large images. One skip flag per latent position (16 x 16 pixels)
says that all of its latents are zero (typically air); only the others are coded. A refinement
layer corrects the mean of every 16 x 16 block: the encoder runs the decoder's synthesis,
quantises the block means of the error (step 1/256 of the range) and codes them with one of
four fixed integer geometric tables; the decoder adds their bilinear interpolation.

torch is imported on first use of :func:`encode` or :func:`decode`, never by ``import
sdwtfast``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from . import limits, validate
from .errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    UnsupportedFormatError,
)

__all__ = [
    "QUALITIES",
    "MODEL_ID",
    "encode",
    "decode",
    "model_id",
    "weights_sha256",
    "weights_path",
]

#: Available operating points, 1 = lowest rate.
QUALITIES: tuple[int, ...] = (1, 2, 3, 4)
#: Identifier of the model architecture and training recipe of the shipped weights.
MODEL_ID = "sdwbg-fp-gain-v1"

_MAGIC = b"SDBG"
_VERSION = 1
_HEADER = struct.Struct("<4sBBBBIIii8sHBII")
_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.int16))
_TILE_PX = 512  # pixels per tile side (a multiple of every model's stride)
_HALO_PX = 64  # pixels of overlap on each side of a tile
#: Model identifiers this build can load, with their number of stride-2 layers.
KNOWN_MODELS = {"sdwbg-fp-gain-v1": 4, "sdwbg-fp-gain-v2": 3}
_MAX_SIDE = limits.MAX_SIDE
_MAX_PIXELS = limits.MAX_PIXELS  # the package's one pixel limit (was 2^30 here)
_SKIP_TOTAL = 1 << 16
_FLAG_CONSTANT = 1  # every pixel equals lo == hi; no latents follow
_REFINE_STEP = 1.0 / 256  # quantisation step of the block-mean corrections (of the range)
_REFINE_RANGE = 31  # corrections in [-31, 31] use the table; larger ones the escape
_REFINE_RATIOS = ((1, 1), (3, 2), (7, 3), (15, 4))  # geometric decay num / 2**shift


#: Weights files shipped in ``sdwtfast/models``, newest (the encoder's default) first. Older
#: ones stay so that streams made with them still decode.
SHIPPED_WEIGHTS = ("background_v1.pt",)


def weights_path() -> Path:
    """Path of the weights file the encoder uses (``$SDWTFAST_BG_WEIGHTS`` overrides it)."""
    env = os.environ.get("SDWTFAST_BG_WEIGHTS")
    if env:
        return Path(env)
    return _models_dir() / SHIPPED_WEIGHTS[0]


def _models_dir() -> Path:
    return Path(__file__).resolve().parent / "models"


def _decodable_paths() -> list[Path]:
    """The weights in use, then every other shipped weights file that exists."""
    out = [weights_path()]
    out += [p for p in (_models_dir() / n for n in SHIPPED_WEIGHTS) if p not in out and p.exists()]
    return out


def weights_for(sha256_prefix: str) -> Path | None:
    """Path of an available weights file whose SHA-256 starts with ``sha256_prefix`` (hex).

    Looks at the weights in use and at every shipped weights file; does not import torch.
    """
    if len(sha256_prefix) < 16:
        return None
    for p in _decodable_paths():
        if p.exists() and _sha256_of(str(p)).startswith(sha256_prefix.lower()):
            return p
    return None


@functools.lru_cache(maxsize=4)
def _sha256_of(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def weights_sha256() -> str:
    """Hex SHA-256 of the weights file in use (does not import torch)."""
    return _sha256_of(str(weights_path()))


def model_id() -> str:
    """Identifier of the model of the weights in use (loads them, and torch, on first use)."""
    return _codec().model_id


class _Codec:
    """The loaded model with its integer tables (built once per weights file)."""

    def __init__(self, path: str) -> None:
        import torch

        from ._bgmodel import BackgroundModel

        blob = torch.load(path, map_location="cpu", weights_only=True)
        cfg = blob["config"]
        mid = cfg.get("model_id")
        layers = int(cfg.get("layers", 4))
        if mid not in KNOWN_MODELS or KNOWN_MODELS[mid] != layers:
            raise UnsupportedFormatError(
                f"background weights {path} are for model {mid!r} ({layers} layers), "
                f"this build knows {sorted(KNOWN_MODELS)}"
            )
        self.torch = torch
        self.model_id = str(mid)
        self.model = BackgroundModel(int(cfg["n"]), int(cfg["m"]), len(cfg["lambdas"]), layers)
        self.stride = self.model.stride
        self.tile, self.halo = _TILE_PX // self.stride, _HALO_PX // self.stride
        self.model.load_state_dict(blob["state_dict"])
        self.model.eval()
        self.m = self.model.m
        self.qualities = self.model.qualities
        t = blob["tables"]
        self.medians = t["medians"].numpy().astype(np.float32)
        self.cdfs = np.ascontiguousarray(t["cdfs"].numpy(), dtype=np.int32)
        self.lengths = np.ascontiguousarray(t["lengths"].numpy(), dtype=np.int32)
        self.offsets = np.ascontiguousarray(t["offsets"].numpy(), dtype=np.int32)
        self.sha256 = _sha256_of(path)
        from . import _entropy

        self.entropy = _entropy
        _entropy.check_tables(self.cdfs, self.lengths, self.offsets)

    # -- transforms, tiled ---------------------------------------------------------------
    def analysis(self, x: np.ndarray, q: int) -> np.ndarray:
        """Latents (M, H/16, W/16) of a padded [0, 1] image, computed in overlapping tiles."""
        torch = self.torch
        st, tl, hal = self.stride, self.tile, self.halo
        hl, wl = x.shape[0] // st, x.shape[1] // st
        y = np.empty((self.m, hl, wl), dtype=np.float32)
        with torch.inference_mode():
            for i0 in range(0, hl, tl):
                for j0 in range(0, wl, tl):
                    i1, j1 = min(i0 + tl, hl), min(j0 + tl, wl)
                    a0, b0 = max(i0 - hal, 0), max(j0 - hal, 0)
                    a1, b1 = min(i1 + hal, hl), min(j1 + hal, wl)
                    tile = x[a0 * st : a1 * st, b0 * st : b1 * st]
                    t = torch.from_numpy(np.ascontiguousarray(tile))[None, None]
                    out = self.model.analysis(t, q)[0].numpy()
                    y[:, i0:i1, j0:j1] = out[:, i0 - a0 : i1 - a0, j0 - b0 : j1 - b0]
        return y

    def synthesis(self, y_hat: np.ndarray, q: int) -> np.ndarray:
        """Pixels ([0, 1], float32, padded size) from dequantized latents, in overlapping tiles."""
        torch = self.torch
        st, tl, hal = self.stride, self.tile, self.halo
        _, hl, wl = y_hat.shape
        x = np.empty((hl * st, wl * st), dtype=np.float32)
        with torch.inference_mode():
            for i0 in range(0, hl, tl):
                for j0 in range(0, wl, tl):
                    i1, j1 = min(i0 + tl, hl), min(j0 + tl, wl)
                    a0, b0 = max(i0 - hal, 0), max(j0 - hal, 0)
                    a1, b1 = min(i1 + hal, hl), min(j1 + hal, wl)
                    t = torch.from_numpy(np.ascontiguousarray(y_hat[:, a0:a1, b0:b1]))[None]
                    out = self.model.synthesis(t, q)[0, 0].numpy()
                    s = st
                    x[i0 * s : i1 * s, j0 * s : j1 * s] = out[
                        (i0 - a0) * s : (i1 - a0) * s, (j0 - b0) * s : (j1 - b0) * s
                    ]
        return x


@functools.lru_cache(maxsize=4)
def _codec_for(path: str) -> _Codec:
    return _Codec(path)


def _codec() -> _Codec:
    return _codec_for(str(weights_path()))


def _skip_tables(freq_skip: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One rANS table for the skip flags: 0 (coded) / 1 (skipped) / escape (never used)."""
    cdf = np.array([[0, _SKIP_TOTAL - 1 - freq_skip, _SKIP_TOTAL - 1, _SKIP_TOTAL]], np.int32)
    return cdf, np.array([3], np.int32), np.array([0], np.int32)


@functools.lru_cache(maxsize=1)
def _refine_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided geometric tables for the corrections, built with integer arithmetic only."""
    n = 2 * _REFINE_RANGE + 1
    total = _SKIP_TOTAL - 1  # one count left for the escape
    cdfs = np.zeros((len(_REFINE_RATIOS), n + 2), np.int32)
    for t, (num, shift) in enumerate(_REFINE_RATIOS):
        w = [1 << 40]
        for _ in range(_REFINE_RANGE):
            w.append(w[-1] * num >> shift)
        weights = [w[abs(k)] for k in range(-_REFINE_RANGE, _REFINE_RANGE + 1)]
        wsum = sum(weights)
        freq = [max(1, x * (total - n) // wsum) for x in weights]
        freq[_REFINE_RANGE] += total - sum(freq)
        freq.append(1)
        cdfs[t, 1:] = np.cumsum(freq)
    lengths = np.full(len(_REFINE_RATIOS), n + 1, np.int32)
    offsets = np.full(len(_REFINE_RATIOS), -_REFINE_RANGE, np.int32)
    return cdfs, lengths, offsets


def _upsample(c: np.ndarray, h: int, w: int, stride: int) -> np.ndarray:
    """Bilinear interpolation of per-block values (block centres) to an h x w field."""
    hl, wl = c.shape

    def axis(n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(n) + 0.5) / stride - 0.5, 0, m - 1)
        i0 = np.floor(pos).astype(np.intp)
        return i0, np.minimum(i0 + 1, m - 1), pos - i0

    y0, y1, fy = axis(h, hl)
    x0, x1, fx = axis(w, wl)
    rows = c[y0] * (1 - fy)[:, None] + c[y1] * fy[:, None]
    return rows[:, x0] * (1 - fx) + rows[:, x1] * fx


def _validate_image(image: Any) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 2:
        raise InvalidInputError(f"background.encode: expected a 2-D image, got shape {a.shape}")
    if a.dtype not in _DTYPES:
        raise InvalidInputError(
            f"background.encode: dtype {a.dtype} not supported (uint8, uint16 or int16)"
        )
    if a.size == 0:
        raise InvalidInputError("background.encode: empty image")
    if max(a.shape) > _MAX_SIDE or a.size > _MAX_PIXELS:
        raise LimitExceededError(f"background.encode: image {a.shape} exceeds the size limits")
    return a


def encode(image: np.ndarray, *, quality: int) -> bytes:
    """Encode a whole 2-D image with the learned background codec.

    Parameters
    ----------
    image : numpy.ndarray
        2-D ``uint8``, ``uint16`` or ``int16`` image, any size from 1 x 1.
    quality : int
        Operating point, one of :data:`QUALITIES` (1 = lowest rate).

    Returns
    -------
    bytes
        A self-describing stream (shape, dtype, range, quality, weights identity).

    Raises
    ------
    InvalidInputError
        Wrong dimensionality, dtype, empty image or unknown quality.

    Examples
    --------
    >>> import numpy as np
    >>> from sdwtfast import background
    >>> img = (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)
    >>> out = background.decode(background.encode(img, quality=2))
    >>> out.shape, out.dtype
    ((64, 64), dtype('uint8'))
    """
    a = _validate_image(image)
    if isinstance(quality, bool) or quality not in QUALITIES:
        raise InvalidInputError(f"background.encode: quality must be one of {QUALITIES}")
    codec = _codec()
    q = int(quality) - 1
    h, w = a.shape
    lo, hi = int(a.min()), int(a.max())
    if lo == hi:  # constant image: the header says it all
        return _HEADER.pack(
            _MAGIC,
            _VERSION,
            quality,
            _DTYPES.index(a.dtype),
            _FLAG_CONSTANT,
            h,
            w,
            lo,
            hi,
            bytes.fromhex(codec.sha256)[:8],
            1,
            0,
            0,
            0,
        )
    scale = float(max(hi - lo, 1))
    st = codec.stride
    hp, wp = -(-h // st) * st, -(-w // st) * st
    x = (a.astype(np.float32) - np.float32(lo)) / np.float32(scale)
    x = np.pad(x, ((0, hp - h), (0, wp - w)), mode="symmetric")
    y = codec.analysis(x, q)
    v = np.rint(y - codec.medians[q][:, None, None]).astype(np.int32)
    v = v.reshape(codec.m, -1).T  # (positions, channels)
    skip = ~v.any(axis=1)
    n_skip = int(skip.sum())
    freq_skip = int(
        np.clip(round((n_skip + 0.5) / (skip.size + 1) * _SKIP_TOTAL), 1, _SKIP_TOTAL - 2)
    )
    sk_c, sk_l, sk_o = _skip_tables(freq_skip)
    ent = codec.entropy
    skip_stream = ent.encode(skip.astype(np.int32), np.zeros(skip.size, np.int32), sk_c, sk_l, sk_o)
    kept = np.ascontiguousarray(v[~skip]).reshape(-1)
    index = np.tile(np.arange(codec.m, dtype=np.int32) + q * codec.m, skip.size - n_skip)
    latent_stream = ent.encode(kept, index, codec.cdfs, codec.lengths, codec.offsets)
    # refinement: the block means of the decoder's error, coded as integers
    x_rec = _reconstruct(codec, v.astype(np.float32), q, y.shape[1], y.shape[2])
    err = (x.astype(np.float64) - x_rec).reshape(y.shape[1], st, y.shape[2], st)
    corr = np.rint(err.mean(axis=(1, 3)) / _REFINE_STEP).astype(np.int32).reshape(-1)
    r_cdfs, r_len, r_off = _refine_tables()
    refine_stream, table = b"", 0
    for t in range(len(_REFINE_RATIOS)):
        cand = ent.encode(corr, np.full(corr.size, t, np.int32), r_cdfs, r_len, r_off)
        if t == 0 or len(cand) < len(refine_stream):
            refine_stream, table = cand, t
    header = _HEADER.pack(
        _MAGIC,
        _VERSION,
        quality,
        _DTYPES.index(a.dtype),
        0,
        h,
        w,
        lo,
        hi,
        bytes.fromhex(codec.sha256)[:8],
        freq_skip,
        table,
        len(skip_stream),
        len(refine_stream),
    )
    return header + skip_stream + refine_stream + latent_stream


def _reconstruct(codec: _Codec, v: np.ndarray, q: int, hl: int, wl: int) -> np.ndarray:
    """Synthesis of the symbols ``v`` ((positions, M), float32): padded [0, 1] float64 image."""
    y_hat = v.T.reshape(codec.m, hl, wl) + codec.medians[q][:, None, None]
    return codec.synthesis(np.ascontiguousarray(y_hat, dtype=np.float32), q).astype(np.float64)


def _checked_header(data: object) -> tuple[memoryview, tuple]:
    """The stream as a view and its header fields, checked (before anything is decoded)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"background.decode: expected bytes, got {type(data).__name__}")
    buf = memoryview(bytes(data))
    if len(buf) < _HEADER.size:
        if bytes(buf[:4]) != _MAGIC[: len(buf)]:
            raise UnsupportedFormatError("background.decode: not a background stream")
        raise CorruptStreamError("background.decode: stream truncated in its header")
    (
        magic,
        version,
        quality,
        dcode,
        flags,
        h,
        w,
        lo,
        hi,
        wsha,
        freq_skip,
        table,
        skip_len,
        refine_len,
    ) = _HEADER.unpack_from(buf)
    if magic != _MAGIC:
        raise UnsupportedFormatError("background.decode: not a background stream")
    if version != _VERSION:
        raise UnsupportedFormatError(f"background.decode: unsupported version {version}")
    if quality not in QUALITIES or dcode >= len(_DTYPES) or flags not in (0, _FLAG_CONSTANT):
        raise CorruptStreamError("background.decode: invalid header fields")
    dtype = _DTYPES[dcode]
    info = np.iinfo(dtype)
    if not (0 < h <= _MAX_SIDE and 0 < w <= _MAX_SIDE) or h * w > _MAX_PIXELS:
        raise CorruptStreamError(f"background.decode: invalid image size {h}x{w}")
    if not (info.min <= lo <= hi <= info.max):
        raise CorruptStreamError("background.decode: invalid value range")
    if not 1 <= freq_skip <= _SKIP_TOTAL - 2:
        raise CorruptStreamError("background.decode: invalid skip probability")
    if table >= len(_REFINE_RATIOS):
        raise CorruptStreamError("background.decode: invalid refinement table")
    if skip_len + refine_len > len(buf) - _HEADER.size:
        raise CorruptStreamError("background.decode: stream truncated")
    return buf, (quality, dtype, flags, h, w, lo, hi, wsha, freq_skip, table, skip_len, refine_len)


def decode(
    data: bytes,
    *,
    max_pixels: int = limits.DEFAULT_MAX_DECODE_PIXELS,
    shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """Decode a stream made by :func:`encode`.

    Parameters
    ----------
    data : bytes
        The stream.
    max_pixels : int
        Refuse, from the stream's header alone, an image of more pixels (default 2^26, as
        :func:`sdwtfast.decode`).
    shape : tuple of int, optional
        The (height, width) the caller expects (a container's geometry): another one is
        refused before anything is decoded.

    Returns
    -------
    numpy.ndarray
        The image, of the encoded image's shape and dtype.

    Raises
    ------
    CorruptStreamError
        Truncated or inconsistent stream, or not of ``shape``.
    UnsupportedFormatError
        Not a background stream, an unknown version, or made with other weights.
    LimitExceededError
        More than ``max_pixels`` pixels.
    """
    buf, (quality, dtype, flags, h, w, lo, hi, wsha, freq_skip, table, skip_len, refine_len) = (
        _checked_header(data)
    )
    validate.declared_size(h * w, validate.max_pixels(max_pixels), f"background stream {h}x{w}")
    if shape is not None and (h, w) != tuple(shape):
        raise CorruptStreamError(f"background stream of {h}x{w} where {shape} was expected")
    path = weights_for(wsha.hex())
    if path is None:
        have = ", ".join(
            f"{_sha256_of(str(p))[:16]}... ({p.name})" for p in _decodable_paths() if p.exists()
        )
        raise UnsupportedFormatError(
            f"background.decode: stream made with background weights {wsha.hex()}..., "
            f"not available here (have: {have or 'none'})"
        )
    codec = _codec_for(str(path))
    if flags == _FLAG_CONSTANT:
        if lo != hi or skip_len or refine_len or table or len(buf) != _HEADER.size:
            raise CorruptStreamError("background.decode: inconsistent constant-image stream")
        return np.full((h, w), lo, dtype=dtype)
    q = quality - 1
    st = codec.stride
    hl, wl = -(-h // st), -(-w // st)
    n_pos = hl * wl
    ent = codec.entropy
    sk_c, sk_l, sk_o = _skip_tables(freq_skip)
    p0 = _HEADER.size
    skip = ent.decode(buf[p0 : p0 + skip_len], np.zeros(n_pos, np.int32), sk_c, sk_l, sk_o)
    if np.any((skip < 0) | (skip > 1)):
        raise CorruptStreamError("background.decode: invalid skip flag")
    skip = skip.astype(bool)
    p1 = p0 + skip_len
    r_cdfs, r_len, r_off = _refine_tables()
    corr = ent.decode(
        buf[p1 : p1 + refine_len], np.full(n_pos, table, np.int32), r_cdfs, r_len, r_off
    )
    n_kept = n_pos - int(skip.sum())
    index = np.tile(np.arange(codec.m, dtype=np.int32) + q * codec.m, n_kept)
    kept = ent.decode(buf[p1 + refine_len :], index, codec.cdfs, codec.lengths, codec.offsets)
    v = np.zeros((n_pos, codec.m), dtype=np.float32)
    v[~skip] = kept.reshape(n_kept, codec.m)
    x = _reconstruct(codec, v, q, hl, wl)
    x += _upsample(corr.reshape(hl, wl).astype(np.float64) * _REFINE_STEP, hl * st, wl * st, st)
    scale = float(max(hi - lo, 1))
    out = np.rint(x[:h, :w] * scale + lo)
    return np.clip(out, lo, hi).astype(dtype)
