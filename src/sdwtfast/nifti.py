"""NIfTI-1 and NIfTI-2 volumes in and out (``.nii`` and ``.nii.gz``), through nibabel.

A volume is coded as a stack of 2-D frames: the slices along its third axis, and for 4-D (or
higher) volumes every volume's slices, in the file's own storage order (the slice index
varies fastest). The file's bytes before the voxel data (the 348- or 540-byte header, the
extension flag, every extension and any padding up to ``vox_offset``) travel unchanged in
the container's metadata section, which is sealed with the pixels when a key or passphrase is
given. Decoding rebuilds the file from those bytes and the decoded voxels, so a lossless file
decodes to an uncompressed NIfTI file identical byte for byte to the input (a ``.nii.gz`` is
identical once decompressed), and a lossy file keeps every header field, extension and the
affine; only the voxel values differ.

Values are coded as stored: ``scl_slope`` / ``scl_inter`` stay in the header and are not
applied. Integer data of any width is accepted when its values fit ``uint16`` or ``int16``;
float data only when every value is an integer that fits 16 bits (it is then coded exactly
and written back as the same float type). Anything else is refused, never rounded.

Examples
--------
>>> blob = encode_nifti("t1.nii.gz")                      # doctest: +SKIP
>>> write("t1_out.nii.gz", decode_to_nifti(blob))          # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import weakref
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import validate
from .errors import CorruptStreamError, InvalidInputError, UnsupportedFormatError

try:
    import nibabel as nib
except ImportError as exc:  # pragma: no cover - nibabel is a dependency of this module
    raise UnsupportedFormatError("sdwtfast.nifti needs nibabel (pip install nibabel)") from exc

__all__ = [
    "NiftiObject",
    "read",
    "metadata_bytes",
    "from_metadata",
    "to_image",
    "encode_nifti",
    "decode_to_nifti",
    "write",
    "frames_of",
    "volume_of",
    "MAGIC",
]

MAGIC = b"SDWNIFTI"
"""First bytes of the metadata this module writes."""
_VERSION = 1
_LEN = struct.Struct("<I")
_GZIP_MAGIC = b"\x1f\x8b"
_SUFFIXES = (".nii", ".nii.gz")
_NIFTI_MAGICS = {348: (b"n+1\x00",), 540: (b"n+2\x00\r\n\x1a\n",)}
_PAIR_MAGICS = (b"ni1\x00", b"ni2\x00\r\n\x1a\n")
_IMAGE_CLASSES = {1: nib.Nifti1Image, 2: nib.Nifti2Image}
_ENCODE_SETS = ("samples", "metadata")


@dataclass(frozen=True)
class NiftiObject:
    """A NIfTI volume as sdwtfast codes it.

    Attributes
    ----------
    pixels : ndarray or None
        ``(n, h, w)`` frames, ``h`` the volume's first axis (i) and ``w`` its second (j): the
        slices along the third axis, and for a 4-D volume of shape ``(X, Y, Z, T)`` every
        volume's slices, ``pixels[z + Z * t] == data[:, :, z, t]`` (higher dimensions alike,
        the slice index fastest, as NIfTI stores them). :func:`volume_of` restores the shape:
        ``pixels.reshape(T, Z, X, Y).transpose(2, 3, 1, 0)``. A 1-D or 2-D volume is one
        frame. ``uint8``, ``int8``, ``uint16`` or ``int16`` in native byte order; wider
        integer and integral float data are narrowed to ``uint16`` (no negative value) or
        ``int16``, exactly. None in an object made by :func:`from_metadata`.
    header_bytes : bytes
        The NIfTI-1 (348 bytes) or NIfTI-2 (540 bytes) header as stored, in its byte order.
    extension_bytes : bytes
        The bytes between the header and the voxel data (``vox_offset``): the extension
        flag, the extensions and any padding, as stored.
    affine : ndarray
        The 4 x 4 voxel-to-world matrix nibabel derives from the header (sform, else qform).
    shape : tuple of int
        The volume's shape (``dim[1..dim[0]]``).
    dtype : numpy.dtype
        The data type as stored, byte order included (``scl_slope`` / ``scl_inter`` not
        applied).
    version : int
        1 (NIfTI-1) or 2 (NIfTI-2).
    """

    pixels: np.ndarray | None
    header_bytes: bytes
    extension_bytes: bytes
    affine: np.ndarray
    shape: tuple[int, ...]
    dtype: np.dtype
    version: int

    @property
    def prefix(self) -> bytes:
        """Everything the file holds before its voxel data."""
        return self.header_bytes + self.extension_bytes


# ---------------------------------------------------------------------------------------------
# frames <-> volume


def _shape3(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(shape) + (1,) * (3 - len(shape))


def frames_of(data: np.ndarray) -> np.ndarray:
    """The ``(n, h, w)`` frames of a volume (see :class:`NiftiObject` for the order).

    Parameters
    ----------
    data : ndarray
        A volume of any number of dimensions (1-D and 2-D ones are one frame).

    Returns
    -------
    ndarray
        C-contiguous frames, ``n`` the product of the volume's dimensions from the third on.
    """
    a = np.asarray(data)
    s = _shape3(a.shape)
    a = a.reshape(s)
    axes = (*range(a.ndim - 1, 1, -1), 0, 1)
    return np.ascontiguousarray(np.transpose(a, axes).reshape(-1, s[0], s[1]))


def volume_of(pixels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Invert :func:`frames_of`: the volume of ``shape`` whose frames are ``pixels``.

    Raises
    ------
    CorruptStreamError
        ``pixels`` do not hold the voxels of ``shape``.
    """
    s = _shape3(shape)
    n = int(np.prod(s[2:], dtype=np.int64))
    if pixels.shape != (n, s[0], s[1]):
        raise CorruptStreamError(
            f"the decoded frames have shape {pixels.shape}; the NIfTI header's volume "
            f"{tuple(shape)} needs {(n, s[0], s[1])}"
        )
    stacked = pixels.reshape(*s[:1:-1], s[0], s[1])
    axes = (*range(stacked.ndim - 1, 1, -1), 0, 1)
    return np.transpose(stacked, np.argsort(axes)).reshape(shape)


