"""The development image set: the only images sdwtfast is trained and tuned on.

NEMA WG04 and other DICOM files from the ``pydicom-data`` package plus two of pydicom's own
test files. Other images are kept for independent evaluation. Reading them needs ``pydicom``
and ``pydicom-data`` (the ``test`` extra); nothing here is imported by the codec itself.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

__all__ = ["PYDICOM_DATA", "PYDICOM_TEST", "ALL", "data_store_dir", "path_of", "read"]

PYDICOM_DATA = (
    "MR2_UNCR",
    "693_UNCR",
    "RG3_UNCR",
    "eCT_Supplemental",
    "JPGLosslessP14SV1_1s_1f_8b",
    "emri_small",
    "JPEG2000_UNC",
    "vlut_04",
)
PYDICOM_TEST = ("CT_small", "MR_small")
ALL = PYDICOM_DATA + PYDICOM_TEST


def data_store_dir() -> str | None:
    """Folder of the pydicom-data files, or None if pydicom-data is not installed."""
    spec = importlib.util.find_spec("data_store")
    if spec is not None and spec.submodule_search_locations:
        d = os.path.join(list(spec.submodule_search_locations)[0], "data")
        if os.path.isdir(d):
            return d
    return None


def path_of(name: str) -> str:
    """Path of a development image by stem (``"693_UNCR"``) or file name.

    Raises
    ------
    KeyError
        ``name`` is not a development image.
    FileNotFoundError
        pydicom-data (or pydicom's test files) is not installed.
    """
    stem = name[:-4] if name.endswith(".dcm") else name
    if stem not in ALL:
        raise KeyError(f"{name!r} is not a development image ({', '.join(ALL)})")
    if stem in PYDICOM_DATA:
        d = data_store_dir()
        if d is None or not os.path.exists(os.path.join(d, stem + ".dcm")):
            raise FileNotFoundError(f"{stem}.dcm: install pydicom-data")
        return os.path.join(d, stem + ".dcm")
    from pydicom.data import get_testdata_file

    p = get_testdata_file(stem + ".dcm")
    if p is None:
        raise FileNotFoundError(f"{stem}.dcm: pydicom's test files are missing")
    return str(p)


def read(name: str) -> tuple[list[np.ndarray], object]:
    """Every frame of a development image (2-D, own dtype) and its pydicom dataset."""
    import pydicom

    ds = pydicom.dcmread(path_of(name))
    a = np.asarray(ds.pixel_array)
    frames = [np.ascontiguousarray(f) for f in (a if a.ndim == 3 else [a])]
    return frames, ds
