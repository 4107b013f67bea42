"""``sdwtfast restore DST OUT``: the archive's inputs written back, in SRC's layout.

Each ``done`` input comes back as what it was: a DICOM file (:func:`sdwtfast.dicom.
decode_to_dataset` and :func:`~sdwtfast.dicom.write`: Explicit VR Little Endian, every data
element kept, the lossy marks for a lossy container), a series folder (each dataset under its
source file's name), a NIfTI file (:func:`sdwtfast.nifti.decode_to_nifti`: byte for byte the
source once decompressed, for a lossless container), ``.npy`` (the stored values), PNG or TIFF
(the stored values, not scaled for display). Every file is written atomically; an existing one
is kept (recorded as a failure) unless ``force``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import validate
from ..errors import AuthenticationError, InvalidInputError, KeyRequiredError, SdwtError
from .journal import Journal
from .settings import Secrets
from .verify import need_key
from .work import ensure_dir

__all__ = ["restore", "RestoreReport", "restore_one"]


@dataclass
class RestoreReport:
    """The outcome of :func:`restore`: ``restored`` inputs, ``files`` written, ``failures``
    as (path, reason)."""

    restored: int = 0
    files: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every input written back."""
        return not self.failures


def _write_array(target: Path, img: np.ndarray, force: bool) -> None:
    from ..safefile import write_atomic

    suffix = target.suffix.lower()
    if suffix == ".npy":
        write_atomic(target, writer=lambda fh: np.save(fh, img, allow_pickle=False), force=force)
        return
    import imageio.v3 as iio

    ext = ".png" if suffix == ".png" else ".tiff"
    if img.ndim == 3 and img.shape[0] == 1 and img.shape[-1] not in (3, 4):
        img = img[0]
    write_atomic(target, iio.imwrite("<bytes>", img, extension=ext), force=force)


def restore_one(blob: bytes, row: dict[str, Any], out: Path, secrets: Secrets, force: bool) -> int:
    """Write one input back under ``out``; returns the number of files written."""
    from .. import api

    keys = secrets.kwargs()
    kind, rel = row["kind"], row["path"]
    if kind in ("dicom", "series"):
        from .. import dicom

        datasets = dicom.decode_to_dataset(blob, **keys)
        names = list(row["members"]) if kind == "series" else [rel]
        if len(names) != len(datasets):
            raise InvalidInputError(f"{len(datasets)} datasets for {len(names)} source files")
        for name, ds in zip(names, datasets, strict=True):
            ensure_dir((out / name).parent)
            dicom.write(out / name, ds, force=force)
        return len(datasets)
    ensure_dir((out / rel).parent)
    if kind == "nifti":
        from .. import nifti

        nifti.write(out / rel, nifti.decode_to_nifti(blob, **keys), force=force)
        return 1
    _write_array(out / rel, api.decode(blob, **keys), force)
    return 1


def restore(
    dst: str | os.PathLike,
    out: str | os.PathLike,
    *,
    key: Any = None,
    passphrase: str | bytes | None = None,
    force: bool = False,
) -> RestoreReport:
    """Write every archived input of ``dst`` back under ``out`` (see the module docstring).

    Parameters
    ----------
    dst : str or os.PathLike
        The archive's folder.
    out : str or os.PathLike
        Where the inputs go, in the source's layout (created; not inside ``dst``).
    key, passphrase
        For a sealed archive.
    force : bool
        Overwrite existing files.

    Returns
    -------
    RestoreReport

    Raises
    ------
    InvalidInputError
        ``dst`` holds no journal, or ``out`` lies inside it.
    """
    import json

    d = Path(validate.path(dst, "DST")).resolve()
    o = Path(validate.path(out, "OUT")).resolve()
    if o == d or d in o.parents:
        raise InvalidInputError(f"{out} lies inside the archive {dst}: restore elsewhere")
    secrets = Secrets.of(key, passphrase)
    with Journal(d, writable=False) as journal:
        need_key(journal.meta(), secrets)
        rows = [r for r in journal.rows().values() if r["status"] == "done"]
    ensure_dir(o)
    report = RestoreReport()
    for row in sorted(rows, key=lambda r: r["path"]):
        row["members"] = json.loads(row["members"])
        try:
            blob = (d / row["output"]).read_bytes()
            report.files += restore_one(blob, row, o, secrets, force)
            report.restored += 1
        except (KeyRequiredError, AuthenticationError):
            raise
        except (SdwtError, OSError) as exc:
            report.failures.append((row["path"], f"{type(exc).__name__}: {exc}"))
    return report
