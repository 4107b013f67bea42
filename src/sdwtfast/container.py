"""The sdwtfast container: a versioned plain header and typed, checksummed sections.

A container is ``header || body``. The **header** describes the image (geometry, dtype, bit
depth, signedness), the codec settings (mode, wavelet, levels, model id and weights hash,
preprocessing, and an extensible map of typed parameters) and, when encrypted, how the key is
obtained. It never holds patient data, and it stays readable without a key
(:func:`read_header`). The **body** is a list of typed sections (mask, ROI stream, background
stream, metadata, ...) each with its length and a CRC32C, closed by an END record.

When encrypted, the body is sealed with Cobblestone-256 (see :mod:`sdwtfast.crypto`) whose
key derivation binds the exact header bytes, so editing the header, the body, truncating,
reordering or extending the file are all detected, and a wrong key is reported as such
before any chunk is opened. The byte layout is specified in ``docs/format.md``.

Examples
--------
>>> from sdwtfast import container as C
>>> hdr = C.Header(width=4, height=2, dtype="uint16", bit_depth=12, signed=False)
>>> blob = C.pack(hdr, [C.Section(C.SectionType.ROI, b"\\x01\\x02")])
>>> C.read_header(blob).encrypted
False
>>> header, sections = C.unpack(blob)
>>> bytes(sections[0].data)
b'\\x01\\x02'
"""

from __future__ import annotations

import enum
import hmac
import io
import math
import os
import re
import secrets
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from . import _native, crypto
from .errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
    LimitExceededError,
    UnsupportedFormatError,
)

__all__ = [
    "MAGIC",
    "FORMAT_VERSION",
    "SectionType",
    "Section",
    "Header",
    "ContainerInfo",
    "ParamValue",
    "pack",
    "unpack",
    "write",
    "read",
    "read_header",
    "save",
    "load",
]

MAGIC = b"\x89SDW\r\n\x1a\n"
"""Eight bytes every container starts with (PNG-style: catches text-mode transfers)."""
FORMAT_VERSION = (1, 0)
"""(major, minor) written by this build. Readers refuse another major version."""

FLAG_ENCRYPTED = 0x0001
_KNOWN_FLAGS = FLAG_ENCRYPTED
SECTION_FLAG_OPTIONAL = 0x0001
_KNOWN_SECTION_FLAGS = SECTION_FLAG_OPTIONAL

SUITE_COBBLESTONE256 = 1
KEY_SOURCE_KEY = 1
KEY_SOURCE_PASSPHRASE = 2

# Limits, all checked while parsing before anything is allocated from a field's value.
MAX_HEADER_SIZE = 65536
MAX_DIMENSION = 65535
MAX_PIXELS = 1 << 28
MAX_LEVELS = 32
MAX_SECTIONS = 64
MAX_SECTION_SIZE = 0xFFFFFFFF
MAX_PARAMS = 64
MAX_PREPROCESSING = 16
MAX_TOKEN = 32
MAX_MODEL_ID = 64
MAX_PARAM_VALUE = 255

_FIXED = struct.Struct("<8sBBHIIIBBBB")  # magic .. levels: 28 bytes
_PREFIX = struct.Struct("<8sBBHI")  # magic, major, minor, flags, header_size: 16 bytes
_RECORD = struct.Struct("<HHI")  # section type, flags, length
_CRC = struct.Struct("<I")
_ARGON = struct.Struct("<III")
_MIN_HEADER_SIZE = _FIXED.size + 6 + _CRC.size

_TOKEN_RE = re.compile(rb"[A-Za-z0-9._/+\-]{1,%d}\Z" % MAX_TOKEN)
_MODEL_ID_RE = re.compile(rb"[\x21-\x7e]{0,%d}\Z" % MAX_MODEL_ID)

_DTYPES = {"uint8": (1, 8, False), "uint16": (2, 16, False), "int16": (3, 16, True),
           "int32": (4, 16, True)}  # name: (code, max bit depth, signed dtype)
_DTYPE_BY_CODE = {code: name for name, (code, _, _) in _DTYPES.items()}

ParamValue = bool | int | float | str | bytes
"""Types a header parameter may hold (encoded with a type tag)."""
_P_BOOL, _P_INT, _P_FLOAT, _P_STR, _P_BYTES = 1, 2, 3, 4, 5

_READ_SIZE = crypto.SEALED_CHUNK_SIZE


def _crc32c(data, crc: int = 0) -> int:
    return _native.crc32c(data, crc)


