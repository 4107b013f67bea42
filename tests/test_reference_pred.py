"""The pure-Python predictive coder (``sdwtfast.reference.pred``) against the C one.

Every stream must be byte-identical to ``sdwtfast._native.pred_encode``'s, each decoder must
read the other's streams exactly (values outside the mask included: both return the coder's
predictions), the byte budget must give up at the same caps, and bad arguments, truncated and
corrupted streams must raise the same exception classes. The Python coder is slow (tens of
microseconds a pixel): the images are small.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdwtfast import _native
from sdwtfast.errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    NativeError,
)
from sdwtfast.reference import pred
from sdwtfast.reference.engine import ENGINE

SMALL = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SHAPES = [(1, 1), (1, 9), (9, 1), (2, 2), (3, 5), (7, 4), (8, 8), (5, 17), (13, 11)]
MAXVALS = [1, 3, 7, 100, 127, 128, 255, 256, 1000, 4095, 4096, 65535]


def _native_encode(img, maxval, mask=None, cap=None):
    """The C coder, with an ample budget when ``cap`` is None (the membrane needs one)."""
    if cap is None:
        cap = 8 * np.size(img) + 64  # at most 33 decisions of bounded cost a pixel
    return _native.pred_encode(img, maxval, cap, mask)


def _image(rng, kind: str, h: int, w: int, maxval: int) -> np.ndarray:
    """A test image of values in [0, maxval]: noise, smooth, constant, edges or sparse."""
    if kind == "noise":
        return rng.integers(0, maxval + 1, (h, w))
    if kind == "constant":
        return np.full((h, w), int(rng.integers(0, maxval + 1)), dtype=np.int64)
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == "smooth":
        f = 0.5 + 0.35 * np.sin(yy / 3.0 + 0.3) * np.cos(xx / 4.0 - 0.2)
        noise = rng.integers(-1, 2, (h, w)) * max(1, maxval // 200)
        return np.clip(np.round(maxval * f).astype(np.int64) + noise, 0, maxval)
    if kind == "edges":  # flat regions, hard steps: MED exact, bias contexts saturate
        v = np.where((yy + 2 * xx) % 11 < 5, maxval, maxval // 4)
        return np.where(xx * 3 > h + w, v, 0).astype(np.int64)
    if kind == "sparse":  # mostly zero with outliers: extreme residuals both ways
        img = np.zeros((h, w), dtype=np.int64)
        sel = rng.random((h, w)) < 0.1
        img[sel] = rng.integers(0, maxval + 1, int(sel.sum()))
        return img
    raise AssertionError(kind)


def _check_identical(img, maxval, mask=None) -> bytes:
    """Byte identity of the two encoders and exact, crossed round trips; returns the stream."""
    h, w = img.shape
    c_stream = _native_encode(img, maxval, mask)
    p_stream = pred.pred_encode(img, maxval, None, mask)
    assert p_stream == c_stream
    c_of_c = _native.pred_decode(c_stream, h, w, maxval, mask)
    p_of_c = pred.pred_decode(c_stream, h, w, maxval, mask)
    assert p_of_c.dtype == np.int32 and p_of_c.shape == (h, w)
    assert np.array_equal(p_of_c, c_of_c)  # outside the mask too: the same predictions
    assert np.array_equal(_native.pred_decode(p_stream, h, w, maxval, mask), p_of_c)
    if mask is None:
        assert np.array_equal(p_of_c, img)
    else:
        sel = np.asarray(mask) != 0
        assert np.array_equal(p_of_c[sel], np.asarray(img)[sel])
        assert p_of_c.min() >= 0 and p_of_c.max() <= maxval
    return p_stream


def _family(exc: BaseException) -> type[BaseException]:
    """The class the reference must raise, given the C membrane's exception."""
    if isinstance(exc, NativeError):  # the membrane's InvalidInputError carrying a status
        return InvalidInputError
    return type(exc)


def _same_outcome(call_native, call_ref):
    """Runs both; both return equal values, or both raise an exception of the same class."""
    try:
        expected = call_native()
    except Exception as exc:  # noqa: BLE001 - the class is what is compared
        with pytest.raises(_family(exc)) as info:
            call_ref()
        assert type(info.value) is _family(exc)
        return exc
    got = call_ref()
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and np.array_equal(got, expected)
    else:
        assert got == expected
    return expected


