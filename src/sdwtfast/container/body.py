"""The body: typed, checksummed section records closed by END (``docs/format.md``, 2).

:func:`body_pieces` produces the plaintext body piece by piece (the section data is never
copied) and :class:`BodyParser` parses it as it arrives, in any slicing, so that reading
and writing both stream whether or not the body is encrypted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from .. import _native
from ..errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    UnsupportedFormatError,
)
from .constants import CRC, KNOWN_SECTION_FLAGS, MAX_SECTIONS, RECORD, SECTION_FLAG_OPTIONAL
from .schema import KNOWN_TYPES, Section, SectionType

__all__ = ["validate_sections", "body_pieces", "BodyParser"]


def validate_sections(sections: Iterable[Section]) -> list[Section]:
    """Check the sections to write: Section objects, at most 64, one per type.

    Parameters
    ----------
    sections : iterable of Section

    Returns
    -------
    list of Section
        The sections, in the given order.

    Raises
    ------
    InvalidInputError
        Not a Section, or a duplicate type.
    LimitExceededError
        More than 64 sections.
    """
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


def body_pieces(sections: Sequence[Section]) -> Iterator[bytes | memoryview]:
    """Yield the plaintext body: per section its record, data and CRC, then END.

    Parameters
    ----------
    sections : sequence of Section
        Checked by :func:`validate_sections`.

    Yields
    ------
    bytes or memoryview
        Consecutive pieces of the body; the data pieces are views of the sections' data.
    """
    for s in sections:
        data = memoryview(s.data).cast("B")
        rec = RECORD.pack(int(s.type), SECTION_FLAG_OPTIONAL if s.optional else 0, len(data))
        yield rec
        yield data
        yield CRC.pack(_native.crc32c(data, _native.crc32c(rec)))
    rec = RECORD.pack(SectionType.END, 0, 0)
    yield rec + CRC.pack(_native.crc32c(rec))


class BodyParser:
    """Push parser of the body. ``remaining`` (if known) bounds every declared length.

    Parameters
    ----------
    remaining : int or None
        Body bytes that follow (plaintext), when the input size is known: a section buffer is
        then allocated at its declared length, which is first checked against it. Unknown
        (None): buffers grow only as data actually arrives.

    Notes
    -----
    Call :meth:`feed` with consecutive pieces of the body, then :meth:`close` for the sections.
    """

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
        stype, flags, length = RECORD.unpack(rec)
        if stype == 0:
            raise CorruptStreamError("invalid section type 0")
        if stype != SectionType.END and len(self.sections) >= MAX_SECTIONS:
            raise LimitExceededError(f"more than {MAX_SECTIONS} sections")
        if self._left is not None and length + CRC.size > self._left:
            raise CorruptStreamError("section length exceeds the remaining data (truncated)")
        if stype == SectionType.END and (length or flags):
            raise CorruptStreamError("malformed END record")
        self._rec = (stype, flags, length)
        self._crc = _native.crc32c(rec)
        self._buf = bytearray(length) if self._left is not None else bytearray()
        self._filled = 0
        self._state = "data" if length else "crc"

    def _finish(self) -> None:
        stype, flags, length = self._rec
        if stype == SectionType.END:
            self._state = "end"
            return
        if flags & ~KNOWN_SECTION_FLAGS:
            raise UnsupportedFormatError(f"section 0x{stype:04X} has unknown flags 0x{flags:04X}")
        optional = bool(flags & SECTION_FLAG_OPTIONAL)
        if stype not in KNOWN_TYPES and not optional:
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

    def _feed_data(self, mv: memoryview) -> memoryview:
        length = self._rec[2]
        take = min(length - self._filled, len(mv))
        piece = mv[:take]
        if self._left is not None:
            self._buf[self._filled : self._filled + take] = piece
        else:
            self._buf += piece
        self._crc = _native.crc32c(piece, self._crc)
        self._filled += take
        self._consume(take)
        if self._filled == length:
            self._state = "crc"
        return mv[take:]

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Parse the next piece of the body.

        Parameters
        ----------
        data : bytes-like
            Any number of bytes, continuing the previous piece.

        Raises
        ------
        CorruptStreamError
            Bad framing or CRC, a declared length beyond the remaining data, or data after
            the END record.
        UnsupportedFormatError
            Unknown required section type or unknown section flags.
        LimitExceededError
            More than 64 sections.
        """
        mv = memoryview(data).cast("B")
        while len(mv):
            st = self._state
            n0 = len(mv)
            if st == "end":
                raise CorruptStreamError("unexpected data after the END record")
            if st == "record":
                rec, mv = self._take_small(mv, RECORD.size)
                self._consume(n0 - len(mv))
                if rec is not None:
                    self._begin(rec)
            elif st == "data":
                mv = self._feed_data(mv)
            else:  # "crc"
                raw, mv = self._take_small(mv, CRC.size)
                self._consume(n0 - len(mv))
                if raw is not None:
                    if CRC.unpack(raw)[0] != self._crc:
                        raise CorruptStreamError(
                            f"section 0x{self._rec[0]:04X} checksum mismatch (corrupted data)"
                        )
                    self._finish()

    def close(self) -> list[Section]:
        """Return the sections, once the END record was read.

        Returns
        -------
        list of Section
            In file order, END excluded; each ``data`` a ``bytearray`` owned by the caller.

        Raises
        ------
        CorruptStreamError
            No END record yet (truncated container).
        """
        if self._state != "end":
            raise CorruptStreamError("container is truncated (no END record)")
        return self.sections