class SectionType(enum.IntEnum):
    """Registered section types. Other values in 1..0xFFFE are reserved for future versions.

    A reader refuses an unknown type unless the section is flagged optional.
    """

    MASK = 0x0001
    """ROI mask, coded losslessly."""
    ROI = 0x0002
    """ROI branch: wavelet + EZW stream."""
    BACKGROUND = 0x0003
    """Background branch: entropy-coded autoencoder latents."""
    META = 0x0004
    """Metadata (may hold patient data: it is encrypted whenever the container is)."""
    PRED = 0x0005
    """Whole image, predictive lossless coder (``csrc/pred.h``), in place of ROI. Readers
    older than this type refuse such files (an unknown required section)."""
    END = 0xFFFF
    """End marker (written by :func:`pack`; never passed in)."""


_KNOWN_TYPES = frozenset(int(t) for t in SectionType if t != SectionType.END)


@dataclass(frozen=True)
class Section:
    """One typed section of the body.

    Parameters
    ----------
    type : SectionType or int
        Section type, 1..0xFFFE; at most one section of each type per container.
    data : bytes-like
        Contents; up to 4 GiB - 1 bytes. :func:`unpack` returns a ``bytearray`` that belongs
        to the caller.
    optional : bool
        Readers that do not know ``type`` may skip the section instead of refusing the file.
    """

    type: int
    data: bytes | bytearray | memoryview = field(repr=False, hash=False)
    optional: bool = False

    def __post_init__(self) -> None:
        t = self.type
        if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t < SectionType.END:
            raise InvalidInputError(f"section type must be an int in 1..0xFFFE, got {t!r}")
        if t in _KNOWN_TYPES:
            object.__setattr__(self, "type", SectionType(t))
        try:
            n = memoryview(self.data).nbytes
        except TypeError:
            raise InvalidInputError("section data must be bytes-like") from None
        if n > MAX_SECTION_SIZE:
            raise LimitExceededError(f"section of {n} bytes exceeds {MAX_SECTION_SIZE}")

    def __repr__(self) -> str:
        name = self.type.name if isinstance(self.type, SectionType) else f"0x{self.type:04X}"
        opt = ", optional" if self.optional else ""
        return f"Section({name}, {memoryview(self.data).nbytes} bytes{opt})"


