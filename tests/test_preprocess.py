"""Opt-in preprocessing: dtype/shape kept, deterministic, each step does what it says."""

from __future__ import annotations

import numpy as np
import pytest

from sdwtfast import preprocess as P
from sdwtfast.errors import InvalidInputError


def phantom(dtype=np.uint16, noise=40.0, seed=0):
    """A bright ellipse (the anatomy) on a dark background, plus Gaussian noise."""
    h, w = 128, 128
    yy, xx = np.mgrid[:h, :w]
    body = ((yy - 64) / 45.0) ** 2 + ((xx - 64) / 38.0) ** 2 <= 1
    clean = np.where(body, 1500.0 + 4 * (xx - 64), 100.0)
    noisy = clean + np.random.default_rng(seed).normal(0, noise, clean.shape)
    info = np.iinfo(dtype)
    return (np.clip(np.rint(noisy), max(info.min, 0), info.max).astype(dtype), clean, body)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32])
@pytest.mark.parametrize("step", P.STEPS)
def test_dtype_shape_range_deterministic(dtype, step):
    img, _, _ = phantom(np.uint16)
    if dtype is np.uint8:
        img = (img // 8).astype(np.uint8)
    img = img.astype(dtype)
    out = P.apply(img, [step])
    assert out.dtype == img.dtype and out.shape == img.shape
    assert out.min() >= img.min() and out.max() <= img.max()
    assert np.array_equal(out, P.apply(img.copy(), (step,)))


def test_all_steps_in_order():
    img, _, _ = phantom()
    out = P.apply(img, P.STEPS)
    assert out.dtype == img.dtype and out.shape == img.shape
    assert not np.array_equal(out, P.apply(img, tuple(reversed(P.STEPS))))
    assert np.array_equal(P.apply(img, ()), img) and P.apply(img, ()) is not img


@pytest.mark.parametrize("step", ["wiener", "wavelet-denoise"])
def test_denoisers_lower_the_noise(step):
    img, clean, _ = phantom()
    before = np.mean((img - clean) ** 2)
    after = np.mean((P.apply(img, [step]).astype(float) - clean) ** 2)
    assert after < 0.6 * before


def test_contrast_spreads_the_histogram():
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[:128, :128]
    img = 1000 + 40 * np.sin(xx / 9.0) * np.cos(yy / 13.0) + rng.normal(0, 2, (128, 128))
    img[0, 0], img[-1, -1] = 0, 4095  # a wide range, the content in a narrow band of it
    img = img.astype(np.uint16)
    out = P.apply(img, ["contrast"])
    inner = (slice(1, -1), slice(1, -1))
    assert out[inner].astype(float).std() > 1.3 * img[inner].astype(float).std()


def test_clean_border_removes_labels_not_anatomy():
    img, _, body = phantom(noise=5.0)
    dirty = img.copy()
    dirty[2:6, 3:20] = 4000  # burnt-in text at the top-left
    dirty[120:126, 100:125] = 3000  # a marker at the bottom-right
    dirty[60:64, 60:64] = 4000  # a bright spot inside the anatomy: kept
    out = P.apply(dirty, ["clean-border"])
    assert out[2:6, 3:20].max() < 200 and out[120:126, 100:125].max() < 200
    assert np.array_equal(out[body], dirty[body])  # anatomy untouched
    assert out[60:64, 60:64].min() == 4000
    assert np.array_equal(P.apply(img, ["clean-border"]), img)  # nothing to clean


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (5, 5), (7, 30)])
def test_tiny_and_constant_images(shape):
    rng = np.random.default_rng(3)
    img = rng.integers(0, 255, shape).astype(np.uint8)
    const = np.full(shape, 9, np.int16)
    for step in P.STEPS:
        out = P.apply(img, [step])
        assert out.shape == shape and out.dtype == np.uint8
        assert np.array_equal(P.apply(const, [step]), const)


@pytest.mark.parametrize(
    "steps",
    ["wiener", ["sharpen"], ["wiener", "wiener"], [None], ["Wiener"], 3, ["contrast", 1]],
)
def test_invalid_steps(steps):
    img, _, _ = phantom()
    with pytest.raises(InvalidInputError):
        P.apply(img, steps)


@pytest.mark.parametrize(
    "img",
    [
        np.zeros((3, 3, 3), np.uint8),
        np.zeros((0, 4), np.uint8),
        np.ones((4, 4), bool),
        np.array([[np.inf, 1.0]]),
    ],
)
def test_invalid_images(img):
    with pytest.raises(InvalidInputError):
        P.apply(img, ["wiener"])
