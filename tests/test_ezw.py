"""EZW core through its Python face: exactness, embedding, rate, robustness, golden streams."""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdwtfast.ezw as ezw
from sdwtfast.errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    UnsupportedFormatError,
)

from .conftest import psnr

pytestmark = pytest.mark.native

GOLDEN = Path(__file__).parent / "data" / "golden"

# ---------------------------------------------------------------------------------------------
# lossless

CORRUPT = (CorruptStreamError, UnsupportedFormatError)
"""What a damaged, truncated or foreign stream raises (never another SdwtError)."""


def test_lossless_exact_on_development_images(dev_images):
    assert len(dev_images) >= 10
    for name, img, _bits in dev_images:
        data = ezw.encode_image(img)
        out = ezw.decode_image(data)
        assert out.dtype == img.dtype and out.shape == img.shape, name
        assert np.array_equal(out, img), name
        # a real image compresses
        assert len(data) < img.nbytes, name


def test_lossless_raw_backend_exact(ct):
    crop = ct[100:300, 50:333]
    for backend in ("raw", "arith"):
        assert np.array_equal(ezw.decode_image(ezw.encode_image(crop, backend=backend)), crop)


@pytest.mark.parametrize("bits", [8, 10, 12, 14, 16])
@pytest.mark.parametrize("signed", [False, True])
def test_lossless_bit_depths(bits, signed):
    rng = np.random.default_rng(bits + 100 * signed)
    if signed:
        lo, hi, dt = -(1 << (bits - 1)), (1 << (bits - 1)) - 1, np.int16
        if bits == 16:
            lo, hi = -32768, 32767
    else:
        lo, hi, dt = 0, (1 << bits) - 1, (np.uint8 if bits == 8 else np.uint16)
    # smooth ramp + noise spanning the whole range, with both extremes present
    y, x = np.mgrid[0:97, 0:131]
    base = lo + (hi - lo) * (0.5 + 0.5 * np.sin(x / 9.0) * np.cos(y / 13.0))
    img = np.clip(base + rng.normal(0, (hi - lo) / 50, base.shape), lo, hi).astype(dt)
    img[0, 0], img[-1, -1] = lo, hi
    out = ezw.decode_image(ezw.encode_image(img))
    assert out.dtype == img.dtype and np.array_equal(out, img)


_DTYPES = [np.uint8, np.uint16, np.int16]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=st.integers(1, 300),
    w=st.integers(1, 300),
    dtype=st.sampled_from(_DTYPES),
    seed=st.integers(0, 2**32 - 1),
    backend=st.sampled_from(["arith", "raw"]),
    smooth=st.booleans(),
)
def test_lossless_property(h, w, dtype, seed, backend, smooth):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    if smooth:
        img = np.cumsum(rng.integers(-3, 4, size=(h, w)), axis=1) + rng.integers(info.min, info.max)
        img = np.clip(img, info.min, info.max).astype(dtype)
    else:
        img = rng.integers(info.min, int(info.max) + 1, size=(h, w)).astype(dtype)
    data = ezw.encode_image(img, backend=backend)
    out = ezw.decode_image(data)
    assert out.dtype == img.dtype and np.array_equal(out, img)


def test_levels_and_tiny_shapes():
    rng = np.random.default_rng(1)
    for shape in [(1, 1), (1, 2), (2, 1), (1, 300), (300, 1), (3, 5), (17, 2)]:
        img = rng.integers(0, 4096, size=shape).astype(np.uint16)
        maxl = max(shape).bit_length() - 1
        for lv in range(0, min(maxl, 10) + 1):
            assert np.array_equal(ezw.decode_image(ezw.encode_image(img, levels=lv)), img)
        with pytest.raises(InvalidInputError, match="levels"):
            ezw.encode_image(img, levels=maxl + 1)