# ---------------------------------------------------------------------------------------------
# reading


def _raw_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc}") from exc
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise CorruptStreamError(f"{path}: truncated or damaged gzip stream ({exc})") from exc


def _version_of(raw: bytes, path: str) -> int:
    """1 or 2 from ``sizeof_hdr`` and the magic, else the reason the file is refused."""
    if len(raw) < 4:
        raise UnsupportedFormatError(f"{path}: not a NIfTI file ({len(raw)} bytes)")
    sizes = {struct.unpack("<i", raw[:4])[0], struct.unpack(">i", raw[:4])[0]}
    for size, version in ((348, 1), (540, 2)):
        if size not in sizes:
            continue
        where = 344 if size == 348 else 4
        magic = raw[where : where + len(_NIFTI_MAGICS[size][0])]
        if len(raw) < size:
            raise CorruptStreamError(
                f"{path}: truncated: {len(raw)} bytes, the NIfTI-{version} header alone has {size}"
            )
        if magic in _NIFTI_MAGICS[size]:
            return version
        if magic in _PAIR_MAGICS:
            raise UnsupportedFormatError(
                f"{path}: a NIfTI-{version} header of a .hdr/.img pair; only single-file "
                f".nii / .nii.gz volumes are supported"
            )
        raise UnsupportedFormatError(
            f"{path}: sizeof_hdr {size} but no NIfTI magic ({magic!r}; an ANALYZE header?)"
        )
    raise UnsupportedFormatError(f"{path}: not a NIfTI file (sizeof_hdr is neither 348 nor 540)")


