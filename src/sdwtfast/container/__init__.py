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

What lives where (each module imports only those above it):

- :mod:`.constants`: magic, version, flags, limits, struct layouts (a leaf);
- :mod:`.schema`: :class:`SectionType`, :class:`Section`, :class:`Header`,
  :class:`ContainerInfo`, token and parameter validation;
- :mod:`.params`: length-prefixed fields and the typed (TLV) header parameters;
- :mod:`.header`: header encoding and decoding, the prefix check, :func:`read_header`;
- :mod:`.body`: section validation, the body's pieces and its streaming parser;
- :mod:`.files`: :func:`write` / :func:`read`, :func:`pack` / :func:`unpack`,
  :func:`save` / :func:`load`, and the encryption wiring (key check, sealing).
- :mod:`.sizes`: :func:`packed_size`, a container's exact size without sealing anything.

Everything public is importable from this package.

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

from .constants import FLAG_ENCRYPTED as FLAG_ENCRYPTED
from .constants import FORMAT_VERSION, MAGIC
from .constants import KEY_SOURCE_KEY as KEY_SOURCE_KEY
from .constants import KEY_SOURCE_PASSPHRASE as KEY_SOURCE_PASSPHRASE
from .constants import MAX_DIMENSION as MAX_DIMENSION
from .constants import MAX_HEADER_SIZE as MAX_HEADER_SIZE
from .constants import MAX_LEVELS as MAX_LEVELS
from .constants import MAX_MODEL_ID as MAX_MODEL_ID
from .constants import MAX_PARAM_VALUE as MAX_PARAM_VALUE
from .constants import MAX_PARAMS as MAX_PARAMS
from .constants import MAX_PIXELS as MAX_PIXELS
from .constants import MAX_PREPROCESSING as MAX_PREPROCESSING
from .constants import MAX_SECTION_SIZE as MAX_SECTION_SIZE
from .constants import MAX_SECTIONS as MAX_SECTIONS
from .constants import MAX_TOKEN as MAX_TOKEN
from .constants import SECTION_FLAG_OPTIONAL as SECTION_FLAG_OPTIONAL
from .constants import SUITE_COBBLESTONE256 as SUITE_COBBLESTONE256
from .files import KeyLike as KeyLike
from .files import load, pack, read, save, unpack, write
from .header import read_header
from .schema import ContainerInfo, Header, ParamValue, Section, SectionType
from .sizes import packed_size, sealing

__all__ = [
    "MAGIC",
    "FORMAT_VERSION",
    "SectionType",
    "Section",
    "Header",
    "ContainerInfo",
    "ParamValue",
    "pack",
    "packed_size",
    "sealing",
    "unpack",
    "write",
    "read",
    "read_header",
    "save",
    "load",
]