def test_last_plane_rate_control(ct):
    full = ezw.encode_image(ct)
    sizes, errs = [], []
    for lp in (6, 3, 1, 0):
        d = ezw.encode_image(ct, last_plane=lp)
        out = ezw.decode_image(d)
        sizes.append(len(d))
        err = int(np.abs(out.astype(np.int64) - ct).max())
        errs.append(err)
    assert sizes == sorted(sizes) and sizes[-1] == len(full)
    assert errs[-1] == 0 and errs[0] > 0
    assert errs == sorted(errs, reverse=True)


# ---------------------------------------------------------------------------------------------
# lossy


@pytest.mark.parametrize("wavelet", ["9/7", "5/3", "haar"])
def test_lossy_rate_and_monotone_quality(ct, wavelet):
    peak = float(ct.max()) - float(ct.min())
    prev = -1.0
    for bpp in (0.1, 0.25, 0.5, 1.0, 2.0):
        data = ezw.encode_image(ct, bpp=bpp, wavelet=wavelet)
        hdr = ezw.read_header(data)
        assert hdr.payload_len <= int(bpp * ct.size / 8)
        assert hdr.payload_len >= int(bpp * ct.size / 8) - 1  # the budget is used
        out = ezw.decode_image(data)
        assert out.dtype == ct.dtype and out.shape == ct.shape
        q = psnr(ct, out, peak)
        assert q > prev, (wavelet, bpp, q, prev)
        prev = q
    assert prev > 60.0  # 2 bpp on a 14-bit CT


def test_lossy_quality_floor_9_7(ct):
    """Measured 67.3 dB (peak = max - min) at 1 bpp on this slice; fail on regressions."""
    peak = float(ct.max()) - float(ct.min())
    out = ezw.decode_image(ezw.encode_image(ct, bpp=1.0))
    assert psnr(ct, out, peak) > 66.5


def test_arith_beats_raw(ct):
    peak = float(ct.max()) - float(ct.min())
    a = psnr(ct, ezw.decode_image(ezw.encode_image(ct, bpp=0.5)), peak)
    r = psnr(ct, ezw.decode_image(ezw.encode_image(ct, bpp=0.5, backend="raw")), peak)
    assert a > r + 1.0
    assert len(ezw.encode_image(ct)) < 0.8 * len(ezw.encode_image(ct, backend="raw"))


# ---------------------------------------------------------------------------------------------
# embedding


@pytest.mark.parametrize("wavelet", ["9/7", "5/3", "haar"])
@pytest.mark.parametrize("backend", ["arith", "raw"])
def test_longer_prefixes_never_lower_psnr(ct, wavelet, backend):
    """Lossy (subband-weighted) streams: quality never drops as the prefix grows."""
    crop = ct[128:384, 128:384]
    peak = float(crop.max()) - float(crop.min())
    data = ezw.encode_image(crop, bpp=2.0, wavelet=wavelet, backend=backend)
    n = ezw.read_header(data).payload_len
    prev = -np.inf
    for k in np.linspace(0, n, 60).astype(int):
        q = psnr(crop, ezw.decode_image(ezw.truncate(data, int(k))), peak)
        assert q >= prev, (k, q, prev)
        prev = q
    assert prev > 55


@pytest.mark.parametrize("backend", ["arith", "raw"])
def test_lossless_stream_prefixes(ct, backend):
    """The integer 5/3 stream is embedded too, but its planes are not MSE-weighted: measured
    dips of up to 0.18 dB between close prefixes (see docs/format.md). Bound them at 0.3 dB
    and require the full stream to be exact."""
    crop = ct[128:384, 128:384]
    peak = float(crop.max()) - float(crop.min())
    data = ezw.encode_image(crop, backend=backend)
    n = ezw.read_header(data).payload_len
    best = -np.inf
    for k in np.linspace(0, n, 60).astype(int):
        q = psnr(crop, ezw.decode_image(ezw.truncate(data, int(k))), peak)
        assert q >= best - 0.3, (k, q, best)
        best = max(best, q)
    assert best == np.inf


