"""What an archive run codes with: the encode options (recorded in the journal) and the key
material (never recorded, never printed)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidInputError

__all__ = ["Settings", "Secrets", "BY"]

BY = ("file", "series")
"""How inputs are grouped: one container per file, or one per DICOM series folder."""


def _roi_json(roi: Any) -> Any:
    """A JSON-able, canonical description of an ROI spec (a mask by its SHA-256)."""
    if roi is None or (isinstance(roi, str) and roi == "auto"):
        return roi
    if isinstance(roi, np.ndarray):
        m = np.ascontiguousarray(roi, dtype=bool)
        digest = hashlib.sha256(m.tobytes()).hexdigest()
        return {"mask_shape": list(m.shape), "mask_sha256": digest}
    try:
        return [[int(v) for v in box] for box in roi]
    except (TypeError, ValueError):
        raise InvalidInputError(f"roi must be None, 'auto', a mask or boxes, not {roi!r}") from None


@dataclass(frozen=True)
class Settings:
    """The encode options of an archive (those of :func:`sdwtfast.encode`) and its grouping.

    Two runs of one archive must have equal :meth:`fingerprint` (or re-encode on purpose).
    """

    roi: Any = None
    roi_max_error: int = 0
    roi_bpp: float | None = None
    background: str = "wavelet"
    background_quality: float | int | None = None
    wavelet: str | None = None
    preprocess: tuple[str, ...] = ()
    by: str = "file"
    encryption: str = "none"
    effort: int | None = None

    def __post_init__(self) -> None:
        if self.by not in BY:
            raise InvalidInputError(f"by must be one of {BY}, not {self.by!r}")
        if isinstance(self.roi_max_error, bool) or not isinstance(self.roi_max_error, int):
            raise InvalidInputError(f"roi_max_error must be an int, not {self.roi_max_error!r}")
        _roi_json(self.roi)

    def encode_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`sdwtfast.encode` (no key material)."""
        return {
            "roi": self.roi,
            "roi_max_error": self.roi_max_error,
            "roi_bpp": self.roi_bpp,
            "background": self.background,
            "background_quality": self.background_quality,
            "wavelet": self.wavelet,
            "preprocess": tuple(self.preprocess),
            **({} if self.effort is None else {"effort": self.effort}),
        }

    def as_json(self) -> dict[str, Any]:
        """The options as the journal records them (the ROI mask by its hash, no keys)."""
        d = self.encode_kwargs()
        d["roi"] = _roi_json(self.roi)
        d["preprocess"] = list(self.preprocess)
        d["by"] = self.by
        d["encryption"] = self.encryption
        return d

    def fingerprint(self) -> str:
        """Canonical JSON of :meth:`as_json` (sorted keys): equal options, equal strings."""
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Secrets:
    """Key material for the workers: a 32-byte key or a passphrase (or neither).

    Its ``repr`` hides the values; it pickles (the workers need it), so send it only over
    links you trust (a Dask cluster with TLS, see docs/archive.md).
    """

    key: bytes | None = field(default=None, repr=False)
    passphrase: str | bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, key: Any = None, passphrase: str | bytes | None = None) -> Secrets:
        """From a :class:`sdwtfast.crypto.Key` (or its 32 bytes) and / or a passphrase."""
        if key is not None and passphrase is not None:
            raise InvalidInputError("give a key or a passphrase, not both")
        raw = None
        if key is not None:
            from ..crypto.keys import key_bytes

            raw = key_bytes(key)
        return cls(raw, passphrase)

    @property
    def encryption(self) -> str:
        """``"key"``, ``"passphrase"`` or ``"none"`` (what the journal records)."""
        if self.key is not None:
            return "key"
        return "passphrase" if self.passphrase is not None else "none"

    def kwargs(self) -> dict[str, Any]:
        """``key=`` / ``passphrase=`` for :func:`sdwtfast.encode` and ``decode``."""
        out: dict[str, Any] = {}
        if self.key is not None:
            out["key"] = self.key
        if self.passphrase is not None:
            out["passphrase"] = self.passphrase
        return out

    def __repr__(self) -> str:
        return f"Secrets(encryption={self.encryption!r})"
