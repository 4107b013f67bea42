"""What a container holds: section types, sections, the header and its validation.

Nothing here knows the byte layout beyond the limits of :mod:`.constants`; encoding lives in
:mod:`.params`, :mod:`.header` and :mod:`.body`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .. import crypto
from ..errors import InvalidInputError, LimitExceededError
from .constants import (
    DTYPES,
    MAX_DIMENSION,
    MAX_LEVELS,
    MAX_MODEL_ID,
    MAX_PARAM_VALUE,
    MAX_PARAMS,
    MAX_PIXELS,
    MAX_PREPROCESSING,
    MAX_SECTION_SIZE,
    MAX_TOKEN,
    MODEL_ID_RE,
    TOKEN_RE,
)

__all__ = [
    "SectionType",
    "KNOWN_TYPES",
    "RESERVED_TYPES",
    "Section",
    "ParamValue",
    "check_token",
    "check_param",
    "Header",
    "ContainerInfo",
    "Encryption",
]

ParamValue = bool | int | float | str | bytes
"""Types a header parameter may hold (encoded with a type tag)."""


class SectionType(enum.IntEnum):
    """Registered section types. Other values in 1..0xFFFE are reserved for future versions.

    A reader refuses an unknown type unless the section is flagged optional. What each section
    holds is what :mod:`sdwtfast.codec` writes (``docs/format.md``, section 7).
    """

    MASK = 0x0001
    """ROI mask: the bitmap of the ROI's 8x8 blocks, coded losslessly by the context-model
    bitmap coder (``csrc/bitmap.h``). Only in hybrid containers (ROI + background)."""
    ROI = 0x0002
    """ROI branch: EZW payload of the wavelet coefficients (5/3 for lossless and
    near-lossless, 9/7 by default at a rate) of the ROI's support set, or of the whole image
    when there is no MASK."""
    BACKGROUND = 0x0003
    """Background branch of a hybrid container, as header parameter ``bg`` says: a wavelet
    (9/7 EZW at a rate), lossless (5/3 EZW) or learned (:mod:`sdwtfast.background`:
    entropy-coded autoencoder latents) stream of the pixels outside the ROI."""
    META = 0x0004
    """Metadata of the object the pixels came from, opaque to the container (a DICOM dataset
    without its pixel data, a NIfTI header): may hold patient data, so it lives in the body,
    which is encrypted whenever the container is."""
    PRED = 0x0005
    """Predictive coder's stream (``csrc/pred.h``) of a lossless or near-lossless ROI, or of
    the whole image when there is no MASK; in place of ROI (header wavelet ``none``). Readers
    older than this type refuse such files (an unknown required section)."""
    FRAME_INDEX = 0x0006
    """Version 1.1: the byte length (u32 little-endian) of each coded plane in FRAMES, frame
    by frame and sample by sample within a frame; so one frame decodes alone."""
    FRAMES = 0x0007
    """Version 1.1: the coded planes of a multi-frame or multi-sample image, one after the
    other, each a complete plain version-1.0 container of one 2-D plane."""
    HEADER = 0x0008
    """Version 2.0 (encrypted files) only, and then the first section: the image header
    (geometry, dtype, mode, wavelet, model, preprocessing, parameters) sealed with the body, so
    that the plain header of an encrypted file says nothing about its pixels. Writers never
    pass it in: :func:`~sdwtfast.container.pack` adds it, :func:`~sdwtfast.container.unpack`
    removes it."""
    VALUE_MAP = 0x0009
    """Version 1.2 (plain files; sealed files stay 2.0): the table of the image's distinct
    values, whose ranks the ROI or PRED section codes (sparse-histogram compaction, lossless
    whole images only): ``u16`` little-endian ``value - vmin`` for each, strictly increasing,
    the first 0 and the last ``vmax - vmin``. Readers older than this type refuse such files
    (an unknown required section)."""
    END = 0xFFFF
    """End marker (written by :func:`~sdwtfast.container.pack`; never passed in)."""


KNOWN_TYPES = frozenset(int(t) for t in SectionType if t != SectionType.END)
"""Section types this build reads (END excluded)."""
RESERVED_TYPES = frozenset({SectionType.HEADER})
"""Section types the container writes itself: never passed in by a caller."""
MINOR_1_TYPES = frozenset({SectionType.FRAME_INDEX, SectionType.FRAMES})
"""Section types that make a file version 1.1."""


MINOR_2_TYPES = frozenset({SectionType.VALUE_MAP})
"""Section types that make a plain file version 1.2."""


def minor_version(sections: Iterable[Section]) -> int:
    """The minor format version a container of ``sections`` is written with."""
    types = {s.type for s in sections}
    if types & MINOR_2_TYPES:
        return 2
    return 1 if types & MINOR_1_TYPES else 0


@dataclass(frozen=True)
class Section:
    """One typed section of the body.

    Parameters
    ----------
    type : SectionType or int
        Section type, 1..0xFFFE; at most one section of each type per container.
    data : bytes-like
        Contents; up to 4 GiB - 1 bytes. :func:`~sdwtfast.container.unpack` returns a
        ``bytearray`` that belongs to the caller.
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
        if t in KNOWN_TYPES:
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