# ---------------------------------------------------------------------------------------------
# byte identity and round trips


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["noise", "smooth", "constant", "edges", "sparse"])
def test_shapes_and_contents(shape, kind):
    rng = np.random.default_rng([shape[0], shape[1], len(kind)])
    for maxval in (1, 255, 4095, 65535):
        img = _image(rng, kind, *shape, maxval)
        _check_identical(img, maxval)
        _check_identical(img, maxval, rng.random(shape) < 0.6)


@pytest.mark.parametrize("maxval", MAXVALS)
def test_every_threshold_regime(maxval):
    """Each maxval regime of the JPEG-LS thresholds, the CALIC scale and the exponent cap."""
    rng = np.random.default_rng(maxval)
    for kind in ("noise", "smooth", "sparse"):
        img = _image(rng, kind, 10, 12, maxval)
        _check_identical(img, maxval)
    _check_identical(_image(rng, "smooth", 9, 10, maxval), maxval, rng.random((9, 10)) < 0.5)


@pytest.mark.parametrize("bits", [1, 8, 12, 16])
def test_bit_depths_long_contexts(bits):
    """Enough pixels for contexts to pass the 64-sample reset (halving) several times."""
    maxval = (1 << bits) - 1
    rng = np.random.default_rng(bits)
    img = _image(rng, "smooth", 32, 30, maxval)
    img[::7] = _image(rng, "noise", 32, 30, maxval)[::7]  # some rough rows
    _check_identical(img, maxval)
    _check_identical(img, maxval, rng.random(img.shape) < 0.8)


