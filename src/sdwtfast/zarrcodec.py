"""sdwtfast as a numcodecs codec and a zarr v3 codec: store a volume chunk by chunk.

Two classes, one behaviour:

:class:`Sdwtfast`
    A :class:`numcodecs.abc.Codec` (``codec_id = "sdwtfast"``, registered through the
    ``numcodecs.codecs`` entry point): ``encode(chunk)`` takes the chunk as an array,
    ``decode(buf, out=None)`` gives it back. Use it as the ``compressor`` of a zarr format-2
    array, or on its own.
:class:`SdwtfastZarr`
    The zarr v3 form, an *array-to-bytes* codec (``serializer=``), registered as ``"sdwtfast"``
    through the ``zarr.codecs`` entry point. It is a serializer and not a compressor because
    sdwtfast codes images: it needs the chunk's 2-D or 3-D shape and its integer type, and a
    zarr v3 compressor (a bytes-to-bytes codec) receives only the bytes the serializer made.

What a chunk may be
-------------------
A 2-D ``(h, w)`` chunk is coded as one image, a 3-D chunk ``(n, h, w)`` as ``n`` frames (the
last two axes are the image plane; a last axis of 3 is *not* taken for colour). Any integer
type whose values fit ``uint8``, ``uint16`` or ``int16`` (either byte order) is coded exactly
and comes back as the chunk's own type: :class:`Sdwtfast` records a type sdwtfast does not
store natively (``int32``, ``>u2``, ...) in the chunk, :class:`SdwtfastZarr` takes it from the
array's metadata. 1-D, 4-D and empty chunks, floats, booleans and values outside 16 bits are
refused with :class:`~sdwtfast.errors.InvalidInputError` naming the chunk's shape and type.
zarr pads edge chunks with the fill value to the full chunk shape and crops them on reading,
so edge chunks are exact too.

Options
-------
Lossless by default. ``roi_max_error`` (every ROI pixel within a bound), ``roi_bpp`` (a rate
per chunk), ``background`` / ``background_quality`` (the pixels outside the ROI), ``wavelet``
and ``levels`` are those of :func:`sdwtfast.encode`, applied to each chunk. ``roi`` is
``None`` (the whole chunk), ``"auto"`` (the SVD detector, run on each frame of each chunk) or
a list of ``(y0, x0, y1, x1)`` boxes **in chunk coordinates**, applied to every frame of
every chunk: they mean image coordinates when the chunks span whole frames
(``chunks=(k, h, w)``). A pixel-mask ROI is refused: it belongs to one image, not to every
chunk, and could not live in a JSON configuration. ``workers`` (default 1) is the number of
threads coding the frames of one chunk; zarr already codes chunks in parallel.

Keys are never in the configuration
-----------------------------------
``key=`` (a :class:`sdwtfast.crypto.Key` or its 32 bytes) or ``passphrase=`` seals every chunk
(AES-256-GCM). :meth:`Sdwtfast.get_config` and :meth:`SdwtfastZarr.to_dict` (what zarr
writes to ``zarr.json`` / ``.zarray``) leave the key out and record ``"encrypted": true``;
a passphrase is stretched once per codec with Argon2id and only its salt and cost
parameters are recorded (``"kdf"``), so chunks cost no Argon2id each. A codec built from
that configuration alone refuses to encode (:class:`~sdwtfast.errors.KeyRequiredError`:
an encrypted array never receives a plaintext chunk), decoding a sealed chunk raises
:class:`~sdwtfast.errors.KeyRequiredError`, and a plaintext chunk in an encrypted array
raises :class:`~sdwtfast.errors.AuthenticationError` (anyone could have written it). Give
the key back with :meth:`Sdwtfast.with_key` or, for a stored array, :func:`open_array`.
Codecs compare equal by configuration, so two codecs with different keys are equal. Each
chunk is authenticated on its own: someone who can write to the store can swap two chunks of
the same array (or replay an old one) unnoticed, since a codec does not know a chunk's
position. A codec holding a key cannot be pickled (:class:`~sdwtfast.crypto.Key` refuses),
so it does not travel to worker processes by accident.

Examples
--------
>>> import numpy as np, zarr
>>> from sdwtfast.zarrcodec import Sdwtfast, SdwtfastZarr
>>> volume = (np.arange(4 * 40 * 50) % 4096).astype(np.uint16).reshape(4, 40, 50)
>>> codec = Sdwtfast()
>>> bool((codec.decode(codec.encode(volume)) == volume).all())
True
>>> z = zarr.create_array(zarr.storage.MemoryStore(), shape=volume.shape, chunks=(2, 32, 32),
...                       dtype="uint16", serializer=SdwtfastZarr(), compressors=None)
>>> z[:] = volume
>>> bool((z[:] == volume).all())
True
>>> SdwtfastZarr(roi_max_error=2).to_dict()["configuration"]["roi_max_error"]
2
"""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

