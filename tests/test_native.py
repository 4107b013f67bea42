"""The Cython membrane and C kernels directly: exact transforms, quantizer, CRC, errors."""

from __future__ import annotations

import numpy as np
import pytest

from sdwtfast import _native
from sdwtfast.errors import InvalidInputError, LimitExceededError, NativeError

CAP = 1 << 22  # output buffer of the predictive coder in these tests

pytestmark = pytest.mark.native


def test_crc32c_vectors():
    assert _native.crc32c(b"123456789") == 0xE3069283
    assert _native.crc32c(b"") == 0
    data = bytes(range(256)) * 100
    assert _native.crc32c(data[5000:], _native.crc32c(data[:5000])) == _native.crc32c(data)


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (2, 2), (7, 5), (64, 64), (33, 100)])
def test_lift53_exact_inverse(shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(-65536, 65536, size=shape).astype(np.int32)
    for lv in range(_native.max_levels(*shape) + 1):
        c = _native.lift53_forward(x, lv)
        assert np.array_equal(_native.lift53_inverse(c, lv), x)
    with pytest.raises(InvalidInputError):
        _native.lift53_forward(x, _native.max_levels(*shape) + 1)


def test_lift53_matches_definition():
    """One level on a short signal against the JPEG 2000 5/3 formulas written out."""
    x = np.array([[10, 20, 5, 7, 100, 3, 8]], dtype=np.int32)
    c = _native.lift53_forward(x, 1)[0]
    s, d = x[0, 0::2].astype(int), x[0, 1::2].astype(int)
    ext = np.append(s, s[-1])  # odd length: x[n] never needed on the right for d
    dd = d - (ext[:-1][: len(d)] + s[1 : len(d) + 1]) // 2
    dl = np.concatenate([[dd[0]], dd])
    dr = np.concatenate([dd, [dd[-1]]])
    ss = s + (dl[: len(s)] + dr[: len(s)] + 2) // 4
    assert list(c) == list(ss) + list(dd)


def test_quantizer():
    x = np.array([-2.5, -0.9, 0.0, 0.9, 7.99])
    q = _native.quantize(x, 1.0)
    assert q.tolist() == [-2, 0, 0, 0, 7]
    y = _native.dequantize(q, None, 2.0, 0.5, 0.5)
    assert y.tolist() == [-5.0, 0.0, 0.0, 0.0, 15.0]
    with pytest.raises(InvalidInputError):
        _native.quantize(x, 0.0)
    with pytest.raises(InvalidInputError):
        _native.quantize(np.array([1e300]), 1.0)
    with pytest.raises(InvalidInputError):
        _native.quantize(np.array([np.nan]), 1.0)


def test_ezw_errors_are_exceptions():
    c = np.zeros((4, 4), np.int32)
    with pytest.raises(InvalidInputError):
        _native.ezw_encode(c, 9)
    with pytest.raises(InvalidInputError):
        _native.ezw_encode(c, 1, backend=5)
    with pytest.raises(InvalidInputError):
        _native.ezw_decode(b"", 4, 4, 1, top=31)
    with pytest.raises(LimitExceededError):
        _native.ezw_decode(b"", 1 << 21, 1, 0)
    with pytest.raises(InvalidInputError):
        _native.ezw_encode(np.full((2, 2), np.iinfo(np.int32).min, np.int32), 1)


def test_ezw_mask_skips_coefficients():
    rng = np.random.default_rng(5)
    c = rng.integers(-500, 500, size=(32, 32)).astype(np.int32)
    mask = np.zeros((32, 32), np.uint8)
    mask[:8, :8] = 1
    full, top, _ = _native.ezw_encode(c, 2)
    part, ptop, _ = _native.ezw_encode(c, 2, mask)
    assert len(part) < len(full) / 4
    q, lp = _native.ezw_decode(part, 32, 32, 2, mask, top=ptop)
    assert np.array_equal(q[:8, :8], c[:8, :8]) and not q[mask == 0].any()


def test_gil_released_threads_agree():
    import concurrent.futures

    rng = np.random.default_rng(9)
    c = rng.integers(-3000, 3000, size=(256, 256)).astype(np.int32)
    ref = _native.ezw_encode(c, 5)[0]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: _native.ezw_encode(c, 5)[0], range(8)))
    assert all(o == ref for o in outs)