@pytest.mark.parametrize(
    ("tile", "maxval"),
    [
        ([[60000, 1000], [1000, 60000]], 65535),  # checkerboard: MED off by +59000 every time
        ([[0, 255], [255, 0]], 255),
        ([[130, 0, 0], [0, 255, 255]], 255),  # an error persistently below -128
    ],
)
def test_corrections_pinned_at_their_bounds(tile, maxval):
    """Periodic patterns whose contexts push the bias corrections against +-128 and beyond."""
    t = np.array(tile)
    img = np.tile(t, (20 // t.shape[0] + 1, 20 // t.shape[1] + 1))[:20, :20]
    _check_identical(img, maxval)


def test_ct_crops(ct):
    # an air / tissue / bone boundary, soft tissue, and the disc's edge against the padding
    for y, x in ((96, 160), (240, 160), (0, 80)):
        crop = ct[y : y + 48, x : x + 40].astype(np.int32)
        crop -= crop.min()
        maxval = max(1, int(crop.max()))
        assert maxval <= pred.PRED_MAX_VALUE
        _check_identical(crop, maxval)
    crop = ct[96:128, 160:192].astype(np.int32)
    crop -= crop.min()
    disc = np.hypot(*np.mgrid[-16:16, -16:16]) < 13  # a ROI
    _check_identical(crop, int(crop.max()), disc)


def test_mask_extremes_and_values_outside_it():
    rng = np.random.default_rng(7)
    img = _image(rng, "smooth", 9, 11, 4095)
    for mask in (np.zeros((9, 11), bool), np.ones((9, 11), bool), np.eye(9, 11, dtype=np.uint8)):
        _check_identical(img, 4095, mask)
    # outside the mask the values are ignored and may be anything that fits int32
    mask = rng.random((9, 11)) < 0.5
    wild = img.copy()
    wild[~mask] = rng.choice([-(1 << 31), -5, 4096, (1 << 31) - 1], int((~mask).sum()))
    stream = _check_identical(wild, 4095, mask)
    assert stream == pred.pred_encode(img, 4095, None, mask)
    # a mask of any nonzero values and dtype is a mask of booleans
    _check_identical(img, 4095, mask.astype(np.int16) * -3)


def test_input_dtypes():
    img = np.arange(30).reshape(5, 6) % 17
    for dt in (np.uint8, np.int16, np.uint16, np.int64, np.uint64):
        _check_identical(img.astype(dt), 16)
    _check_identical(np.asfortranarray(img.astype(np.int32)), 16)
    _check_identical(img.astype(np.int32)[::-1, ::2], 16)
    assert pred.pred_encode(img.tolist(), 16) == _native_encode(img.tolist(), 16)


@st.composite
def _cases(draw):
    h = draw(st.integers(1, 12))
    w = draw(st.integers(1, 12))
    bits = draw(st.integers(1, 16))
    maxval = draw(st.integers(1 << (bits - 1), (1 << bits) - 1))
    kind = draw(st.sampled_from(["noise", "smooth", "constant", "edges", "sparse"]))
    seed = draw(st.integers(0, 2**32 - 1))
    masked = draw(st.booleans())
    return h, w, maxval, kind, seed, masked


@SMALL
@given(_cases())
def test_random_cases(case):
    h, w, maxval, kind, seed, masked = case
    rng = np.random.default_rng(seed)
    img = _image(rng, kind, h, w, maxval)
    mask = rng.random((h, w)) < rng.uniform(0.2, 0.95) if masked else None
    _check_identical(img, maxval, mask)


# ---------------------------------------------------------------------------------------------
# the byte budget


def test_cap_gives_up_at_the_same_budgets():
    rng = np.random.default_rng(3)
    for kind, shape in (("noise", (9, 10)), ("smooth", (16, 3)), ("constant", (1, 1))):
        img = _image(rng, kind, *shape, 4095)
        for mask in (None, rng.random(shape) < 0.5):
            full = pred.pred_encode(img, 4095, None, mask)
            n = len(full)
            assert n >= 4  # the decoder reads 4 bytes before the first decision
            for cap in sorted({0, 1, 3, 4, 5, n // 3, n // 2, n - 2, n - 1, n, n + 1, 2 * n}):
                got = pred.pred_encode(img, 4095, cap, mask)
                assert got == _native.pred_encode(img, 4095, cap, mask), (kind, cap)
                assert got == (full if cap >= n else None), (kind, cap)


def test_cap_checked_at_row_ends_before_a_bad_value():
    """The budget is checked after each row: a bad value in a later row is not reached."""
    rng = np.random.default_rng(4)
    img = _image(rng, "noise", 8, 8, 255)
    img[7, 3] = 256
    for cap in (0, 4, 10, 20, 1000):
        _same_outcome(
            lambda c=cap: _native.pred_encode(img, 255, c),
            lambda c=cap: pred.pred_encode(img, 255, c),
        )
    with pytest.raises(InvalidInputError):
        pred.pred_encode(img, 255, 1000)
    assert pred.pred_encode(img, 255, 4) is None
    assert ENGINE.pred_encode(img, 255, 4) is None


# ---------------------------------------------------------------------------------------------
# damaged streams


def _stream_and_image(seed=11, shape=(10, 9), maxval=1000, masked=False):
    rng = np.random.default_rng(seed)
    img = _image(rng, "smooth", *shape, maxval)
    img[::3, ::2] = rng.integers(0, maxval + 1, img[::3, ::2].shape)
    mask = rng.random(shape) < 0.7 if masked else None
    return pred.pred_encode(img, maxval, None, mask), img, mask


@pytest.mark.parametrize("masked", [False, True])
def test_truncated_and_extended_streams(masked):
    data, img, mask = _stream_and_image(masked=masked)
    h, w = img.shape
    for n in range(len(data)):
        with pytest.raises(CorruptStreamError):
            _native.pred_decode(data[:n], h, w, 1000, mask)
        with pytest.raises(CorruptStreamError):
            pred.pred_decode(data[:n], h, w, 1000, mask)
    for tail in (b"\x00", b"\xff", b"\x00\x00\x00\x00\x00"):
        with pytest.raises(CorruptStreamError):
            _native.pred_decode(data + tail, h, w, 1000, mask)
        with pytest.raises(CorruptStreamError):
            pred.pred_decode(data + tail, h, w, 1000, mask)


@pytest.mark.parametrize("masked", [False, True])
def test_corrupted_streams(masked):
    """Flipped bits and garbage: the same error class, or the same (wrong) image."""
    data, img, mask = _stream_and_image(seed=12, shape=(8, 8), maxval=300, masked=masked)
    rng = np.random.default_rng(13)
    raised = 0
    damaged = []
    for pos in range(len(data)):
        for bit in (0, 7):
            b = bytearray(data)
            b[pos] ^= 1 << bit
            damaged.append(bytes(b))
    damaged += [rng.bytes(int(n)) for n in rng.integers(0, 2 * len(data), 20)]
    damaged += [b"\xff" * len(data), b"\x00" * len(data)]
    for d in damaged:
        out = _same_outcome(
            lambda d=d: _native.pred_decode(d, 8, 8, 300, mask),
            lambda d=d: pred.pred_decode(d, 8, 8, 300, mask),
        )
        raised += isinstance(out, Exception)
    assert raised > len(damaged) // 2  # most damage is detected


# ---------------------------------------------------------------------------------------------
# arguments


def test_encoder_argument_errors():
    img = np.zeros((3, 4), np.int32)
    bad = [
        (img, 0, None),
        (img, -1, None),
        (img, 65536, None),
        (np.zeros((0, 4), np.int32), 5, None),
        (np.zeros((4, 0), np.int32), 5, None),
        (np.zeros(5, np.int32), 5, None),
        (np.zeros((2, 2, 2), np.int32), 5, None),
        (img.astype(np.float64), 5, None),
        (img.astype(bool), 5, None),
        (np.full((2, 2), 1 << 40), 5, None),
        (img, 5, np.ones((4, 3), bool)),
        (img, 5, np.ones(12, bool)),
        (img + 6, 5, None),  # a value above maxval
        (img - 1, 5, None),  # below 0
        (img + 6, 5, np.eye(3, 4, dtype=bool)),  # ... inside the mask
    ]
    for im, maxval, mask in bad:
        exc = _same_outcome(
            lambda im=im, mv=maxval, m=mask: _native.pred_encode(im, mv, 99, m),
            lambda im=im, mv=maxval, m=mask: pred.pred_encode(im, mv, 99, m),
        )
        assert isinstance(exc, InvalidInputError)
    for v in (-1, 1 << 64):
        _same_outcome(
            lambda v=v: _native.pred_encode(img, 5, v), lambda v=v: pred.pred_encode(img, 5, v)
        )
    _same_outcome(
        lambda: _native.pred_encode(img, 1 << 31, 99), lambda: pred.pred_encode(img, 1 << 31, 99)
    )


def test_decoder_argument_errors():
    data = pred.pred_encode(np.zeros((3, 4), np.int32), 5)
    cases = [
        (3, 0, 5, None),
        (0, 4, 5, None),
        (3, 4, 5, np.ones((4, 3), bool)),
        (3, 4, 0, None),
        (3, 4, 65536, None),
        (1 << 21, 1, 5, None),  # a side over the core's limits
    ]
    expected = [InvalidInputError] * 5 + [LimitExceededError]
    for (h, w, maxval, mask), cls in zip(cases, expected, strict=True):
        exc = _same_outcome(
            lambda h=h, w=w, mv=maxval, m=mask: _native.pred_decode(data, h, w, mv, m),
            lambda h=h, w=w, mv=maxval, m=mask: pred.pred_decode(data, h, w, mv, m),
        )
        assert _family(exc) is cls, (h, w, maxval)
    for h in (-1, 1 << 64):
        _same_outcome(
            lambda h=h: _native.pred_decode(data, h, 4, 5),
            lambda h=h: pred.pred_decode(data, h, 4, 5),
        )
    for buf in (bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        assert np.array_equal(pred.pred_decode(buf, 3, 4, 5), np.zeros((3, 4)))


# ---------------------------------------------------------------------------------------------
# the engine and the pieces


def test_engine_has_the_predictive_coder():
    assert ENGINE.PRED_MAX_VALUE == _native.PRED_MAX_VALUE == pred.PRED_MAX_VALUE
    img = np.arange(20).reshape(4, 5) % 7
    data = ENGINE.pred_encode(img, 6)
    assert data == _native_encode(img, 6)
    assert ENGINE.pred_encode(img, 6, len(data) - 1) is None
    assert ENGINE.pred_encode(img, 6, len(data), mask=np.ones((4, 5))) == data
    assert np.array_equal(ENGINE.pred_decode(data, 4, 5, 6), img)


def test_thresholds_known_values():
    assert pred.thresholds(255) == (3, 7, 21)  # JPEG-LS's defaults for 8 bits
    assert pred.thresholds(4095) == (18, 67, 276)
    assert pred.thresholds(65535) == (18, 67, 276)  # capped at 12-bit values
    assert pred.thresholds(1) == (1, 1, 1)
    assert pred.thresholds(15) == (2, 3, 4)


def test_c_division_in_gap():
    # dh = 9, dv = 21: g2 = d - c = -9, then (3 * g2 + 4a) / 4 = -27 / 4, -6 in C (floor: -7),
    # and (-6 + 2) >> 2 = -1 (floor: -2)
    a, b, c, d, ww, nn, nne = 0, 0, 9, 0, 0, 12, 0
    assert pred.gap_predict(a, b, c, d, ww, nn, nne, 1) == -1
    assert pred.blend_weight(1) == 1 << 40 and pred.blend_weight(1 << 14) == 1
    assert [pred.activity_class(v) for v in (0, 1, 2, 3, 5, 7, 1 << 30)] == [0, 2, 3, 4, 5, 6, 39]