try:
    from numcodecs.abc import Codec
    from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy
    from numcodecs.registry import register_codec
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "sdwtfast.zarrcodec needs numcodecs (and zarr for arrays): pip install 'sdwtfast[zarr]'"
    ) from exc

from . import api, crypto, limits, validate
from .errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
    LimitExceededError,
    UnsupportedFormatError,
)
from .options import EncodeOptions

try:  # zarr >= 3: the v3 codec; without it the numcodecs codec still works
    from zarr.abc.codec import ArrayBytesCodec
except ImportError:  # pragma: no cover - zarr 2 or no zarr
    ArrayBytesCodec = object  # type: ignore[assignment,misc]
    HAVE_ZARR3 = False
else:
    HAVE_ZARR3 = True

if TYPE_CHECKING:
    from zarr import Array
    from zarr.core.array_spec import ArraySpec
    from zarr.core.buffer import Buffer, NDBuffer

__all__ = ["Sdwtfast", "SdwtfastZarr", "open_array", "with_key", "CODEC_ID", "HAVE_ZARR3"]

CODEC_ID = "sdwtfast"
"""The numcodecs ``codec_id`` and the zarr v3 codec name."""
_DTYPE_TAG = b"sdwtfast.zarrcodec dtype="
"""A chunk's META section when its type is not one sdwtfast stores natively."""
_OPTIONS = ("roi_max_error", "roi_bpp", "background", "background_quality", "wavelet")
_CONFIG_NAMES = {"roi", *_OPTIONS, "levels", "workers", "max_pixels", "encrypted", "kdf"}


def _describe(a: np.ndarray) -> str:
    return f"chunk of shape {tuple(a.shape)} and dtype {a.dtype}"


def _check_chunk_type(dtype: np.dtype, shape: tuple[int, ...], what: str) -> None:
    """Refuse (InvalidInputError) a chunk type or shape sdwtfast does not code."""
    if dtype == np.bool_ or not np.issubdtype(dtype, np.integer):
        raise InvalidInputError(
            f"{what}: sdwtfast codes integer samples (uint8, uint16, int16, or a wider integer "
            "type holding 16-bit values), not this type"
        )
    if len(shape) not in (2, 3):
        raise InvalidInputError(
            f"{what}: sdwtfast codes 2-D (h, w) or 3-D (n, h, w) chunks; choose chunks with 2 "
            "or 3 axes (in zarr v3 use serializer=SdwtfastZarr(...), which receives the chunk "
            "with its shape, not compressors=)"
        )


def chunk_array(buf: Any) -> np.ndarray:
    """``buf`` as the array of a chunk sdwtfast can code, or InvalidInputError.

    Parameters
    ----------
    buf : array_like
        The chunk: a 2-D or 3-D integer array (a bytes-like object arrives as 1-D ``uint8``
        and is refused, since it has lost its shape).

    Returns
    -------
    numpy.ndarray
    """
    try:
        a = np.asarray(buf)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"a chunk must be an integer array: {exc}") from None
    if isinstance(buf, (bytes, bytearray, memoryview)):
        a = np.frombuffer(buf, np.uint8)
    _check_chunk_type(a.dtype, a.shape, _describe(a))
    if a.size == 0:
        raise InvalidInputError(f"{_describe(a)} is empty")
    return a


