"""The former home of the pipeline, kept so that ``sdwtfast.codec`` imports keep working.

Everything here is :mod:`sdwtfast.api`'s; new code imports from there (or from
:mod:`sdwtfast` itself).
"""

from __future__ import annotations

from .api import BLOCK, EncodeReport, decode, encode, info, metadata, roi_mask

__all__ = ["encode", "decode", "info", "metadata", "roi_mask", "EncodeReport", "BLOCK"]
