"""DICOM in and DICOM out: every frame, every sample, every data element.

:func:`read` turns a DICOM file, a multi-frame file or a folder holding one series into a
:class:`DicomObject`: the **stored** pixel values (never rescaled) of every frame and the
datasets without their pixel data. :func:`encode_dataset` codes such an object with
:func:`sdwtfast.encode`, the datasets kept in the container's metadata section (inside the
encrypted body when a key or passphrase is given); :func:`decode_to_dataset` gives back one
:class:`pydicom.dataset.Dataset` per source file, in Explicit VR Little Endian, and
:func:`write` writes them atomically.

A lossless container gives back every data element identical to the source except those a
re-encoding must change (transfer syntax and the rest of the file meta, group lengths, and the
pixel-description elements where the source's colour space was that of its compression:
``YBR_FULL_422`` is written ``YBR_FULL``, ``YBR_ICT`` / ``YBR_RCT`` as ``RGB``, planar
configuration 0). A lossy one is marked as PS3.3 C.7.6.1.1.5 asks: ``LossyImageCompression``
"01", ratio and method ``SDWTFAST`` appended to prior values, new SOP Instance UID (and a new
Series Instance UID for a series), ``ImageType`` value 1 ``DERIVED``, a
``DerivationDescription`` saying what was kept exactly, ``DerivationCodeSequence`` 113040
"Lossy Compression" and a ``SourceImageSequence`` item referencing the source image as its
"Uncompressed predecessor" (121320).

Errors: :class:`~sdwtfast.errors.InvalidInputError` (no pixel data, an inconsistent series,
several series in one folder, an existing output), :class:`~sdwtfast.errors.CorruptStreamError`
(truncated or undecodable pixel data, a container whose metadata does not match its pixels),
:class:`~sdwtfast.errors.UnsupportedFormatError` (float pixel data, 32-bit values beyond 16
bits, a transfer syntax no installed plugin decodes, a container without DICOM metadata).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import validate
from .errors import CorruptStreamError, InvalidInputError, SdwtError, UnsupportedFormatError

try:  # pydicom is a dependency of the package; the import error is made ours all the same.
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.errors import InvalidDicomError
    from pydicom.uid import (
        PYDICOM_IMPLEMENTATION_UID,
        ExplicitVRBigEndian,
        ExplicitVRLittleEndian,
        ImplicitVRLittleEndian,
        generate_uid,
    )
except ImportError as exc:  # pragma: no cover - pydicom is a hard dependency
    raise UnsupportedFormatError("sdwtfast.dicom needs pydicom>=3.0 (pip install pydicom)") from exc

__all__ = [
    "DicomObject",
    "LOSSY_METHOD",
    "read",
    "dataset_pixels",
    "metadata_bytes",
    "datasets_from_metadata",
    "encode_dataset",
    "decode_to_dataset",
    "write",
]

#: The LossyImageCompressionMethod value written for a lossy sdwtfast container.
LOSSY_METHOD = "SDWTFAST"

_META_MAGIC = b"SDWDICM1"
_IMPLEMENTATION_VERSION = "SDWTFAST_0_1"
# Elements that describe encapsulated pixel data only; dropped with it.
_PIXEL_TAGS = (0x7FE00010, 0x7FE00001, 0x7FE00002, 0x7FE00008, 0x7FE00009)
_FLOAT_TAGS = (0x7FE00008, 0x7FE00009)
# The colour spaces a decoder turns into another on decompression.
_DECODED_PHOTOMETRIC = {"YBR_FULL_422": "YBR_FULL", "YBR_ICT": "RGB", "YBR_RCT": "RGB"}
_UNWRITABLE_PHOTOMETRIC = ("YBR_PARTIAL_420", "YBR_PARTIAL_422")
"""Decoded (upsampled) they are partial-range YCbCr at full resolution: nothing to call them."""
_CONSISTENT = ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored")
_CONSISTENT += ("PixelRepresentation", "PhotometricInterpretation")


@dataclass
class DicomObject:
    """A DICOM object (one file, a multi-frame file or a series) as sdwtfast codes it.

    Attributes
    ----------
    pixels : numpy.ndarray
        Stored values of every frame in native byte order, ``(n, h, w)`` or ``(n, h, w, 3)``
        (``n`` the frames of all files together, in series order); never rescaled. Palette
        colour keeps its indices.
    samples : int
        Samples per pixel: 1 or 3.
    datasets : list of pydicom.dataset.Dataset
        One per source file, in series order, without pixel data; the file meta of each is kept
        (its TransferSyntaxUID records the source's).
    paths : list of str
        The source files (empty entries for datasets given in memory).
    """

    pixels: np.ndarray
    samples: int
    datasets: list[Dataset]
    paths: list[str] = field(default_factory=list)

    @property
    def frames(self) -> list[int]:
        """Number of frames of each dataset."""
        return [_frames_of(ds) for ds in self.datasets]


# --------------------------------------------------------------------------------------------
# Reading


def _frames_of(ds: Dataset) -> int:
    try:
        n = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"NumberOfFrames {ds.get('NumberOfFrames')!r} is invalid") from exc
    if n < 1:
        raise InvalidInputError(f"NumberOfFrames {n} is invalid")
    return n


def _transfer_syntax(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    ts = meta.get("TransferSyntaxUID") if meta is not None else None
    if ts:
        return str(ts)
    implicit, little = getattr(ds, "original_encoding", (None, None))
    if implicit is None:
        implicit, little = True, True
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian if little else ExplicitVRBigEndian


def _dcmread(path: str) -> Dataset:
    """Read a file, also one without preamble or file meta when it holds an image."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                ds = pydicom.dcmread(path)
            except InvalidDicomError:
                ds = pydicom.dcmread(path, force=True)
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc}") from exc
    except Exception as exc:  # pydicom raises many kinds on malformed files
        raise CorruptStreamError(f"{path}: not a readable DICOM file: {exc}") from exc
    if any("End of file reached" in str(w.message) for w in caught):
        raise CorruptStreamError(f"{path}: truncated (the file ends inside the pixel data)")
    if "Rows" not in ds or not any(t in ds for t in (0x7FE00010, *_FLOAT_TAGS)):
        raise InvalidInputError(f"{path}: not a DICOM image (no preamble, no pixel data)")
    try:  # convert every raw element now (a body read as implicit VR has no VRs yet)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in ds.iterall():
                pass
    except Exception as exc:
        raise CorruptStreamError(f"{path}: unparsable data element: {exc}") from exc
    if not getattr(ds, "file_meta", None) or "TransferSyntaxUID" not in ds.file_meta:
        meta = ds.file_meta if getattr(ds, "file_meta", None) else FileMetaDataset()
        meta.TransferSyntaxUID = _transfer_syntax(ds)
        ds.file_meta = meta
    return ds


