"""Every size limit of sdwtfast, in one leaf module (imports nothing of the package).

The C core has hard limits of its own (``csrc/sdw_status.h``: a side of at most 2^20 samples,
at most 2^30 samples in all; 30 bit planes; 16 decomposition levels); the Python layer applies
the tighter policy limits below *before* it allocates anything or calls the core, so the core's
limits are never the ones a user meets. ``tests/test_limits.py`` checks these numbers against
the constants the core exports (``sdwtfast._native``), so they cannot drift apart.
"""

from __future__ import annotations

__all__ = [
    "MAX_PIXELS",
    "DEFAULT_MAX_DECODE_PIXELS",
    "MAX_SIDE",
    "MAX_CONTAINER_SIDE",
    "MAX_LEVELS",
    "MAX_CODED_LEVELS",
    "MAX_PLANE",
    "MAX_ROI_ERROR",
    "MAX_STEP_EXP",
    "PRED_MAX_VALUE",
    "EZW_CAP_DOUBLINGS",
]

MAX_PIXELS = 1 << 28
"""Largest image (pixels) any encoder accepts and any decoder allocates (256 Mi pixels)."""
DEFAULT_MAX_DECODE_PIXELS = 1 << 26
"""What :func:`sdwtfast.decode` decodes unless asked for more (``max_pixels``): an 8192 x 8192
image, so a crafted few-byte file cannot make it allocate gigabytes."""
MAX_SIDE = 1 << 20
"""Longest image side of a stand-alone EZW stream (the core's own limit)."""
MAX_CONTAINER_SIDE = 65535
"""Longest image side a container header describes."""
MAX_LEVELS = 16
"""Most decomposition levels the 5/3 core takes (``SDW_MAX_LEVELS``)."""
MAX_CODED_LEVELS = 10
"""Most decomposition levels an encoder uses or a decoder accepts (a policy under MAX_LEVELS)."""
MAX_PLANE = 30
"""Highest EZW bit plane (``SDW_EZW_MAX_PLANE``): coefficients are below 2^30 in magnitude."""
MAX_ROI_ERROR = 1 << 14
"""Largest near-lossless error bound ``roi_max_error``."""
MAX_STEP_EXP = 1000
"""Largest |exponent| of a power-of-two quantizer step read from a stream (2^1023 is the
largest finite double; the exponents an encoder writes are within a few dozen of 0)."""
PRED_MAX_VALUE = 65535
"""Largest sample value (after the shift by the minimum) of the predictive coder."""
EZW_CAP_DOUBLINGS = 4
"""The EZW output buffer starts at the raw back-end's bound and doubles at most this often
(the arithmetic back-end costs at most 10 bits per binary decision, so 16x the raw bound
holds any input)."""
