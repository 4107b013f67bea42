"""Length-prefixed fields and the typed (TLV) header parameters.

A ``param`` is ``lp(token name) || u8 type || value`` (``docs/format.md``, 1.2), where
``lp(x)`` is one length byte followed by that many bytes. :class:`Cursor` is the
bounds-checked reader the header decoder uses for every variable field.
"""

from __future__ import annotations

import math
import struct

from ..errors import CorruptStreamError, UnsupportedFormatError
from .constants import MAX_PARAM_VALUE, MAX_TOKEN, TOKEN_RE
from .schema import ParamValue

__all__ = ["lp", "encode_param", "Cursor", "ascii_token", "decode_param"]

_P_BOOL, _P_INT, _P_FLOAT, _P_STR, _P_BYTES = 1, 2, 3, 4, 5
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")


def lp(raw: bytes) -> bytes:
    """Return ``raw`` prefixed with its length as one byte (the caller checks it fits).

    Parameters
    ----------
    raw : bytes
        At most 255 bytes.

    Returns
    -------
    bytes
    """
    return bytes((len(raw),)) + raw


def encode_param(name: str, value: ParamValue) -> bytes:
    """Encode one header parameter (already checked by :func:`.schema.check_param`).

    Parameters
    ----------
    name : str
        Parameter name (a token).
    value : ParamValue
        bool, int, float, str or bytes.

    Returns
    -------
    bytes
        ``lp(name) || type tag || value``.
    """
    key = lp(name.encode("ascii"))
    if isinstance(value, bool):
        return key + bytes((_P_BOOL, int(value)))
    if isinstance(value, int):
        return key + bytes((_P_INT,)) + _I64.pack(value)
    if isinstance(value, float):
        return key + bytes((_P_FLOAT,)) + _F64.pack(value)
    if isinstance(value, str):
        return key + bytes((_P_STR,)) + lp(value.encode("utf-8"))
    return key + bytes((_P_BYTES,)) + lp(value)


class Cursor:
    """Bounds-checked reader over the header bytes; every overrun is a CorruptStreamError.

    Parameters
    ----------
    data : bytes
        The header.
    pos, end : int
        Where reading starts, and the first byte it may not read (the CRC).
    """

    def __init__(self, data: bytes, pos: int, end: int):
        self.data, self.pos, self.end = data, pos, end

    def take(self, n: int) -> bytes:
        """Return the next ``n`` bytes."""
        if n > self.end - self.pos:
            raise CorruptStreamError("header field runs past the end of the header")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def u8(self) -> int:
        """Return the next byte."""
        return self.take(1)[0]

    def lp(self, limit: int, what: str) -> bytes:
        """Return the next length-prefixed field, refusing one longer than ``limit``."""
        n = self.u8()
        if n > limit:
            raise CorruptStreamError(f"{what} is longer than {limit} bytes")
        return self.take(n)


def ascii_token(raw: bytes, what: str) -> str:
    """Decode a token read from a header.

    Parameters
    ----------
    raw : bytes
        The field's bytes.
    what : str
        Field name for the error message.

    Returns
    -------
    str

    Raises
    ------
    CorruptStreamError
        Not 1..32 characters of ``[A-Za-z0-9._/+-]``.
    """
    if not TOKEN_RE.match(raw):
        raise CorruptStreamError(f"invalid {what} in header")
    return raw.decode("ascii")


def decode_param(cur: Cursor) -> tuple[str, ParamValue]:
    """Read one header parameter.

    Parameters
    ----------
    cur : Cursor
        Positioned at the parameter's name.

    Returns
    -------
    name : str
    value : ParamValue

    Raises
    ------
    CorruptStreamError
        Malformed name or value.
    UnsupportedFormatError
        Unknown type tag.
    """
    name = ascii_token(cur.lp(MAX_TOKEN, "parameter name"), "parameter name")
    tag = cur.u8()
    if tag == _P_BOOL:
        b = cur.u8()
        if b > 1:
            raise CorruptStreamError(f"parameter {name!r}: invalid bool")
        return name, bool(b)
    if tag == _P_INT:
        return name, _I64.unpack(cur.take(8))[0]
    if tag == _P_FLOAT:
        v = _F64.unpack(cur.take(8))[0]
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
