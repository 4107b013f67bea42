"""Shared fixtures: the development images (:mod:`sdwtfast.devset`: pydicom-data and pydicom's
own test files) and the sample shipped in the package (:mod:`sdwtfast.sample`)."""

from __future__ import annotations

import numpy as np
import pytest


def load_dev_images() -> list[tuple[str, np.ndarray, int]]:
    """(name, 2-D image, bits stored) for the first two frames of every development image."""
    pytest.importorskip("pydicom")
    from sdwtfast import devset

    if devset.data_store_dir() is None:
        pytest.skip("pydicom-data is not installed")
    out = []
    for name in devset.ALL:
        frames, ds = devset.read(name)
        multi = len(frames) > 1
        for k, fr in enumerate(frames[:2]):
            out.append((f"{name}[{k}]" if multi else name, fr, int(ds.BitsStored)))
    return out


@pytest.fixture(scope="session")
def dev_images():
    return load_dev_images()


@pytest.fixture(scope="session")
def ct():
    from sdwtfast.sample import load_ct

    return load_ct()


def psnr(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak * peak / mse)
