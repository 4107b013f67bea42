"""Test fixtures that build volumes: the MNI152 template and NIfTI files made to order.

Nothing here touches the network. The MNI152 template is the file nilearn ships inside its
wheel (``nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz``: the
skull-stripped 1 mm ICBM152 2009a symmetric T1, 197 x 233 x 189 voxels, uint8 0..255); it is
read by nibabel directly, without importing ``nilearn.datasets`` or calling any fetcher (the
``NILEARN_DATA`` folder is never used). Test code that needs it and finds nilearn missing
skips (``pytest.importorskip``); nilearn is in the ``test`` extra.

Functions
---------
mni_path()
    The template's file.
mni_volume(step=1)
    The template as uint16 0..4095 (``round(v * 4095 / 255)``) and its affine.
nifti_file(tmp_path, data, affine, dtype, gz, ...)
    Write a NIfTI-1 or NIfTI-2 file with realistic header fields.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np

__all__ = ["MNI_FILE", "mni_path", "mni_volume", "nifti_file", "DESCRIP"]

MNI_FILE = "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
"""The template's file name under ``nilearn/datasets/data``."""
DESCRIP = b"sdwtfast test volume"
"""The ``descrip`` field :func:`nifti_file` writes."""


def mni_path() -> Path:
    """The MNI152 T1 template inside the installed nilearn package (no import of nilearn).

    Raises
    ------
    ImportError
        nilearn is not installed.
    FileNotFoundError
        This nilearn version does not ship the file.
    """
    spec = importlib.util.find_spec("nilearn")
    if spec is None or spec.origin is None:
        raise ImportError("nilearn is not installed (pip install nilearn; it is in .[test])")
    path = Path(spec.origin).parent / "datasets" / "data" / MNI_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: this nilearn does not ship the MNI152 template")
    return path


def mni_volume(step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The MNI152 T1 template as a 12-bit integer volume, and its affine.

    Parameters
    ----------
    step : int
        Keep every ``step``-th voxel along each axis (1: the whole 197 x 233 x 189 volume,
        2: 99 x 117 x 95, 4: 50 x 59 x 48); the affine's voxel size grows to match.

    Returns
    -------
    data : ndarray
        ``uint16``, C-contiguous, values ``round(v * 4095 / 255)`` of the stored uint8 values
        ``v`` (0..4095, a 12-bit CT/MR-like range; the mapping is injective, so the volume
        keeps every level of the template).
    affine : ndarray
        4 x 4 float64, RAS+ mm (the template's 1 mm grid, origin at -98, -134, -72, scaled by
        ``step``).
    """
    import nibabel as nib

    if not isinstance(step, int) or step < 1:
        raise ValueError(f"step must be a positive int, got {step!r}")
    img = nib.load(mni_path())
    raw = np.asarray(img.dataobj.get_unscaled())[::step, ::step, ::step]
    data = np.rint(raw.astype(np.float64) * (4095.0 / 255.0)).astype(np.uint16)
    affine = np.array(img.affine, dtype=np.float64)
    affine[:3, :3] = affine[:3, :3] * step
    return np.ascontiguousarray(data), affine


def nifti_file(
    tmp_path: Path,
    data: np.ndarray,
    affine: np.ndarray | None = None,
    dtype: np.dtype | str | type | None = None,
    gz: bool = False,
    *,
    name: str = "vol",
    version: int = 1,
    slope: float | None = None,
    inter: float | None = None,
    tr: float = 2.0,
) -> Path:
    """Write ``data`` as a NIfTI file with the header fields a scanner export would set.

    Parameters
    ----------
    tmp_path : Path
        The folder.
    data : ndarray
        The stored values (2-D to 7-D); cast to ``dtype``, unscaled. A big-endian ``dtype``
        makes a big-endian file (header and extensions included).
    affine : ndarray, optional
        4 x 4; default a 1 mm grid with a shifted origin.
    dtype : dtype, optional
        The stored type (default ``data.dtype``), e.g. ``">i2"`` for a big-endian file.
    gz : bool
        Write ``NAME.nii.gz`` (else ``NAME.nii``).
    name : str
        The file name without suffix.
    version : {1, 2}
        NIfTI-1 or NIfTI-2.
    slope, inter : float, optional
        ``scl_slope`` / ``scl_inter`` written into the header as they are; the stored values
        stay ``data`` (the scaling is not applied to them).
    tr : float
        ``pixdim[4]`` (seconds) for 4-D data.

    Returns
    -------
    Path
        The file. Header: qform and sform code 1 (scanner) from ``affine``, ``xyzt_units`` mm
        and s, ``descrip`` :data:`DESCRIP`, one comment extension (ecode 6).
    """
    import gzip

    import nibabel as nib

    dt = np.dtype(dtype if dtype is not None else data.dtype)
    arr = np.asarray(data).astype(dt)
    if affine is None:
        affine = np.diag([1.0, 1.0, 1.0, 1.0])
        affine[:3, 3] = (-10.0, -20.0, -5.0)
    cls = {1: nib.Nifti1Image, 2: nib.Nifti2Image}[version]
    big = dt.byteorder == ">" or (dt.byteorder == "=" and sys.byteorder == "big")
    order = ">" if big else "<"
    img = cls(arr, affine, header=cls.header_class(endianness=order))  # the header's order too
    hdr = img.header
    hdr.set_data_dtype(dt)
    zooms = [float(z) for z in np.sqrt((np.asarray(affine)[:3, :3] ** 2).sum(axis=0))]
    zooms += [tr] + [1.0] * (arr.ndim - 4) if arr.ndim >= 4 else []
    hdr.set_zooms(zooms[: max(arr.ndim, 1)])
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    hdr.set_xyzt_units("mm", "sec")
    hdr["descrip"] = DESCRIP
    hdr.extensions.append(nib.nifti1.Nifti1Extension(6, b"made by tests/volumes.py"))
    raw = img.to_bytes()
    if slope is not None or inter is not None:  # patch the header: the voxels stay as stored
        patched = type(hdr).from_fileobj(io.BytesIO(raw), check=False)
        patched["scl_slope"] = 1.0 if slope is None else slope
        patched["scl_inter"] = 0.0 if inter is None else inter
        block = patched.binaryblock
        raw = block + raw[len(block) :]
    path = Path(tmp_path) / f"{name}.nii{'.gz' if gz else ''}"
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
    return path