# ---- predictive coder (csrc/pred.c) through its binding ------------------------------------


@pytest.mark.parametrize("maxval", [1, 255, 4095, 65535])
@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (40, 1), (37, 53)])
def test_pred_round_trip_and_mask(maxval, shape):
    from sdwtfast.errors import CorruptStreamError

    rng = np.random.default_rng(maxval + shape[0])
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    img = ((y * 7 + x * 3) % (maxval + 1)).astype(np.int32)
    img[rng.random(shape) < 0.2] = rng.integers(0, maxval + 1)
    s = _native.pred_encode(img, maxval, cap=CAP)
    assert np.array_equal(_native.pred_decode(s, *shape, maxval), img)
    mask = rng.random(shape) < 0.6
    junk = np.where(mask, img, -12345)  # outside the mask: ignored, even out of range
    sm = _native.pred_encode(junk, maxval, mask=mask, cap=CAP)
    out = _native.pred_decode(sm, *shape, maxval, mask=mask)
    assert np.array_equal(out[mask], img[mask])
    assert _native.pred_encode(img, maxval, cap=max(len(s) - 1, 0)) is None
    with pytest.raises(CorruptStreamError):
        _native.pred_decode(s[:-1], *shape, maxval)
    with pytest.raises(CorruptStreamError):
        _native.pred_decode(s + b"\0", *shape, maxval)


def test_pred_bad_arguments():
    img = np.zeros((4, 4), np.int32)
    with pytest.raises(NativeError, match="range"):
        _native.pred_encode(img + 9, 8, cap=CAP)  # value above maxval
    with pytest.raises(NativeError):
        _native.pred_encode(img, 0, cap=CAP)
    with pytest.raises(InvalidInputError):
        _native.pred_encode(np.zeros((0, 4), np.int32), 8, cap=CAP)
    with pytest.raises(InvalidInputError):
        _native.pred_encode(img, 8, mask=np.ones((3, 4), bool), cap=CAP)
    with pytest.raises(LimitExceededError):
        _native.pred_decode(b"\0" * 8, 1 << 21, 1, 8)


def test_pred_gil_released_threads_agree():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(3)
    imgs = [rng.integers(0, 4096, (96, 80)).astype(np.int32) for _ in range(6)]
    serial = [_native.pred_encode(i, 4095, cap=CAP) for i in imgs]
    with ThreadPoolExecutor(3) as ex:
        par = list(ex.map(lambda i: _native.pred_encode(i, 4095, cap=CAP), imgs))
    assert par == serial


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    bits=st.integers(1, 16),
    seed=st.integers(0, 2**32 - 1),
    masked=st.booleans(),
    smooth=st.booleans(),
)
def test_pred_property_round_trip(h, w, bits, seed, masked, smooth):
    rng = np.random.default_rng(seed)
    maxval = (1 << bits) - 1
    if smooth:
        y, x = np.mgrid[0:h, 0:w]
        img = ((y * rng.integers(0, 5) + x * rng.integers(0, 5)) % (maxval + 1)).astype(np.int32)
    else:
        img = rng.integers(0, maxval + 1, (h, w)).astype(np.int32)
    mask = rng.random((h, w)) < 0.7 if masked else None
    s = _native.pred_encode(img, maxval, mask=mask, cap=CAP)
    out = _native.pred_decode(s, h, w, maxval, mask=mask)
    sel = np.ones((h, w), bool) if mask is None else mask
    assert np.array_equal(out[sel], img[sel])
    assert out.min() >= 0 and out.max() <= maxval