def _check_roi(roi: Any) -> None | str | list[list[int]]:
    """The ``roi`` option in its JSON form: None, "auto" or a list of [y0, x0, y1, x1]."""
    if roi is None or isinstance(roi, str):
        if roi not in (None, "auto"):
            raise InvalidInputError(f"roi must be None, 'auto' or boxes, got {roi!r}")
        return roi
    if isinstance(roi, np.ndarray):
        raise InvalidInputError(
            "a mask ROI belongs to one image, not to every chunk: give roi as a list of "
            "(y0, x0, y1, x1) boxes in chunk coordinates, or 'auto'"
        )
    if not isinstance(roi, (list, tuple)):
        raise InvalidInputError(f"roi must be None, 'auto' or boxes, got {roi!r}")
    boxes = [roi] if len(roi) == 4 and all(np.isscalar(v) for v in roi) else list(roi)
    out = []
    for b in boxes:
        if (
            not isinstance(b, (list, tuple))
            or len(b) != 4
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in b)
        ):
            raise InvalidInputError(f"a ROI box is four ints (y0, x0, y1, x1), got {b!r}")
        y0, x0, y1, x1 = (int(v) for v in b)
        if not (0 <= y0 < y1 and 0 <= x0 < x1):
            raise InvalidInputError(f"ROI box {b!r} is empty or negative")
        out.append([y0, x0, y1, x1])
    if not out:
        raise InvalidInputError("roi is an empty list of boxes: pass roi=None for the whole chunk")
    return out