def _parse(raw: bytes, path: str) -> tuple[Any, int, int]:
    """The nibabel image of a whole file, its version and its data offset."""
    version = _version_of(raw, path)
    cls = _IMAGE_CLASSES[version]
    try:
        hdr = cls.header_class.from_fileobj(io.BytesIO(raw), check=False)
        offset = int(hdr.get_data_offset())
        shape = tuple(int(d) for d in hdr.get_data_shape())
        dtype = hdr.get_data_dtype()
    except Exception as exc:  # nibabel raises many kinds on malformed headers
        raise CorruptStreamError(f"{path}: unreadable NIfTI-{version} header: {exc}") from exc
    size = 348 if version == 1 else 540
    if offset < size:
        raise CorruptStreamError(f"{path}: vox_offset {offset} lies inside the header")
    need = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) < need:
        raise CorruptStreamError(
            f"{path}: truncated: {len(raw)} bytes, the header's {shape} {dtype} volume at "
            f"offset {offset} needs {need}"
        )
    try:
        img = cls.from_bytes(raw)
    except Exception as exc:
        raise CorruptStreamError(f"{path}: nibabel cannot read it: {exc}") from exc
    return img, version, offset


def _first_bad(a: np.ndarray, bad: np.ndarray) -> str:
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"voxel {idx} = {a[idx]!r}"


def _coded(a: np.ndarray, path: str) -> np.ndarray:
    """The values of ``a`` in the 16-bit (or 8-bit) integer type they are coded as."""
    dt = a.dtype
    if dt.kind in "ui" and dt.itemsize <= 2:
        return a.astype(dt.newbyteorder("="), copy=False)
    if dt.kind in "ui" or dt.kind == "f":
        if dt.kind == "f":
            finite = np.isfinite(a)
            if not finite.all():
                raise InvalidInputError(
                    f"{path}: {dt} data with a non-finite value ({_first_bad(a, ~finite)}): "
                    "only integral float data is coded exactly"
                )
            frac = a != np.round(a)
            if frac.any():
                raise InvalidInputError(
                    f"{path}: {dt} data with fractions ({_first_bad(a, frac)}): only float "
                    "data whose every value is an integer that fits 16 bits is coded exactly"
                )
        lo, hi = (a.min(), a.max()) if a.size else (0, 0)
        for target in (np.uint16, np.int16):
            info = np.iinfo(target)
            if info.min <= lo and hi <= info.max:
                return a.astype(target)
        raise InvalidInputError(
            f"{path}: {dt} values {lo!r}..{hi!r} fit neither uint16 nor int16; they cannot be "
            "coded exactly"
        )
    raise InvalidInputError(f"{path}: {dt} data ({dt.kind!r} kind) cannot be coded exactly")


_COLOUR_FIELDS = (("R", "G", "B"), ("R", "G", "B", "A"))
"""The fields of NIfTI's RGB24 and RGBA32 voxels (nibabel's structured uint8 dtypes)."""


def _colour_fields(dtype: np.dtype) -> tuple[str, ...] | None:
    names = dtype.names
    if names in _COLOUR_FIELDS and all(dtype[n] == np.uint8 for n in names):
        return names
    return None


def _frames_and_samples(data: np.ndarray, path: str) -> np.ndarray:
    """``(n, h, w)`` frames, or ``(n, h, w, s)`` for RGB24 / RGBA32 voxels (samples 3 / 4)."""
    fields = _colour_fields(data.dtype)
    if data.dtype.names is not None and fields is None:
        raise InvalidInputError(
            f"{path}: structured voxels {data.dtype} are not RGB24 / RGBA32; they cannot be "
            "coded exactly"
        )
    if fields is None:
        return frames_of(_coded(data, path))
    return np.stack([frames_of(np.asarray(data[f])) for f in fields], axis=-1)


