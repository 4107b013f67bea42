"""Every committed fuzz input, replayed through the Python bindings (issue 15, item 3).

The seed corpora (``csrc/fuzz/corpus/<target>/``, ``tests/fuzz/corpus/``) and the saved
crashers (``csrc/fuzz/crashers/<target>/``, ``tests/fuzz/crashers/``) of the fuzz targets are
read with the targets' own layouts (``tests/fuzz/layouts.py``) and given to the same decoders
through ``sdwtfast._native`` / ``sdwtfast._entropy`` / ``sdwtfast.decode``: each returns or
raises an :class:`~sdwtfast.errors.SdwtError` subclass, and the round trips are exact. The
native cases also run under ASan/UBSan in CI (``-m native``). A crasher stays here for good:
once its bug is fixed, this is its regression test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sdwtfast import _entropy, _native
from sdwtfast.errors import CorruptStreamError, SdwtError

from .fuzz import layouts
from .fuzz.contract import check

ROOT = Path(__file__).resolve().parents[1]
C_FUZZ = ROOT / "csrc" / "fuzz"
PY_FUZZ = ROOT / "tests" / "fuzz"


def _inputs(*folders: Path) -> list[Path]:
    return sorted(
        p for d in folders if d.is_dir() for p in d.iterdir() if p.is_file() and p.suffix != ".md"
    )


def _c_cases() -> list:
    return [
        pytest.param(t, p, id=f"{t}/{p.parent.parent.name}/{p.name}")
        for t in layouts.TARGETS
        for p in _inputs(C_FUZZ / "corpus" / t, C_FUZZ / "crashers" / t)
    ]


def _contract(fn, *args):
    """``fn(*args)``, or None when it raised an SdwtError (any other exception propagates)."""
    try:
        return fn(*args)
    except SdwtError:
        return None


def _accepted(fn, *args) -> bool:
    """Whether ``fn(*args)`` returned rather than raised an SdwtError."""
    try:
        fn(*args)
    except SdwtError:
        return False
    return True


# ---- the C targets' inputs, through the bindings ---------------------------------------------


def _ezw(c: layouts.Case) -> None:
    if not c.round_trip:
        out = _contract(
            _native.ezw_decode, c.rest, c.h, c.w, c.levels, c.mask, c.backend, c.top, c.min_plane
        )
        if out is not None:
            q, lp = out
            assert q.shape == (c.h, c.w) and int(lp.max()) <= 30
            assert c.mask is None or not q[~c.mask].any()
            _contract(_native.lift53_inverse, q, c.levels)
            _contract(_native.dequantize, q, lp, 1 / 64)
        return
    n = c.h * c.w
    raw = np.frombuffer(c.rest[: 2 * n].ljust(2 * n, b"\0"), "<u2").reshape(c.h, c.w)
    if c.image:
        bits = c.shift_byte % 16 + 1
        img = (raw & ((1 << bits) - 1)).astype(np.int32) - (1 << (bits - 1))
        coef = _native.lift53_forward(img, c.levels)
    else:
        coef = raw.astype(np.int16).astype(np.int32) << (c.shift_byte % 15)
    budget = c.budget_byte * n // 64 + 1 if c.budget_byte else 0
    top = _native.ezw_top_plane(coef, c.mask)
    cap = 16 * _native.ezw_raw_bound(n, top + 1) + 64
    payload, top, _ = _native.ezw_encode(coef, c.levels, c.mask, c.backend, top, 0, budget, cap)
    q, lp = _native.ezw_decode(payload, c.h, c.w, c.levels, c.mask, c.backend, top, 0)
    want = coef if c.mask is None else np.where(c.mask, coef, 0)
    if budget == 0:
        assert np.array_equal(q, want) and not lp.any()
    else:
        assert len(payload) <= budget and np.all(np.abs(q) <= np.abs(want))


def _pred(c: layouts.Case) -> None:
    if not c.round_trip:
        q = _contract(_native.pred_decode, c.rest, c.h, c.w, c.maxval, c.mask)
        assert q is None or (q.min() >= 0 and q.max() <= c.maxval)
        return
    n = c.h * c.w
    raw = np.frombuffer(c.rest[: 2 * n].ljust(2 * n, b"\0"), "<u2").reshape(c.h, c.w)
    img = (raw % (c.maxval + 1)).astype(np.int32)
    stream = _native.pred_encode(img, c.maxval, 48 * n + 64, c.mask)
    back = _native.pred_decode(stream, c.h, c.w, c.maxval, c.mask)
    sel = slice(None) if c.mask is None else c.mask
    assert np.array_equal(back[sel], img[sel])
    with pytest.raises(CorruptStreamError):
        _native.pred_decode(stream + b"\x5a", c.h, c.w, c.maxval, c.mask)


def _bitmap(c: layouts.Case) -> None:
    if not c.round_trip:
        bits = _contract(_native.bitmap_decode, c.rest, c.h, c.w)
        assert bits is None or bits.shape == (c.h, c.w)
        return
    n = c.h * c.w
    flat = np.unpackbits(np.frombuffer(c.rest, np.uint8), bitorder="little")[:n]
    bits = np.concatenate([flat, np.zeros(n - flat.size, np.uint8)]).reshape(c.h, c.w)
    stream = _native.bitmap_encode(bits)
    assert len(stream) <= 2 * n + 16
    assert np.array_equal(_native.bitmap_decode(stream, c.h, c.w), bits.astype(bool))


def _rans(c: layouts.Case) -> None:
    tables = (c.cdfs, c.lengths, c.offsets)
    if not _accepted(_entropy.check_tables, *tables) or not c.round_trip:
        _contract(_entropy.decode, c.rest, c.index, *tables)
        return
    vals, pos = [], 0
    for k in c.index:
        b = c.rest[pos] if pos < len(c.rest) else 0
        pos += 1
        if b != 0x80:
            vals.append(int(c.offsets[k]) + (b - 256 if b > 127 else b))
            continue
        u = int.from_bytes(c.rest[pos : pos + 4].ljust(4, b"\0"), "little")
        pos += 4
        vals.append(u % (2 * _entropy.MAX_VALUE + 1) - _entropy.MAX_VALUE)
    values = np.asarray(vals, np.int32)
    stream = _entropy.encode(values, c.index, *tables)
    assert np.array_equal(_entropy.decode(stream, c.index, *tables), values)
    with pytest.raises(CorruptStreamError):
        _entropy.decode(stream[:-1], c.index, *tables)


def _transform(c: layouts.Case) -> None:
    n = c.h * c.w
    if c.kind == "inverse":
        coef = np.frombuffer(c.rest[: 4 * n].ljust(4 * n, b"\0"), "<i4").reshape(c.h, c.w)
        x = _contract(_native.lift53_inverse, coef, c.levels)
        fwd = None if x is None else _contract(_native.lift53_forward, x, c.levels)
        assert fwd is None or np.array_equal(fwd, coef)
    elif c.kind == "round_trip":
        bits = c.b4 % 16 + 1
        lo = -(1 << (bits - 1)) if c.b4 & 16 else 0
        raw = np.frombuffer(c.rest[: 2 * n].ljust(2 * n, b"\0"), "<u2").reshape(c.h, c.w)
        img = (raw & ((1 << bits) - 1)).astype(np.int32) + lo
        back = _native.lift53_inverse(_native.lift53_forward(img, c.levels), c.levels)
        assert np.array_equal(back, img)
    elif c.kind == "dequantize":
        rec = np.frombuffer(c.rest[: 5 * n].ljust(5 * n, b"\0"), [("q", "<i4"), ("lp", "u1")])
        step = math.ldexp(1.0, c.b4 - 256 if c.b4 > 127 else c.b4)
        out = _contract(_native.dequantize, rec["q"], rec["lp"], step, c.b5 / 256, c.b6 / 256)
        bad = bool(np.any((rec["q"] != 0) & (rec["lp"] > 30)))
        assert (out is None) == bad and (out is None or np.all(np.isfinite(out)))
    else:
        split = c.b4 % (len(c.rest) + 1)
        whole = _native.crc32c(c.rest)
        assert _native.crc32c(c.rest[split:], _native.crc32c(c.rest[:split])) == whole


_REPLAY = {
    "ezw": _ezw,
    "pred": _pred,
    "bitmap": _bitmap,
    "rans": _rans,
    "transform": _transform,
}


@pytest.mark.native
@pytest.mark.parametrize("target,path", _c_cases())
def test_c_target_input_returns_or_raises_sdwt_error(target, path):
    _REPLAY[target](layouts.unpack(target, path.read_bytes()))


def test_every_c_target_has_a_seed_corpus():
    for t in layouts.TARGETS:
        assert _inputs(C_FUZZ / "corpus" / t), t
        assert (C_FUZZ / f"fuzz_{t}.c").is_file(), t


# ---- the atheris target's inputs -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, id=f"{p.parent.name}/{p.name}")
        for p in _inputs(PY_FUZZ / "corpus", PY_FUZZ / "crashers")
    ],
)
def test_container_input_returns_or_raises_sdwt_error(path):
    check(path.read_bytes())


def test_container_corpus_decodes():
    """The seeds are valid: each decodes (sealed ones with the target's key) or is a
    stand-alone EZW stream; the golden containers (other keys, or no image) at least parse."""
    for p in _inputs(PY_FUZZ / "corpus"):
        ok = set(check(p.read_bytes()))
        want = {"read_header"} if p.name.startswith("golden_container_") else set()
        assert want <= ok and (want or {"decode", "decode_key", "ezw_decode"} & ok), (p.name, ok)