def check_token(value: object, what: str) -> bytes:
    """Check a header token and return its ASCII bytes.

    Parameters
    ----------
    value : object
        The candidate token: a str of 1..32 characters of ``[A-Za-z0-9._/+-]``.
    what : str
        Field name for the error message.

    Returns
    -------
    bytes
        The token, ASCII-encoded.

    Raises
    ------
    InvalidInputError
        Not a str, or not a valid token.
    """
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a str")
    raw = value.encode("ascii", "replace")
    if not TOKEN_RE.match(raw):
        raise InvalidInputError(
            f"{what} must be 1..{MAX_TOKEN} characters of [A-Za-z0-9._/+-], got {value!r}"
        )
    return raw


def check_param(name: str, value: object) -> None:
    """Check that a header parameter can be stored.

    Parameters
    ----------
    name : str
        Parameter name (a token).
    value : object
        bool, int (64-bit signed), finite float, or str / bytes of at most 255 bytes.

    Raises
    ------
    InvalidInputError
        Bad name, unsupported type or value out of range.
    """
    check_token(name, "parameter name")
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
        raise InvalidInputError(f"parameter {name!r} has unsupported type {type(value).__name__}")


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
        self._check_image()
        check_token(self.mode, "mode")
        check_token(self.wavelet, "wavelet")
        if not isinstance(self.model_id, str) or not MODEL_ID_RE.match(
            self.model_id.encode("ascii", "replace")
        ):
            raise InvalidInputError(f"model_id must be up to {MAX_MODEL_ID} printable ASCII")
        if not isinstance(self.model_sha256, bytes) or len(self.model_sha256) not in (0, 32):
            raise InvalidInputError("model_sha256 must be 32 bytes or empty")
        steps = tuple(self.preprocessing)
        if len(steps) > MAX_PREPROCESSING:
            raise InvalidInputError(f"more than {MAX_PREPROCESSING} preprocessing steps")
        for s in steps:
            check_token(s, "preprocessing step")
        object.__setattr__(self, "preprocessing", steps)
        if not isinstance(self.params, Mapping):
            raise InvalidInputError("params must be a mapping")
        if len(self.params) > MAX_PARAMS:
            raise InvalidInputError(f"more than {MAX_PARAMS} parameters")
        for k, v in self.params.items():
            check_param(k, v)
        object.__setattr__(self, "params", dict(sorted(self.params.items())))

    def _check_image(self) -> None:
        """Geometry, dtype, bit depth, signedness and levels."""
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
        if self.dtype not in DTYPES:
            raise InvalidInputError(f"dtype must be one of {sorted(DTYPES)}, got {self.dtype!r}")
        _, max_bits, signed_dtype = DTYPES[self.dtype]
        if not 1 <= self.bit_depth <= max_bits:
            raise InvalidInputError(f"bit_depth {self.bit_depth} outside 1..{max_bits}")
        if not isinstance(self.signed, bool):
            raise InvalidInputError("signed must be a bool")
        if self.signed and not signed_dtype:
            raise InvalidInputError(f"signed samples cannot be stored as {self.dtype}")
        if not 0 <= self.levels <= MAX_LEVELS:
            raise InvalidInputError(f"levels {self.levels} outside 0..{MAX_LEVELS}")


@dataclass(frozen=True)
class ContainerInfo:
    """What :func:`~sdwtfast.container.read_header` reports without a key.

    Attributes
    ----------
    header : Header or None
        None for a version-2.0 (encrypted) file: its image header is sealed with the body
        (:func:`~sdwtfast.container.unpack` with the key returns it).
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

    header: Header | None
    version: tuple[int, int]
    encrypted: bool
    key_source: str | None
    kdf_params: crypto.Argon2Params | None
    header_size: int


@dataclass(frozen=True)
class Encryption:
    """The header's encryption block (``docs/format.md``, 1.3); internal to the package.

    Attributes
    ----------
    key_source : int
        ``KEY_SOURCE_KEY`` or ``KEY_SOURCE_PASSPHRASE``.
    kdf_params : crypto.Argon2Params or None
        Argon2id parameters (passphrase only).
    kdf_salt : bytes
        Argon2id salt (passphrase only, else empty).
    check_salt, key_check : bytes
        Salt and value of the key check (:func:`sdwtfast.crypto.key_check`).
    """

    key_source: int
    kdf_params: crypto.Argon2Params | None
    kdf_salt: bytes
    check_salt: bytes
    key_check: bytes