def test_every_prefix_decodes():
    rng = np.random.default_rng(3)
    img = np.add.outer(np.arange(24), np.arange(20)) * 40 + rng.integers(0, 30, (24, 20))
    img = img.astype(np.uint16)
    for backend in ("arith", "raw"):
        data = ezw.encode_image(img, backend=backend)
        hsize = ezw.read_header(data).size
        for cut in range(hsize, len(data) + 1):
            out = ezw.decode_image(data[:cut], partial=True)
            assert out.shape == img.shape
        with pytest.raises(CorruptStreamError, match="truncated"):
            ezw.decode_image(data[:-1])


def test_budget_stream_is_prefix_of_lossless_raw(ct):
    """Raw back-end: a budget-cut stream is exactly a prefix of the full stream."""
    crop = ct[:64, :64]
    full = ezw.encode_pyramid(ezw_coef(crop), 3, backend="raw")[0]
    cut = ezw.encode_pyramid(ezw_coef(crop), 3, backend="raw", max_bytes=len(full) // 3)[0]
    assert full.startswith(cut) and len(cut) <= len(full) // 3


def ezw_coef(img):
    from sdwtfast import _native

    return _native.lift53_forward(img.astype(np.int32), 3)


# ---------------------------------------------------------------------------------------------
# robustness


def test_rejects_bad_images():
    good = np.zeros((8, 8), np.uint16)
    for bad in (
        np.zeros((8, 8), np.float32),
        np.zeros((2, 8, 8), np.uint16),
        np.zeros((0, 8), np.uint16),
        np.zeros(8, np.uint16),
        "image",
        np.full((8, 8), 1 << 40, np.int64),
        np.full((4, 4), 70000, np.int32),
        np.array([[-1, 40000]], np.int32),
        np.zeros((8, 8), bool),
    ):
        with pytest.raises(InvalidInputError):
            ezw.encode_image(bad)
    for kw in (
        {"bpp": -1},
        {"bpp": 0},
        {"bpp": float("nan")},
        {"bpp": "1"},
        {"backend": "huffman"},
        {"wavelet": "db4"},
        {"wavelet": "9/7"},
        {"levels": 99},
        {"levels": -1},
        {"levels": 1.5},
    ):
        with pytest.raises(InvalidInputError):
            ezw.encode_image(good, **kw)
    with pytest.raises(LimitExceededError):
        ezw.encode_image(
            np.lib.stride_tricks.as_strided(good, shape=(1 << 15, 1 << 14), strides=(0, 0))
        )
    # int32 holding 16-bit values is accepted
    img32 = np.arange(64, dtype=np.int32).reshape(8, 8) - 30
    assert np.array_equal(ezw.decode_image(ezw.encode_image(img32)), img32)


def test_corrupt_streams_raise_clean_errors(ct):
    crop = ct[200:264, 200:264]
    rng = np.random.default_rng(7)
    for bpp in (None, 1.0):
        data = bytearray(ezw.encode_image(crop, bpp=bpp))
        for _ in range(300):
            bad = bytearray(data)
            pos = int(rng.integers(0, len(bad)))
            bad[pos] ^= int(rng.integers(1, 256))
            with pytest.raises((CorruptStreamError, UnsupportedFormatError)):
                ezw.decode_image(bytes(bad))
        for cut in range(0, len(data), 7):
            with pytest.raises(CORRUPT):
                ezw.decode_image(bytes(data[:cut]))
        with pytest.raises(CorruptStreamError, match="trailing"):
            ezw.decode_image(bytes(data) + b"\0")
    for _ in range(200):
        junk = rng.integers(0, 256, size=int(rng.integers(0, 200)), dtype=np.uint8).tobytes()
        with pytest.raises(CORRUPT):
            ezw.decode_image(junk)
        with pytest.raises(CORRUPT):
            ezw.decode_image(b"SDWZ" + junk)
    with pytest.raises(InvalidInputError):
        ezw.decode_image(12345)


def test_garbage_payload_with_valid_header_never_crashes(ct):
    """Payloads of random bytes behind a valid header (checksums fixed up) decode to
    something or raise a clean error, for both back-ends and both modes."""
    crop = ct[:48, :40]
    rng = np.random.default_rng(11)
    for bpp in (None, 0.5):
        for backend in ("arith", "raw"):
            data = ezw.encode_image(crop, bpp=bpp, backend=backend)
            hdr = ezw.read_header(data)
            for _ in range(60):
                junk = rng.integers(0, 256, size=hdr.payload_len, dtype=np.uint8).tobytes()
                forged = data[: hdr.size] + junk
                forged = ezw.truncate(forged[: hdr.size] + junk, hdr.payload_len)
                try:
                    out = ezw.decode_image(forged)
                    assert out.shape == crop.shape
                except CorruptStreamError:
                    pass


def test_header_limits_checked_before_allocating(ct):
    import struct

    data = bytearray(ezw.encode_image(ct[:16, :16]))
    # forge a 2^20 x 2^20 image: rejected from the header, nothing allocated
    body = bytearray(data[: ezw.read_header(data).size - 4])
    struct.pack_into("<II", body, 13, 1 << 20, 1 << 20)
    from sdwtfast import _native

    forged = bytes(body) + struct.pack("<I", _native.crc32c(bytes(body)))
    with pytest.raises(LimitExceededError):
        ezw.decode_image(forged)


# ---------------------------------------------------------------------------------------------
# determinism, threads, golden files


def test_concurrent_calls_identical(ct):
    jobs = [(None, "arith"), (1.0, "arith"), (None, "raw"), (0.5, "raw")] * 3
    expected = {(b, be): ezw.encode_image(ct, bpp=b, backend=be) for b, be in set(jobs)}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda j: ezw.encode_image(ct, bpp=j[0], backend=j[1]), jobs))
        decoded = list(pool.map(ezw.decode_image, got))
    for j, g, d in zip(jobs, got, decoded, strict=True):
        assert g == expected[j]
        if j[0] is None:
            assert np.array_equal(d, ct)


