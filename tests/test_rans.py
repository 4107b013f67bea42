"""The rANS latent entropy coder through its membrane (sdwtfast._entropy)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sdwtfast.errors import CorruptStreamError, InvalidInputError, LimitExceededError

ent = pytest.importorskip("sdwtfast._entropy")

pytestmark = pytest.mark.native

PREC = 1 << 16


def make_tables(lengths, offsets, stride=None, seed=0):
    """Random valid tables: each symbol has frequency >= 1, the last one is the escape."""
    rng = np.random.default_rng(seed)
    stride = stride or max(lengths) + 1
    cdfs = np.full((len(lengths), stride), PREC, dtype=np.int32)
    for t, n in enumerate(lengths):
        w = rng.random(n) + 0.01
        f = np.maximum(1, np.floor(w / w.sum() * (PREC - n))).astype(np.int64) + 0
        f[np.argmax(f)] += PREC - f.sum()
        cdfs[t, 0] = 0
        cdfs[t, 1 : n + 1] = np.cumsum(f)
    return cdfs, np.array(lengths, np.int32), np.array(offsets, np.int32)


def roundtrip(values, index, tables):
    data = ent.encode(np.asarray(values, np.int32), np.asarray(index, np.int32), *tables)
    back = ent.decode(data, np.asarray(index, np.int32), *tables)
    np.testing.assert_array_equal(back, values)
    return data


def test_roundtrip_with_escapes_and_edge_tables():
    tables = make_tables([2, 3, 17, 64], [0, -1, -8, -30])
    rng = np.random.default_rng(1)
    n = 5000
    index = rng.integers(0, 4, n).astype(np.int32)
    values = rng.integers(-40, 40, n).astype(np.int32)  # many escapes on both sides
    values[:4] = [ent.MAX_VALUE, -ent.MAX_VALUE, 0, -1]
    roundtrip(values, index, tables)


def test_in_range_values_cost_about_their_entropy():
    tables = make_tables([9], [-4])
    rng = np.random.default_rng(2)
    f = np.diff(tables[0][0, :10]).astype(float) / PREC
    values = rng.choice(np.arange(-4, 4), size=20000, p=f[:8] / f[:8].sum()).astype(np.int32)
    data = roundtrip(values, np.zeros(values.size, np.int32), tables)
    entropy = -np.sum(np.log2(f[values + 4])) / 8
    assert len(data) < entropy * 1.01 + 16


def test_empty():
    tables = make_tables([3], [0])
    data = roundtrip(np.zeros(0, np.int32), np.zeros(0, np.int32), tables)
    assert len(data) == 4


def test_truncated_and_trailing_bytes_raise():
    tables = make_tables([5, 12], [-2, -6])
    rng = np.random.default_rng(3)
    index = rng.integers(0, 2, 2000).astype(np.int32)
    values = rng.integers(-10, 10, 2000).astype(np.int32)
    data = roundtrip(values, index, tables)
    for cut in range(0, len(data), max(1, len(data) // 50)):
        with pytest.raises(CorruptStreamError):
            ent.decode(data[:cut], index, *tables)
    with pytest.raises(CorruptStreamError):
        ent.decode(data + b"\x00", index, *tables)


def test_corrupt_streams_never_crash():
    tables = make_tables([5, 12], [-2, -6])
    rng = np.random.default_rng(4)
    index = rng.integers(0, 2, 500).astype(np.int32)
    values = rng.integers(-10, 10, 500).astype(np.int32)
    data = bytearray(roundtrip(values, index, tables))
    for _ in range(300):
        bad = bytearray(data)
        bad[rng.integers(0, len(bad))] ^= int(rng.integers(1, 256))
        try:
            out = ent.decode(bytes(bad), index, *tables)
            assert out.shape == values.shape
        except CorruptStreamError:
            pass
    for _ in range(50):
        junk = rng.integers(0, 256, int(rng.integers(0, 64))).astype(np.uint8).tobytes()
        try:
            ent.decode(junk, index, *tables)
        except CorruptStreamError:
            pass


def test_bad_arguments():
    cdfs, lengths, offsets = make_tables([4, 4], [0, 0])
    v = np.zeros(3, np.int32)
    with pytest.raises(InvalidInputError):
        ent.encode(v, np.array([0, 1, 2], np.int32), cdfs, lengths, offsets)  # index too big
    with pytest.raises(InvalidInputError):
        ent.encode(v, np.array([0, 1], np.int32), cdfs, lengths, offsets)  # length mismatch
    with pytest.raises(InvalidInputError):
        ent.encode(
            np.array([ent.MAX_VALUE + 1], np.int32), np.zeros(1, np.int32), cdfs, lengths, offsets
        )
    bad = cdfs.copy()
    bad[0, 2] = bad[0, 1]  # zero frequency
    with pytest.raises(InvalidInputError):
        ent.check_tables(bad, lengths, offsets)
    bad = cdfs.copy()
    bad[1, 4] = PREC - 1  # does not sum to 1 << 16
    with pytest.raises(InvalidInputError):
        ent.encode(v, np.zeros(3, np.int32), bad, lengths, offsets)
    with pytest.raises(InvalidInputError):
        ent.check_tables(cdfs, np.array([1, 4], np.int32), offsets)  # no room for an escape
    with pytest.raises(InvalidInputError):
        ent.decode(b"\x00" * 8, np.array([5], np.int32), cdfs, lengths, offsets)
    with pytest.raises((InvalidInputError, LimitExceededError)):
        ent.check_tables(
            np.zeros((1, 5000), np.int32), np.array([4], np.int32), np.array([0], np.int32)
        )


def test_gil_released_threads_agree():
    tables = make_tables([40] * 8, [-20] * 8)
    rng = np.random.default_rng(5)
    index = rng.integers(0, 8, 200_000).astype(np.int32)
    values = rng.integers(-25, 25, 200_000).astype(np.int32)
    ref = ent.encode(values, index, *tables)
    out = [None] * 4

    def work(k):
        out[k] = ent.encode(values, index, *tables)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o == ref for o in out)
