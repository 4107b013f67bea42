"""The real CT slice shipped inside the package, for the demo, examples and tests."""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_ct"]


def load_ct() -> np.ndarray:
    """A 512x512 axial CT slice, int16, 14 bits stored, signed (NEMA WG04 ``693_UNCR``).

    Pixel data only (no patient metadata), as stored in the DICOM file (rescale intercept
    -1024 not applied). Returns a fresh array each call.
    """
    ref = resources.files("sdwtfast").joinpath("data/ct_693.npz")
    with ref.open("rb") as fh, np.load(fh) as z:
        return np.array(z["image"], dtype=np.int16)
