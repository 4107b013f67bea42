"""ROI: the SVD detector, roi= resolution, block bitmaps, overlays."""

from __future__ import annotations

import numpy as np
import pytest

from sdwtfast.errors import InvalidInputError
from sdwtfast.roi import (
    block_mask,
    detect_roi,
    expand_blocks,
    foreground_mask,
    overlay,
    resolve_roi,
)


def lesion_image(
    h: int = 256,
    w: int = 256,
    cy: int = 90,
    cx: int = 160,
    r: int = 14,
    seed: int = 0,
    dtype: type = np.uint16,
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth background (a ramp plus a broad bump) with a bright disc and mild noise."""
    yy, xx = np.mgrid[:h, :w].astype(np.float64)
    bg = (
        300
        + 0.8 * xx
        + 0.5 * yy
        + 120 * np.exp(-((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / (2 * (0.4 * h) ** 2))
    )
    lesion = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    img = bg + 700 * lesion + np.random.default_rng(seed).normal(0, 3, (h, w))
    return np.clip(np.rint(img), 0, np.iinfo(dtype).max).astype(dtype), lesion


# --------------------------------------------------------------------------- detector


@pytest.mark.parametrize("center", [(90, 160), (200, 40), (128, 128)])
def test_detector_finds_bright_lesion(center):
    img, lesion = lesion_image(cy=center[0], cx=center[1])
    m = detect_roi(img)
    assert m.shape == img.shape and m.dtype == np.bool_
    assert m[lesion].mean() >= 0.9
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    far = (yy - center[0]) ** 2 + (xx - center[1]) ** 2 > 60**2
    assert m[far].mean() <= 0.05
    assert m.mean() <= 0.2


def test_detector_is_deterministic():
    img, _ = lesion_image(seed=3)
    a, b = detect_roi(img), detect_roi(img.copy())
    assert np.array_equal(a, b)


def test_detector_large_image_is_reduced_and_still_finds_lesion():
    img, lesion = lesion_image(h=700, w=600, cy=300, cx=400, r=30)
    m = detect_roi(img)
    assert m.shape == img.shape
    assert m[lesion].mean() >= 0.9
    assert m.mean() <= 0.3


def test_detector_on_ct_selects_tissue_not_air(ct):
    m = detect_roi(ct)
    fg = foreground_mask(ct)
    frac = m.mean()
    # Measured: ROI 0.36 of the slice (the head), foreground 0.32 (bench/roi_eval.py).
    assert 0.2 <= frac <= 0.5
    assert (m & fg).sum() / m.sum() >= 0.8  # blocky edges spill a little into the air
    assert fg[m].mean() >= 0.8
    assert m[fg].mean() >= 0.8  # most of the head is selected
    assert not m[:16].any() and not m[:, :16].any()  # corners and edges: padding/air
    assert np.array_equal(m, detect_roi(ct))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.float32])
def test_detector_dtypes(dtype):
    img, lesion = lesion_image(h=96, w=96, cy=40, cx=50, r=8)
    img = (img.astype(np.float64) / 8).astype(dtype)
    if dtype is np.int16:
        img = img - np.int16(100)
    m = detect_roi(img)
    assert m.shape == img.shape and m[lesion].mean() >= 0.9


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (3, 3), (2, 50), (15, 15)])
def test_detector_tiny_images(shape):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 1000, shape).astype(np.uint16)
    m = detect_roi(img)
    assert m.shape == shape and m.dtype == np.bool_


def test_detector_constant_image_is_empty():
    for img in (
        np.zeros((64, 64), np.uint16),
        np.full((5, 9), -7, np.int16),
        np.ones((1, 1), np.uint8),
    ):
        m = detect_roi(img)
        assert m.shape == img.shape and not m.any()
    assert resolve_roi("auto", np.zeros((32, 32), np.uint8)) is None


def test_detector_min_fraction():
    img, lesion = lesion_image()
    base = detect_roi(img)
    m = detect_roi(img, min_fraction=0.3)
    assert m.mean() >= 0.3
    assert (m | base).sum() == m.sum()  # a superset of the plain detection
    assert detect_roi(img, min_fraction=1.0).all()
    assert detect_roi(np.zeros((16, 16), np.uint8), min_fraction=0.5).mean() >= 0.5


def test_detector_rank_option():
    img, lesion = lesion_image()
    m = detect_roi(img, rank=2, block=4)
    assert m[lesion].mean() >= 0.9
    detect_roi(img, rank=10_000)  # clipped to the largest useful rank


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rank": 0},
        {"rank": 1.5},
        {"block": 0},
        {"block": True},
        {"min_fraction": -0.1},
        {"min_fraction": 1.5},
        {"min_fraction": "x"},
        {"method": "svd"},
        {"method": None},
    ],
)
def test_detector_bad_options(kwargs):
    img, _ = lesion_image(h=32, w=32, cy=10, cx=10, r=3)
    with pytest.raises(InvalidInputError):
        detect_roi(img, **kwargs)


@pytest.mark.parametrize(
    "img",
    [
        np.zeros((4,), np.uint8),
        np.zeros((2, 3, 4), np.uint8),
        np.zeros((0, 5), np.uint8),
        np.ones((4, 4), bool),
        np.array([[1.0, np.nan]]),
        np.array([["a", "b"]]),
    ],
)
def test_detector_bad_images(img):
    with pytest.raises(InvalidInputError):
        detect_roi(img)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return 1.0 if union == 0 else int((a & b).sum()) / union


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_detector_agrees_with_the_exact_one(seed):
    """The fast method (truncated randomised SVD) finds the mask the full SVD finds (measured
    IoU >= 0.99 on every development image: bench/bench_roi_speed.py)."""
    rng = np.random.default_rng(seed)
    img, lesion = lesion_image(cy=int(rng.integers(40, 200)), cx=int(rng.integers(40, 200)))
    fast, exact = detect_roi(img), detect_roi(img, method="exact")
    assert fast[lesion].mean() >= 0.9
    assert _iou(fast, exact) >= 0.95
    for kw in ({"rank": 3}, {"block": 4}, {"min_fraction": 0.3}):
        assert _iou(detect_roi(img, **kw), detect_roi(img, method="exact", **kw)) >= 0.9


def test_fast_detector_on_ct_matches_exact(ct):
    assert _iou(detect_roi(ct), detect_roi(ct, method="exact")) >= 0.98


def test_fast_detector_is_deterministic_and_restores_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    img, _ = lesion_image(h=300, w=200, seed=5)
    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    masks = [detect_roi(img) for _ in range(3)]
    assert all(np.array_equal(masks[0], m) for m in masks)
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before


def test_fast_detector_in_threads_at_once():
    """Frames coded in threads detect at once: same masks, the BLAS setting restored."""
    from concurrent.futures import ThreadPoolExecutor

    threadpoolctl = pytest.importorskip("threadpoolctl")
    imgs = [lesion_image(h=200, w=200, seed=s)[0] for s in range(6)]
    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    with ThreadPoolExecutor(3) as ex:
        got = list(ex.map(detect_roi, imgs))
    assert all(np.array_equal(g, detect_roi(i)) for g, i in zip(got, imgs, strict=True))
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before


# --------------------------------------------------------------------------- resolve_roi


def test_resolve_none_auto_mask_boxes():
    img, lesion = lesion_image(h=64, w=64, cy=30, cx=30, r=6)
    assert resolve_roi(None, img) is None
    auto = resolve_roi("auto", img)
    assert auto is not None and auto[lesion].mean() >= 0.9
    m = np.zeros(img.shape, bool)
    m[3:9, 4:7] = True
    for given in (m, m.astype(np.uint8), m.astype(np.float32)):
        out = resolve_roi(given, img)
        assert out.dtype == np.bool_ and np.array_equal(out, m)
    assert resolve_roi(m, img) is not m  # a copy
    boxes = resolve_roi([(0, 0, 2, 3), (60, 60, 64, 64)], img)
    assert boxes.sum() == 6 + 16 and boxes[63, 63] and boxes[1, 2] and not boxes[2, 2]
    one = resolve_roi((3, 4, 9, 7), img)
    assert np.array_equal(one, m)
    assert np.array_equal(resolve_roi([np.array([3, 4, 9, 7])], img), m)
    assert np.array_equal(resolve_roi(((3, 4, 9, 7),), img), m)


@pytest.mark.parametrize(
    "roi",
    [
        "Auto",
        "whole",
        np.zeros((63, 64), bool),
        np.zeros((64, 64), bool),
        np.full((64, 64), 2, np.uint8),
        np.full((64, 64), 0.5),
        np.zeros((64, 64), "U1"),
        [],
        (),
        [(0, 0, 0, 5)],
        [(5, 5, 2, 8)],
        [(0, 0, 65, 10)],
        [(-1, 0, 5, 5)],
        [(0, 0, 5)],
        [(0, 0, 5, 5, 1)],
        [(0.0, 0, 5, 5)],
        [(0, 0, True, 5)],
        ["abcd"],
        [[(0, 0, 1, 1)]],
        3,
        {"y0": 0},
        [[0, 1, 0, 1], [1, 1, 0, 0]],
    ],
)
def test_resolve_rejects_bad_roi(roi):
    img = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
    with pytest.raises(InvalidInputError):
        resolve_roi(roi, img)


def test_resolve_error_messages_are_clear():
    img = np.zeros((10, 20), np.uint8)
    with pytest.raises(InvalidInputError, match=r"shape \(10, 10\).*\(10, 20\)"):
        resolve_roi(np.ones((10, 10), bool), img)
    with pytest.raises(InvalidInputError, match="outside the image 10x20"):
        resolve_roi([(0, 0, 11, 5)], img)
    with pytest.raises(InvalidInputError, match="selects no pixel"):
        resolve_roi(np.zeros((10, 20), bool), img)
    with pytest.raises(InvalidInputError, match="'auto'"):
        resolve_roi("automatic", img)


# --------------------------------------------------------------------------- block bitmaps


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (16, 16), (17, 33), (64, 3)])
@pytest.mark.parametrize("block", [1, 2, 8, 16])
def test_block_round_trip_is_superset(shape, block):
    rng = np.random.default_rng(shape[0] * 100 + shape[1] + block)
    m = rng.random(shape) < 0.05
    b = block_mask(m, block)
    assert b.shape == (-(-shape[0] // block), -(-shape[1] // block))
    px = expand_blocks(b, block, shape)
    assert px.shape == shape and px.dtype == np.bool_
    assert not (m & ~px).any()  # superset
    assert np.array_equal(block_mask(px, block), b)  # idempotent at block level
    if block == 1:
        assert np.array_equal(px, m)


def test_block_mask_exact_blocks():
    m = np.zeros((10, 10), bool)
    m[9, 0] = True
    m[0, 4] = True
    b = block_mask(m, 4)
    assert b.astype(int).tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, 0]]
    px = expand_blocks(b, 4, (10, 10))
    assert px.sum() == 16 + 2 * 4


def test_block_bad_input():
    with pytest.raises(InvalidInputError):
        block_mask(np.zeros((4, 4), np.uint8), 2)
    with pytest.raises(InvalidInputError):
        block_mask(np.zeros((4, 4), bool), 0)
    with pytest.raises(InvalidInputError):
        expand_blocks(np.zeros((3, 3), bool), 4, (16, 16))
    with pytest.raises(InvalidInputError):
        expand_blocks(np.zeros((4, 4), bool), 4, (16, 0))


# --------------------------------------------------------------------------- overlay


def test_overlay():
    img, lesion = lesion_image(h=64, w=64, cy=30, cx=30, r=6)
    rgb = overlay(img, lesion)
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    assert rgb[30, 30, 0] > rgb[30, 30, 1]  # tinted red inside
    assert rgb[2, 2, 0] == rgb[2, 2, 1] == rgb[2, 2, 2]  # grey outside
    overlay(np.zeros((4, 4), np.uint8), np.ones((4, 4), bool))  # constant image
    with pytest.raises(InvalidInputError):
        overlay(img, lesion[:10])
