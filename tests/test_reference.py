"""The pure-Python reference against the C core: same numbers, same bytes, same errors.

Tests marked ``native`` compare with ``sdwtfast._native`` (function by function) or with the C
pipeline of ``sdwtfast.ezw`` (whole images). The others check the reference on its own: known
answers, round trips and the embedding property of its coders.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdwtfast.reference as reference
from sdwtfast.errors import InvalidInputError, LimitExceededError
from sdwtfast.reference import arith, lift53
from sdwtfast.reference.engine import ENGINE

ENGINE_FUNCTIONS = {
    "lift53_forward",
    "lift53_inverse",
    "quantize",
    "dequantize",
    "ezw_top_plane",
    "ezw_raw_bound",
    "ezw_encode",
    "ezw_decode",
    "max_levels",
    "pred_encode",
    "pred_decode",
}

SMALL = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SIZES = [(1, 1), (1, 9), (9, 1), (2, 2), (3, 5), (8, 8), (17, 31), (64, 3), (33, 64), (2, 65)]


def native_module():
    from sdwtfast import _native

    return _native


@pytest.fixture(scope="module")
def native():
    from sdwtfast import _native

    return _native


def _family(exc: BaseException) -> type[BaseException]:
    """The class a reference error must belong to, given the C membrane's error."""
    if isinstance(exc, LimitExceededError):
        return LimitExceededError
    if isinstance(exc, InvalidInputError):  # NativeError: any status mapped to invalid input
        return InvalidInputError
    return type(exc)


def _same_outcome(call_native, call_ref):
    """Runs both; they must both return (the results are returned) or raise alike."""
    try:
        expected = call_native()
    except Exception as exc:  # noqa: BLE001 - the class is what is compared
        with pytest.raises(_family(exc)):
            call_ref()
        return None, None
    return expected, call_ref()


def _assert_decoded_equal(a, b, why=""):
    assert a[0].dtype == b[0].dtype == np.int32 and a[1].dtype == b[1].dtype == np.uint8, why
    assert a[0].shape == b[0].shape and a[1].shape == b[1].shape, why
    assert np.array_equal(a[0], b[0]), why
    assert np.array_equal(a[1], b[1]), why