def _fits16(a: np.ndarray) -> bool:
    if a.size == 0:
        return True
    lo, hi = int(a.min()), int(a.max())
    return (0 <= lo and hi <= 0xFFFF) or (-0x8000 <= lo and hi <= 0x7FFF)


def dataset_pixels(ds: Dataset, where: str = "dataset") -> tuple[np.ndarray, int]:
    """Stored pixel values of every frame of ``ds``, exactly, in native byte order.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A dataset with pixel data in any transfer syntax an installed pydicom plugin decodes.
    where : str
        Named in error messages (the file name).

    Returns
    -------
    pixels : numpy.ndarray
        ``(n, h, w)`` or ``(n, h, w, 3)``; planar configuration 1 is converted to interleaved,
        ``YBR_FULL_422`` upsampled to full resolution, no colour conversion, no rescale.
    samples : int
        Samples per pixel.

    Raises
    ------
    InvalidInputError
        No pixel data, or pixel-description elements that are missing or invalid.
    UnsupportedFormatError
        Float pixel data, values beyond 16 bits, or a transfer syntax no plugin decodes.
    CorruptStreamError
        Truncated or undecodable pixel data.
    """
    from pydicom.pixels import get_decoder

    if any(t in ds for t in _FLOAT_TAGS):
        raise UnsupportedFormatError(
            f"{where}: float pixel data cannot be coded exactly (integer samples only)"
        )
    if 0x7FE00010 not in ds:
        raise InvalidInputError(f"{where}: no pixel data (7FE0,0010)")
    pi = str(ds.get("PhotometricInterpretation", ""))
    if pi in _UNWRITABLE_PHOTOMETRIC:
        raise UnsupportedFormatError(
            f"{where}: {pi} pixel data decode to full-resolution partial-range YCbCr, which no "
            "DICOM photometric interpretation describes: it could not be written back as it "
            "was (convert the object to RGB first)"
        )
    from pydicom.uid import UID

    ts = UID(_transfer_syntax(ds))
    try:
        decoder = get_decoder(ts)
    except NotImplementedError as exc:
        raise UnsupportedFormatError(f"{where}: transfer syntax {ts} is not supported") from exc
    if not decoder.is_available:
        raise UnsupportedFormatError(
            f"{where}: no installed plugin decodes transfer syntax {ts} ({ts.name}); "
            "pip install 'sdwtfast[dicom]'"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr, meta = decoder.as_array(ds, as_rgb=False)
    except (ValueError, EOFError) as exc:
        msg = str(exc)
        if "less than expected" in msg or "truncat" in msg.lower() or isinstance(exc, EOFError):
            raise CorruptStreamError(f"{where}: truncated pixel data: {msg}") from exc
        raise InvalidInputError(f"{where}: invalid pixel description: {msg}") from exc
    except (AttributeError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{where}: invalid pixel description: {exc}") from exc
    except RuntimeError as exc:
        raise UnsupportedFormatError(
            f"{where}: the installed plugins cannot decode the {ts.name} pixel data: "
            + str(exc).replace("\n", " ")
        ) from exc
    except Exception as exc:
        raise CorruptStreamError(f"{where}: undecodable pixel data: {exc}") from exc
    samples = int(meta.get("samples_per_pixel", ds.get("SamplesPerPixel", 1)))
    frames = int(meta.get("number_of_frames", 1))
    if arr.dtype.kind not in "iub":
        raise UnsupportedFormatError(f"{where}: {arr.dtype} pixel data cannot be coded exactly")
    arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("="), copy=False))
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    if samples not in (1, 3):
        raise UnsupportedFormatError(f"{where}: {samples} samples per pixel (1 or 3 supported)")
    want = 3 if samples == 1 else 4
    if arr.ndim == want - 1:
        arr = arr[np.newaxis]
    if arr.ndim != want or arr.shape[0] != frames:
        raise CorruptStreamError(f"{where}: decoded pixel data has shape {arr.shape}")
    if arr.dtype.itemsize > 2 and not _fits16(arr):
        raise UnsupportedFormatError(
            f"{where}: {int(ds.get('BitsStored', 32))}-bit values from {int(arr.min())} to "
            f"{int(arr.max())} do not fit 16 bits; they cannot be coded exactly"
        )
    return arr, samples


