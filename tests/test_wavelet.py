"""Float wavelets (9/7, Haar) and the ROI support mask; the bitmap coder for ROI masks."""

from __future__ import annotations

import numpy as np
import pytest

from sdwtfast import wavelet as W


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (5, 3), (64, 64), (65, 33)])
@pytest.mark.parametrize("wv", ["9/7", "haar"])
def test_float_perfect_reconstruction(shape, wv):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape) * 1000
    for lv in range(max(shape).bit_length()):
        assert np.allclose(W.inverse(W.forward(x, lv, wv), lv, wv), x, atol=1e-7)


def test_97_lowpass_has_unit_dc_gain():
    y = W.forward(np.full((32, 32), 10.0), 2, "9/7")
    assert abs(y[0, 0] - 10.0) < 1e-9 and abs(y[0, 20]) < 1e-9


def test_band_weights_are_synthesis_norms():
    """A unit coefficient in a band synthesises to an image of L2 norm == its weight."""
    lv = 3
    bw = W.band_weights(lv, "9/7")
    for name, level, rs, cs in W.bands(256, 256, lv):
        c = np.zeros((256, 256))
        c[(rs.start + rs.stop) // 2, (cs.start + cs.stop) // 2] = 1.0
        norm = float(np.sqrt(np.sum(W.inverse(c, lv, "9/7") ** 2)))
        assert abs(norm - bw[(name, level)]) < 1e-6 * norm


@pytest.mark.native
@pytest.mark.parametrize("wv", ["5/3", "9/7", "haar"])
@pytest.mark.parametrize("shape", [(64, 64), (37, 53), (5, 130), (1, 40)])
def test_support_mask_reproduces_roi_pixels(wv, shape):
    from sdwtfast import _native

    rng = np.random.default_rng(sum(shape))
    img = rng.integers(0, 4096, size=shape).astype(np.int32)
    lv = min(4, max(shape).bit_length() - 1)
    m = np.zeros(shape, bool)
    m[shape[0] // 3 : shape[0] // 2 + 1, shape[1] // 4 : shape[1] // 2 + 1] = True
    sup = W.support_mask(m, lv, wv)
    assert sup.mean() < 0.8
    if wv == "5/3":
        c = _native.lift53_forward(img, lv)
        c[~sup] = rng.integers(-5000, 5000, size=int((~sup).sum()))
        assert np.array_equal(_native.lift53_inverse(c, lv)[m], img[m])
    else:
        c = W.forward(img, lv, wv)
        c[~sup] = rng.normal(size=int((~sup).sum())) * 1e4
        assert np.allclose(W.inverse(c, lv, wv)[m], img[m], atol=1e-6)


@pytest.mark.native
def test_bitmap_coder_round_trip():
    from sdwtfast import _native

    rng = np.random.default_rng(2)
    for shape in [(1, 1), (3, 70), (64, 64)]:
        for density in (0.0, 0.1, 0.5, 1.0):
            b = rng.random(shape) < density
            data = _native.bitmap_encode(b)
            assert np.array_equal(_native.bitmap_decode(data, *shape), b)
    blob = np.zeros((64, 64), bool)
    blob[20:40, 10:50] = True
    assert len(_native.bitmap_encode(blob)) < 40  # a compact mask codes in a few bytes
    # truncated / garbage input decodes to something without reading out of bounds
    for n in range(0, 12):
        assert _native.bitmap_decode(bytes(range(n)), 16, 16).shape == (16, 16)
