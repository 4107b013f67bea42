"""LL-band SVD mode (sdwtfast.llsvd): round trips, rate, rank/energy options, bad streams."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from sdwtfast import llsvd
from sdwtfast.errors import (
    CorruptStreamError,
    InvalidInputError,
    UnsupportedFormatError,
)

from .conftest import psnr

pytestmark = pytest.mark.native

K_OFFSET = struct.calcsize("<4sBBBBBIIiii")  # the rank field of the header

CORRUPT = (CorruptStreamError, UnsupportedFormatError)
"""What a damaged, truncated or foreign stream raises (never another SdwtError)."""


@pytest.fixture(scope="module")
def crop(ct):
    return np.ascontiguousarray(ct[160:288, 180:308])  # 128x128, 14-bit signed CT


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (7, 1), (13, 17), (33, 65), (64, 48)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_round_trip_shapes_dtypes(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -2000), min(info.max, 4000)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    img = (
        lo + (hi - lo) * (0.5 + 0.3 * np.sin(yy / 5.0) * np.cos(xx / 7.0)) + rng.normal(0, 3, shape)
    )
    img = np.clip(np.rint(img), lo, hi).astype(dtype)
    bpp = max(4.0, 8.0 * 64 / img.size)  # room for the header on tiny images
    data = llsvd.encode(img, bpp=bpp)
    assert len(data) <= bpp * img.size / 8
    out = llsvd.decode(data)
    assert out.shape == img.shape and out.dtype == img.dtype
    assert out.min() >= img.min() and out.max() <= img.max()


def test_int32_within_16_bits_accepted():
    img = (np.arange(40 * 40, dtype=np.int32).reshape(40, 40) % 1000) - 200
    out = llsvd.decode(llsvd.encode(img, bpp=3.0))
    assert out.dtype == np.int16


@pytest.mark.parametrize("bpp", [0.25, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("wavelet", ["9/7", "haar"])
def test_rate_respected(crop, bpp, wavelet):
    data = llsvd.encode(crop, bpp=bpp, wavelet=wavelet)
    assert len(data) <= int(bpp * crop.size / 8)
    assert len(data) >= 0.9 * int(bpp * crop.size / 8)  # the budget is used
    assert llsvd.decode(data).shape == crop.shape


def test_quality_grows_with_rate(crop):
    p = [psnr(crop, llsvd.decode(llsvd.encode(crop, bpp=b)), 16383) for b in (0.5, 1, 2, 4)]
    assert all(b > a for a, b in zip(p, p[1:], strict=False)), p


def test_rank_monotone_in_quality(crop):
    # generous rate: the detail bands cost the same, the LL error falls with the rank
    p = []
    for k in (0, 1, 2, 4, 8, 16, 32):
        data = llsvd.encode(crop, bpp=6.0, rank=k)
        assert struct.unpack_from("<I", data, K_OFFSET)[0] == k
        p.append(psnr(crop, llsvd.decode(data), 16383))
    assert all(b >= a - 0.05 for a, b in zip(p, p[1:], strict=False)), p
    assert p[-1] > p[0] + 10


def test_energy_monotone_in_rank_and_quality(crop):
    ks, p = [], []
    for e in (0.5, 0.9, 0.99, 0.999, 0.99999):
        data = llsvd.encode(crop, bpp=6.0, energy=e)
        ks.append(struct.unpack_from("<I", data, K_OFFSET)[0])
        p.append(psnr(crop, llsvd.decode(data), 16383))
    assert ks == sorted(ks) and ks[-1] > ks[0], ks
    assert all(b >= a - 0.05 for a, b in zip(p, p[1:], strict=False)), p


def test_choose_rank():
    s = np.array([4.0, 2.0, 1.0, 0.0])
    assert llsvd.choose_rank(s, 0.5) == 1  # 16/21
    assert llsvd.choose_rank(s, 0.8) == 2  # 20/21
    assert llsvd.choose_rank(s, 1.0) == 3  # a zero singular value is never needed
    assert llsvd.choose_rank(np.zeros(3), 0.9) == 0


def test_auto_rank_not_worse_than_extremes(crop):
    auto = psnr(crop, llsvd.decode(llsvd.encode(crop, bpp=1.0)), 16383)
    for k in (1, 4):
        fixed = psnr(crop, llsvd.decode(llsvd.encode(crop, bpp=1.0, rank=k)), 16383)
        assert auto >= fixed - 0.5, (k, auto, fixed)


def test_full_rank_and_levels_zero():
    img = (np.add.outer(np.arange(16), np.arange(16)) * 50).astype(np.uint16)
    # levels=0: the whole image is the LL band; full rank reproduces it within rounding
    out = llsvd.decode(llsvd.encode(img, bpp=40.0, rank=16, levels=0))
    assert np.abs(out.astype(int) - img).max() <= 1


def test_bad_input():
    img = np.zeros((32, 32), np.uint16)
    bad = [
        dict(bpp=0),
        dict(bpp=-1.0),
        dict(bpp=float("nan")),
        dict(bpp="1"),
        dict(bpp=True),
        dict(bpp=1.0, wavelet="5/3"),
        dict(bpp=1.0, energy=0.0),
        dict(bpp=1.0, energy=1.5),
        dict(bpp=1.0, rank=-1),
        dict(bpp=1.0, rank=1.5),
        dict(bpp=1.0, rank=2, energy=0.9),
        dict(bpp=1.0, levels=11),
        dict(bpp=1.0, levels=-1),
        dict(bpp=1.0, levels=1.0),
        dict(bpp=0.01),  # budget below the header
        dict(bpp=0.5, rank=8),  # factors do not fit
    ]
    for kw in bad:
        with pytest.raises(InvalidInputError):
            llsvd.encode(img, **kw)
    for im in (
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((0, 5), np.uint8),
        np.zeros((8, 8), np.float32),
    ):
        with pytest.raises(InvalidInputError):
            llsvd.encode(im, bpp=4.0)
    with pytest.raises(InvalidInputError):
        llsvd.decode("not bytes")


def test_corrupt_and_truncated_rejected(crop):
    data = llsvd.encode(crop, bpp=1.0)
    with pytest.raises(UnsupportedFormatError):
        llsvd.decode(b"XXXX" + data[4:])
    with pytest.raises(UnsupportedFormatError):
        llsvd.decode(data[:4] + bytes([99]) + data[5:])
    for n in (0, 3, 10, len(data) // 2, len(data) - 1):
        with pytest.raises(CORRUPT):
            llsvd.decode(data[:n])
    with pytest.raises(CorruptStreamError):
        llsvd.decode(data + b"\0")
    rng = np.random.default_rng(1)
    for pos in rng.choice(np.arange(5, len(data)), 60, replace=False):
        b = bytearray(data)
        b[pos] ^= 1 << int(rng.integers(8))
        with pytest.raises(CorruptStreamError):
            llsvd.decode(bytes(b))