def read(path: str | os.PathLike[str]) -> NiftiObject:
    """Read a ``.nii`` or ``.nii.gz`` volume (NIfTI-1 or NIfTI-2, either byte order).

    Parameters
    ----------
    path : str or os.PathLike
        The file; gzip compression is recognized by its content.

    Returns
    -------
    NiftiObject
        The frames (``(n, h, w)``: slices along the third axis, then the fourth and higher
        axes; see :class:`NiftiObject` for the order and how the shape is restored;
        ``(n, h, w, 3)`` / ``(n, h, w, 4)`` for RGB24 / RGBA32 voxels), the raw
        header and extension bytes, the affine, shape and stored dtype.

    Raises
    ------
    InvalidInputError
        The file cannot be read, or its data cannot be coded exactly (floats with fractions
        or non-finite values, values no 16-bit type holds, complex or structured data other
        than RGB24 / RGBA32, no voxels).
    UnsupportedFormatError
        Not a NIfTI file, or a ``.hdr`` / ``.img`` pair.
    CorruptStreamError
        Truncated (the file ends before its voxel data do) or a malformed header.
    """
    p = validate.path(path, "NIfTI path")
    raw = _raw_bytes(p)
    img, version, offset = _parse(raw, p)
    hdr = img.header
    size = int(hdr.sizeof_hdr)
    dtype = hdr.get_data_dtype()
    shape = tuple(int(d) for d in img.shape)
    if 0 in shape or not shape:
        raise InvalidInputError(f"{p}: the volume {shape} holds no voxels")
    try:
        data = np.asanyarray(img.dataobj.get_unscaled())
    except Exception as exc:
        raise CorruptStreamError(f"{p}: nibabel cannot read the voxel data: {exc}") from exc
    return NiftiObject(
        pixels=_frames_and_samples(data, p),
        header_bytes=raw[:size],
        extension_bytes=raw[size:offset],
        affine=np.array(img.affine, dtype=np.float64),
        shape=shape,
        dtype=dtype,
        version=version,
    )


# ---------------------------------------------------------------------------------------------
# metadata


def metadata_bytes(obj: NiftiObject) -> bytes:
    """Serialize what :func:`to_image` needs besides the pixels.

    Layout: ``MAGIC``, a little-endian uint32 length and that many bytes of UTF-8 JSON
    (format version, NIfTI version, shape, stored dtype, frames), then the uint32 length and
    bytes of the file's prefix (header, extensions, padding up to ``vox_offset``).

    Raises
    ------
    InvalidInputError
        ``obj`` is not a :class:`NiftiObject`.
    """
    if not isinstance(obj, NiftiObject):
        raise InvalidInputError(f"expected a NiftiObject, got {type(obj).__name__}")
    s = _shape3(obj.shape)
    desc = {
        "format": _VERSION,
        "nifti": obj.version,
        "shape": list(obj.shape),
        "dtype": obj.dtype.str if obj.dtype.names is None else obj.dtype.descr,
        "frames": int(np.prod(s[2:], dtype=np.int64)),
        "header": len(obj.header_bytes),
    }
    js = json.dumps(desc, sort_keys=True).encode()
    prefix = obj.prefix
    return MAGIC + _LEN.pack(len(js)) + js + _LEN.pack(len(prefix)) + prefix


def _take(data: bytes, pos: int, what: str) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise CorruptStreamError(f"NIfTI metadata truncated before its {what}")
    (n,) = _LEN.unpack_from(data, pos)
    pos += 4
    if pos + n > len(data):
        raise CorruptStreamError(f"NIfTI metadata truncated in its {what} ({n} bytes declared)")
    return data[pos : pos + n], pos + n


