"""Smoke test of the benchmark harness (bench/bench_ezw.py, bench/bench_rd.py) on a tiny crop.

Proves the harness runs and produces its table rows; asserts no timing. Where the pure-Python
reference is importable, the C and reference streams must be byte-identical.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")

pytest.importorskip("pydicom")
pytest.importorskip("sdwtfast._native")


@pytest.fixture(scope="module")
def benches():
    sys.path.insert(0, BENCH)
    try:
        import bench_ezw
        import bench_rd
        import devimages
    finally:
        sys.path.remove(BENCH)
    return devimages, bench_ezw, bench_rd


@pytest.fixture(scope="module")
def crop64(benches):
    devimages = benches[0]
    try:
        im = devimages.load("CT_small")
    except (FileNotFoundError, OSError) as exc:
        pytest.skip(f"CT_small not available: {exc}")
    a = devimages.crop(im.image, 64)
    assert a.shape == (64, 64)
    return a, im.bits


def test_devimages_loader(benches):
    devimages = benches[0]
    im = devimages.load("CT_small")
    assert im.image.ndim == 2 and im.bits == 16 and im.signed
    with pytest.raises(KeyError):
        devimages.path_of("not_a_dev_image")


def test_bench_ezw_harness(benches, crop64):
    _, bench_ezw, _ = benches
    a, bits = crop64
    r = bench_ezw.bench_image("CT_small", a, bits, repeats=1, ref_full_max=64 * 64)
    stages = [x.stage for x in r.rows]
    for s in (
        bench_ezw.S_LIFT,
        bench_ezw.S_ENC1,
        bench_ezw.S_DEC1,
        bench_ezw.S_ENCL,
        bench_ezw.S_DECL,
        bench_ezw.S_IMG_ENCL,
        bench_ezw.S_IMG_DECL,
        bench_ezw.S_IMG_ENC1,
        bench_ezw.S_IMG_DEC1,
    ):
        assert s in stages
    assert all(x.c_ms >= 0 and x.pixels == 64 * 64 for x in r.rows)
    assert r.row(bench_ezw.S_ENC1).out_bytes == 64 * 64 // 8  # 1 bpp byte budget filled
    table = bench_ezw.format_table(r)
    assert table.count("\n| ") >= len(r.rows) + 1
    assert "Targets" in bench_ezw.summary([r])
    ref, _ = bench_ezw.reference()
    if ref is None:
        pytest.skip("sdwtfast.reference not importable: C/reference identity not checked")
    checked = [x for x in r.rows if x.identical is not None]
    assert {x.stage for x in checked} == set(bench_ezw.REF_STAGES)
    assert all(x.identical for x in checked), [x.stage for x in checked if not x.identical]
    assert all(x.speedup is not None and x.speedup > 0 for x in checked)


def test_bench_rd_harness(benches, crop64):
    _, _, bench_rd = benches
    pytest.importorskip("openjpeg")
    pytest.importorskip("imagecodecs")
    a, bits = crop64
    r = bench_rd.rd_image("CT_small", a, bits, rates=(0.5, 1.0))
    assert 0 < r.ours_lossless_bpp < 16
    assert r.j2k_lossless_bpp and r.jls_lossless_bpp
    assert [p.rate for p in r.lossy] == [0.5, 1.0]
    for p in r.lossy:
        assert p.ours_bpp > 0 and p.j2k_bpp > 0
        # equal file sizes: J2K never exceeds our stream by more than 0.5%
        assert p.j2k_bpp <= p.ours_bpp * 1.005 + 1e-9
        assert p.ours_psnr > p.ours_psnr_range or p.ours_mse == 0  # 2^16-1 > max-min
        assert math.isfinite(p.delta_db) or p.ours_mse == 0 or p.j2k_mse == 0
    table = bench_rd.format_table(r)
    assert "JPEG 2000" in table and "JPEG-LS" in table and table.count("\n| 0.5 |") == 1
    assert "lossless bpp within 2%" in bench_rd.summary([r])
    assert np.isfinite(r.rel_j2k)


def test_bench_lossless_rows():
    pytest.importorskip("imagecodecs")
    pytest.importorskip("openjpeg")
    sys.path.insert(0, BENCH)
    try:
        import bench_lossless
    finally:
        sys.path.remove(BENCH)
    r = bench_lossless.lossless_row("MR_small", repeat=1)
    # the container holds the smaller of the two payloads (plus its header)
    assert min(r["ezw"], r["pred"]) <= r["container"] < max(r["ezw"], r["pred"]) + 2.0
    assert r["coder"] in ("ezw", "pred")
    n = bench_lossless.near_row("MR_small", 2)
    assert n["err_ours"] <= 2 and n["ours"] > 0 and n["jls"] > 0
    r = bench_lossless.rate_row("MR_small", 1.0)
    assert r["psnr"] >= r["psnr_ezw"] and r["coder"] in ("ezw", "pred")
