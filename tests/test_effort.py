"""The ``effort`` option (issue 14): validation, the CLI, determinism, exactness at every effort,
the default's streams unchanged, the competition's threads obeying ``workers``."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import sdwtfast
from sdwtfast import codec, coders
from sdwtfast.coders import select
from sdwtfast.errors import InvalidInputError


@pytest.fixture(scope="module")
def crop(ct):
    return np.ascontiguousarray(ct[150:406, 120:376])


@pytest.mark.parametrize("bad", [0, 10, -1, 1.0, 2.5, "5", True])
def test_effort_out_of_range_is_refused(crop, bad):
    with pytest.raises(InvalidInputError, match="effort"):
        sdwtfast.encode(crop[:32, :32], effort=bad)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", False])
def test_workers_must_be_positive(crop, bad):
    with pytest.raises(InvalidInputError, match="workers"):
        sdwtfast.encode(crop[:32, :32], workers=bad)


def test_default_effort_is_seven_and_the_streams_of_before(crop):
    assert select.DEFAULT_EFFORT == 7
    base = sdwtfast.encode(crop)
    for e in (5, 6, 7, 8):
        assert sdwtfast.encode(crop, effort=e) == base
    near = sdwtfast.encode(crop, roi_max_error=2)
    assert sdwtfast.encode(crop, roi_max_error=2, effort=7) == near


@pytest.mark.parametrize("effort", range(1, 10))
def test_every_effort_is_exact_and_deterministic(crop, effort):
    for kw in ({}, {"roi": [(40, 50, 200, 180)], "background_quality": 0.1}):
        a = sdwtfast.encode(crop, effort=effort, **kw)
        assert a == sdwtfast.encode(crop, effort=effort, **kw)
        out = sdwtfast.decode(a)
        if not kw:
            assert np.array_equal(out, crop)
        else:
            assert np.array_equal(out[40:200, 50:180], crop[40:200, 50:180])
    b = sdwtfast.decode(sdwtfast.encode(crop, effort=effort, roi_max_error=3))
    assert np.abs(b.astype(np.int64) - crop).max() <= 3


def test_low_effort_codes_one_coder_on_the_image(crop, monkeypatch):
    """At effort 1-4 the sample decides: the image itself is coded by one coder only."""
    calls = {"ezw": [], "pred": []}
    for name, coder in (("ezw", select._EXACT), ("pred", select._PRED)):
        orig = type(coder).encode

        def spy(self, frame, fidelity, limit=None, _orig=orig, _name=name):
            calls[_name].append(frame.shape)
            return _orig(self, frame, fidelity, limit)

        monkeypatch.setattr(type(coder), "encode", spy)
    rep = codec.EncodeReport()
    sdwtfast.encode(crop, effort=1, report=rep)
    full = [n for n, shapes in calls.items() if crop.shape in shapes]
    assert full == [rep.roi_coder]
    assert all(s[0] < crop.shape[0] for n in calls for s in calls[n] if s != crop.shape)


def test_sample_rows():
    assert select.sample_rows(40, 1 / 32).size == 40  # one strip is most of the image
    rows = select.sample_rows(1024, 1 / 16)
    assert rows.size == 2 * select.STRIP and rows.min() == 0 and rows.max() == 1023
    assert np.all(np.diff(rows) > 0)


def test_low_effort_on_tiny_and_constant_images():
    for img in (np.zeros((5, 7), np.uint16), np.full((40, 40), 9, np.uint8)):
        for e in (1, 4, 9):
            assert np.array_equal(sdwtfast.decode(sdwtfast.encode(img, effort=e)), img)


def test_workers_one_codes_in_one_thread(crop, monkeypatch):
    started = []
    orig = threading.Thread.start

    def spy(self):
        started.append(self.name)
        return orig(self)

    monkeypatch.setattr(threading.Thread, "start", spy)
    one = sdwtfast.encode(crop, workers=1)
    assert "sdwtfast-pred" not in started
    two = sdwtfast.encode(crop, workers=2)
    assert "sdwtfast-pred" in started
    assert one == two  # the same choice and file either way


def test_code_roi_threads_argument(crop):
    frame = coders.Frame(crop.shape, 5, int(crop.min()), int(crop.max()), 0, None, crop)
    frame = coders.Frame(
        crop.shape, 5, frame.vmin, frame.vmax, (frame.vmin + frame.vmax) // 2, None, crop
    )
    fid = coders.Fidelity()
    a = coders.code_roi(frame, fid, threads=1)
    b = coders.code_roi(frame, fid, threads=4)
    assert a.payload == b.payload and a.coder == b.coder


def test_cli_effort(tmp_path, crop):
    from sdwtfast import cli

    src = tmp_path / "x.npy"
    np.save(src, crop)
    assert cli.main(["encode", str(src), str(tmp_path / "a.sdw"), "--effort", "1"]) == 0
    assert np.array_equal(sdwtfast.decode((tmp_path / "a.sdw").read_bytes()), crop)
    assert cli.main(["encode", str(src), str(tmp_path / "b.sdw"), "--effort", "12"]) == 2


def _sparse_image(seed: int = 0) -> np.ndarray:
    """67 distinct values spread over 16 bits (the issue's ultrasound hint), smoothly arranged."""
    rng = np.random.default_rng(seed)
    vals = np.sort(rng.choice(65536, 67, replace=False)).astype(np.uint16)
    idx = np.add.outer(np.arange(128), np.arange(160)) // 5 + rng.integers(0, 3, (128, 160))
    return vals[np.clip(idx, 0, 66)]


@pytest.mark.parametrize("effort", [1, 4, 8, 9])
def test_sparse_histogram_is_compacted(effort):
    from sdwtfast import container

    img = _sparse_image()
    plain = sdwtfast.encode(img)  # the default never compacts: version 1.0, as before
    assert sdwtfast.info(plain)["version"] == "1.0"
    blob = sdwtfast.encode(img, effort=effort)
    inf = sdwtfast.info(blob)
    assert inf["version"] == "1.2" and "value_map" in inf["sections"]
    assert np.array_equal(sdwtfast.decode(blob), img)
    assert len(blob) < 0.4 * len(plain)
    hdr, secs = container.unpack(blob)
    table = next(s for s in secs if s.type == container.SectionType.VALUE_MAP)
    assert len(table.data) == 2 * np.unique(img).size
    assert (hdr.params["vmin"], hdr.params["vmax"]) == (int(img.min()), int(img.max()))


def test_compaction_is_lossless_only_and_whole_image_only():
    img = _sparse_image(1)
    for kw in ({"roi_max_error": 2}, {"roi": [(10, 10, 80, 90)]}, {"roi_bpp": 2.0}):
        blob = sdwtfast.encode(img, effort=9, **kw)
        assert "value_map" not in sdwtfast.info(blob)["sections"], kw
    near = sdwtfast.decode(sdwtfast.encode(img, effort=9, roi_max_error=2))
    assert np.abs(near.astype(np.int64) - img).max() <= 2


def test_dense_image_is_not_compacted(crop):
    for e in (1, 8, 9):
        assert "value_map" not in sdwtfast.info(sdwtfast.encode(crop, effort=e))["sections"]


def test_compacted_frames_and_sealed_files():
    from sdwtfast import crypto

    stack = np.stack([_sparse_image(s) for s in range(3)])
    blob = sdwtfast.encode(stack, effort=9)
    assert np.array_equal(sdwtfast.decode(blob), stack)
    assert np.array_equal(sdwtfast.decode(blob, frame=1), stack[1])
    key = crypto.Key.generate()
    sealed = sdwtfast.encode(stack[0], effort=9, key=key)
    assert sdwtfast.info(sealed)["version"] == "2.0"
    assert np.array_equal(sdwtfast.decode(sealed, key=key), stack[0])


def test_damaged_value_map_is_corrupt_and_old_readers_refuse_it(monkeypatch):
    from sdwtfast import container
    from sdwtfast.errors import CorruptStreamError, UnsupportedFormatError

    img = _sparse_image(2)
    hdr, secs = container.unpack(sdwtfast.encode(img, effort=9))
    others = [s for s in secs if s.type != container.SectionType.VALUE_MAP]
    table = next(s for s in secs if s.type == container.SectionType.VALUE_MAP).data
    bad_tables = [
        table[:-2],  # the last value is not vmax - vmin
        table[2:],  # the first is not 0
        table[:2] + table[4:6] + table[2:4] + table[6:],  # not increasing
        table[:3],  # odd length
        b"",
    ]
    for bad in bad_tables:
        blob = container.pack(
            hdr, others + [container.Section(container.SectionType.VALUE_MAP, bad)]
        )
        with pytest.raises(CorruptStreamError):
            sdwtfast.decode(blob)
    good = container.pack(hdr, list(secs))
    assert good[8:10] == b"\x01\x02"  # version 1.2
    # a value table on a hybrid (masked) image is refused
    h2 = container.Header(**{**hdr.__dict__, "mode": "hybrid-lossless"})
    with pytest.raises(CorruptStreamError):
        sdwtfast.decode(container.pack(h2, list(secs)))
    # how a reader without the type sees it: an unknown required section, refused
    with pytest.raises(UnsupportedFormatError):
        sdwtfast.decode(container.pack(hdr, others + [container.Section(0x0123, table)]))