def from_metadata(data: bytes | bytearray | memoryview) -> NiftiObject:
    """Parse :func:`metadata_bytes`: a :class:`NiftiObject` without pixels.

    Raises
    ------
    UnsupportedFormatError
        Not NIfTI metadata (e.g. DICOM metadata), or a newer format version.
    CorruptStreamError
        Truncated or inconsistent.
    """
    data = bytes(data)
    if not data.startswith(MAGIC):
        raise UnsupportedFormatError("the metadata section holds no NIfTI header (not from NIfTI)")
    js, pos = _take(data, len(MAGIC), "description")
    prefix, pos = _take(data, pos, "header")
    if pos != len(data):
        raise CorruptStreamError(f"NIfTI metadata: {len(data) - pos} bytes after the header")
    try:
        desc = json.loads(js)
        fmt, version = int(desc["format"]), int(desc["nifti"])
        shape = tuple(int(d) for d in desc["shape"])
        dt = desc["dtype"]
        dtype = np.dtype(dt if isinstance(dt, str) else [(str(n), str(t)) for n, t in dt])
        size = int(desc["header"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptStreamError(f"NIfTI metadata: unparsable description: {exc}") from exc
    if fmt != _VERSION:
        raise UnsupportedFormatError(f"NIfTI metadata format {fmt}: this build reads {_VERSION}")
    if version not in _IMAGE_CLASSES or size not in (348, 540) or size > len(prefix):
        raise CorruptStreamError(f"NIfTI metadata: NIfTI-{version} with a {size}-byte header")
    try:
        hdr = _IMAGE_CLASSES[version].header_class.from_fileobj(io.BytesIO(prefix), check=False)
        affine = np.array(hdr.get_best_affine(), dtype=np.float64)
        consistent = tuple(int(d) for d in hdr.get_data_shape()) == shape
        consistent = consistent and hdr.get_data_dtype() == dtype
    except Exception as exc:
        raise CorruptStreamError(f"NIfTI metadata: unreadable header: {exc}") from exc
    if not consistent:
        raise CorruptStreamError("NIfTI metadata: the description and the header disagree")
    return NiftiObject(None, prefix[:size], prefix[size:], affine, shape, dtype, version)


# ---------------------------------------------------------------------------------------------
# images


def _stored(frames: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Decoded frames in the stored type; lossy values beyond its range are clipped."""
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        if frames.size and (frames.min() < info.min or frames.max() > info.max):
            frames = np.clip(frames, info.min, info.max)
    return frames.astype(dtype)


def to_image(obj: NiftiObject, pixels: np.ndarray | None = None) -> Any:
    """The nibabel image of ``obj``'s header with ``pixels`` (default ``obj.pixels``).

    The image is built from the original prefix bytes and the voxels in the stored type and
    byte order, so :func:`write` (nibabel's ``to_bytes``) reproduces the source file.

    Returns
    -------
    nibabel.Nifti1Image or nibabel.Nifti2Image

    Raises
    ------
    InvalidInputError
        No pixels.
    CorruptStreamError
        The pixels do not fit the header's shape.
    """
    px = obj.pixels if pixels is None else np.asarray(pixels)
    if px is None:
        raise InvalidInputError("to_image needs pixels (the object came from metadata alone)")
    fields = _colour_fields(obj.dtype)
    if px.ndim == 2 or (fields is not None and px.ndim == 3):
        px = px[None]
    if fields is None:
        vol = volume_of(_stored(px, obj.dtype), obj.shape)
    else:
        if px.ndim != 4 or px.shape[-1] != len(fields):
            raise CorruptStreamError(
                f"the decoded pixels {px.shape} are not {len(fields)} samples per voxel"
            )
        vol = np.empty(obj.shape, obj.dtype)
        for i, f in enumerate(fields):
            vol[f] = volume_of(_stored(px[..., i], np.dtype(np.uint8)), obj.shape)
    raw = obj.prefix + vol.tobytes(order="F")
    try:
        img = _IMAGE_CLASSES[obj.version].from_bytes(raw)
    except Exception as exc:
        raise CorruptStreamError(f"nibabel cannot rebuild the NIfTI image: {exc}") from exc
    _SOURCES[img] = _Source(raw, img.dataobj, img.header.copy(), np.array(img.affine))
    return img


def encode_nifti(path: str | os.PathLike[str], **encode_kwargs: Any) -> bytes:
    """Read a NIfTI file and encode it, header and extensions in the metadata section.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.nii`` or ``.nii.gz`` file (:func:`read`).
    **encode_kwargs
        Options of :func:`sdwtfast.encode` (``roi``, ``roi_max_error``, ``key``, ...);
        ``samples`` and ``metadata`` are set here.

    Returns
    -------
    bytes
        The container.

    Raises
    ------
    InvalidInputError, UnsupportedFormatError, CorruptStreamError
        As :func:`read` and :func:`sdwtfast.encode`.
    """
    given = sorted(k for k in _ENCODE_SETS if k in encode_kwargs)
    if given:
        raise InvalidInputError(f"encode_nifti sets {', '.join(given)} itself")
    from . import api

    obj = read(path)
    samples = obj.pixels.shape[-1] if obj.pixels.ndim == 4 else 1
    return api.encode(obj.pixels, samples=samples, metadata=metadata_bytes(obj), **encode_kwargs)


def decode_to_nifti(
    blob: bytes | bytearray | memoryview,
    *,
    key: Any = None,
    passphrase: str | bytes | None = None,
) -> Any:
    """Decode a container made by :func:`encode_nifti` into a nibabel image.

    Returns
    -------
    nibabel.Nifti1Image or nibabel.Nifti2Image
        The source's header (every field and extension), affine, shape and data type; the
        data identical for a lossless file.

    Raises
    ------
    UnsupportedFormatError
        The container holds no NIfTI metadata (it was not made from a NIfTI file).
    CorruptStreamError, KeyRequiredError, AuthenticationError
        As :func:`sdwtfast.decode`.
    """
    from . import api, limits

    limit = limits.DEFAULT_MAX_DECODE_PIXELS  # as sdwtfast.decode's default
    opened = api.open_container(blob, key=key, passphrase=passphrase, max_pixels=limit)
    meta = api.metadata(opened)  # read (and decrypted) once for both
    if meta is None:
        raise UnsupportedFormatError("the container holds no metadata (not made from NIfTI)")
    obj = from_metadata(meta)
    return to_image(obj, api.decode(opened, max_pixels=limit))


# ---------------------------------------------------------------------------------------------
# writing


@dataclass(frozen=True)
class _Source:
    raw: bytes
    dataobj: Any
    header: Any
    affine: np.ndarray


_SOURCES: weakref.WeakKeyDictionary[Any, _Source] = weakref.WeakKeyDictionary()
"""The file bytes of each image :func:`to_image` made, for :func:`write`."""


def _exact_bytes(img: Any) -> bytes | None:
    """The bytes ``img`` was built from, while it is unchanged (same voxel proxy, header and
    affine); None otherwise. nibabel's own serialization would re-derive ``scl_slope`` /
    ``scl_inter`` and rescale the voxels, so an unchanged image is written from its bytes."""
    src = _SOURCES.get(img)
    if src is None or img.dataobj is not src.dataobj:
        return None
    if img.header != src.header or not np.array_equal(img.affine, src.affine):
        return None
    return src.raw


def write(path: str | os.PathLike[str], img: Any, *, force: bool = False) -> None:
    """Write a nibabel NIfTI image to ``path`` (``.nii``, or ``.nii.gz`` gzip-compressed).

    An image made by :func:`to_image` / :func:`decode_to_nifti` and left unchanged is written
    from its header bytes and voxels as stored, so a lossless decode reproduces the source
    file (``scl_slope`` / ``scl_inter`` untouched); any other image is serialized by nibabel
    (``to_bytes``), which may re-derive the scaling of in-memory float data.

    Atomic (a temporary file in the same folder, fsynced, then published under the name);
    an existing file is never overwritten unless ``force``. The gzip stream carries no name
    and no time stamp, so equal images give equal files.

    Raises
    ------
    InvalidInputError
        Not a ``.nii`` / ``.nii.gz`` name, not a NIfTI image, the output exists (without
        ``force``), its folder does not exist, or the write failed (nothing is left).
    """
    from .safefile import write_atomic

    p = validate.path(path, "NIfTI path")
    name = os.path.basename(p).lower()
    if not name.endswith(_SUFFIXES):
        raise InvalidInputError(f"{p}: a NIfTI output is named .nii or .nii.gz")
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise InvalidInputError(f"{p}: expected a nibabel NIfTI image, got {type(img).__name__}")
    data = _exact_bytes(img)
    if data is None:
        try:
            data = img.to_bytes()
        except Exception as exc:
            raise InvalidInputError(f"{p}: nibabel cannot serialize the image: {exc}") from exc
    if name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    try:
        write_atomic(p, data, force=force)
    except FileExistsError:
        raise InvalidInputError(f"{p} exists; pass force=True to overwrite it") from None
    except OSError as exc:
        raise InvalidInputError(f"{p}: cannot write: {exc}") from exc