def _check_token(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a str")
    raw = value.encode("ascii", "replace")
    if not _TOKEN_RE.match(raw):
        raise InvalidInputError(
            f"{what} must be 1..{MAX_TOKEN} characters of [A-Za-z0-9._/+-], got {value!r}"
        )
    return raw


def _check_param(name: str, value: object) -> None:
    _check_token(name, "parameter name")
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -(1 << 63) <= value < (1 << 63):
            raise InvalidInputError(f"parameter {name!r} does not fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputError(f"parameter {name!r} must be finite")
    elif isinstance(value, str):
        if len(value.encode("utf-8")) > MAX_PARAM_VALUE:
            raise InvalidInputError(f"parameter {name!r} is longer than {MAX_PARAM_VALUE} bytes")
    elif isinstance(value, bytes):
        if len(value) > MAX_PARAM_VALUE:
            raise InvalidInputError(f"parameter {name!r} is longer than {MAX_PARAM_VALUE} bytes")
    else:
        raise InvalidInputError(
            f"parameter {name!r} has unsupported type {type(value).__name__}"
        )


@dataclass(frozen=True)
class Header:
    """The plain header: what a decoder needs before reading the sections.

    It is stored unencrypted (and authenticated when the container is encrypted), so it must
    not carry patient data: put that in a :attr:`SectionType.META` section.

    Parameters
    ----------
    width, height : int
        Image geometry, 1..65535 each and at most 2**28 pixels.
    dtype : {"uint8", "uint16", "int16", "int32"}
        Pixel dtype of the decoded image.
    bit_depth : int
        Significant bits, 1..8 for uint8, 1..16 otherwise.
    signed : bool
        Whether samples are signed; must be False for unsigned dtypes.
    mode : str
        Codec mode token (e.g. ``"lossless"``, ``"near-lossless"``, ``"rate"``).
    wavelet : str
        Wavelet token (e.g. ``"5/3"``, ``"9/7"``, ``"haar"``, ``"none"``).
    levels : int
        Decomposition levels, 0..32.
    model_id : str
        Background model identifier (printable ASCII, up to 64), or empty.
    model_sha256 : bytes
        SHA-256 of the model weights (32 bytes), or empty.
    preprocessing : tuple of str
        Preprocessing steps applied, in order (tokens; up to 16).
    params : Mapping[str, ParamValue]
        Extensible codec parameters: token names, values bool, int (64-bit), finite float,
        str or bytes (up to 255 bytes). Stored sorted by name; new ones need no format change.

    Notes
    -----
    Tokens are 1..32 characters of ``[A-Za-z0-9._/+-]``.
    """

    width: int
    height: int
    dtype: str
    bit_depth: int
    signed: bool = False
    mode: str = "lossless"
    wavelet: str = "5/3"
    levels: int = 0
    model_id: str = ""
    model_sha256: bytes = b""
    preprocessing: tuple[str, ...] = ()
    params: Mapping[str, ParamValue] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name in ("width", "height", "bit_depth", "levels"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise InvalidInputError(f"{name} must be an int")
        if not (1 <= self.width <= MAX_DIMENSION and 1 <= self.height <= MAX_DIMENSION):
            raise LimitExceededError(
                f"geometry {self.width}x{self.height} outside 1..{MAX_DIMENSION} per side"
            )
        if self.width * self.height > MAX_PIXELS:
            raise LimitExceededError(f"{self.width}x{self.height} exceeds {MAX_PIXELS} pixels")
        if self.dtype not in _DTYPES:
            raise InvalidInputError(f"dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}")
        _, max_bits, signed_dtype = _DTYPES[self.dtype]
        if not 1 <= self.bit_depth <= max_bits:
            raise InvalidInputError(f"bit_depth {self.bit_depth} outside 1..{max_bits}")
        if not isinstance(self.signed, bool):
            raise InvalidInputError("signed must be a bool")
        if self.signed and not signed_dtype:
            raise InvalidInputError(f"signed samples cannot be stored as {self.dtype}")
        if not 0 <= self.levels <= MAX_LEVELS:
            raise InvalidInputError(f"levels {self.levels} outside 0..{MAX_LEVELS}")
        _check_token(self.mode, "mode")
        _check_token(self.wavelet, "wavelet")
        if not isinstance(self.model_id, str) or not _MODEL_ID_RE.match(
            self.model_id.encode("ascii", "replace")
        ):
            raise InvalidInputError(f"model_id must be up to {MAX_MODEL_ID} printable ASCII")
        if not isinstance(self.model_sha256, bytes) or len(self.model_sha256) not in (0, 32):
            raise InvalidInputError("model_sha256 must be 32 bytes or empty")
        steps = tuple(self.preprocessing)
        if len(steps) > MAX_PREPROCESSING:
            raise InvalidInputError(f"more than {MAX_PREPROCESSING} preprocessing steps")
        for s in steps:
            _check_token(s, "preprocessing step")
        object.__setattr__(self, "preprocessing", steps)
        if not isinstance(self.params, Mapping):
            raise InvalidInputError("params must be a mapping")
        if len(self.params) > MAX_PARAMS:
            raise InvalidInputError(f"more than {MAX_PARAMS} parameters")
        for k, v in self.params.items():
            _check_param(k, v)
        object.__setattr__(self, "params", dict(sorted(self.params.items())))


@dataclass(frozen=True)
class ContainerInfo:
    """What :func:`read_header` reports without a key.

    Attributes
    ----------
    header : Header
    version : tuple of int
        (major, minor) format version of the file.
    encrypted : bool
    key_source : {"key", "passphrase"} or None
        How the encryption key is obtained (None when not encrypted).
    kdf_params : crypto.Argon2Params or None
        Argon2id parameters for a passphrase (already checked against the bounds).
    header_size : int
        Bytes of the plain header, CRC included.
    """

    header: Header
    version: tuple[int, int]
    encrypted: bool
    key_source: str | None
    kdf_params: crypto.Argon2Params | None
    header_size: int


@dataclass(frozen=True)
class _Encryption:
    key_source: int
    kdf_params: crypto.Argon2Params | None
    kdf_salt: bytes
    check_salt: bytes
    key_check: bytes


# --------------------------------------------------------------------------------------------
# Header encoding
# --------------------------------------------------------------------------------------------


def _lp(raw: bytes) -> bytes:
    return bytes((len(raw),)) + raw


def _encode_param(name: str, value: ParamValue) -> bytes:
    key = _lp(name.encode("ascii"))
    if isinstance(value, bool):
        return key + bytes((_P_BOOL, int(value)))
    if isinstance(value, int):
        return key + bytes((_P_INT,)) + struct.pack("<q", value)
    if isinstance(value, float):
        return key + bytes((_P_FLOAT,)) + struct.pack("<d", value)
    if isinstance(value, str):
        return key + bytes((_P_STR,)) + _lp(value.encode("utf-8"))
    return key + bytes((_P_BYTES,)) + _lp(value)


def _encode_header(h: Header, enc: _Encryption | None) -> bytes:
    code = _DTYPES[h.dtype][0]
    out = bytearray(
        _FIXED.pack(MAGIC, *FORMAT_VERSION, FLAG_ENCRYPTED if enc else 0, 0, h.width,
                    h.height, code, h.bit_depth, int(h.signed), h.levels)
    )
    out += _lp(h.mode.encode("ascii")) + _lp(h.wavelet.encode("ascii"))
    out += _lp(h.model_id.encode("ascii")) + _lp(h.model_sha256)
    out += bytes((len(h.preprocessing),))
    for s in h.preprocessing:
        out += _lp(s.encode("ascii"))
    out += bytes((len(h.params),))
    for k, v in h.params.items():
        out += _encode_param(k, v)
    if enc is not None:
        out += bytes((SUITE_COBBLESTONE256, enc.key_source))
        if enc.key_source == KEY_SOURCE_PASSPHRASE:
            p = enc.kdf_params
            out += _ARGON.pack(p.memory_kib, p.iterations, p.lanes) + enc.kdf_salt
        out += enc.check_salt + enc.key_check
    size = len(out) + _CRC.size
    struct.pack_into("<I", out, 12, size)
    out += _CRC.pack(_crc32c(out))
    return bytes(out)


class _Cursor:
    """Bounds-checked reader over the header bytes; every overrun is a CorruptStreamError."""

    def __init__(self, data: bytes, pos: int, end: int):
        self.data, self.pos, self.end = data, pos, end

    def take(self, n: int) -> bytes:
        if n > self.end - self.pos:
            raise CorruptStreamError("header field runs past the end of the header")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def u8(self) -> int:
        return self.take(1)[0]

    def lp(self, limit: int, what: str) -> bytes:
        n = self.u8()
        if n > limit:
            raise CorruptStreamError(f"{what} is longer than {limit} bytes")
        return self.take(n)


def _ascii_token(raw: bytes, what: str) -> str:
    if not _TOKEN_RE.match(raw):
        raise CorruptStreamError(f"invalid {what} in header")
    return raw.decode("ascii")


def _decode_param(cur: _Cursor) -> tuple[str, ParamValue]:
    name = _ascii_token(cur.lp(MAX_TOKEN, "parameter name"), "parameter name")
    tag = cur.u8()
    if tag == _P_BOOL:
        b = cur.u8()
        if b > 1:
            raise CorruptStreamError(f"parameter {name!r}: invalid bool")
        return name, bool(b)
    if tag == _P_INT:
        return name, struct.unpack("<q", cur.take(8))[0]
    if tag == _P_FLOAT:
        v = struct.unpack("<d", cur.take(8))[0]
        if not math.isfinite(v):
            raise CorruptStreamError(f"parameter {name!r}: non-finite float")
        return name, v
    if tag == _P_STR:
        try:
            return name, cur.lp(MAX_PARAM_VALUE, "parameter").decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptStreamError(f"parameter {name!r}: invalid UTF-8") from None
    if tag == _P_BYTES:
        return name, cur.lp(MAX_PARAM_VALUE, "parameter")
    raise UnsupportedFormatError(f"parameter {name!r} has unknown type tag {tag}")


def _check_prefix(prefix: bytes) -> tuple[int, int, int, int]:
    """Validate magic, version and size; return (major, minor, flags, header_size)."""
    head = bytes(prefix[: len(MAGIC)])
    if not head:
        raise CorruptStreamError("empty input: not an sdwtfast container")
    if head != MAGIC[: len(head)]:
        raise UnsupportedFormatError("not an sdwtfast container (bad magic)")
    if len(prefix) < _PREFIX.size:
        raise CorruptStreamError("truncated container header")
    _, major, minor, flags, size = _PREFIX.unpack_from(prefix)
    if major != FORMAT_VERSION[0]:
        raise UnsupportedFormatError(
            f"container format version {major}.{minor} is not supported (this build reads 1.x)"
        )
    if not _MIN_HEADER_SIZE <= size <= MAX_HEADER_SIZE:
        raise CorruptStreamError(f"invalid header size {size}")
    return major, minor, flags, size


def _decode_header(data: bytes) -> tuple[ContainerInfo, _Encryption | None]:
    """Parse a complete header (``data`` is exactly the header bytes)."""
    major, minor, flags, size = _check_prefix(data)
    if len(data) != size:
        raise CorruptStreamError("truncated container header")
    (stored_crc,) = _CRC.unpack_from(data, size - _CRC.size)
    if _crc32c(memoryview(data)[: size - _CRC.size]) != stored_crc:
        raise CorruptStreamError("header checksum mismatch (corrupted header)")
    if flags & ~_KNOWN_FLAGS:
        raise UnsupportedFormatError(f"unknown header flags 0x{flags:04X}")
    (_, _, _, _, _, width, height, dcode, bits, signed, levels) = _FIXED.unpack_from(data)
    if dcode not in _DTYPE_BY_CODE:
        raise CorruptStreamError(f"unknown dtype code {dcode}")
    if signed > 1:
        raise CorruptStreamError("invalid signedness byte")
    cur = _Cursor(data, _FIXED.size, size - _CRC.size)
    mode = _ascii_token(cur.lp(MAX_TOKEN, "mode"), "mode")
    wavelet = _ascii_token(cur.lp(MAX_TOKEN, "wavelet"), "wavelet")
    model_raw = cur.lp(MAX_MODEL_ID, "model id")
    if not _MODEL_ID_RE.match(model_raw):
        raise CorruptStreamError("invalid model id in header")
    model_sha = cur.lp(32, "model hash")
    if len(model_sha) not in (0, 32):
        raise CorruptStreamError("model hash must be 0 or 32 bytes")
    n_steps = cur.u8()
    if n_steps > MAX_PREPROCESSING:
        raise CorruptStreamError("too many preprocessing steps")
    steps = tuple(_ascii_token(cur.lp(MAX_TOKEN, "step"), "step") for _ in range(n_steps))
    n_params = cur.u8()
    if n_params > MAX_PARAMS:
        raise CorruptStreamError("too many header parameters")
    params = [_decode_param(cur) for _ in range(n_params)]
    names = [k for k, _ in params]
    if any(a >= b for a, b in zip(names, names[1:], strict=False)):
        raise CorruptStreamError("header parameters not in canonical (sorted, unique) order")
    enc = None
    if flags & FLAG_ENCRYPTED:
        suite, source = cur.u8(), cur.u8()
        if suite != SUITE_COBBLESTONE256:
            raise UnsupportedFormatError(f"unknown encryption suite {suite}")
        kdf_params, kdf_salt = None, b""
        if source == KEY_SOURCE_PASSPHRASE:
            kdf_params = crypto.Argon2Params(*_ARGON.unpack(cur.take(_ARGON.size)))
            kdf_params.check(LimitExceededError)  # before any KDF runs
            kdf_salt = cur.take(crypto.KDF_SALT_SIZE)
        elif source != KEY_SOURCE_KEY:
            raise UnsupportedFormatError(f"unknown key source {source}")
        check_salt = cur.take(crypto.KEY_CHECK_SALT_SIZE)
        enc = _Encryption(
            source, kdf_params, kdf_salt, check_salt, cur.take(crypto.KEY_CHECK_SIZE)
        )
    if cur.pos != cur.end and minor <= FORMAT_VERSION[1]:
        raise CorruptStreamError("unexpected bytes at the end of the header")
    try:
        header = Header(
            width=width, height=height, dtype=_DTYPE_BY_CODE[dcode], bit_depth=bits,
            signed=bool(signed), mode=mode, wavelet=wavelet, levels=levels,
            model_id=model_raw.decode("ascii"), model_sha256=model_sha,
            preprocessing=steps, params=dict(params),
        )
    except LimitExceededError:
        raise
    except InvalidInputError as exc:
        raise CorruptStreamError(f"invalid header: {exc}") from None
    info = ContainerInfo(
        header=header,
        version=(major, minor),
        encrypted=enc is not None,
        key_source=None if enc is None else
        ("passphrase" if enc.key_source == KEY_SOURCE_PASSPHRASE else "key"),
        kdf_params=None if enc is None else enc.kdf_params,
        header_size=size,
    )
    return info, enc


def _read_exact(src: BinaryIO, n: int) -> bytes:
    """Read ``n`` bytes, or fewer only at end of file (pipes may return short reads)."""
    parts, got = [], 0
    while got < n:
        piece = src.read(n - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _read_header_bytes(src: BinaryIO) -> bytes:
    prefix = _read_exact(src, _PREFIX.size)
    _check_prefix(prefix)
    size = _PREFIX.unpack_from(prefix)[4]
    rest = _read_exact(src, size - _PREFIX.size)
    if len(rest) != size - _PREFIX.size:
        raise CorruptStreamError("truncated container header")
    return prefix + rest


def read_header(source: bytes | bytearray | memoryview | BinaryIO) -> ContainerInfo:
    """Read and check the plain header; no key needed.

    Parameters
    ----------
    source : bytes-like or binary file object
        The container (only the header is read from a file object).

    Returns
    -------
    ContainerInfo
        Includes ``encrypted`` and, for passphrases, the (bounded) KDF parameters.

    Raises
    ------
    UnsupportedFormatError
        Not a container, or an unsupported version or feature.
    CorruptStreamError
        Truncated or corrupted header.
    LimitExceededError
        Geometry or KDF parameters beyond the limits.
    """
    if hasattr(source, "read"):
        data = _read_header_bytes(source)
    else:
        mv = memoryview(source).cast("B")
        _, _, _, size = _check_prefix(bytes(mv[: _PREFIX.size]))
        data = bytes(mv[:size])
    return _decode_header(data)[0]


# --------------------------------------------------------------------------------------------
# Body: typed sections
# --------------------------------------------------------------------------------------------


def _validate_sections(sections: Iterable[Section]) -> list[Section]:
    out = list(sections)
    if len(out) > MAX_SECTIONS:
        raise LimitExceededError(f"more than {MAX_SECTIONS} sections")
    seen = set()
    for s in out:
        if not isinstance(s, Section):
            raise InvalidInputError("sections must be Section objects")
        if s.type in seen:
            raise InvalidInputError(f"duplicate section type {s!r}")
        seen.add(s.type)
    return out


def _body_pieces(sections: Sequence[Section]) -> Iterator[bytes | memoryview]:
    for s in sections:
        data = memoryview(s.data).cast("B")
        rec = _RECORD.pack(int(s.type), SECTION_FLAG_OPTIONAL if s.optional else 0, len(data))
        yield rec
        yield data
        yield _CRC.pack(_crc32c(data, _crc32c(rec)))
    rec = _RECORD.pack(SectionType.END, 0, 0)
    yield rec + _CRC.pack(_crc32c(rec))


class _BodyParser:
    """Push parser of the body. ``remaining`` (if known) bounds every declared length."""

    def __init__(self, remaining: int | None):
        self._left = remaining  # body bytes not consumed yet, when known
        self.sections: list[Section] = []
        self._seen: set[int] = set()
        self._small = bytearray()  # record header or CRC being gathered
        self._state = "record"
        self._rec: tuple[int, int, int] = (0, 0, 0)
        self._buf = bytearray()
        self._filled = 0
        self._crc = 0

    def _take_small(self, mv: memoryview, need: int) -> tuple[bytes | None, memoryview]:
        take = min(need - len(self._small), len(mv))
        self._small += mv[:take]
        if len(self._small) < need:
            return None, mv[take:]
        got = bytes(self._small)
        self._small.clear()
        return got, mv[take:]

    def _begin(self, rec: bytes) -> None:
        stype, flags, length = _RECORD.unpack(rec)
        if stype == 0:
            raise CorruptStreamError("invalid section type 0")
        if stype != SectionType.END and len(self.sections) >= MAX_SECTIONS:
            raise LimitExceededError(f"more than {MAX_SECTIONS} sections")
        if self._left is not None and length + _CRC.size > self._left:
            raise CorruptStreamError("section length exceeds the remaining data (truncated)")
        if stype == SectionType.END and (length or flags):
            raise CorruptStreamError("malformed END record")
        self._rec = (stype, flags, length)
        self._crc = _crc32c(rec)
        self._buf = bytearray(length) if self._left is not None else bytearray()
        self._filled = 0
        self._state = "data" if length else "crc"

    def _finish(self) -> None:
        stype, flags, length = self._rec
        if stype == SectionType.END:
            self._state = "end"
            return
        if flags & ~_KNOWN_SECTION_FLAGS:
            raise UnsupportedFormatError(f"section 0x{stype:04X} has unknown flags 0x{flags:04X}")
        optional = bool(flags & SECTION_FLAG_OPTIONAL)
        if stype not in _KNOWN_TYPES and not optional:
            raise UnsupportedFormatError(
                f"section type 0x{stype:04X} is not supported by this build"
            )
        if stype in self._seen:
            raise CorruptStreamError(f"duplicate section type 0x{stype:04X}")
        self._seen.add(stype)
        section = Section(stype, b"", optional)
        object.__setattr__(section, "data", self._buf)  # hand over without a copy
        self.sections.append(section)
        self._buf = bytearray()
        self._state = "record"

    def _consume(self, n: int) -> None:
        if self._left is not None:
            self._left -= n

    def feed(self, data) -> None:
        mv = memoryview(data).cast("B")
        while len(mv):
            st = self._state
            n0 = len(mv)
            if st == "end":
                raise CorruptStreamError("unexpected data after the END record")
            if st == "record":
                rec, mv = self._take_small(mv, _RECORD.size)
                self._consume(n0 - len(mv))
                if rec is not None:
                    self._begin(rec)
            elif st == "data":
                length = self._rec[2]
                take = min(length - self._filled, n0)
                piece = mv[:take]
                if self._left is not None:
                    self._buf[self._filled : self._filled + take] = piece
                else:
                    self._buf += piece
                self._crc = _crc32c(piece, self._crc)
                self._filled += take
                mv = mv[take:]
                self._consume(take)
                if self._filled == length:
                    self._state = "crc"
            else:  # "crc"
                raw, mv = self._take_small(mv, _CRC.size)
                self._consume(n0 - len(mv))
                if raw is not None:
                    if _CRC.unpack(raw)[0] != self._crc:
                        raise CorruptStreamError(
                            f"section 0x{self._rec[0]:04X} checksum mismatch (corrupted data)"
                        )
                    self._finish()

    def close(self) -> list[Section]:
        if self._state != "end":
            raise CorruptStreamError("container is truncated (no END record)")
        return self.sections


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

KeyLike = crypto.Key | bytes


def _encryption_for_write(
    key: KeyLike | None,
    passphrase: str | bytes | None,
    kdf_params: crypto.Argon2Params | None,
    random: Callable[[int], bytes] | None,
) -> tuple[bytes | None, _Encryption | None, bytes]:
    """Return (input key, header encryption block, payload salt); (None, None, b"") if plain."""
    if key is not None and passphrase is not None:
        raise InvalidInputError("give a key or a passphrase, not both")
    if key is None and passphrase is None:
        if kdf_params is not None:
            raise InvalidInputError("kdf_params needs a passphrase")
        return None, None, b""
    rand = secrets.token_bytes if random is None else random
    salt = rand(crypto.SALT_SIZE)
    if passphrase is not None:
        params = crypto.Argon2Params() if kdf_params is None else kdf_params
        params.check(InvalidInputError)
        kdf_salt = rand(crypto.KDF_SALT_SIZE)
        ikm = crypto.derive_passphrase_key(passphrase, kdf_salt, params).secret_bytes()
        source = KEY_SOURCE_PASSPHRASE
    else:
        if kdf_params is not None:
            raise InvalidInputError("kdf_params only applies to passphrases")
        ikm, params, kdf_salt, source = crypto._key_bytes(key), None, b"", KEY_SOURCE_KEY
    check_salt = rand(crypto.KEY_CHECK_SALT_SIZE)
    enc = _Encryption(source, params, kdf_salt, check_salt, crypto.key_check(ikm, check_salt))
    return ikm, enc, salt


def write(
    dst: BinaryIO,
    header: Header,
    sections: Iterable[Section],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    kdf_params: crypto.Argon2Params | None = None,
    _random: Callable[[int], bytes] | None = None,
) -> int:
    """Write a container to a binary file object, streaming; return the bytes written.

    Memory beyond the section data stays within a few 16 KiB chunks.

    Parameters
    ----------
    dst : binary file object
    header : Header
    sections : iterable of Section
        At most 64, at most one per type; written in the given order, then END.
    key : crypto.Key or bytes, optional
        Encrypt with this 256-bit key (see :func:`sdwtfast.crypto.load_key_file`).
    passphrase : str or bytes, optional
        Encrypt with a key derived by Argon2id (parameters stored in the header).
    kdf_params : crypto.Argon2Params, optional
        Argon2id cost (default: 64 MiB, 3 passes, 4 lanes).

    Raises
    ------
    InvalidInputError, LimitExceededError
        Bad header, sections or arguments.
    """
    if not isinstance(header, Header):
        raise InvalidInputError("header must be a container.Header")
    secs = _validate_sections(sections)
    ikm, enc, salt = _encryption_for_write(key, passphrase, kdf_params, _random)
    head = _encode_header(header, enc)
    written = dst.write(head) or 0
    if ikm is None:
        for piece in _body_pieces(secs):
            written += dst.write(piece) or 0
        return written
    encryptor = crypto.ChunkEncryptor(ikm, head, salt=salt)
    written += dst.write(encryptor.prefix) or 0
    step = crypto.CHUNK_SIZE  # one chunk in, one chunk out: memory stays flat
    for piece in _body_pieces(secs):
        for i in range(0, len(piece), step):
            out = encryptor.update(piece[i : i + step])
            if out:
                written += dst.write(out) or 0
    written += dst.write(encryptor.finalize()) or 0
    return written


def pack(
    header: Header,
    sections: Iterable[Section],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    kdf_params: crypto.Argon2Params | None = None,
    _random: Callable[[int], bytes] | None = None,
) -> bytes:
    """Return a container holding ``header`` and ``sections`` (encrypted if a key is given).

    See :func:`write` for the parameters. ``_random`` (a replacement for
    ``secrets.token_bytes``) exists for golden tests only: salts must never repeat.
    """
    buf = io.BytesIO()
    write(buf, header, sections, key=key, passphrase=passphrase, kdf_params=kdf_params,
          _random=_random)
    return buf.getvalue()


def _remaining(src: BinaryIO) -> int | None:
    try:
        if not src.seekable():
            return None
        pos = src.tell()
        end = src.seek(0, os.SEEK_END)
        src.seek(pos)
        return end - pos
    except (OSError, AttributeError, ValueError):
        return None


def _input_key(
    info: ContainerInfo, enc: _Encryption, key: KeyLike | None, passphrase: str | bytes | None
) -> bytes:
    if enc.key_source == KEY_SOURCE_PASSPHRASE:
        if passphrase is None:
            hint = " (a key was given, but this file needs its passphrase)" if key else ""
            raise KeyRequiredError(f"this container is encrypted with a passphrase{hint}")
        return crypto.derive_passphrase_key(passphrase, enc.kdf_salt, enc.kdf_params).secret_bytes()
    if key is None:
        hint = " (a passphrase was given, but this file needs its key file)" if passphrase else ""
        raise KeyRequiredError(f"this container is encrypted with a key file{hint}")
    return crypto._key_bytes(key)


def read(
    src: BinaryIO,
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    allow_unencrypted: bool = False,
) -> tuple[Header, list[Section]]:
    """Read a whole container from a binary file object (to its end), streaming.

    Memory beyond the returned section data stays within a few 16 KiB chunks when ``src``
    is seekable (section buffers are allocated at their checked size).

    Parameters
    ----------
    src : binary file object
        Positioned at the container's first byte; it must end with the container.
    key : crypto.Key or bytes, optional
        For containers encrypted with a key.
    passphrase : str or bytes, optional
        For containers encrypted with a passphrase.
    allow_unencrypted : bool
        With a key or passphrase given, an unencrypted container is refused unless this is
        True: it is not authenticated, so accepting it silently would let anyone substitute
        a forged file for an encrypted one (downgrade).

    Returns
    -------
    header : Header
    sections : list of Section
        In file order, END excluded; unknown optional sections included. Each ``data`` is a
        ``bytearray`` owned by the caller.

    Raises
    ------
    KeyRequiredError
        Encrypted, and no (matching kind of) key given.
    AuthenticationError
        Wrong key or passphrase (message starts with ``crypto.WRONG_KEY_MESSAGE``), or the
        header or data were modified, reordered, truncated or extended; or a key was given
        for an unencrypted container (see ``allow_unencrypted``).
    CorruptStreamError
        Truncated or corrupted (CRC, framing) container.
    UnsupportedFormatError
        Not a container, unsupported version, unknown required section type.
    LimitExceededError
        Geometry, section count or KDF parameters beyond the limits.
    """
    total = _remaining(src)
    head = _read_header_bytes(src)
    info, enc = _decode_header(head)
    body_left = None if total is None else total - len(head)
    if enc is None:
        if (key is not None or passphrase is not None) and not allow_unencrypted:
            raise AuthenticationError(
                "container is not encrypted although a key or passphrase was given: refused, "
                "since anyone could have written it (decode without a key to accept it)"
            )
        parser = _BodyParser(body_left)
        while piece := src.read(_READ_SIZE):
            parser.feed(piece)
        return info.header, parser.close()
    if key is not None and passphrase is not None:
        raise InvalidInputError("give a key or a passphrase, not both")
    ikm = _input_key(info, enc, key, passphrase)
    if not hmac.compare_digest(crypto.key_check(ikm, enc.check_salt), enc.key_check):
        raise AuthenticationError(
            f"{crypto.WRONG_KEY_MESSAGE}: the key check does not match this container"
        )
    prefix = _read_exact(src, crypto.PREFIX_SIZE)
    if len(prefix) != crypto.PREFIX_SIZE:
        raise CorruptStreamError("encrypted container is truncated (salt/commitment)")
    decryptor = crypto.ChunkDecryptor(ikm, prefix, head)
    plain_left = None if body_left is None else crypto.plaintext_size(body_left)
    parser = _BodyParser(plain_left)
    while piece := src.read(_READ_SIZE):
        parser.feed(decryptor.update(piece))
    parser.feed(decryptor.finalize())
    return info.header, parser.close()


def unpack(
    data: bytes | bytearray | memoryview,
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    allow_unencrypted: bool = False,
) -> tuple[Header, list[Section]]:
    """Decode a whole container held in memory; see :func:`read` for details.

    Examples
    --------
    >>> k = crypto.Key.generate()
    >>> h = Header(width=1, height=1, dtype="uint8", bit_depth=8)
    >>> blob = pack(h, [Section(SectionType.META, b"{}")], key=k)
    >>> unpack(blob, key=k)[1][0].data
    bytearray(b'{}')
    """
    try:
        view = memoryview(data).cast("B")
    except TypeError:
        raise InvalidInputError("container data must be bytes-like") from None
    src = io.BytesIO(data if isinstance(data, bytes) else bytes(view))  # bytes: shared
    return read(src, key=key, passphrase=passphrase, allow_unencrypted=allow_unencrypted)


def save(
    path: str | os.PathLike[str],
    header: Header,
    sections: Iterable[Section],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    kdf_params: crypto.Argon2Params | None = None,
    overwrite: bool = False,
) -> int:
    """Write a container to ``path`` atomically (temporary file, fsync, rename).

    The file is created with owner-only permissions (it may hold patient data). Returns the
    bytes written.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    """
    path = os.fspath(path)
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"refusing to overwrite existing file: {path}")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sdwt-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            n = write(f, header, sections, key=key, passphrase=passphrase,
                      kdf_params=kdf_params)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic, never replaces a file created meanwhile
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return n


def load(
    path: str | os.PathLike[str],
    *,
    key: KeyLike | None = None,
    passphrase: str | bytes | None = None,
    allow_unencrypted: bool = False,
) -> tuple[Header, list[Section]]:
    """Read the container stored at ``path``; see :func:`read`."""
    with open(path, "rb") as f:
        return read(f, key=key, passphrase=passphrase, allow_unencrypted=allow_unencrypted)
