"""Shared fixtures: the development images (see DEVELOPERS.md) and the shipped sample."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

DEV_PYDICOM_DATA = [
    "MR2_UNCR",
    "693_UNCR",
    "RG3_UNCR",
    "eCT_Supplemental",
    "JPGLosslessP14SV1_1s_1f_8b",
    "emri_small",
    "JPEG2000_UNC",
    "vlut_04",
]
DEV_PYDICOM = ["CT_small.dcm", "MR_small.dcm"]


def _data_store_dir() -> str | None:
    spec = importlib.util.find_spec("data_store")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def load_dev_images() -> list[tuple[str, np.ndarray, int]]:
    """(name, 2-D image, bits stored) for every frame of every development image."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.data import get_testdata_file

    store = _data_store_dir()
    if store is None:
        pytest.skip("pydicom-data is not installed")
    paths = [(n, os.path.join(store, n + ".dcm")) for n in DEV_PYDICOM_DATA]
    paths += [(n[:-4], get_testdata_file(n)) for n in DEV_PYDICOM]
    out = []
    for name, path in paths:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        frames = arr if arr.ndim == 3 else arr[None]
        for k, fr in enumerate(frames[:2]):
            out.append((f"{name}[{k}]" if arr.ndim == 3 else name, np.ascontiguousarray(fr),
                        int(ds.BitsStored)))
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