GOLDEN_CASES = {
    "ezw_ct64_lossless_arith": dict(bpp=None, backend="arith"),
    "ezw_ct64_lossless_raw": dict(bpp=None, backend="raw"),
    "ezw_ct64_97_1bpp_arith": dict(bpp=1.0, backend="arith"),
    "ezw_ct64_haar_05bpp_raw": dict(bpp=0.5, wavelet="haar", backend="raw"),
}


def _golden_input(ct):
    return np.ascontiguousarray(ct[224:288, 192:256])


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_streams(ct, name):
    img = _golden_input(ct)
    data = ezw.encode_image(img, **GOLDEN_CASES[name])
    path = GOLDEN / f"{name}.sdwz"
    if os.environ.get("SDWTFAST_GENERATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        np.save(GOLDEN / f"{name}.decoded.npy", ezw.decode_image(data))
    golden = path.read_bytes()
    assert data == golden, "bitstream changed: bump the format version on purpose"
    out = ezw.decode_image(golden)
    expected = np.load(GOLDEN / f"{name}.decoded.npy")
    if GOLDEN_CASES[name]["bpp"] is None:
        assert np.array_equal(out, img) and np.array_equal(expected, img)
    else:  # float synthesis: allow one grey level across platforms
        assert np.abs(out.astype(np.int32) - expected).max() <= 1


def test_crafted_value_range_rejected(ct):
    import struct

    from sdwtfast import _native

    data = ezw.encode_image(ct[:16, :16])
    for vmin, vmax in ((-40000, 100), (0, 70000), (500, 100)):
        body = bytearray(data[: ezw.read_header(data).size - 4])
        struct.pack_into("<ii", body, 25, vmin, vmax)
        forged = bytes(body) + struct.pack("<I", _native.crc32c(bytes(body)))
        with pytest.raises(CorruptStreamError):
            ezw.decode_image(forged + data[len(body) + 4 :])
