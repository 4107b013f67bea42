"""The plain header: encoding, decoding, the prefix check and :func:`read_header`.

Layout: ``docs/format.md``, section 1. The decoder checks the prefix, the size and the CRC
before it looks at any field, and bounds every field (Argon2id parameters included) before
anything is derived or allocated from it.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from .. import _native, crypto
from ..errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    UnsupportedFormatError,
)
from .constants import (
    ARGON,
    CRC,
    DTYPE_BY_CODE,
    DTYPES,
    FIXED,
    FLAG_ENCRYPTED,
    FORMAT_VERSION,
    HEADER_SIZE_OFFSET,
    IMAGE,
    KEY_SOURCE_KEY,
    KEY_SOURCE_PASSPHRASE,
    KNOWN_FLAGS,
    MAGIC,
    MAX_HEADER_SIZE,
    MAX_MODEL_ID,
    MAX_PARAMS,
    MAX_PREPROCESSING,
    MAX_TOKEN,
    MIN_HEADER_SIZE,
    MODEL_ID_RE,
    PREFIX,
    READ_MAJORS,
    SEALED_VERSION,
    SUITE_COBBLESTONE256,
)
from .params import Cursor, ascii_token, decode_param, encode_param, lp
from .schema import ContainerInfo, Encryption, Header

__all__ = [
    "encode_header",
    "encode_sealed_header",
    "encode_image",
    "decode_image",
    "check_prefix",
    "decode_header",
    "read_exact",
    "read_header_bytes",
    "read_header",
]


def _encode_fields(h: Header) -> bytearray:
    """Mode .. params (``docs/format.md``, 1.2)."""
    out = bytearray(lp(h.mode.encode("ascii")) + lp(h.wavelet.encode("ascii")))
    out += lp(h.model_id.encode("ascii")) + lp(h.model_sha256)
    out += bytes((len(h.preprocessing),))
    for s in h.preprocessing:
        out += lp(s.encode("ascii"))
    out += bytes((len(h.params),))
    for k, v in h.params.items():
        out += encode_param(k, v)
    return out


def _encode_encryption(enc: Encryption) -> bytes:
    """The encryption block (``docs/format.md``, 1.3)."""
    out = bytes((SUITE_COBBLESTONE256, enc.key_source))
    if enc.key_source == KEY_SOURCE_PASSPHRASE:
        p = enc.kdf_params
        out += ARGON.pack(p.memory_kib, p.iterations, p.lanes) + enc.kdf_salt
    return out + enc.check_salt + enc.key_check


def _close(out: bytearray) -> bytes:
    """Fill in header_size and append the CRC."""
    CRC.pack_into(out, HEADER_SIZE_OFFSET, len(out) + CRC.size)
    out += CRC.pack(_native.crc32c(out))
    return bytes(out)


def encode_header(h: Header, enc: Encryption | None = None, minor: int = 0) -> bytes:
    """Encode the plain header, CRC included.

    Parameters
    ----------
    h : Header
        Already validated (by its constructor).
    enc : Encryption or None
        The encryption block of a version-1 encrypted file (kept so that old files can be
        re-created byte for byte by tests); None for a plain container. New encrypted files
        use :func:`encode_sealed_header`.
    minor : int
        The minor format version written (:func:`.schema.minor_version` of the sections).

    Returns
    -------
    bytes
        The header bytes (also the context the encryption binds).
    """
    code = DTYPES[h.dtype][0]
    out = bytearray(
        FIXED.pack(
            MAGIC,
            FORMAT_VERSION[0],
            minor,
            FLAG_ENCRYPTED if enc else 0,
            0,
            h.width,
            h.height,
            code,
            h.bit_depth,
            int(h.signed),
            h.levels,
        )
    )
    out += _encode_fields(h)
    if enc is not None:
        out += _encode_encryption(enc)
    return _close(out)


def encode_sealed_header(enc: Encryption) -> bytes:
    """The plain header of a version-2.0 (encrypted) container: prefix, encryption block, CRC.

    Nothing in it depends on the image; :func:`encode_image` is sealed with the body instead.
    """
    out = bytearray(PREFIX.pack(MAGIC, SEALED_VERSION[0], SEALED_VERSION[1], FLAG_ENCRYPTED, 0))
    out += _encode_encryption(enc)
    return _close(out)


def encode_image(h: Header) -> bytes:
    """The image header as the HEADER section of a version-2.0 container holds it."""
    code = DTYPES[h.dtype][0]
    fixed = IMAGE.pack(h.width, h.height, code, h.bit_depth, int(h.signed), h.levels)
    return fixed + bytes(_encode_fields(h))


def check_prefix(prefix: bytes) -> tuple[int, int, int, int]:
    """Validate magic, version and size.

    Parameters
    ----------
    prefix : bytes
        The first bytes of a container (16 are needed; fewer give the precise error).

    Returns
    -------
    major, minor, flags, header_size : int

    Raises
    ------
    UnsupportedFormatError
        Bad magic, or another major version.
    CorruptStreamError
        Empty or truncated input, or an impossible header size.
    """
    head = bytes(prefix[: len(MAGIC)])
    if not head:
        raise CorruptStreamError("empty input: not an sdwtfast container")
    if head != MAGIC[: len(head)]:
        raise UnsupportedFormatError("not an sdwtfast container (bad magic)")
    if len(prefix) < PREFIX.size:
        raise CorruptStreamError("truncated container header")
    _, major, minor, flags, size = PREFIX.unpack_from(prefix)
    if major not in READ_MAJORS:
        raise UnsupportedFormatError(
            f"container format version {major}.{minor} is not supported"
            " (this build reads 1.x and 2.x)"
        )
    if not MIN_HEADER_SIZE <= size <= MAX_HEADER_SIZE:
        raise CorruptStreamError(f"invalid header size {size}")
    return major, minor, flags, size


def _decode_fields(cur: Cursor) -> dict[str, Any]:
    """Mode .. params (1.2, the encryption block excepted), as Header keyword arguments."""
    mode = ascii_token(cur.lp(MAX_TOKEN, "mode"), "mode")
    wavelet = ascii_token(cur.lp(MAX_TOKEN, "wavelet"), "wavelet")
    model_raw = cur.lp(MAX_MODEL_ID, "model id")
    if not MODEL_ID_RE.match(model_raw):
        raise CorruptStreamError("invalid model id in header")
    model_sha = cur.lp(32, "model hash")
    if len(model_sha) not in (0, 32):
        raise CorruptStreamError("model hash must be 0 or 32 bytes")
    n_steps = cur.u8()
    if n_steps > MAX_PREPROCESSING:
        raise CorruptStreamError("too many preprocessing steps")
    steps = tuple(ascii_token(cur.lp(MAX_TOKEN, "step"), "step") for _ in range(n_steps))
    n_params = cur.u8()
    if n_params > MAX_PARAMS:
        raise CorruptStreamError("too many header parameters")
    params = [decode_param(cur) for _ in range(n_params)]
    names = [k for k, _ in params]
    if any(a >= b for a, b in zip(names, names[1:], strict=False)):
        raise CorruptStreamError("header parameters not in canonical (sorted, unique) order")
    return {
        "mode": mode,
        "wavelet": wavelet,
        "model_id": model_raw.decode("ascii"),
        "model_sha256": model_sha,
        "preprocessing": steps,
        "params": dict(params),
    }


def _decode_encryption(cur: Cursor) -> Encryption:
    """The encryption block (1.3); Argon2id parameters are bounded before any KDF runs."""
    suite, source = cur.u8(), cur.u8()
    if suite != SUITE_COBBLESTONE256:
        raise UnsupportedFormatError(f"unknown encryption suite {suite}")
    kdf_params, kdf_salt = None, b""
    if source == KEY_SOURCE_PASSPHRASE:
        kdf_params = crypto.Argon2Params(*ARGON.unpack(cur.take(ARGON.size)))
        kdf_params.check(LimitExceededError)  # before any KDF runs
        kdf_salt = cur.take(crypto.KDF_SALT_SIZE)
    elif source != KEY_SOURCE_KEY:
        raise UnsupportedFormatError(f"unknown key source {source}")
    check_salt = cur.take(crypto.KEY_CHECK_SALT_SIZE)
    return Encryption(source, kdf_params, kdf_salt, check_salt, cur.take(crypto.KEY_CHECK_SIZE))


def _info(
    header: Header | None, version: tuple[int, int], enc: Encryption | None, size: int
) -> ContainerInfo:
    if enc is None:
        key_source = None
    else:
        key_source = "passphrase" if enc.key_source == KEY_SOURCE_PASSPHRASE else "key"
    return ContainerInfo(
        header=header,
        version=version,
        encrypted=enc is not None,
        key_source=key_source,
        kdf_params=None if enc is None else enc.kdf_params,
        header_size=size,
    )


def _build_header(fixed: tuple[int, ...], fields: dict[str, Any]) -> Header:
    """A Header from the fixed fields (width .. levels) and the variable ones, checked."""
    width, height, dcode, bits, signed, levels = fixed
    if dcode not in DTYPE_BY_CODE:
        raise CorruptStreamError(f"unknown dtype code {dcode}")
    if signed > 1:
        raise CorruptStreamError("invalid signedness byte")
    try:
        return Header(
            width=width,
            height=height,
            dtype=DTYPE_BY_CODE[dcode],
            bit_depth=bits,
            signed=bool(signed),
            levels=levels,
            **fields,
        )
    except LimitExceededError:
        raise
    except InvalidInputError as exc:
        raise CorruptStreamError(f"invalid header: {exc}") from None


def decode_image(data: bytes | bytearray | memoryview) -> Header:
    """Parse the HEADER section of a version-2.0 container (see :func:`encode_image`).

    Raises
    ------
    CorruptStreamError, UnsupportedFormatError, LimitExceededError
        Malformed or out-of-range fields, or bytes after the last field.
    """
    data = bytes(data)
    if len(data) < IMAGE.size:
        raise CorruptStreamError("truncated sealed image header")
    cur = Cursor(data, IMAGE.size, len(data))
    fields = _decode_fields(cur)
    if cur.pos != cur.end:
        raise CorruptStreamError("unexpected bytes at the end of the sealed image header")
    return _build_header(IMAGE.unpack_from(data), fields)


def decode_header(data: bytes) -> tuple[ContainerInfo, Encryption | None]:
    """Parse and check a complete header.

    Parameters
    ----------
    data : bytes
        Exactly the header bytes (``header_size`` of them).

    Returns
    -------
    info : ContainerInfo
        ``info.header`` is None for a version-2.0 file (its image header is sealed).
    enc : Encryption or None
        The encryption block (None for a plain container).

    Raises
    ------
    UnsupportedFormatError, CorruptStreamError, LimitExceededError
        See :func:`read_header`.
    """
    major, minor, flags, size = check_prefix(data)
    if len(data) != size:
        raise CorruptStreamError("truncated container header")
    (stored_crc,) = CRC.unpack_from(data, size - CRC.size)
    if _native.crc32c(memoryview(data)[: size - CRC.size]) != stored_crc:
        raise CorruptStreamError("header checksum mismatch (corrupted header)")
    if flags & ~KNOWN_FLAGS:
        raise UnsupportedFormatError(f"unknown header flags 0x{flags:04X}")
    if major == SEALED_VERSION[0]:
        if not flags & FLAG_ENCRYPTED:
            raise CorruptStreamError("a version-2 container must be encrypted")
        cur = Cursor(data, PREFIX.size, size - CRC.size)
        enc = _decode_encryption(cur)
        if cur.pos != cur.end and minor <= SEALED_VERSION[1]:
            raise CorruptStreamError("unexpected bytes at the end of the header")
        return _info(None, (major, minor), enc, size), enc
    cur = Cursor(data, FIXED.size, size - CRC.size)
    fields = _decode_fields(cur)
    enc = _decode_encryption(cur) if flags & FLAG_ENCRYPTED else None
    if cur.pos != cur.end and minor <= FORMAT_VERSION[1]:
        raise CorruptStreamError("unexpected bytes at the end of the header")
    header = _build_header(FIXED.unpack_from(data)[5:], fields)
    return _info(header, (major, minor), enc, size), enc


read_exact = crypto.streams.read_exact
"""Read ``n`` bytes from a file object, looping over short reads (fewer only at end of file)."""


def bytes_view(data: object) -> memoryview:
    """``data`` as a flat byte view, or InvalidInputError for what is not bytes-like."""
    if isinstance(data, str) or data is None:
        raise InvalidInputError(f"expected bytes, got {type(data).__name__}")
    try:
        return memoryview(data).cast("B")
    except TypeError:
        raise InvalidInputError(f"expected bytes, got {type(data).__name__}") from None


def read_header_bytes(src: BinaryIO) -> bytes:
    """Read exactly the header from a file object (prefix checked, fields not yet).

    Parameters
    ----------
    src : binary file object
        Positioned at the container's first byte.

    Returns
    -------
    bytes
        The header, ``header_size`` bytes.

    Raises
    ------
    UnsupportedFormatError, CorruptStreamError
        Bad prefix, or truncated header.
    """
    prefix = read_exact(src, PREFIX.size)
    _, _, _, size = check_prefix(prefix)
    rest = read_exact(src, size - PREFIX.size)
    if len(rest) != size - PREFIX.size:
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
        data = read_header_bytes(source)
    else:
        mv = bytes_view(source)
        _, _, _, size = check_prefix(bytes(mv[: PREFIX.size]))
        data = bytes(mv[:size])
    return decode_header(data)[0]
