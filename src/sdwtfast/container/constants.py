"""Magic, version, flags, limits and struct layouts of the container format.

A leaf: it imports nothing of the package but :mod:`sdwtfast.limits` (another leaf). Every value
here is part of the byte layout
specified in ``docs/format.md``; changing one changes the format.
"""

from __future__ import annotations

import re
import struct

from .. import limits

MAGIC = b"\x89SDW\r\n\x1a\n"
"""Eight bytes every container starts with (PNG-style: catches text-mode transfers)."""
FORMAT_VERSION = (1, 2)
"""(major, minor): the newest version this build writes and reads. A file is written with the
lowest minor version that describes it: 1.0 unless it holds frames (FRAME_INDEX / FRAMES,
1.1) or a value table (VALUE_MAP, 1.2), so that files of 1.0 and 1.1 stay byte for byte what
they were. Readers refuse another major version."""
SEALED_VERSION = (2, 0)
"""The version of every encrypted file this build writes: its plain header holds only what
opening it needs (prefix, encryption block, CRC); the image header travels sealed, as the
body's first section (HEADER). Version-1 encrypted files (image header in the clear) still
read. Plain files keep version 1.x."""
READ_MAJORS = (FORMAT_VERSION[0], SEALED_VERSION[0])
"""Major versions this build reads."""

FLAG_ENCRYPTED = 0x0001
"""Header flag: the body is sealed with Cobblestone-256."""
KNOWN_FLAGS = FLAG_ENCRYPTED
SECTION_FLAG_OPTIONAL = 0x0001
"""Section flag: readers that do not know the type may skip the section."""
KNOWN_SECTION_FLAGS = SECTION_FLAG_OPTIONAL

SUITE_COBBLESTONE256 = 1
KEY_SOURCE_KEY = 1
KEY_SOURCE_PASSPHRASE = 2

# Limits, all checked while parsing before anything is allocated from a field's value.
MAX_HEADER_SIZE = 65536
MAX_DIMENSION = limits.MAX_CONTAINER_SIDE
MAX_PIXELS = limits.MAX_PIXELS
MAX_LEVELS = 32
MAX_SECTIONS = 64
MAX_SECTION_SIZE = 0xFFFFFFFF
MAX_PARAMS = 64
MAX_PREPROCESSING = 16
MAX_TOKEN = 32
MAX_MODEL_ID = 64
MAX_PARAM_VALUE = 255

FIXED = struct.Struct("<8sBBHIIIBBBB")
"""Fixed header part, magic .. levels: 28 bytes."""
PREFIX = struct.Struct("<8sBBHI")
"""Magic, major, minor, flags, header_size: the first 16 bytes."""
HEADER_SIZE_OFFSET = 12
"""Offset of ``header_size`` inside :data:`PREFIX`."""
RECORD = struct.Struct("<HHI")
"""Section record: type, flags, length."""
CRC = struct.Struct("<I")
ARGON = struct.Struct("<III")
"""Argon2id parameters: memory_kib, iterations, lanes."""
MIN_HEADER_SIZE = FIXED.size + 6 + CRC.size
"""Fixed part, six empty or zero-count variable fields, CRC: 38 bytes."""
IMAGE = struct.Struct("<IIBBBB")
"""The image header's fixed part (width .. levels) in a version-2.0 HEADER section."""

TOKEN_RE = re.compile(rb"[A-Za-z0-9._/+\-]{1,%d}\Z" % MAX_TOKEN)
MODEL_ID_RE = re.compile(rb"[\x21-\x7e]{0,%d}\Z" % MAX_MODEL_ID)

DTYPES = {
    "uint8": (1, 8, False),
    "uint16": (2, 16, False),
    "int16": (3, 16, True),
    "int32": (4, 16, True),
}  # name: (code, max bit depth, signed dtype)
DTYPE_BY_CODE = {code: name for name, (code, _, _) in DTYPES.items()}
