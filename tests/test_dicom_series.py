"""A DICOM series of 189 slices built from the MNI template: folder in, folder out, identical."""

from __future__ import annotations

import random

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid  # noqa: E402

import sdwtfast  # noqa: E402
from sdwtfast import dicom  # noqa: E402

from .volumes import mni_volume  # noqa: E402


def _slice(vol: np.ndarray, affine: np.ndarray, k: int, uids: dict[str, str]) -> Dataset:
    """Slice ``k`` (along the third axis) as an MR Image Storage dataset with its geometry."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = uids["study"], uids["series"]
    ds.FrameOfReferenceUID = uids["frame"]
    ds.PatientName, ds.PatientID, ds.StudyDate = "MNI^Template", "MNI152", "20261201"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "MR", 1, k + 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
    pos = affine @ np.array([0, 0, k, 1.0])
    ds.ImagePositionPatient = [f"{v:.4f}" for v in pos[:3]]
    ds.ImageOrientationPatient = ["0", "1", "0", "1", "0", "0"]  # rows along y, columns x
    ds.PixelSpacing = [f"{abs(affine[1, 1]):.4f}", f"{abs(affine[0, 0]):.4f}"]
    ds.SliceThickness = f"{abs(affine[2, 2]):.4f}"
    plane = np.ascontiguousarray(vol[:, :, k], dtype=np.uint16)
    ds.Rows, ds.Columns = plane.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = plane.tobytes()
    return ds


@pytest.mark.slow
def test_mni_series_folder_round_trip(tmp_path):
    vol, affine = mni_volume()
    n = vol.shape[2]
    assert n >= 100
    uids = {k: generate_uid() for k in ("study", "series", "frame")}
    src = tmp_path / "series"
    src.mkdir()
    names = [f"{i:04d}-{random.Random(i).getrandbits(32):08x}.dcm" for i in range(n)]
    random.Random(7).shuffle(names)  # file names say nothing of the slice order
    for k in range(n):
        pydicom.dcmwrite(src / names[k], _slice(vol, affine, k, uids), enforce_file_format=True)
    obj = dicom.read(src)
    assert obj.pixels.shape == (n, vol.shape[0], vol.shape[1])
    # sorted by position along the slice normal, row x column = (0,1,0) x (1,0,0) = -z here:
    # the slice of largest z comes first
    expect = np.moveaxis(vol, 2, 0)[::-1]
    assert np.array_equal(obj.pixels, expect)
    blob = dicom.encode_dataset(src)
    info = sdwtfast.info(blob)
    assert info["frames"] == n and info["lossless"]
    assert len(blob) < vol.nbytes / 3
    out = tmp_path / "out"
    dicom.write(out, dicom.decode_to_dataset(blob))
    back = dicom.read(out)
    assert np.array_equal(back.pixels, obj.pixels)
    for a, b in zip(obj.datasets, back.datasets, strict=True):
        for elem in a:
            if elem.tag.group != 0x0002 and elem.keyword != "PixelData":
                assert b[elem.tag].value == elem.value, elem.keyword
    assert np.array_equal(sdwtfast.decode(blob, frame=10), expect[10])
    ordered = sorted(back.datasets, key=lambda d: -float(d.ImagePositionPatient[2]))
    assert [d.InstanceNumber for d in ordered] == [d.InstanceNumber for d in back.datasets]