def _strip_pixels(ds: Dataset) -> Dataset:
    for tag in _PIXEL_TAGS:
        if tag in ds:
            del ds[tag]
    return ds


def _read_file(path: str) -> tuple[Dataset, np.ndarray, int]:
    ds = _dcmread(path)
    arr, samples = dataset_pixels(ds, path)
    return _strip_pixels(ds), arr, samples


def _slice_key(ds: Dataset) -> float | None:
    try:
        ipp = np.asarray([float(v) for v in ds.ImagePositionPatient])
        iop = np.asarray([float(v) for v in ds.ImageOrientationPatient])
    except (AttributeError, TypeError, ValueError):
        return None
    if ipp.shape != (3,) or iop.shape != (6,):
        return None
    return float(np.dot(ipp, np.cross(iop[:3], iop[3:])))


def _instance_number(ds: Dataset) -> int | None:
    try:
        return int(ds.InstanceNumber)
    except (AttributeError, TypeError, ValueError):
        return None


def _series_files(folder: str) -> list[str]:
    files = []
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        if name.startswith(".") or name.upper() == "DICOMDIR" or not os.path.isfile(p):
            continue
        files.append(p)
    return files


def _read_folder(folder: str) -> DicomObject:
    items = []
    for p in _series_files(folder):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pydicom.dcmread(p, stop_before_pixels=True, specific_tags=["SOPClassUID"])
        except (InvalidDicomError, OSError, Exception):  # not DICOM: not part of the series
            continue
        ds, arr, samples = _read_file(p)
        items.append((p, ds, arr, samples))
    if not items:
        raise InvalidInputError(f"{folder}: no DICOM image files")
    series = sorted({str(ds.get("SeriesInstanceUID", "")) for _, ds, _, _ in items})
    if len(series) > 1:
        raise InvalidInputError(
            f"{folder}: holds {len(series)} series, one is expected: "
            + ", ".join(s or "(no SeriesInstanceUID)" for s in series)
        )
    first_p, first = items[0][0], items[0][1]
    for p, ds, arr, _ in items[1:]:
        for kw in _CONSISTENT:
            if ds.get(kw) != first.get(kw):
                raise InvalidInputError(
                    f"{folder}: inconsistent series: {os.path.basename(p)} has {kw} "
                    f"{ds.get(kw)!r}, {os.path.basename(first_p)} {first.get(kw)!r}"
                )
        if arr.dtype != items[0][2].dtype or arr.shape[1:] != items[0][2].shape[1:]:
            raise InvalidInputError(
                f"{folder}: inconsistent series: {os.path.basename(p)} pixels "
                f"{arr.dtype}{arr.shape[1:]}, {os.path.basename(first_p)} "
                f"{items[0][2].dtype}{items[0][2].shape[1:]}"
            )
    keys = [_slice_key(ds) for _, ds, _, _ in items]
    nums = [_instance_number(ds) for _, ds, _, _ in items]
    if all(k is not None for k in keys) and len(set(keys)) == len(keys):
        order = sorted(range(len(items)), key=lambda i: keys[i])
    elif all(n is not None for n in nums):
        order = sorted(range(len(items)), key=lambda i: (nums[i], items[i][0]))
    else:
        order = list(range(len(items)))
    items = [items[i] for i in order]
    pixels = np.concatenate([it[2] for it in items], axis=0)
    return DicomObject(pixels, items[0][3], [it[1] for it in items], [it[0] for it in items])


