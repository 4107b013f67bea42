"""Tests of sdwtfast.container: layout, golden files, limits, tampering, encryption."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdwtfast import container as C
from sdwtfast import crypto
from sdwtfast.errors import (
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
    LimitExceededError,
    SdwtError,
    UnsupportedFormatError,
)

GOLDEN = Path(__file__).parent / "data" / "golden"
REGENERATE = os.environ.get("SDWTFAST_REGENERATE_GOLDEN") == "1"

REJECTIONS = (AuthenticationError, CorruptStreamError, UnsupportedFormatError, LimitExceededError)
FAST_KDF = crypto.Argon2Params(memory_kib=64, iterations=1, lanes=1)
KEY = crypto.Key(hashlib.sha256(b"sdwtfast test key").digest())


def _rejected(data, **kw) -> type[Exception]:
    """Decode ``data``; it must fail with one of the expected exception types."""
    try:
        C.unpack(data, **kw)
    except REJECTIONS as exc:
        return type(exc)
    except Exception as exc:  # pragma: no cover - reported as a failure
        pytest.fail(f"unexpected exception {type(exc).__name__}: {exc}")
    pytest.fail("tampered container was accepted")


def _deterministic_random():
    state = {"n": 0}

    def rand(n: int) -> bytes:
        state["n"] += 1
        return hashlib.sha256(b"golden salt %d" % state["n"]).digest()[:n]

    return rand


@pytest.fixture(scope="module")
def ct_image() -> np.ndarray:
    """A real CT slice (pydicom's CT_small.dcm, 128x128 int16)."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    return np.ascontiguousarray(ds.pixel_array)


def _ct_header(img: np.ndarray) -> C.Header:
    return C.Header(
        width=img.shape[1],
        height=img.shape[0],
        dtype="int16",
        bit_depth=16,
        signed=True,
        mode="lossless",
        wavelet="5/3",
        levels=3,
        model_id="bg-ae-v1",
        model_sha256=hashlib.sha256(b"weights").digest(),
        preprocessing=("border",),
        params={"roi": "auto", "near_lossless_d": 0},
    )


@pytest.fixture(scope="module")
def ct_container(ct_image):
    header = _ct_header(ct_image)
    sections = [
        C.Section(C.SectionType.MASK, bytes(64)),
        C.Section(C.SectionType.ROI, ct_image.tobytes()),
        C.Section(C.SectionType.META, b'{"note": "synthetic"}'),
    ]
    return header, sections, C.pack(header, sections, key=KEY)


# --------------------------------------------------------------------------------------------
# Round trips and API
# --------------------------------------------------------------------------------------------


def test_roundtrip_plain_and_header_fields(ct_image):
    header = _ct_header(ct_image)
    sections = [
        C.Section(C.SectionType.ROI, ct_image.tobytes()),
        C.Section(0x7001, b"future", optional=True),
    ]
    blob = C.pack(header, sections)
    info = C.read_header(blob)
    assert info.header == header and not info.encrypted and info.key_source is None
    assert info.version == (1, 0) and blob.startswith(C.MAGIC)  # no 1.1 section: 1.0
    h2, s2 = C.unpack(blob)
    assert h2 == header and s2 == sections
    assert isinstance(s2[0].type, C.SectionType) and s2[1].type == 0x7001 and s2[1].optional
    img = np.frombuffer(s2[0].data, dtype=np.int16).reshape(h2.height, h2.width)
    np.testing.assert_array_equal(img, ct_image)
    # a key given for a plain container: refused (downgrade), unless explicitly allowed
    with pytest.raises(AuthenticationError, match="not encrypted"):
        C.unpack(blob, key=KEY)
    with pytest.raises(AuthenticationError, match="not encrypted"):
        C.unpack(blob, passphrase="pw")
    assert C.unpack(blob, key=KEY, allow_unencrypted=True)[1] == sections


def test_roundtrip_key_and_passphrase(ct_container):
    header, sections, blob = ct_container
    info = C.read_header(blob)
    assert info.encrypted and info.key_source == "key" and info.version == (2, 0)
    assert info.header is None  # sealed: the plain header says nothing about the image
    assert C.unpack(blob, key=KEY) == (header, sections)
    assert C.unpack(blob, key=KEY.secret_bytes()) == (header, sections)
    pblob = C.pack(header, sections, passphrase="correct horse", kdf_params=FAST_KDF)
    pinfo = C.read_header(pblob)
    assert pinfo.key_source == "passphrase" and pinfo.kdf_params == FAST_KDF
    assert C.unpack(pblob, passphrase="correct horse") == (header, sections)
    # the plain header stays readable and is minimal: prefix, encryption block, CRC
    assert info.header_size == 16 + 2 + 16 + 32 + 4
    assert pinfo.header_size == info.header_size + 12 + 16
    assert sections[1].data[:64] not in blob[: info.header_size]
    for value in (header.width, header.height):
        assert struct.pack("<I", value) not in blob[: info.header_size]


def test_sealed_image_header_is_authenticated(ct_container):
    """The HEADER section is an ordinary sealed section: a wrong key opens nothing."""
    header, sections, blob = ct_container
    other = crypto.Key(bytes(32))
    assert _rejected(blob, key=other) is AuthenticationError
    with pytest.raises(KeyRequiredError):
        C.unpack(blob)
    with pytest.raises(InvalidInputError, match="HEADER"):
        C.pack(header, [C.Section(C.SectionType.HEADER, b"x")], key=KEY)
    with pytest.raises(InvalidInputError, match="HEADER"):
        C.pack(header, [C.Section(C.SectionType.HEADER, b"x")])


def test_misplaced_header_sections_are_rejected(ct_image):
    """A HEADER section in a version-1 body, or a 2.0 body without one first: corrupt."""
    header = _ct_header(ct_image)
    image = C.header.encode_image(header)
    plain = C.pack(header, [C.Section(C.SectionType.META, b"x")])
    size = C.read_header(plain).header_size
    forged = plain[:size] + _record(0x0008, image) + plain[size:]
    assert _rejected(forged) is CorruptStreamError
    with pytest.raises(CorruptStreamError):
        C.header.decode_image(image + b"\x00")
    with pytest.raises(CorruptStreamError):
        C.header.decode_image(image[:5])
    assert C.header.decode_image(image) == header


def test_params_of_every_type_roundtrip():
    params = {
        "b": True,
        "f": -0.125,
        "i": -(1 << 63),
        "j": (1 << 63) - 1,
        "s": "é✓",
        "y": b"\x00\xff",
        "z0": False,
    }
    h = C.Header(width=3, height=5, dtype="uint8", bit_depth=8, params=params)
    got = C.unpack(C.pack(h, []))[0]
    assert got.params == params and list(got.params) == sorted(params)
    assert type(got.params["b"]) is bool and type(got.params["i"]) is int


def test_read_header_from_file_reads_only_the_header(ct_container):
    _, _, blob = ct_container
    f = io.BytesIO(blob)
    info = C.read_header(f)
    assert f.tell() == info.header_size < 300


def test_read_from_non_seekable_stream(ct_container):
    header, sections, blob = ct_container

    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self._f = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            data = self._f.read(min(len(b), 1000))
            b[: len(data)] = data
            return len(data)

    assert not Pipe(blob).seekable()
    assert C.read(io.BufferedReader(Pipe(blob)), key=KEY) == (header, sections)
    plain = C.pack(header, sections)
    assert C.read(Pipe(plain)) == (header, sections)
    for data, kw in ((blob, {"key": KEY}), (plain, {})):
        with pytest.raises(REJECTIONS):
            C.read(Pipe(data[:-1]), **kw)
        with pytest.raises(REJECTIONS):
            C.read(Pipe(data + b"\x00"), **kw)


def test_save_and_load_are_atomic_and_private(tmp_path, ct_container):
    header, sections, _ = ct_container
    path = tmp_path / "img.sdwt"
    n = C.save(path, header, sections, key=KEY)
    assert path.stat().st_size == n
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert C.load(path, key=KEY) == (header, sections)
    with pytest.raises(FileExistsError):
        C.save(path, header, [])
    assert C.load(path, key=KEY) == (header, sections)
    C.save(path, header, [], overwrite=True)
    assert C.load(path) == (header, [])
    with pytest.raises(AuthenticationError):
        C.load(path, key=KEY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.sdwt"]


def test_no_key_wrong_kind_of_key():
    h = C.Header(width=1, height=1, dtype="uint8", bit_depth=8)
    kb = C.pack(h, [], key=KEY)
    pb = C.pack(h, [], passphrase="pw", kdf_params=FAST_KDF)
    with pytest.raises(KeyRequiredError):
        C.unpack(kb)
    with pytest.raises(KeyRequiredError, match="key file"):
        C.unpack(kb, passphrase="pw")
    with pytest.raises(KeyRequiredError):
        C.unpack(pb)
    with pytest.raises(KeyRequiredError, match="passphrase"):
        C.unpack(pb, key=KEY)
    with pytest.raises(AuthenticationError, match=crypto.WRONG_KEY_MESSAGE):
        C.unpack(pb, passphrase="pW")
    with pytest.raises(InvalidInputError):
        C.pack(h, [], key=KEY, passphrase="pw")
    with pytest.raises(InvalidInputError):
        C.pack(h, [], kdf_params=FAST_KDF)
    with pytest.raises(InvalidInputError):
        C.pack(h, [], passphrase="pw", kdf_params=crypto.Argon2Params(1 << 21, 1, 1))


def test_wrong_key_1000_of_1000_before_any_chunk(ct_container, monkeypatch):
    _, _, blob = ct_container

    def no_chunks(*a, **k):
        raise AssertionError("a chunk decryptor was created for a wrong key")

    monkeypatch.setattr(crypto, "ChunkDecryptor", no_chunks)
    for _ in range(1000):
        with pytest.raises(AuthenticationError) as info:
            C.unpack(blob, key=crypto.Key.generate())
        assert str(info.value).startswith(crypto.WRONG_KEY_MESSAGE)


def test_secrets_never_in_messages_or_reprs(ct_container):
    header, sections, blob = ct_container
    raw = KEY.secret_bytes()
    texts = [repr(header), repr(sections), repr(C.read_header(blob)), repr(KEY)]
    try:
        C.unpack(blob, key=crypto.Key(raw[::-1]))
    except AuthenticationError as exc:
        texts.append(str(exc))
    try:
        C.unpack(blob[:-1], key=KEY)
    except REJECTIONS as exc:
        texts.append(str(exc))
    for t in texts:
        assert raw.hex() not in t and raw.hex().upper() not in t and repr(raw) not in t


def test_encryption_overhead_is_small(ct_image):
    header = _ct_header(ct_image)
    sections = [C.Section(C.SectionType.ROI, ct_image.tobytes())]
    plain, sealed = C.pack(header, sections), C.pack(header, sections, key=KEY)
    plain_head = C.read_header(plain).header_size
    image = len(C.header.encode_image(header))
    body = len(plain) - plain_head + 8 + image + 4  # the HEADER section joins the body
    chunks = -(-(body + 1) // crypto.CHUNK_SIZE)
    assert len(sealed) == (16 + 2 + 16 + 32 + 4) + 56 + body + 16 * chunks
    assert len(sealed) == C.packed_size(header, sections, encryption="key")
    assert (len(sealed) - len(plain)) / len(plain) < 0.01


# --------------------------------------------------------------------------------------------
# Validation on the way in
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "exc"),
    [
        ({"width": 0}, LimitExceededError),
        ({"width": 70000}, LimitExceededError),
        ({"width": 65535, "height": 65535}, LimitExceededError),
        ({"dtype": "float32"}, InvalidInputError),
        ({"bit_depth": 9, "dtype": "uint8"}, InvalidInputError),
        ({"bit_depth": 17}, InvalidInputError),
        ({"signed": True, "dtype": "uint16"}, InvalidInputError),
        ({"mode": "has space"}, InvalidInputError),
        ({"wavelet": ""}, InvalidInputError),
        ({"levels": 33}, InvalidInputError),
        ({"model_id": "x" * 65}, InvalidInputError),
        ({"model_sha256": b"short"}, InvalidInputError),
        ({"preprocessing": ("a",) * 17}, InvalidInputError),
        ({"params": {"bad key": 1}}, InvalidInputError),
        ({"params": {"k": float("nan")}}, InvalidInputError),
        ({"params": {"k": 1 << 64}}, InvalidInputError),
        ({"params": {"k": "x" * 256}}, InvalidInputError),
        ({"params": {"k": [1]}}, InvalidInputError),
        ({"params": {f"k{i}": i for i in range(65)}}, InvalidInputError),
    ],
)
def test_header_validation(kw, exc):
    base = {"width": 8, "height": 8, "dtype": "uint16", "bit_depth": 12}
    with pytest.raises(exc):
        C.Header(**{**base, **kw})


def test_section_validation():
    h = C.Header(width=1, height=1, dtype="uint8", bit_depth=8)
    for bad in (0, 0xFFFF, -1, 1 << 16, "ROI", True):
        with pytest.raises(InvalidInputError):
            C.Section(bad, b"")
    with pytest.raises(InvalidInputError):
        C.Section(1, "text")
    with pytest.raises(InvalidInputError):
        C.pack(h, [C.Section(1, b""), C.Section(1, b"")])
    with pytest.raises(LimitExceededError):
        C.pack(h, [C.Section(i, b"", optional=True) for i in range(1, 66)])


# --------------------------------------------------------------------------------------------
# Golden files: the layout is frozen byte for byte
# --------------------------------------------------------------------------------------------


def _golden_inputs():
    header = C.Header(
        width=512,
        height=512,
        dtype="uint16",
        bit_depth=12,
        signed=False,
        mode="near-lossless",
        wavelet="5/3",
        levels=5,
        model_id="bg-ae-v1",
        model_sha256=hashlib.sha256(b"golden weights").digest(),
        preprocessing=("border", "clahe"),
        params={"d": 2, "roi": "auto", "ratio": 0.5, "flag": True, "tbl": b"\x01\x02"},
    )
    payload = bytes((i * 31 + (i >> 8)) & 0xFF for i in range(20000))  # > one chunk
    sections = [
        C.Section(C.SectionType.MASK, b"\xff\x00" * 8),
        C.Section(C.SectionType.ROI, payload),
        C.Section(C.SectionType.BACKGROUND, b"bg"),
        C.Section(C.SectionType.META, b'{"synthetic": true}'),
        C.Section(0x7ABC, b"ignored by v1 readers", optional=True),
    ]
    return header, sections


GOLDEN_KEY = crypto.Key(bytes(range(32)))
GOLDEN_CASES = {
    "container_plain_v1.bin": {},
    "container_key_v2.bin": {"key": GOLDEN_KEY},
    "container_passphrase_v2.bin": {"passphrase": "golden passphrase", "kdf_params": FAST_KDF},
}
GOLDEN_V1_SEALED = {
    "container_key_v1.bin": {"key": GOLDEN_KEY},
    "container_passphrase_v1.bin": {"passphrase": "golden passphrase"},
}
"""Encrypted files of version 1.0 (image header in the clear): no longer written, still read."""


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(name):
    header, sections = _golden_inputs()
    kw = GOLDEN_CASES[name]
    blob = C.pack(header, sections, **kw, _random=_deterministic_random())
    path = GOLDEN / name
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
    golden = path.read_bytes()
    assert blob == golden, f"{name}: the container layout changed; bump the format version"
    open_kw = {k: v for k, v in kw.items() if k != "kdf_params"}
    assert C.unpack(golden, **open_kw) == (header, sections)
    info = C.read_header(golden)
    assert info.encrypted == bool(open_kw)
    assert info.header == (None if open_kw else header)
    assert info.version == ((2, 0) if open_kw else (1, 0))


@pytest.mark.parametrize("name", sorted(GOLDEN_V1_SEALED))
def test_golden_v1_encrypted_still_decodes(name):
    header, sections = _golden_inputs()
    golden = (GOLDEN / name).read_bytes()
    info = C.read_header(golden)
    assert info.version == (1, 0) and info.encrypted and info.header == header
    assert C.unpack(golden, **GOLDEN_V1_SEALED[name]) == (header, sections)
    edited = _reencode_header(golden, lambda h: struct.pack_into("<I", h, 16, 511))  # width
    assert _rejected(edited, **GOLDEN_V1_SEALED[name]) is AuthenticationError


def test_golden_plain_layout_by_hand():
    """The documented layout (docs/format.md), checked field by field."""
    golden = (GOLDEN / "container_plain_v1.bin").read_bytes()
    magic, major, minor, flags, hsize, w, h, dt, bits, sgn, lv = struct.unpack_from(
        "<8sBBHIIIBBBB", golden
    )
    assert (magic, major, minor, flags) == (b"\x89SDW\r\n\x1a\n", 1, 0, 0)
    assert (w, h, dt, bits, sgn, lv) == (512, 512, 2, 12, 0, 5)
    from sdwtfast import _native

    assert struct.unpack_from("<I", golden, hsize - 4)[0] == _native.crc32c(golden[: hsize - 4])
    pos, types = hsize, []
    while True:
        t, f, n = struct.unpack_from("<HHI", golden, pos)
        crc = struct.unpack_from("<I", golden, pos + 8 + n)[0]
        assert crc == _native.crc32c(golden[pos : pos + 8 + n])
        types.append((t, f))
        pos += 12 + n
        if t == 0xFFFF:
            break
    assert pos == len(golden)
    assert types == [(1, 0), (2, 0), (3, 0), (4, 0), (0x7ABC, 1), (0xFFFF, 0)]


def test_crc32c_vector():
    from sdwtfast import _native

    assert _native.crc32c(b"123456789") == 0xE3069283


# --------------------------------------------------------------------------------------------
# Tampering: every flip, every truncation, chunk surgery, header edits
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_every_single_byte_flip_is_rejected_encrypted(ct_container, mask):
    _, _, blob = ct_container
    buf = bytearray(blob)
    for i in range(len(buf)):
        buf[i] ^= mask
        _rejected(bytes(buf), key=KEY)
        buf[i] ^= mask


@pytest.mark.parametrize(
    "mask",
    [0x01, pytest.param(0x80, marks=pytest.mark.slow), pytest.param(0xFF, marks=pytest.mark.slow)],
)
def test_every_single_byte_flip_is_rejected_plain(ct_container, mask):
    header, sections, _ = ct_container
    buf = bytearray(C.pack(header, sections))
    for i in range(len(buf)):
        buf[i] ^= mask
        _rejected(bytes(buf))
        buf[i] ^= mask


def test_every_truncation_is_rejected(ct_container):
    header, sections, blob = ct_container
    plain = C.pack(header, sections)
    for n in range(len(blob)):
        _rejected(blob[:n], key=KEY)
    for n in range(len(plain)):
        _rejected(plain[:n])


@pytest.mark.parametrize(
    "extra", [b"\x00", b"\x00" * 15, b"\x00" * 16, b"\x00" * 17, b"\xff" * 16400, b"SDW"]
)
def test_appended_bytes_are_rejected(ct_container, extra):
    header, sections, blob = ct_container
    _rejected(blob + extra, key=KEY)
    _rejected(C.pack(header, sections) + extra)


def _split(blob: bytes):
    hs = C.read_header(blob).header_size + crypto.PREFIX_SIZE
    s = crypto.SEALED_CHUNK_SIZE
    return blob[:hs], [blob[i : i + s] for i in range(hs, len(blob), s)]


def test_chunk_swap_duplicate_drop_are_rejected(ct_container):
    header, sections, blob = ct_container
    head, ch = _split(blob)
    assert len(ch) == 3
    other = C.pack(header, sections, key=KEY)  # same key and plaintext, other salt
    _, och = _split(other)
    variants = [
        [ch[1], ch[0], ch[2]],
        [ch[0], ch[0], ch[1], ch[2]],
        [ch[0], ch[1], ch[1], ch[2]],
        [ch[0], ch[2]],
        [ch[1], ch[2]],
        ch[:2],
        ch + [ch[2]],
        [och[0], ch[1], ch[2]],
        [ch[0], ch[1], och[2]],
    ]
    for parts in variants:
        _rejected(head + b"".join(parts), key=KEY)
    # the other container's payload under this header (and vice versa)
    ohead, _ = _split(other)
    _rejected(head + other[len(ohead) :], key=KEY)
    _rejected(ohead + blob[len(head) :], key=KEY)


def _reencode_header(blob: bytes, edit) -> bytes:
    """Edit header fields and fix the CRC, as a deliberate attacker would."""
    size = C.read_header(blob).header_size
    head = bytearray(blob[:size])
    edit(head)
    struct.pack_into("<I", head, 12, len(head))
    from sdwtfast import _native

    struct.pack_into("<I", head, len(head) - 4, _native.crc32c(bytes(head[:-4])))
    return bytes(head) + blob[size:]


@pytest.mark.parametrize(
    "edit",
    [
        lambda h: struct.pack_into("<B", h, 9, 1),  # minor version
        lambda h: (struct.pack_into("<B", h, 9, 1), h.extend(bytes(4))),  # appended field
        lambda h: h.__setitem__(-40, h[-40] ^ 1),  # key-check salt
        lambda h: h.__setitem__(-5, h[-5] ^ 1),  # key check
    ],
    ids=["minor", "appended", "check_salt", "key_check"],
)
def test_header_edits_with_fixed_crc_are_rejected(ct_container, edit):
    _, _, blob = ct_container
    edited = _reencode_header(blob, edit)
    assert edited != blob
    assert _rejected(edited, key=KEY) is AuthenticationError


def test_header_swapped_between_files_is_rejected(ct_container, ct_image):
    header, sections, blob = ct_container
    h2 = C.Header(**{**header.__dict__, "params": {"roi": "manual"}})
    other = C.pack(h2, sections, key=KEY)
    s1, s2 = C.read_header(blob).header_size, C.read_header(other).header_size
    assert _rejected(other[:s2] + blob[s1:], key=KEY) is AuthenticationError


def test_cleared_encryption_flag_is_rejected(ct_container):
    _, _, blob = ct_container
    edited = _reencode_header(blob, lambda h: struct.pack_into("<H", h, 10, 0))
    _rejected(edited)
    _rejected(edited, key=KEY)


# --------------------------------------------------------------------------------------------
# Crafted inputs: limits before allocation, unknown features
# --------------------------------------------------------------------------------------------


def _plain_with_body(body: bytes) -> bytes:
    h = C.Header(width=4, height=4, dtype="uint8", bit_depth=8)
    blob = C.pack(h, [])
    return blob[: C.read_header(blob).header_size] + body


def _record(t: int, data: bytes, flags: int = 0, length: int | None = None) -> bytes:
    from sdwtfast import _native

    rec = struct.pack("<HHI", t, flags, len(data) if length is None else length) + data
    return rec + struct.pack("<I", _native.crc32c(rec))


END = _record(0xFFFF, b"")


def test_crafted_bodies():
    ok = _plain_with_body(_record(2, b"abc") + END)
    assert C.unpack(ok)[1] == [C.Section(2, b"abc")]
    cases = {
        "huge length": (_record(2, b"abc", length=0xFFFFFFF0) + END, CorruptStreamError),
        "type 0": (_record(0, b"") + END, CorruptStreamError),
        "unknown required": (_record(0x0042, b"x") + END, UnsupportedFormatError),
        "unknown flags": (_record(2, b"x", flags=2) + END, UnsupportedFormatError),
        "duplicate": (_record(2, b"x") + _record(2, b"y") + END, CorruptStreamError),
        "too many": (
            b"".join(_record(0x100 + i, b"", 1) for i in range(65)) + END,
            LimitExceededError,
        ),
        "no END": (_record(2, b"x"), CorruptStreamError),
        "END with data": (_record(0xFFFF, b"x"), CorruptStreamError),
        "after END": (END + _record(2, b"x"), CorruptStreamError),
        "empty body": (b"", CorruptStreamError),
    }
    for name, (body, exc) in cases.items():
        with pytest.raises(exc):
            C.unpack(_plain_with_body(body))
            pytest.fail(name)


def test_huge_declared_section_allocates_nothing():
    blob = _plain_with_body(_record(2, b"", length=0xFFFFFFF0) + b"\x00" * 100)
    tracemalloc.start()
    try:
        with pytest.raises(CorruptStreamError):
            C.unpack(blob)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


VAR = b"\x04mode\x03w/x\x00\x00"  # mode, wavelet, model id, model hash


def _crafted_header(**fields) -> bytes:
    """A minimal plain header with chosen fixed fields and a valid CRC."""
    from sdwtfast import _native

    v = {
        "major": 1,
        "minor": 0,
        "flags": 0,
        "w": 4,
        "h": 4,
        "dt": 1,
        "bits": 8,
        "sgn": 0,
        "lv": 0,
        "var": VAR + b"\x00\x00",
    }
    v.update(fields)
    size = 28 + len(v["var"]) + 4
    head = (
        struct.pack(
            "<8sBBHIIIBBBB",
            C.MAGIC,
            v["major"],
            v["minor"],
            v["flags"],
            size,
            v["w"],
            v["h"],
            v["dt"],
            v["bits"],
            v["sgn"],
            v["lv"],
        )
        + v["var"]
    )
    return head + struct.pack("<I", _native.crc32c(head))


def test_crafted_headers():
    base = _crafted_header()
    assert C.read_header(base + END).header.mode == "mode"
    assert C.unpack(base + END)[1] == []
    cases = [
        (_crafted_header(major=2), CorruptStreamError),  # 2.x must be encrypted
        (_crafted_header(major=2, flags=1), UnsupportedFormatError),  # "suite" 4
        (_crafted_header(major=3), UnsupportedFormatError),
        (_crafted_header(major=0), UnsupportedFormatError),
        (_crafted_header(flags=4), UnsupportedFormatError),
        (_crafted_header(w=70000), LimitExceededError),
        (_crafted_header(w=65535, h=65535), LimitExceededError),
        (_crafted_header(w=0), LimitExceededError),
        (_crafted_header(dt=9), CorruptStreamError),
        (_crafted_header(bits=17, dt=2), CorruptStreamError),
        (_crafted_header(sgn=2), CorruptStreamError),
        (_crafted_header(var=VAR + b"\x00"), CorruptStreamError),  # runs past the end
        (_crafted_header(var=VAR + b"\x00\x00\x00"), CorruptStreamError),  # trailing byte
        (_crafted_header(var=VAR + b"\x00\x01\x01a\x09"), UnsupportedFormatError),
        (
            _crafted_header(var=VAR + b"\x00\x02\x01b\x01\x00\x01a\x01\x00"),
            CorruptStreamError,
        ),  # parameters out of order
        (_crafted_header(var=VAR + b"\x00\x01\x01a\x01\x02"), CorruptStreamError),
        (
            _crafted_header(var=VAR + b"\x00\x01\x01a\x03" + struct.pack("<d", float("inf"))),
            CorruptStreamError,
        ),
        (_crafted_header(var=VAR + b"\x00\x01\x01a\x04\x02\xff\xfe"), CorruptStreamError),
        (_crafted_header(var=VAR + b"\x00\x41"), CorruptStreamError),  # 65 parameters
        (_crafted_header(var=VAR + b"\x11\x00"), CorruptStreamError),  # 17 steps
        (_crafted_header(var=b"\x05mo de" + VAR[5:] + b"\x00\x00"), CorruptStreamError),
        (_crafted_header(var=VAR[:-1] + b"\x05abcde\x00\x00"), CorruptStreamError),
        (_crafted_header(flags=1, var=VAR + b"\x00\x00\x02\x01"), UnsupportedFormatError),
        (_crafted_header(flags=1, var=VAR + b"\x00\x00\x01\x07"), UnsupportedFormatError),
        (_crafted_header()[:-1] + b"\x00", CorruptStreamError),  # CRC
    ]
    for i, (blob, exc) in enumerate(cases):
        with pytest.raises(exc):
            C.unpack(blob + END)
            pytest.fail(f"case {i}")
    for blob, exc in [
        (b"GIF89a" + bytes(40), UnsupportedFormatError),
        (b"", CorruptStreamError),
        (C.MAGIC[:5], CorruptStreamError),
        (C.MAGIC + bytes(4), CorruptStreamError),
    ]:
        with pytest.raises(exc):
            C.unpack(blob)
    # a newer minor version may append header fields that this build (1.2) skips
    newer = _crafted_header(minor=3, var=VAR + b"\x00\x00" + b"future")
    assert C.read_header(newer).version == (1, 3)
    assert C.unpack(newer + END)[1] == []


@pytest.mark.parametrize(
    "params", [(1 << 24, 3, 4), (65536, 10**6, 4), (65536, 3, 1000), (1 << 20, 16, 1)]
)
def test_crafted_argon2_parameters_refused_before_kdf(params, monkeypatch):
    h = C.Header(width=1, height=1, dtype="uint8", bit_depth=8)
    blob = C.pack(h, [], passphrase="pw", kdf_params=FAST_KDF)
    # Argon2 block: suite, source, then memory, iterations, lanes right before the salts.
    size = C.read_header(blob).header_size
    off = size - 4 - 32 - 16 - 16 - 12

    def edit(head):
        struct.pack_into("<III", head, off, *params)

    crafted = _reencode_header(blob, edit)

    def boom(*a, **k):
        raise AssertionError("the KDF ran on absurd parameters")

    monkeypatch.setattr(crypto.kdf, "Argon2id", boom)
    with pytest.raises(LimitExceededError):
        C.read_header(crafted)
    with pytest.raises(LimitExceededError):
        C.unpack(crafted, passphrase="pw")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutations_raise_only_sdwt_errors(ct_container, data):
    _, _, blob = ct_container
    small = C.pack(
        C.Header(width=2, height=2, dtype="uint8", bit_depth=8),
        [C.Section(2, b"abcd"), C.Section(4, b"{}")],
        key=KEY,
    )
    base = bytearray(data.draw(st.sampled_from([small, blob[:2000], C.MAGIC + bytes(40)])))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "set"]))
        i = data.draw(st.integers(0, max(0, len(base) - 1)))
        if op == "flip" and base:
            base[i] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            base[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and base:
            del base[i : i + data.draw(st.integers(1, 8))]
        elif base:
            base[i] = data.draw(st.integers(0, 255))
    for kw in ({}, {"key": KEY}, {"passphrase": "pw"}):
        try:
            C.unpack(bytes(base), **kw)
        except SdwtError:
            pass


# --------------------------------------------------------------------------------------------
# Large payloads: streaming with bounded memory
# --------------------------------------------------------------------------------------------


def _streaming_roundtrip(tmp_path, size: int, key) -> tuple[int, int]:
    """Write then read a ``size``-byte section; return the traced peaks beyond the payload."""
    payload = os.urandom(1 << 20) * (size >> 20)
    digest = hashlib.sha256(payload).digest()
    h = C.Header(width=8192, height=8192, dtype="uint16", bit_depth=16)
    path = tmp_path / "big.sdwt"
    tracemalloc.start()
    try:
        with open(path, "wb") as f:
            C.write(f, h, [C.Section(C.SectionType.ROI, payload)], key=key)
        write_peak = tracemalloc.get_traced_memory()[1]
        del payload
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        with open(path, "rb") as f:
            _, secs = C.read(f, key=key)
        read_peak = tracemalloc.get_traced_memory()[1] - base - size
    finally:
        tracemalloc.stop()
    assert hashlib.sha256(secs[0].data).digest() == digest
    return write_peak, read_peak


def test_streaming_memory_is_bounded_16mib(tmp_path):
    for key in (KEY, None):
        write_peak, read_peak = _streaming_roundtrip(tmp_path, 16 << 20, key)
        assert write_peak < 8 * crypto.SEALED_CHUNK_SIZE
        assert read_peak < 8 * crypto.SEALED_CHUNK_SIZE


@pytest.mark.slow
def test_256mib_roundtrip_memory_is_bounded(tmp_path):
    write_peak, read_peak = _streaming_roundtrip(tmp_path, 256 << 20, KEY)
    assert write_peak < 8 * crypto.SEALED_CHUNK_SIZE
    assert read_peak < 8 * crypto.SEALED_CHUNK_SIZE