def _pyramid(rng, h, w, levels, scale=40.0):
    """A plausible integer pyramid: a smooth image plus noise through the 5/3 transform."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = 200 * np.sin(yy / 5.0) * np.cos(xx / 7.0) + rng.laplace(0, scale, (h, w))
    return lift53.forward(img.astype(np.int32), levels)


# ---------------------------------------------------------------------------------------------
# the reference on its own


def test_engine_exposes_exactly_the_native_functions():
    assert set(dir(ENGINE)) == ENGINE_FUNCTIONS | {"PRED_MAX_VALUE"}
    assert ENGINE.PRED_MAX_VALUE == native_module().PRED_MAX_VALUE
    for name in ENGINE_FUNCTIONS:
        assert callable(getattr(ENGINE, name))
    with pytest.raises(AttributeError):
        ENGINE.crc32c  # noqa: B018 - not part of the engine
    with pytest.raises(AttributeError):
        ENGINE.quantize = None


def test_reference_never_uses_the_native_extension():
    root = Path(reference.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any("_native" in n for n in names), path.name


def test_max_levels_rule():
    assert ENGINE.max_levels(1, 1) == 0
    assert ENGINE.max_levels(0, 5) == -1
    assert ENGINE.max_levels(2, 1) == 1
    assert ENGINE.max_levels(255, 3) == 7
    assert ENGINE.max_levels(256, 3) == 8
    assert ENGINE.max_levels(1 << 20, 1) == 16  # capped


def test_lift53_known_answer():
    # predict: d0 = 2 - (1 + 3) // 2 = 0, d1 = 4 - (3 + 3) // 2 = 1 (x[4] mirrored to x[2]);
    # update: s0 = 1 + (0 + 0 + 2) // 4 = 1, s1 = 3 + (0 + 1 + 2) // 4 = 3
    x = np.array([[1, 2, 3, 4]], dtype=np.int32)
    assert ENGINE.lift53_forward(x, 1).tolist() == [[1, 3, 0, 1]]
    assert ENGINE.lift53_forward(x.T, 1).T.tolist() == [[1, 3, 0, 1]]
    # floor, not truncation, of negative values
    y = np.array([[-1, -2, 0]], dtype=np.int32)  # d0 = -2 - (-1 + 0) // 2 = -1
    assert ENGINE.lift53_forward(y, 1).tolist() == [[-1, 0, -1]]


@given(st.integers(1, 24), st.integers(1, 24), st.integers(0, 5), st.integers(0, 2**32 - 1))
@SMALL
def test_lift53_round_trip(h, w, levels, seed):
    levels = min(levels, ENGINE.max_levels(h, w))
    x = np.random.default_rng(seed).integers(-32768, 65536, (h, w)).astype(np.int32)
    c = ENGINE.lift53_forward(x, levels)
    assert c.dtype == np.int32 and c.shape == x.shape
    assert np.array_equal(ENGINE.lift53_inverse(c, levels), x)


def test_lift53_errors():
    x = np.zeros((4, 4), np.int32)
    for levels in (-1, 3):
        with pytest.raises(InvalidInputError):
            ENGINE.lift53_forward(x, levels)
    with pytest.raises(InvalidInputError):
        ENGINE.lift53_forward(np.zeros((0, 4), np.int32), 0)
    big = np.full((2, 2), 2**31 - 1, np.int32)
    big[0, 1] = -(2**31)
    with pytest.raises(InvalidInputError):
        ENGINE.lift53_forward(big, 1)


def test_quantizer_known_answers():
    x = np.array([-7.9, -2.0, -1.9, -0.0, 0.0, 1.99, 2.0, 7.0])
    assert ENGINE.quantize(x, 2.0).tolist() == [-3, -1, 0, 0, 0, 0, 1, 3]
    q = np.array([-3, 0, 1, 5], np.int32)
    lp = np.array([0, 7, 2, 1], np.uint8)
    assert ENGINE.dequantize(q, lp, 2.0).tolist() == [-7.0, 0.0, 2 * (1 + 2.0), 2 * (5 + 1.0)]
    assert ENGINE.dequantize(q, None, 1.0, 0.0).tolist() == [-3.0, 0.0, 1.0, 5.0]
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(InvalidInputError):
            ENGINE.quantize(x, bad)
    with pytest.raises(InvalidInputError):
        ENGINE.quantize(np.array([np.nan]), 1.0)
    with pytest.raises(InvalidInputError):
        ENGINE.quantize(np.array([2.0**31]), 1.0)
    with pytest.raises(InvalidInputError):
        ENGINE.dequantize(q, lp, 1.0, 1.0)
    with pytest.raises(InvalidInputError):
        ENGINE.dequantize(q, np.full(4, 31, np.uint8), 1.0)


def test_arith_coder_round_trip_and_embedding():
    rng = np.random.default_rng(7)
    n = 3000
    ctxs = rng.integers(0, 4, n).tolist()
    # context k emits ones with probability 0.05, 0.3, 0.5, 0.97
    bits = (rng.random(n) < np.array([0.05, 0.3, 0.5, 0.97])[ctxs]).astype(int).tolist()
    enc = arith.ArithEncoder(4)
    needed = []
    for k, b in zip(ctxs, bits, strict=True):
        needed.append(enc.needed())
        enc.encode(k, b)
    data = enc.finish()
    assert len(data) == enc.needed()  # 4 + shifts bytes
    assert len(data) < n // 8  # skewed contexts compress
    dec = arith.ArithDecoder(data, 4)
    assert [dec.decode(k) for k in ctxs] == bits
    # any prefix of L bytes decodes every decision with n_k <= L
    for cut in (4, 5, len(data) // 3, len(data) - 1):
        dec = arith.ArithDecoder(data[:cut], 4)
        got = []
        for k in ctxs:
            if not dec.ok():
                break
            got.append(dec.decode(k))
        assert got == bits[: len(got)]
        assert len(got) == sum(1 for m in needed if m <= cut)


@given(
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(0, 3),
    st.sampled_from([0, 1]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
@SMALL
def test_ezw_round_trip(h, w, levels, backend, masked, seed):
    rng = np.random.default_rng(seed)
    levels = min(levels, ENGINE.max_levels(h, w))
    c = _pyramid(rng, h, w, levels)
    mask = (rng.random((h, w)) < 0.6) if masked else None
    data, top, done = ENGINE.ezw_encode(c, levels, mask, backend)
    assert done == top + 1
    coef, lp = ENGINE.ezw_decode(data, h, w, levels, mask, backend, top)
    expect = c if mask is None else np.where(mask, c, 0)
    assert np.array_equal(coef, expect)
    assert not lp.any()


def test_ezw_embedded_budget_and_planes():
    rng = np.random.default_rng(3)
    c = _pyramid(rng, 24, 20, 3)
    for backend in (0, 1):
        full, top, _ = ENGINE.ezw_encode(c, 3, None, backend)
        for budget in (1, 7, len(full) // 2):
            cut, top2, done = ENGINE.ezw_encode(c, 3, None, backend, None, 0, budget)
            assert top2 == top and len(cut) <= budget and done <= top
            coef, lp = ENGINE.ezw_decode(cut, 24, 20, 3, None, backend, top)
            # every decoded bit is a bit of the coefficient
            m = np.abs(c.astype(np.int64)) >> lp.astype(np.int64)
            known = np.abs(coef.astype(np.int64)) >> lp.astype(np.int64)
            sig = coef != 0
            assert np.array_equal(m[sig], known[sig])
            assert np.array_equal(np.sign(coef[sig]), np.sign(c[sig]))
        # min_plane: the decoder knows every bit down to min_plane
        data, _, done = ENGINE.ezw_encode(c, 3, None, backend, None, 2)
        coef, lp = ENGINE.ezw_decode(data, 24, 20, 3, None, backend, top, 2)
        assert done == top - 1
        assert np.array_equal(np.abs(coef) >> 2, np.abs(c) >> 2)


# ---------------------------------------------------------------------------------------------
# function-by-function parity with the C core


@pytest.mark.native
def test_max_levels_parity(native):
    for h in (0, 1, 2, 3, 4, 7, 8, 9, 1000, 1 << 16, (1 << 17) - 1, 1 << 20, 1 << 40):
        for w in (0, 1, 5, 64, 65, 1 << 18):
            assert ENGINE.max_levels(h, w) == native.max_levels(h, w), (h, w)


@pytest.mark.native
@pytest.mark.parametrize("h,w", SIZES)
def test_lift53_parity(native, h, w):
    rng = np.random.default_rng(h * 1000 + w)
    for levels in range(native.max_levels(h, w) + 1):
        x = rng.integers(-32768, 65536, (h, w)).astype(np.int32)
        a = native.lift53_forward(x, levels)
        b = ENGINE.lift53_forward(x, levels)
        assert b.dtype == np.int32 and np.array_equal(a, b), levels
        assert np.array_equal(native.lift53_inverse(a, levels), ENGINE.lift53_inverse(a, levels))
        # the inverse of arbitrary coefficients (not produced by a forward transform)
        y = rng.integers(-(1 << 20), 1 << 20, (h, w)).astype(np.int32)
        assert np.array_equal(native.lift53_inverse(y, levels), ENGINE.lift53_inverse(y, levels))


@pytest.mark.native
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.integers(0, 6),
    st.integers(0, 2**32 - 1),
    st.sampled_from([255, 1 << 16, 1 << 29, 2**31 - 1]),
)
@SMALL
def test_lift53_parity_random(native, h, w, levels, seed, amp):
    x = np.random.default_rng(seed).integers(-amp, amp, (h, w), endpoint=True).astype(np.int32)
    for fn in ("lift53_forward", "lift53_inverse"):
        a, b = _same_outcome(
            lambda fn=fn: getattr(native, fn)(x, levels),
            lambda fn=fn: getattr(ENGINE, fn)(x, levels),
        )
        if a is not None:
            assert np.array_equal(a, b)


@pytest.mark.native
def test_lift53_error_parity(native):
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    cases = [
        (x, -1),
        (x, 3),
        (np.zeros((0, 3), np.int32), 0),
        (x.reshape(-1), 1),
        (np.full((4, 4), 2**31 - 1, np.int32), 1),
        (np.full((4, 4), 2**29, np.int32), 2),
    ]
    for arr, levels in cases:
        for fn in ("lift53_forward", "lift53_inverse"):
            _same_outcome(
                lambda fn=fn, arr=arr, levels=levels: getattr(native, fn)(arr, levels),
                lambda fn=fn, arr=arr, levels=levels: getattr(ENGINE, fn)(arr, levels),
            )


@pytest.mark.native
def test_quantize_parity(native):
    rng = np.random.default_rng(11)
    x = np.concatenate(
        [
            rng.normal(0, 1000, 2000),
            rng.uniform(-3, 3, 500),
            np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e-300, -1e-300, 1073741823.0]),
        ]
    ).reshape(-1, 1)
    for step in (1.0, 0.5, 0.37, 3.0, 1 / 3, 2.0**-20, 1e3):
        a, b = _same_outcome(
            lambda s=step: native.quantize(x, s), lambda s=step: ENGINE.quantize(x, s)
        )
        if a is not None:
            assert a.dtype == b.dtype == np.int32 and a.shape == b.shape
            assert np.array_equal(a, b), step
    for bad_x, step in [
        (x, 0.0),
        (x, -2.0),
        (x, np.inf),
        (x, np.nan),
        (np.array([1.0, np.nan]), 1.0),
        (np.array([np.inf]), 1.0),
        (np.array([2.0**30]), 1.0),
        (np.array([-(2.0**30) + 1]), 1.0),
        (np.zeros((0, 3)), 1.0),
        (np.array([1.0]), 5e-324),
    ]:
        a, b = _same_outcome(
            lambda bx=bad_x, s=step: native.quantize(bx, s),
            lambda bx=bad_x, s=step: ENGINE.quantize(bx, s),
        )
        if a is not None:
            assert np.array_equal(a, b) and a.shape == b.shape


@pytest.mark.native
def test_dequantize_parity(native):
    rng = np.random.default_rng(12)
    q = rng.integers(-5000, 5000, (30, 20)).astype(np.int32)
    q[::3, ::2] = 0
    lp = rng.integers(0, 13, q.shape).astype(np.uint8)
    for step in (1.0, 0.37, 2.0**-10, 123.0):
        for rk, rp in ((0.5, 0.5), (0.0, 0.5), (0.25, 0.875), (0.0, 0.0)):
            for lpx in (lp, None):
                a = native.dequantize(q, lpx, step, rk, rp)
                b = ENGINE.dequantize(q, lpx, step, rk, rp)
                assert a.dtype == b.dtype == np.float64 and a.shape == b.shape
                assert a.tobytes() == b.tobytes()  # bit-identical doubles
    bad_lp = lp.copy()
    bad_lp[0, 0] = 31
    for args in [
        (q, lp, 0.0),
        (q, lp, np.inf),
        (q, lp, 1.0, 1.0),
        (q, lp, 1.0, 0.5, -0.1),
        (q, lp[:5], 1.0),
        (q, bad_lp, 1.0),
        (np.zeros((2, 2), np.int32), np.full((2, 2), 99, np.uint8), 1.0),
    ]:
        a, b = _same_outcome(
            lambda args=args: native.dequantize(*args), lambda args=args: ENGINE.dequantize(*args)
        )
        if a is not None:
            assert a.tobytes() == b.tobytes()


@pytest.mark.native
def test_top_plane_parity(native):
    rng = np.random.default_rng(5)
    arrays = [
        np.zeros((3, 3), np.int32),
        np.array([[-(2**31)]], np.int32),
        np.array([[2**30]], np.int32),
        np.array([[2**31 - 1, 0]], np.int32),
        rng.integers(-(2**20), 2**20, (9, 7)).astype(np.int32),
    ]
    for c in arrays:
        for mask in (
            None,
            np.zeros(c.shape, bool),
            rng.random(c.shape) < 0.5,
            np.ones(c.size + 1, np.uint8),
        ):
            a, b = _same_outcome(
                lambda c=c, m=mask: native.ezw_top_plane(c, m),
                lambda c=c, m=mask: ENGINE.ezw_top_plane(c, m),
            )
            assert a == b


def _check_ezw_parity(
    native, c, levels, mask, backend, top=None, min_plane=0, max_bytes=0, prefixes=(0, 1, 3, 4, 5)
):
    """Streams identical; decodes identical for the stream, prefixes and a garbage tail."""
    h, w = c.shape
    why = f"{h}x{w} levels={levels} backend={backend} top={top} min={min_plane} max={max_bytes}"
    a, b = _same_outcome(
        lambda: native.ezw_encode(c, levels, mask, backend, top, min_plane, max_bytes),
        lambda: ENGINE.ezw_encode(c, levels, mask, backend, top, min_plane, max_bytes),
    )
    if a is None:
        return None
    assert type(b[0]) is bytes and a == b, why
    data, t, _ = a
    lengths = {len(data), len(data) // 2, *[p for p in prefixes if p < len(data)]}
    for n in sorted(lengths):
        _assert_decoded_equal(
            native.ezw_decode(data[:n], h, w, levels, mask, backend, t, min_plane),
            ENGINE.ezw_decode(data[:n], h, w, levels, mask, backend, t, min_plane),
            f"{why} prefix {n}",
        )
    return data


@pytest.mark.native
@pytest.mark.parametrize("h,w", [(1, 1), (1, 13), (11, 1), (5, 9), (16, 16), (19, 33), (32, 6)])
@pytest.mark.parametrize("backend", [0, 1])
def test_ezw_parity_geometries(native, h, w, backend):
    rng = np.random.default_rng(h * 100 + w + backend)
    for levels in range(min(native.max_levels(h, w), 4) + 1):
        c = _pyramid(rng, h, w, levels)
        for mask in (None, rng.random((h, w)) < 0.7):
            _check_ezw_parity(native, c, levels, mask, backend)
            _check_ezw_parity(native, c, levels, mask, backend, min_plane=2)


@pytest.mark.native
@pytest.mark.parametrize("backend", [0, 1])
def test_ezw_parity_budgets_and_planes(native, backend):
    rng = np.random.default_rng(21 + backend)
    c = _pyramid(rng, 40, 36, 4, scale=80.0)
    mask = np.zeros(c.shape, bool)
    mask[5:30, 3:20] = True
    full = native.ezw_encode(c, 4, None, backend)[0]
    for m in (None, mask):
        for max_bytes in (1, 2, 3, 4, 5, 6, 17, 100, len(full) - 1, len(full), len(full) + 9):
            _check_ezw_parity(native, c, 4, m, backend, max_bytes=max_bytes)
        for min_plane in (1, 3, 7, 12, 30):
            _check_ezw_parity(native, c, 4, m, backend, min_plane=min_plane, max_bytes=50)
        t = native.ezw_top_plane(c, m)
        for top in (t, t + 1, t + 3, 30):
            _check_ezw_parity(native, c, 4, m, backend, top=top)


@pytest.mark.native
@pytest.mark.parametrize("backend", [0, 1])
def test_ezw_parity_degenerate_sets(native, backend):
    c = np.zeros((12, 10), np.int32)
    _check_ezw_parity(native, c, 3, None, backend)  # top = -1: empty stream
    _check_ezw_parity(native, c, 3, None, backend, top=4)  # zero trees only
    c[3, 4] = -(2**30) + 1  # the largest magnitude allowed
    _check_ezw_parity(native, c, 3, None, backend)
    _check_ezw_parity(native, c, 3, np.zeros(c.shape, bool), backend, top=5)  # nothing coded
    _check_ezw_parity(native, c, 3, np.zeros(c.shape, bool), backend)
    only = np.zeros(c.shape, bool)
    only[3, 4] = True
    _check_ezw_parity(native, c, 3, only, backend)


@pytest.mark.native
def test_ezw_error_parity(native):
    c = _pyramid(np.random.default_rng(2), 8, 8, 2)
    t = native.ezw_top_plane(c)
    bad_encodes = [
        dict(levels=4),
        dict(levels=-1),
        dict(backend=2),
        dict(top=t - 1),
        dict(top=31),
        dict(top=-2),
        dict(min_plane=-1),
        dict(min_plane=31),
        dict(mask=np.ones(63, bool)),
    ]
    for kw in bad_encodes:
        args = dict(levels=2, mask=None, backend=1, top=None, min_plane=0, max_bytes=0) | kw
        _same_outcome(
            lambda a=args: native.ezw_encode(c, **a), lambda a=args: ENGINE.ezw_encode(c, **a)
        )
    big = np.array([[2**30]], np.int32)
    _same_outcome(lambda: native.ezw_encode(big, 0), lambda: ENGINE.ezw_encode(big, 0))
    for kw in [
        dict(levels=4),
        dict(h=0),
        dict(backend=-1),
        dict(top=31),
        dict(top=-2),
        dict(min_plane=31),
        dict(mask=np.ones(7, bool)),
    ]:
        args = dict(h=8, w=8, levels=2, mask=None, backend=1, top=t, min_plane=0) | kw
        _same_outcome(
            lambda a=args: native.ezw_decode(b"\x01\x02", **a),
            lambda a=args: ENGINE.ezw_decode(b"\x01\x02", **a),
        )


@pytest.mark.native
@given(
    st.integers(1, 14),
    st.integers(1, 14),
    st.integers(0, 4),
    st.sampled_from([0, 1]),
    st.sampled_from([None, 0.3, 0.8]),
    st.integers(0, 3),
    st.integers(0, 40),
    st.integers(0, 2**32 - 1),
)
@SMALL
def test_ezw_parity_random(native, h, w, levels, backend, density, min_plane, max_bytes, seed):
    rng = np.random.default_rng(seed)
    levels = min(levels, native.max_levels(h, w))
    c = rng.integers(-300, 300, (h, w)) * (rng.random((h, w)) < 0.4)
    c = c.astype(np.int32)
    mask = None if density is None else rng.random((h, w)) < density
    _check_ezw_parity(native, c, levels, mask, backend, None, min_plane, max_bytes)


@pytest.mark.native
@given(
    st.binary(min_size=0, max_size=64),
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(0, 3),
    st.sampled_from([0, 1]),
    st.integers(-1, 14),
    st.booleans(),
)
@SMALL
def test_ezw_decode_garbage_parity(native, data, h, w, levels, backend, top, masked):
    levels = min(levels, native.max_levels(h, w))
    mask = (np.arange(h * w).reshape(h, w) % 3 != 1) if masked else None
    _assert_decoded_equal(
        native.ezw_decode(data, h, w, levels, mask, backend, top),
        ENGINE.ezw_decode(data, h, w, levels, mask, backend, top),
    )


@pytest.mark.native
def test_ezw_decode_long_garbage_parity(native):
    rng = np.random.default_rng(99)
    for backend in (0, 1):
        for top in (3, 9, 20, 30):
            data = rng.integers(0, 256, 700, dtype=np.uint8).tobytes()
            for levels in (0, 3):
                _assert_decoded_equal(
                    native.ezw_decode(data, 21, 18, levels, None, backend, top),
                    ENGINE.ezw_decode(data, 21, 18, levels, None, backend, top),
                )
    # all-ones input drives the arithmetic decoder's code register past its range
    ones = b"\xff" * 300
    _assert_decoded_equal(
        native.ezw_decode(ones, 16, 16, 2, None, 1, 12),
        ENGINE.ezw_decode(ones, 16, 16, 2, None, 1, 12),
    )


# ---------------------------------------------------------------------------------------------
# whole images: sdwtfast.reference vs sdwtfast.ezw


def _dicom(name: str) -> np.ndarray:
    pydicom = pytest.importorskip("pydicom")
    from pydicom.data import get_testdata_file

    return np.ascontiguousarray(pydicom.dcmread(get_testdata_file(name)).pixel_array)


@pytest.fixture(scope="module")
def images():
    ct = _dicom("CT_small.dcm")  # 128x128 int16
    mr = _dicom("MR_small.dcm")  # 64x64 int16
    return {
        "ct": ct,
        "mr": mr,
        "ct_crop": np.ascontiguousarray(ct[3:50, 7:88]),  # odd sizes
        "mr_crop": np.ascontiguousarray(mr[10:31, 5:64]),
        "ct_strip": np.ascontiguousarray(ct[60:63, :]),  # thin
        "ct_u8": np.ascontiguousarray((ct[32:96, 32:96] >> 3).astype(np.uint8)),
    }


@pytest.mark.native
@pytest.mark.parametrize("name", ["ct", "mr", "ct_crop", "mr_crop", "ct_strip", "ct_u8"])
@pytest.mark.parametrize("backend", ["arith", "raw"])
def test_image_parity_lossless(images, name, backend):
    import sdwtfast.ezw as ezw

    img = images[name]
    data = ezw.encode_image(img, backend=backend)
    assert reference.encode_image(img, backend=backend) == data
    out = reference.decode_image(data)
    assert out.dtype == img.dtype and np.array_equal(out, img)


@pytest.mark.native
@pytest.mark.parametrize("name", ["ct", "mr", "ct_crop"])
@pytest.mark.parametrize("bpp", [0.5, 1])
@pytest.mark.parametrize("wavelet", ["9/7", "5/3", "haar"])
@pytest.mark.parametrize("backend", ["arith", "raw"])
def test_image_parity_lossy(images, name, bpp, wavelet, backend):
    import sdwtfast.ezw as ezw

    img = images[name]
    data = ezw.encode_image(img, bpp=bpp, wavelet=wavelet, backend=backend)
    assert reference.encode_image(img, bpp=bpp, wavelet=wavelet, backend=backend) == data
    out = reference.decode_image(data)
    assert out.dtype == img.dtype and np.array_equal(out, ezw.decode_image(data))


@pytest.mark.native
def test_image_parity_levels_and_partial(images):
    import sdwtfast.ezw as ezw

    img = images["mr_crop"]
    for levels in (0, 1, 4):
        assert reference.encode_image(img, levels=levels) == ezw.encode_image(img, levels=levels)
    data = ezw.encode_image(img, backend="arith")
    hdr = ezw.read_header(data)
    cut = data[: hdr.size + hdr.payload_len // 3]
    assert np.array_equal(
        reference.decode_image(cut, partial=True), ezw.decode_image(cut, partial=True)
    )


@pytest.mark.native
@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parent / "data" / "golden").glob("*.sdwz")), ids=lambda p: p.stem
)
def test_reference_decodes_golden_streams(path):
    expected = np.load(path.with_name(path.stem + ".decoded.npy"))
    out = reference.decode_image(path.read_bytes())
    assert out.dtype == expected.dtype and np.array_equal(out, expected)