def read(path: str | os.PathLike[str]) -> DicomObject:
    """Read a DICOM file, a multi-frame file or a folder holding one series.

    Parameters
    ----------
    path : str or os.PathLike
        A file (any transfer syntax an installed pydicom plugin decodes, big endian included;
        also a file without preamble or file meta) or a folder. In a folder, files that are not
        DICOM and DICOMDIR are ignored; slices are ordered by ImagePositionPatient projected on
        the slice normal (from ImageOrientationPatient), InstanceNumber as fallback.

    Returns
    -------
    DicomObject

    Raises
    ------
    InvalidInputError
        No such file, no pixel data, several series in the folder (named), or slices whose
        rows, columns, bits or photometric interpretation differ.
    UnsupportedFormatError
        Float pixel data, values beyond 16 bits, an undecodable transfer syntax.
    CorruptStreamError
        Truncated or undecodable pixel data, an unreadable file.
    """
    p = validate.path(path, "DICOM path")
    if os.path.isdir(p):
        return _read_folder(p)
    if not os.path.exists(p):
        raise InvalidInputError(f"{p}: no such file or folder")
    ds, arr, samples = _read_file(p)
    return DicomObject(arr, samples, [ds], [p])


def _as_object(src: DicomObject | Dataset | str | os.PathLike[str]) -> DicomObject:
    if isinstance(src, DicomObject):
        return src
    if isinstance(src, Dataset):
        ds = src.copy()
        if not getattr(ds, "file_meta", None) or "TransferSyntaxUID" not in ds.file_meta:
            meta = FileMetaDataset(ds.file_meta) if getattr(ds, "file_meta", None) else None
            ds.file_meta = meta or FileMetaDataset()
            ds.file_meta.TransferSyntaxUID = _transfer_syntax(ds)
        arr, samples = dataset_pixels(ds)
        return DicomObject(arr, samples, [_strip_pixels(ds)], [""])
    if isinstance(src, (str, os.PathLike)):
        return read(src)
    raise InvalidInputError(f"expected a Dataset, a path or a DicomObject, not {type(src)}")


# --------------------------------------------------------------------------------------------
# Metadata section


def _part10(ds: Dataset) -> bytes:
    """``ds`` (no pixel data) as a Part 10 file in its own encoding."""
    buf = io.BytesIO()
    ds = _strip_pixels(ds.copy())
    ds.preamble = b"\0" * 128  # the file meta is written as it is (enforce_file_format would
    try:  # replace its media storage UIDs with the dataset's)
        pydicom.dcmwrite(buf, ds)
    except Exception:
        # A body whose encoding contradicts its transfer syntax (e.g. implicit VR under a JPEG
        # syntax): write it as it was read.
        implicit, little = getattr(ds, "original_encoding", (True, True))
        buf = io.BytesIO()
        try:
            pydicom.dcmwrite(
                buf,
                ds,
                implicit_vr=bool(implicit),
                little_endian=bool(little) if little is not None else True,
                force_encoding=True,
            )
        except Exception as exc:
            raise InvalidInputError(f"dataset cannot be serialized: {exc}") from exc
    return buf.getvalue()


