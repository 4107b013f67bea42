"""Quality metrics against scikit-image, masked versions by hand, report, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from sdwtfast import metrics as M
from sdwtfast.errors import InvalidInputError


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4096, (64, 80)).astype(np.uint16)
    b = np.clip(a.astype(np.int32) + rng.integers(-3, 4, a.shape), 0, 4095).astype(np.uint16)
    return a, b


def test_full_image_agrees_with_skimage(pair):
    a, b = pair
    assert M.mse(a, b) == pytest.approx(mean_squared_error(a, b))
    rng = float(a.max()) - float(a.min())
    assert M.psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=rng))
    assert M.psnr(a, b, bits=12) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=4095))
    assert M.psnr(a, b, peak=1000.0) == pytest.approx(
        peak_signal_noise_ratio(a, b, data_range=1000)
    )
    ref = structural_similarity(a.astype(float), b.astype(float), data_range=rng)
    assert M.ssim(a, b) == pytest.approx(ref)


def test_masked_by_hand():
    a = np.array([[0, 0, 0], [0, 10, 0]], np.int16)
    b = np.array([[1, 0, 0], [0, 7, 2]], np.int16)
    m = np.array([[True, False, False], [False, True, False]])
    assert M.mse(a, b, m) == pytest.approx((1 + 9) / 2)
    assert M.mse(a, b, ~m) == pytest.approx(4 / 4)
    assert M.max_abs_error(a, b) == 3
    assert M.max_abs_error(a, b, ~m) == 2
    assert M.psnr(a, b, mask=m) == pytest.approx(10 * math.log10(100 / 5))
    assert M.psnr(a, b, bits=4, mask=~m) == pytest.approx(10 * math.log10(225 / 1))


def test_masked_ssim_is_mean_of_map(pair):
    a, b = pair
    m = np.zeros(a.shape, bool)
    m[10:30, 5:50] = True
    rng = float(a.max()) - float(a.min())
    _, smap = structural_similarity(a.astype(float), b.astype(float), data_range=rng, full=True)
    assert M.ssim(a, b, mask=m) == pytest.approx(smap[m].mean())
    assert M.ssim(a, a, mask=m) == 1.0


def test_lossless_is_inf_and_reported_as_lossless(pair):
    a, _ = pair
    assert M.psnr(a, a) == math.inf and M.psnr(a, a, bits=12) == math.inf
    assert M.format_psnr(M.psnr(a, a)) == "lossless"
    assert M.format_psnr(41.234) == "41.23 dB" and M.format_psnr(None) == "n/a"
    r = M.report(a, a.copy(), 1000, bits=12)
    assert r["image"]["lossless"] and r["image"]["psnr"] == math.inf
    assert r["image"]["max_abs_error"] == 0 and r["image"]["ssim"] == 1.0


def test_rate_metrics():
    img = np.zeros((64, 64), np.uint16)
    assert M.compression_ratio(img, 1024) == 8.0
    assert M.compression_ratio(img, 1024, bits=12) == 6.0
    assert M.bpp(img, 1024) == 2.0
    for bad in (0, -5, 1.5, True):
        with pytest.raises(InvalidInputError):
            M.bpp(img, bad)
        with pytest.raises(InvalidInputError):
            M.compression_ratio(img, bad)


def test_report_regions(pair):
    a, b = pair
    roi = np.zeros(a.shape, bool)
    roi[:32] = True
    b2 = b.copy()
    b2[roi] = a[roi]  # lossless ROI, lossy background
    r = M.report(a, b2, 2000, roi=roi, bits=12)
    assert set(r) >= {
        "nbytes",
        "bpp",
        "compression_ratio",
        "compression_ratio_bits",
        "image",
        "roi",
        "background",
    }
    assert r["roi"]["lossless"] and r["roi"]["psnr"] == math.inf
    assert r["roi"]["pixels"] == roi.sum() and r["background"]["pixels"] == (~roi).sum()
    assert not r["background"]["lossless"]
    assert r["background"]["mse"] == pytest.approx(M.mse(a, b2, ~roi))
    assert r["background"]["psnr_bits"] == pytest.approx(M.psnr(a, b2, bits=12, mask=~roi))
    assert r["compression_ratio_bits"] == pytest.approx(a.size * 12 / 8 / 2000)
    full = M.report(a, b2, 2000, roi=np.ones(a.shape, bool))
    assert full["background"] is None and full["roi"] is not None
    assert "roi" not in M.report(a, b2, 2000)


def test_report_constant_and_tiny():
    a = np.full((8, 8), 5, np.uint8)
    b = a.copy()
    b[0, 0] = 6
    r = M.report(a, b, 10)
    assert r["image"]["psnr"] is None and r["image"]["psnr_bits"] is None
    assert M.report(a, b, 10, bits=8)["image"]["psnr_bits"] == pytest.approx(
        10 * math.log10(255**2 / (1 / 64))
    )
    t = M.report(np.array([[1, 2]]), np.array([[1, 3]]), 1)
    assert t["image"]["ssim"] is None and t["image"]["mse"] == 0.5


def test_bad_input(pair):
    a, b = pair
    with pytest.raises(InvalidInputError):
        M.mse(a, b[:10])
    with pytest.raises(InvalidInputError):
        M.mse(a, b, mask=np.ones((2, 2), bool))
    with pytest.raises(InvalidInputError):
        M.mse(a, b, mask=np.ones(a.shape, np.uint8))
    with pytest.raises(InvalidInputError, match="no pixel"):
        M.mse(a, b, mask=np.zeros(a.shape, bool))
    with pytest.raises(InvalidInputError, match="not both"):
        M.psnr(a, b, peak=10.0, bits=8)
    for kw in ({"bits": 0}, {"bits": 33}, {"bits": 8.0}, {"peak": 0}, {"peak": float("nan")}):
        with pytest.raises(InvalidInputError):
            M.psnr(a, b, **kw)
    with pytest.raises(InvalidInputError):
        M.ssim(a[None], b[None])
    with pytest.raises(InvalidInputError):
        M.report(a, b, 10, roi=np.ones((3, 3), bool))
