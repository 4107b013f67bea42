"""Development images for the benchmarks (the only images the benches use).

The files are located by :mod:`sdwtfast.devset` (the installed ``data_store`` package of
pydicom-data, and pydicom's own ``CT_small.dcm`` and ``MR_small.dcm``); nothing is hard-coded
to a machine path.

>>> from devimages import load, BENCH_IMAGES
>>> ct = load("693_UNCR")           # DevImage(name, frames=[2-D arrays], bits, signed)
>>> ct.frames[0].shape, ct.bits
((512, 512), 14)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from sdwtfast import devset

PYDICOM_DATA = [
    "693_UNCR",
    "MR2_UNCR",
    "RG3_UNCR",
    "eCT_Supplemental",
    "JPGLosslessP14SV1_1s_1f_8b",
    "emri_small",
    "JPEG2000_UNC",
    "vlut_04",
]
PYDICOM_TEST = ["CT_small", "MR_small"]
ALL_IMAGES = PYDICOM_DATA + PYDICOM_TEST
BENCH_IMAGES = ["693_UNCR", "MR2_UNCR", "RG3_UNCR"]
"""The speed-bench set: a 512x512 14-bit CT, a 1024x1024 MR and a 1760x1760 CR."""

LABELS = {
    "693_UNCR": "CT 512x512 14b",
    "MR2_UNCR": "MR 1024x1024 12b",
    "RG3_UNCR": "CR 1760x1760 10b",
    "eCT_Supplemental": "CT 2x512x512 16b",
    "JPGLosslessP14SV1_1s_1f_8b": "8b 768x1024",
    "emri_small": "MR 10x64x64 12b",
    "JPEG2000_UNC": "1024x256 int16",
    "vlut_04": "8b 512x512",
    "CT_small": "CT 128x128",
    "MR_small": "MR 64x64",
}


@dataclass(frozen=True)
class DevImage:
    name: str
    frames: tuple[np.ndarray, ...]
    bits: int
    signed: bool

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    @property
    def pixels(self) -> int:
        return sum(int(f.size) for f in self.frames)

    @property
    def image(self) -> np.ndarray:
        """First frame."""
        return self.frames[0]


data_store_dir = devset.data_store_dir
path_of = devset.path_of


@cache
def load(name: str) -> DevImage:
    """Load a development image: every frame as a 2-D array, its BitsStored and signedness."""
    import pydicom

    ds = pydicom.dcmread(path_of(name))
    a = np.asarray(ds.pixel_array)
    frames = tuple(np.ascontiguousarray(f) for f in (a if a.ndim == 3 else [a]))
    for f in frames:
        f.setflags(write=False)
    bits = int(ds.BitsStored)
    return DevImage(
        name[:-4] if name.endswith(".dcm") else name,
        frames,
        bits,
        int(getattr(ds, "PixelRepresentation", 0)) == 1,
    )


def crop(a: np.ndarray, size: int) -> np.ndarray:
    """Centre crop to at most ``size`` x ``size`` (contiguous copy)."""
    h, w = a.shape
    y, x = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return np.ascontiguousarray(a[y : y + size, x : x + size])