def metadata_bytes(datasets: Sequence[Dataset]) -> bytes:
    """Serialize datasets (without pixel data) for the container's metadata section.

    Each dataset is written as a DICOM Part 10 file in memory in its own encoding, its file
    meta kept (the TransferSyntaxUID of the source), length-prefixed::

        b"SDWDICM1" | u32 count | (u64 length | Part 10 bytes) * count     (little endian)

    Parameters
    ----------
    datasets : sequence of pydicom.dataset.Dataset

    Returns
    -------
    bytes

    Raises
    ------
    InvalidInputError
        An empty sequence or a dataset pydicom cannot write.
    """
    if not datasets:
        raise InvalidInputError("no datasets to serialize")
    parts = [_part10(ds) for ds in datasets]
    out = [_META_MAGIC, struct.pack("<I", len(parts))]
    for p in parts:
        out += [struct.pack("<Q", len(p)), p]
    return b"".join(out)


def datasets_from_metadata(data: bytes | bytearray | memoryview) -> list[Dataset]:
    """Inverse of :func:`metadata_bytes`.

    Raises
    ------
    UnsupportedFormatError
        Not a metadata section written by :func:`metadata_bytes`.
    CorruptStreamError
        Truncated or unparsable records.
    """
    data = bytes(data)
    if data[:8] != _META_MAGIC:
        raise UnsupportedFormatError("the metadata section holds no DICOM datasets")
    if len(data) < 12:
        raise CorruptStreamError("DICOM metadata truncated in its header")
    (count,) = struct.unpack_from("<I", data, 8)
    pos, out = 12, []
    for i in range(count):
        if pos + 8 > len(data):
            raise CorruptStreamError(f"DICOM metadata truncated before dataset {i}")
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        if pos + n > len(data):
            raise CorruptStreamError(f"DICOM metadata truncated in dataset {i}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(io.BytesIO(data[pos : pos + n]))
        except Exception as exc:
            raise CorruptStreamError(f"DICOM metadata: dataset {i} unparsable: {exc}") from exc
        out.append(ds)
        pos += n
    if pos != len(data):
        raise CorruptStreamError(f"DICOM metadata: {len(data) - pos} bytes after the datasets")
    return out


# --------------------------------------------------------------------------------------------
# Encoding and decoding


def encode_dataset(
    src: DicomObject | Dataset | str | os.PathLike[str], **encode_kwargs: Any
) -> bytes:
    """Code a DICOM object, its datasets kept in the container's metadata section.

    Parameters
    ----------
    src : DicomObject, pydicom.dataset.Dataset, str or os.PathLike
        A dataset with pixel data, a file, a multi-frame file, a series folder, or the result
        of :func:`read`.
    **encode_kwargs
        Passed to :func:`sdwtfast.encode` (``roi``, ``key``, ``passphrase``, ...). ``samples``
        and ``metadata`` are set here; ``colour_transform`` defaults to False for YBR data
        (the planes coded as they are) and to the reversible transform for RGB.

    Returns
    -------
    bytes
        The container.

    Raises
    ------
    InvalidInputError, UnsupportedFormatError, CorruptStreamError
        As :func:`read` and :func:`sdwtfast.encode`.
    """
    from . import api

    for k in ("samples", "metadata"):
        if k in encode_kwargs:
            raise InvalidInputError(f"encode_dataset sets {k!r} itself")
    obj = _as_object(src)
    pi = str(obj.datasets[0].get("PhotometricInterpretation", ""))
    if obj.samples == 3 and "colour_transform" not in encode_kwargs:
        encode_kwargs["colour_transform"] = False if pi.startswith("YBR") else None
    pixels = obj.pixels
    if pixels.dtype.itemsize > 2:  # 32-bit storage whose values fit 16 bits (checked on read)
        pixels = pixels.astype(np.int16 if pixels.min() < 0 else np.uint16)
    return api.encode(
        pixels, samples=obj.samples, metadata=metadata_bytes(obj.datasets), **encode_kwargs
    )


def _derivation(info: dict[str, Any]) -> str:
    """What a lossy container kept exactly, in words (for DerivationDescription)."""
    mode = str(info.get("mode", ""))
    p = info.get("params", {}) or {}
    parts = []
    if mode.startswith("hybrid-"):
        roi = mode[len("hybrid-") :]
        if "roi.max_error" in p:
            parts.append(f"ROI {roi} (max error {p['roi.max_error']})")
        else:
            parts.append(f"ROI {roi}")
        bg = p.get("bg")
        if bg == "wavelet":
            parts.append(f"background 9/7 EZW at {p.get('bg.bpp', '?')} bpp")
        elif bg == "learned":
            parts.append(f"background learned codec (quality {p.get('bg.quality', '?')})")
        elif bg:
            parts.append(f"background {bg}")
        else:  # the frame parameters are not in the header: say what is known
            parts.append("background lossy")
        text = "sdwtfast hybrid: " + ", ".join(parts)
    elif mode == "near-lossless" or "max_error" in p:
        text = f"sdwtfast near-lossless: max error {p.get('max_error', p.get('roi.max_error'))}"
    elif mode:
        text = f"sdwtfast {mode}, {info.get('wavelet', '')} wavelet".rstrip(", ")
    else:
        text = "sdwtfast lossy"
    return text[:1024]


def _stored_bytes(datasets: Sequence[Dataset], pixels: np.ndarray) -> int:
    n = 0
    for ds in datasets:
        bits = int(ds.get("BitsAllocated", pixels.dtype.itemsize * 8))
        frame = int(ds.get("Rows", 0)) * int(ds.get("Columns", 0))
        n += _frames_of(ds) * frame * int(ds.get("SamplesPerPixel", 1)) * bits // 8
    return n or pixels.nbytes


def _set_pixels(ds: Dataset, arr: np.ndarray, samples: int) -> None:
    """Put ``arr`` ((n, h, w[, s]) stored values) into ``ds`` as native pixel data."""
    from pydicom.pixels import pack_bits

    n, h, w = arr.shape[:3]
    signed = bool(arr.dtype.kind == "i" and arr.min() < 0) or int(ds.get("PixelRepresentation", 0))
    bits = int(ds.get("BitsAllocated", 0) or 0)
    need = 16 if arr.size and (arr.max() > 0xFF or arr.min() < -0x80) else 8
    if bits not in (1, 8, 16, 32) or (bits != 1 and bits < need):
        bits = max(need, 8)
    if bits == 1 and arr.size and (arr.min() < 0 or arr.max() > 1):
        bits = need
    stored = int(ds.get("BitsStored", 0) or 0)
    if not 1 <= stored <= bits:
        stored = bits
    ds.Rows, ds.Columns, ds.SamplesPerPixel = h, w, samples
    ds.BitsAllocated, ds.BitsStored = bits, stored
    ds.HighBit = stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    pi = str(ds.get("PhotometricInterpretation", "MONOCHROME2" if samples == 1 else "RGB"))
    ds.PhotometricInterpretation = _DECODED_PHOTOMETRIC.get(pi, pi)
    if samples > 1:
        ds.PlanarConfiguration = 0
    if n > 1 or "NumberOfFrames" in ds:
        ds.NumberOfFrames = n
    if bits == 1:
        data = pack_bits(arr.astype(np.uint8).ravel(), pad=False)
    else:
        dt = np.dtype(("<i" if signed else "<u") + str(bits // 8))
        data = arr.astype(dt).tobytes()
    if len(data) % 2:
        data += b"\0"
    ds.PixelData = data
    ds["PixelData"].VR = "OW" if bits > 8 else "OB"


def _new_file_meta(ds: Dataset, source: Dataset | None = None) -> FileMetaDataset:
    """Explicit VR Little Endian file meta; the media storage UIDs of ``source`` (the source's
    file meta, for a lossless object) where it has them, else those of the dataset."""
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    src = source if source is not None else Dataset()
    for kw, own in (("MediaStorageSOPClassUID", "SOPClassUID"),) + (
        ("MediaStorageSOPInstanceUID", "SOPInstanceUID"),
    ):
        if src.get(kw):
            setattr(meta, kw, src.get(kw))
        elif own in ds:
            setattr(meta, kw, ds.get(own))
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = _IMPLEMENTATION_VERSION
    return meta


_SWAP = {"OW": 2, "OL": 4, "OF": 4, "OD": 8, "OV": 8}


def _swap_to_little(ds: Dataset) -> None:
    """Byte-swap the words of OW / OL / OF / OD / OV values read from a big-endian file.

    pydicom keeps those values as the bytes of the file; written as little endian they must
    be swapped to keep their values (palette LUT data, overlays, ...).
    """
    for el in ds.iterall():
        size = _SWAP.get(el.VR)
        if size and isinstance(el.value, bytes) and el.tag != 0x7FE00010:
            n = len(el.value) // size * size
            words = np.frombuffer(el.value[:n], dtype=f">u{size}")
            el.value = words.astype(f"<u{size}").tobytes() + el.value[n:]


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
    return item


def _reference_source(ds: Dataset) -> None:
    """PS3.3 C.7.6.1: a lossy derivative says how it was derived (Derivation Code Sequence,
    CID 7203 "Lossy Compression") and which image it came from (Source Image Sequence, the
    uncompressed predecessor, CID 7202), appended to what the source already had."""
    from pydicom.sequence import Sequence

    derivation = list(ds.get("DerivationCodeSequence") or [])
    ds.DerivationCodeSequence = Sequence([*derivation, _code("113040", "Lossy Compression")])
    if "SOPClassUID" in ds and "SOPInstanceUID" in ds:
        ref = Dataset()
        ref.ReferencedSOPClassUID = ds.SOPClassUID
        ref.ReferencedSOPInstanceUID = ds.SOPInstanceUID
        ref.PurposeOfReferenceCodeSequence = Sequence([_code("121320", "Uncompressed predecessor")])
        sources = list(ds.get("SourceImageSequence") or [])
        ds.SourceImageSequence = Sequence([*sources, ref])


def _mark_lossy(datasets: list[Dataset], ratio: float, text: str) -> None:
    from pydicom.valuerep import DS

    series = generate_uid() if len(datasets) > 1 else None

    def values(kw: str) -> list[Any]:
        el = ds.get(kw)
        if el is None or el == "":
            return []
        if isinstance(el, (str, bytes)) or not hasattr(el, "__iter__"):
            return [el]
        return list(el)

    for ds in datasets:
        prior = str(ds.get("LossyImageCompression", "")) == "01"
        ratios = values("LossyImageCompressionRatio") if prior else []
        methods = values("LossyImageCompressionMethod") if prior else []
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionRatio = [*ratios, DS(ratio, auto_format=True)]
        ds.LossyImageCompressionMethod = [*methods, LOSSY_METHOD]
        _reference_source(ds)
        ds.SOPInstanceUID = generate_uid()
        if series is not None:
            ds.SeriesInstanceUID = series
        image_type = ds.get("ImageType")
        if image_type is None:
            ds.ImageType = ["DERIVED", "SECONDARY"]
        else:
            vals = [image_type] if isinstance(image_type, str) else list(image_type)
            ds.ImageType = ["DERIVED", *vals[1:]] if vals else ["DERIVED", "SECONDARY"]
        old = str(ds.get("DerivationDescription", "") or "")
        ds.DerivationDescription = (f"{old}; {text}" if old else text)[:1024]


def decode_to_dataset(
    blob: bytes | bytearray | memoryview,
    *,
    key: Any = None,
    passphrase: str | bytes | None = None,
    max_pixels: int | None = None,
) -> list[Dataset]:
    """Decode a container written by :func:`encode_dataset` to DICOM datasets.

    Parameters
    ----------
    blob : bytes-like
        The container.
    key, passphrase
        As :func:`sdwtfast.decode`, for an encrypted container.
    max_pixels : int, optional
        As :func:`sdwtfast.decode` (its default where None): the most samples decoded.

    Returns
    -------
    list of pydicom.dataset.Dataset
        One per source file, Explicit VR Little Endian, a new file meta, native pixel data
        consistent with the decoded stored values; every other element as in the source for a
        lossless container, the lossy marks (see the module) otherwise.

    Raises
    ------
    UnsupportedFormatError
        The container holds no DICOM metadata.
    CorruptStreamError
        The frames do not match the datasets' NumberOfFrames.
    KeyRequiredError, AuthenticationError
        As :func:`sdwtfast.decode`.
    """
    from . import api, limits

    limit = limits.DEFAULT_MAX_DECODE_PIXELS if max_pixels is None else max_pixels
    opened = api.open_container(blob, key=key, passphrase=passphrase, max_pixels=limit)
    meta = api.metadata(opened)  # the container is read (and decrypted) once for all three
    if meta is None:
        raise UnsupportedFormatError("the container holds no DICOM metadata (not from DICOM)")
    datasets = datasets_from_metadata(meta)
    info = api.info(opened)
    pixels = api.decode(opened, max_pixels=limit)
    samples = int(info.get("samples", 1))
    if pixels.ndim == (2 if samples == 1 else 3):
        pixels = pixels[np.newaxis]
    frames = [_frames_of(ds) for ds in datasets]
    if pixels.ndim != (3 if samples == 1 else 4) or pixels.shape[0] != sum(frames):
        raise CorruptStreamError(
            f"container pixels {pixels.shape} do not match the datasets' {sum(frames)} frames"
        )
    source_bytes = _stored_bytes(datasets, pixels)
    source_meta = [FileMetaDataset(getattr(ds, "file_meta", None) or {}) for ds in datasets]
    for ds in datasets:
        if _transfer_syntax(ds) == ExplicitVRBigEndian:
            _swap_to_little(ds)
    pos = 0
    for ds, n in zip(datasets, frames, strict=True):
        _set_pixels(ds, pixels[pos : pos + n], samples)
        pos += n
    lossless = bool(info.get("lossless", False))
    if not lossless:
        _mark_lossy(datasets, source_bytes / max(1, info["size"]), _derivation(info))
    for ds, sm in zip(datasets, source_meta, strict=True):
        ds.file_meta = _new_file_meta(ds, sm if lossless else None)
        ds.preamble = b"\0" * 128
        for tag in [t for t in ds.keys() if t.element == 0]:  # group lengths: recomputed
            del ds[tag]
    return datasets


# --------------------------------------------------------------------------------------------
# Writing


def _targets(path: str, n: int) -> list[str]:
    if n == 1 and not os.path.isdir(path):
        return [path]
    return [os.path.join(path, f"IM{i + 1:05d}.dcm") for i in range(n)]


def _write_one(target: str, ds: Dataset, force: bool) -> None:
    """Write one dataset through :func:`sdwtfast.safefile.write_atomic` (atomic; an existing
    file, even one that appears meanwhile, is kept unless ``force``)."""
    from .safefile import write_atomic

    def writer(fh: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Not enforce_file_format: it would replace the media storage UIDs of the
            # file meta with the dataset's; the group length is recomputed all the same.
            ds.file_meta.FileMetaInformationGroupLength = 0
            ds.file_meta.FileMetaInformationVersion = b"\x00\x01"
            if getattr(ds, "preamble", None) is None:
                ds.preamble = b"\0" * 128
            pydicom.dcmwrite(fh, ds, implicit_vr=False, little_endian=True)

    try:
        write_atomic(target, writer=writer, force=force)
    except FileExistsError:
        raise InvalidInputError(f"{target} exists; pass force=True to overwrite it") from None
    except SdwtError:
        raise
    except OSError as exc:
        raise InvalidInputError(f"{target}: cannot write: {exc}") from exc
    except Exception as exc:  # pydicom raises many types for unwritable datasets
        raise InvalidInputError(f"{target}: pydicom cannot write the dataset: {exc}") from exc


def write(
    path: str | os.PathLike[str], datasets: Sequence[Dataset] | Dataset, *, force: bool = False
) -> list[str]:
    """Write datasets atomically, in Explicit VR Little Endian.

    Parameters
    ----------
    path : str or os.PathLike
        One dataset: a file (or an existing folder to write ``IM00001.dcm`` into). Several: a
        folder (created if missing), files ``IM00001.dcm``, ``IM00002.dcm``, ... in order.
    datasets : pydicom.dataset.Dataset or sequence of them
        Typically from :func:`decode_to_dataset`.
    force : bool
        Overwrite existing files. Without it nothing is written when any target exists.

    Returns
    -------
    list of str
        The files written.

    Raises
    ------
    InvalidInputError
        A target exists (without ``force``), a folder cannot be created, or a dataset cannot be
        written.

    Notes
    -----
    Each file is written to a temporary file in the same folder, flushed to disk and renamed
    over the target, so a reader never sees a partial file.
    """
    if isinstance(datasets, Dataset):
        datasets = [datasets]
    if not datasets:
        raise InvalidInputError("no datasets to write")
    p = validate.path(path, "DICOM path")
    targets = _targets(p, len(datasets))
    if len(targets) > 1 or targets[0] != p:
        try:
            os.makedirs(p, exist_ok=True)
        except OSError as exc:
            raise InvalidInputError(f"{p}: cannot create the folder: {exc}") from exc
    elif not os.path.isdir(os.path.dirname(os.path.abspath(p))):
        raise InvalidInputError(f"{p}: the folder does not exist")
    if not force:
        existing = [t for t in targets if os.path.exists(t)]
        if existing:
            raise InvalidInputError(
                f"{existing[0]} exists ({len(existing)} of {len(targets)} targets); "
                "pass force=True to overwrite"
            )
    for t, ds in zip(targets, datasets, strict=True):
        if not getattr(ds, "file_meta", None):
            ds.file_meta = _new_file_meta(ds)
        _write_one(t, ds, force)
    try:
        dfd = os.open(os.path.dirname(os.path.abspath(targets[0])), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return targets