def _parse_kdf(kdf: Any) -> dict[str, Any]:
    """The ``kdf`` configuration (Argon2id salt and cost), checked before any KDF runs."""
    if not isinstance(kdf, dict) or kdf.get("algorithm") != "argon2id":
        raise InvalidInputError(f"kdf must be an argon2id configuration, got {kdf!r}")
    try:
        salt = bytes.fromhex(kdf["salt"])
        params = crypto.Argon2Params(kdf["memory_kib"], kdf["iterations"], kdf["lanes"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"kdf configuration is incomplete or malformed: {exc}") from None
    if len(salt) != crypto.KDF_SALT_SIZE:
        raise InvalidInputError(f"kdf salt must be {crypto.KDF_SALT_SIZE} bytes in hex")
    params.check(InvalidInputError)
    return {"algorithm": "argon2id", "salt": salt.hex(), **vars(params)}


def _resolve_key(
    key: Any, passphrase: Any, kdf: Any
) -> tuple[crypto.Key | None, dict[str, Any] | None]:
    """The key that seals the chunks and the ``kdf`` configuration to record (a passphrase
    is stretched here, once; a new random salt when the configuration has none)."""
    if key is not None and passphrase is not None:
        raise InvalidInputError("give key or passphrase, not both")
    kdf = None if kdf is None else _parse_kdf(kdf)
    if passphrase is not None:
        if kdf is None:
            p = crypto.Argon2Params()
            kdf = _parse_kdf(
                {
                    "algorithm": "argon2id",
                    "salt": secrets.token_bytes(crypto.KDF_SALT_SIZE).hex(),
                    **vars(p),
                }
            )
        p = crypto.Argon2Params(kdf["memory_kib"], kdf["iterations"], kdf["lanes"])
        return crypto.derive_passphrase_key(passphrase, bytes.fromhex(kdf["salt"]), p), kdf
    if key is not None and not isinstance(key, crypto.Key):
        key = crypto.Key(key)
    return key, kdf


def _stored_dtype(meta: bytes | None) -> np.dtype | None:
    """The chunk's own type recorded by :class:`Sdwtfast` (None: the type it decodes as)."""
    if meta is None or not meta.startswith(_DTYPE_TAG):
        return None
    try:
        dt = np.dtype(meta[len(_DTYPE_TAG) :].decode("ascii"))
    except (TypeError, ValueError, UnicodeDecodeError):
        raise CorruptStreamError("chunk records an unreadable dtype") from None
    if dt == np.bool_ or not np.issubdtype(dt, np.integer):
        raise CorruptStreamError(f"chunk records the non-integer dtype {dt}")
    return dt


def _cast_exact(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``a`` as ``dtype``; CorruptStreamError when a value does not fit (never a wrap)."""
    if a.dtype == dtype:
        return a
    if not np.can_cast(a.dtype, dtype):
        lim = np.iinfo(dtype)
        if a.size and (int(a.min()) < lim.min or int(a.max()) > lim.max):
            raise CorruptStreamError(f"chunk values {a.min()}..{a.max()} do not fit {dtype}")
    return a.astype(dtype)


class Sdwtfast(Codec):
    """The sdwtfast codec for numcodecs (and zarr format 2); see the module docstring.

    Parameters
    ----------
    roi : None, "auto" or list of (y0, x0, y1, x1)
        The region coded at ``roi_max_error`` / ``roi_bpp`` in every frame of every chunk
        (boxes in chunk coordinates); None: the whole chunk.
    roi_max_error : int
        Maximum ``|x - x_hat|`` on ROI pixels; 0 (default) is lossless.
    roi_bpp : float, optional
        A lossy ROI at this many bits per ROI pixel, instead of a bound.
    background, background_quality : optional
        The coder of the pixels outside the ROI and its rate (:func:`sdwtfast.encode`).
    wavelet : {"5/3", "9/7", "haar"}, optional
    levels : int, optional
        Wavelet decomposition levels (default: sdwtfast's rule for the chunk's size).
    workers : int
        Threads coding the frames of one 3-D chunk (default 1).
    max_pixels : int
        Largest chunk (samples) encoded or decoded; a chunk declaring more is refused before
        it is decoded (default :data:`sdwtfast.limits.DEFAULT_MAX_DECODE_PIXELS`).
    encrypted : bool
        Chunks are sealed; set by ``key`` / ``passphrase``, and kept in the configuration.
    kdf : dict, optional
        Argon2id salt and cost of ``passphrase`` (from a configuration; made when absent).
    key : sdwtfast.crypto.Key or 32 bytes, optional
        Seals every chunk. Never in :meth:`get_config`.
    passphrase : str or bytes, optional
        Stretched once into the key. Never in :meth:`get_config`.

    Raises
    ------
    InvalidInputError
        A bad option (checked here, before any chunk).
    """

    codec_id = CODEC_ID

    def __init__(
        self,
        *,
        roi: Any = None,
        roi_max_error: int = 0,
        roi_bpp: float | None = None,
        background: str = "wavelet",
        background_quality: float | int | None = None,
        wavelet: str | None = None,
        levels: int | None = None,
        workers: int = 1,
        max_pixels: int = limits.DEFAULT_MAX_DECODE_PIXELS,
        encrypted: bool = False,
        kdf: dict[str, Any] | None = None,
        key: crypto.KeyLike | None = None,
        passphrase: str | bytes | None = None,
    ) -> None:
        self.roi = _check_roi(roi)
        EncodeOptions.check(
            roi_max_error=roi_max_error,
            roi_bpp=roi_bpp,
            background=background,
            background_quality=background_quality,
            wavelet=wavelet,
        )
        self.roi_max_error = int(roi_max_error)
        self.roi_bpp = None if roi_bpp is None else float(roi_bpp)
        self.background = str(background)
        self.background_quality = background_quality
        self.wavelet = wavelet
        self.levels = self._check_int("levels", levels, 0, limits.MAX_CODED_LEVELS, none=True)
        self.workers = self._check_int("workers", workers, 1, 1024)
        self.max_pixels = self._check_int("max_pixels", max_pixels, 1, limits.MAX_PIXELS)
        self._key, self.kdf = _resolve_key(key, passphrase, kdf)
        self.encrypted = bool(encrypted) or self._key is not None or self.kdf is not None

    @staticmethod
    def _check_int(name: str, v: Any, lo: int, hi: int, none: bool = False) -> int | None:
        if v is None and none:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
            raise InvalidInputError(f"{name} must be an int in {lo}..{hi}, got {v!r}")
        return int(v)

    def get_config(self) -> dict[str, Any]:
        """The JSON configuration: every option, ``encrypted``, the passphrase's ``kdf`` salt
        when there is one, and never the key or the passphrase.

        Returns
        -------
        dict
        """
        cfg: dict[str, Any] = {"id": self.codec_id, "roi": self.roi}
        cfg.update({name: getattr(self, name) for name in _OPTIONS})
        cfg.update(levels=self.levels, workers=self.workers, max_pixels=self.max_pixels)
        cfg["encrypted"] = self.encrypted
        if self.kdf is not None:
            cfg["kdf"] = dict(self.kdf)
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sdwtfast:
        """A codec from :meth:`get_config`'s dictionary (with or without its ``id``); it holds
        no key: see :meth:`with_key`."""
        cfg = {k: v for k, v in config.items() if k != "id"}
        if "key" in cfg or "passphrase" in cfg:
            raise InvalidInputError("a codec configuration never holds a key or passphrase")
        unknown = sorted(set(cfg) - _CONFIG_NAMES)
        if unknown:
            raise InvalidInputError(f"unknown sdwtfast codec configuration entries {unknown}")
        return cls(**cfg)

    def with_key(
        self, key: crypto.KeyLike | None = None, passphrase: str | bytes | None = None
    ) -> Sdwtfast:
        """This codec's configuration with a key (or a passphrase, stretched with the recorded
        ``kdf`` salt, so it finds the same key).

        Returns
        -------
        Sdwtfast
        """
        cfg = {k: v for k, v in self.get_config().items() if k != "id"}
        return type(self)(**cfg, key=key, passphrase=passphrase)

    @property
    def has_key(self) -> bool:
        """Whether this codec holds a key (it is never shown)."""
        return self._key is not None

    def __repr__(self) -> str:
        cfg = {k: v for k, v in self.get_config().items() if k not in ("id", "kdf")}
        hidden = ", key=<hidden>" if self._key is not None else ""
        return f"Sdwtfast({', '.join(f'{k}={v!r}' for k, v in cfg.items())}{hidden})"

    def encode(self, buf: Any) -> bytes:
        """Code one chunk (a 2-D or 3-D integer array) into an sdwtfast container.

        Raises
        ------
        InvalidInputError, LimitExceededError, KeyRequiredError
        """
        return self._encode_chunk(chunk_array(buf), tag=True)

    def decode(self, buf: Any, out: Any = None) -> np.ndarray:
        """The chunk of a container made by :meth:`encode`, of the chunk's shape and dtype,
        or copied into ``out`` (numcodecs' ``ndarray_copy``: ``out`` must hold exactly the
        chunk's bytes).

        Raises
        ------
        CorruptStreamError, UnsupportedFormatError, KeyRequiredError, AuthenticationError,
        LimitExceededError
        """
        cap = self.max_pixels
        if out is not None:
            cap = max(1, min(ensure_contiguous_ndarray(out).nbytes, limits.MAX_PIXELS))
        return ndarray_copy(self._decode_chunk(buf, cap, own_dtype=True), out)

    def _encode_chunk(self, a: np.ndarray, *, tag: bool) -> bytes:
        """The container of a checked chunk; ``tag``: record a dtype sdwtfast does not store
        natively (not needed where the reader knows the dtype, as zarr v3 does)."""
        if self.encrypted and self._key is None:
            raise KeyRequiredError(
                "this codec's chunks are encrypted ('encrypted': true) and it holds no key: "
                "pass key= or passphrase= (they are never in the configuration)"
            )
        if a.size > self.max_pixels:
            raise LimitExceededError(
                f"{_describe(a)} has {a.size} samples, more than max_pixels={self.max_pixels}"
                ", so it could not be decoded: pass a larger max_pixels or smaller chunks"
            )
        meta = None
        if tag and a.dtype not in validate.DTYPES:
            meta = _DTYPE_TAG + a.dtype.str.encode("ascii")
        kw = {name: getattr(self, name) for name in _OPTIONS}
        roi = self.roi if not isinstance(self.roi, list) else [tuple(b) for b in self.roi]
        try:
            return api.encode(
                a,
                roi=roi,
                **kw,
                levels=self.levels,
                samples=1,
                metadata=meta,
                key=self._key,
                workers=self.workers,
            )
        except (InvalidInputError, LimitExceededError, UnsupportedFormatError) as exc:
            exc.args = (f"{_describe(a)}: {exc}",)
            raise

    def _decode_chunk(self, buf: Any, max_pixels: int, *, own_dtype: bool) -> np.ndarray:
        """The decoded chunk (``own_dtype``: in the dtype the encoder recorded, if any)."""
        if isinstance(buf, (bytes, bytearray, memoryview)):
            data: Any = buf
        elif isinstance(buf, np.ndarray):
            data = memoryview(ensure_contiguous_ndarray(buf)).cast("B")
        else:
            raise InvalidInputError(
                f"a chunk to decode must be bytes-like, not {type(buf).__name__}"
            )
        if self.encrypted and self._key is None and not api.info(data)["encrypted"]:
            raise AuthenticationError(
                "the chunk is not encrypted although its codec is ('encrypted': true): "
                "refused, since anyone could have written it"
            )
        a = api.decode(data, key=self._key, max_pixels=max_pixels)
        if own_dtype:
            dt = _stored_dtype(api.metadata(data, key=self._key))
            if dt is not None:
                a = _cast_exact(a, dt)
        return a


register_codec(Sdwtfast)


@dataclass(frozen=True, eq=False)
class SdwtfastZarr(ArrayBytesCodec):  # type: ignore[misc]
    """The zarr v3 serializer (array-to-bytes codec) named ``"sdwtfast"``.

    Parameters
    ----------
    key, passphrase : optional
        Seal every chunk; never written to ``zarr.json``.
    **options
        Those of :class:`Sdwtfast` (``roi``, ``roi_max_error``, ``roi_bpp``, ...).

    Examples
    --------
    >>> import zarr
    >>> z = zarr.create_array({}, shape=(3, 64, 64), chunks=(1, 64, 64), dtype="int16",
    ...                       serializer=SdwtfastZarr(roi_max_error=1), compressors=None)
    >>> z.metadata.codecs[0].to_dict()["name"]
    'sdwtfast'
    """

    codec: Sdwtfast
    is_fixed_size = False

    def __init__(
        self,
        *,
        key: crypto.KeyLike | None = None,
        passphrase: str | bytes | None = None,
        codec: Sdwtfast | None = None,
        **options: Any,
    ) -> None:
        if not HAVE_ZARR3:  # pragma: no cover
            raise UnsupportedFormatError("SdwtfastZarr needs zarr >= 3 (pip install zarr)")
        if codec is None:
            codec = Sdwtfast(**options, key=key, passphrase=passphrase)
        elif options or key is not None or passphrase is not None:
            raise InvalidInputError("give codec= or options, not both")
        object.__setattr__(self, "codec", codec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SdwtfastZarr) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict()["configuration"].items())))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SdwtfastZarr:
        """The codec of a ``zarr.json`` entry ``{"name": "sdwtfast", "configuration": {...}}``
        (it holds no key: see :meth:`with_key` and :func:`open_array`)."""
        if not isinstance(data, dict) or data.get("name") != CODEC_ID:
            raise InvalidInputError(f"not an sdwtfast codec entry: {data!r}")
        cfg = data.get("configuration") or {}
        if not isinstance(cfg, dict):
            raise InvalidInputError("the sdwtfast codec's configuration must be an object")
        return cls(codec=Sdwtfast.from_config(cfg))

    def to_dict(self) -> dict[str, Any]:
        """``{"name": "sdwtfast", "configuration": ...}``: JSON, without any key."""
        cfg = {k: v for k, v in self.codec.get_config().items() if k != "id"}
        return {"name": CODEC_ID, "configuration": cfg}

    def with_key(
        self, key: crypto.KeyLike | None = None, passphrase: str | bytes | None = None
    ) -> SdwtfastZarr:
        """This codec with a key or passphrase (:meth:`Sdwtfast.with_key`)."""
        return type(self)(codec=self.codec.with_key(key, passphrase))

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any) -> None:
        """Refuse, when the array is created, a dtype or chunk shape sdwtfast cannot code."""
        chunks = tuple(getattr(chunk_grid, "chunk_shape", shape))
        native = np.dtype(dtype.to_native_dtype())
        _check_chunk_type(native, chunks, f"zarr chunks {chunks} of dtype {native}")

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """Not known in advance (a variable-size codec)."""
        raise NotImplementedError

    @property
    def encrypted(self) -> bool:
        """Whether the chunks are sealed (recorded in the configuration)."""
        return self.codec.encrypted

    def _encode_sync(self, chunk_data: NDBuffer, chunk_spec: ArraySpec) -> Buffer:
        blob = self.codec._encode_chunk(chunk_array(chunk_data.as_numpy_array()), tag=False)
        return chunk_spec.prototype.buffer.from_bytes(blob)

    def _decode_sync(self, chunk_bytes: Buffer, chunk_spec: ArraySpec) -> NDBuffer:
        shape = tuple(chunk_spec.shape)
        dtype = np.dtype(chunk_spec.dtype.to_native_dtype())
        a = self.codec._decode_chunk(chunk_bytes.to_bytes(), math.prod(shape), own_dtype=False)
        if a.shape != shape:
            raise CorruptStreamError(f"chunk decodes to shape {a.shape}, not {shape}")
        return chunk_spec.prototype.nd_buffer.from_numpy_array(_cast_exact(a, dtype))

    async def _encode_single(self, chunk_data: NDBuffer, chunk_spec: ArraySpec) -> Buffer:
        return await asyncio.to_thread(self._encode_sync, chunk_data, chunk_spec)

    async def _decode_single(self, chunk_bytes: Buffer, chunk_spec: ArraySpec) -> NDBuffer:
        return await asyncio.to_thread(self._decode_sync, chunk_bytes, chunk_spec)


def _keyed(codec: Any, key: Any, passphrase: Any) -> Any:
    """``codec`` with the key, recursing into sharding's inner codecs."""
    if isinstance(codec, (SdwtfastZarr, Sdwtfast)):
        return codec.with_key(key, passphrase) if codec.encrypted else codec
    inner = getattr(codec, "codecs", None)
    if isinstance(inner, tuple):
        return replace(codec, codecs=tuple(_keyed(c, key, passphrase) for c in inner))
    return codec


def with_key(
    array: Array, *, key: crypto.KeyLike | None = None, passphrase: str | bytes | None = None
) -> Array:
    """The same stored zarr array, reading and writing with the key of its encrypted sdwtfast
    codecs (the key is in memory only: the array's metadata never holds it).

    Parameters
    ----------
    array : zarr.Array
        Format 3 (an :class:`SdwtfastZarr` serializer, inside sharding too) or format 2 (an
        :class:`Sdwtfast` compressor).
    key, passphrase : optional
        One of them.

    Returns
    -------
    zarr.Array
    """
    import zarr
    from zarr.core.array import AsyncArray

    if key is None and passphrase is None:
        raise InvalidInputError("with_key needs key= or passphrase=")
    meta = array.metadata
    if meta.zarr_format == 2:
        meta = replace(meta, compressor=_keyed(meta.compressor, key, passphrase))
    else:
        meta = replace(meta, codecs=tuple(_keyed(c, key, passphrase) for c in meta.codecs))
    return zarr.Array(AsyncArray(meta, array.store_path, config=array.async_array.config))


def open_array(
    store: Any,
    *,
    key: crypto.KeyLike | None = None,
    passphrase: str | bytes | None = None,
    **kwargs: Any,
) -> Array:
    """:func:`zarr.open_array` of an array whose sdwtfast chunks may be encrypted.

    Parameters
    ----------
    store : zarr StoreLike
    key, passphrase : optional
        The array's key (:class:`sdwtfast.crypto.Key` or 32 bytes) or passphrase; without
        them an encrypted array's chunks raise :class:`~sdwtfast.errors.KeyRequiredError`.
    **kwargs
        Passed to :func:`zarr.open_array` (``mode`` defaults to ``"r"``).

    Returns
    -------
    zarr.Array
    """
    import zarr

    kwargs.setdefault("mode", "r")
    array = zarr.open_array(store, **kwargs)
    if key is None and passphrase is None:
        return array
    return with_key(array, key=key, passphrase=passphrase)


if HAVE_ZARR3:
    from zarr.registry import register_codec as _register_zarr_codec

    _register_zarr_codec(CODEC_ID, SdwtfastZarr)
