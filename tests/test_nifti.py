"""NIfTI in and out (sdwtfast.nifti): exact round trips, header and affine kept, bad input."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

import sdwtfast
from sdwtfast.errors import (
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
    UnsupportedFormatError,
)

nib = pytest.importorskip("nibabel")
nifti = pytest.importorskip("sdwtfast.nifti")

from . import volumes  # noqa: E402

HEADER_FIELDS = (
    "dim",
    "datatype",
    "bitpix",
    "pixdim",
    "qform_code",
    "sform_code",
    "quatern_b",
    "quatern_c",
    "quatern_d",
    "qoffset_x",
    "qoffset_y",
    "qoffset_z",
    "srow_x",
    "srow_y",
    "srow_z",
    "descrip",
    "xyzt_units",
    "intent_code",
    "cal_min",
    "cal_max",
)


def _nibabel_files() -> list[Path]:
    from nibabel.testing import data_path

    root = Path(data_path)
    return sorted(p for p in root.iterdir() if p.name.endswith((".nii", ".nii.gz")))


def _plain(path: Path | str) -> bytes:
    raw = Path(path).read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def _same_nifti(src: Path | str, out: Path | str, *, data: bool = True) -> None:
    """``out`` has ``src``'s header fields, scaling, extensions, affine and data type."""
    a, b = nib.load(src), nib.load(out)
    assert type(a) is type(b)
    assert a.shape == b.shape
    assert a.get_data_dtype() == b.get_data_dtype()
    np.testing.assert_array_equal(a.affine, b.affine)
    for f in HEADER_FIELDS:
        np.testing.assert_array_equal(a.header[f], b.header[f], err_msg=f)
    assert (a.dataobj.slope, a.dataobj.inter) == (b.dataobj.slope, b.dataobj.inter)
    assert [(e.get_code(), e.get_content()) for e in a.header.extensions] == [
        (e.get_code(), e.get_content()) for e in b.header.extensions
    ]
    if data:
        ua, ub = a.dataobj.get_unscaled(), b.dataobj.get_unscaled()
        assert ua.dtype == ub.dtype
        np.testing.assert_array_equal(ua, ub)


def _round_trip(src: Path, tmp_path: Path, **kw) -> tuple[bytes, Path]:
    blob = nifti.encode_nifti(src, **kw)
    out = tmp_path / ("out" + ("".join(src.suffixes[-2:]) if src.name.endswith(".gz") else ".nii"))
    img = nifti.decode_to_nifti(blob, key=kw.get("key"))
    nifti.write(out, img)
    return blob, out


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".sdwtmp-" in p.name]


# --- nibabel's own test data ------------------------------------------------------------------


@pytest.mark.parametrize("src", _nibabel_files(), ids=lambda p: p.name)
def test_nibabel_data_round_trip(src: Path, tmp_path: Path) -> None:
    try:
        obj = nifti.read(src)
    except InvalidInputError as exc:  # data that 16-bit integers cannot hold exactly
        pytest.skip(f"{src.name}: not coded exactly: {str(exc).split(': ', 1)[1][:90]}")
    blob, out = _round_trip(src, tmp_path)
    assert sdwtfast.info(blob)["frames"] == obj.pixels.shape[0]
    assert _plain(out) == _plain(src)  # byte for byte once decompressed
    _same_nifti(src, out)


def test_nibabel_data_census() -> None:
    """Which of nibabel's files are coded and why the others are not (all float data)."""
    coded, refused = [], {}
    for src in _nibabel_files():
        try:
            nifti.read(src)
            coded.append(src.name)
        except InvalidInputError as exc:
            refused[src.name] = str(exc)
    print(f"\ncoded {len(coded)}: {coded}\nrefused {len(refused)}: {sorted(refused)}")
    assert len(coded) >= 5 and {"anatomical.nii", "example4d.nii.gz"} <= set(coded)
    assert any("nifti2" in n for n in coded)
    for name, why in refused.items():
        assert nib.load(Path(_nibabel_files()[0]).parent / name).get_data_dtype().kind == "f"
        assert "fraction" in why or "non-finite" in why, (name, why)


# --- the MNI template and made-to-order volumes -----------------------------------------------


@pytest.fixture(scope="module")
def mni() -> tuple[np.ndarray, np.ndarray]:
    pytest.importorskip("nilearn", reason="the MNI152 template ships with nilearn (.[test])")
    return volumes.mni_volume()


@pytest.mark.parametrize("gz", [False, True], ids=["nii", "nii.gz"])
def test_mni_round_trip(mni, tmp_path: Path, gz: bool) -> None:
    data, affine = mni
    src = volumes.nifti_file(tmp_path, data, affine, np.uint16, gz)
    blob, out = _round_trip(src, tmp_path)
    info = sdwtfast.info(blob)
    assert info["frames"] == data.shape[2] and info["lossless"]
    assert len(blob) < data.nbytes / 3
    assert _plain(out) == _plain(src)
    _same_nifti(src, out)
    np.testing.assert_array_equal(np.asarray(nib.load(out).dataobj), data)


def test_mni_volume_fixture(mni) -> None:
    data, affine = mni
    assert data.shape == (197, 233, 189) and data.dtype == np.uint16
    assert data.min() == 0 and data.max() == 4095
    small, a4 = volumes.mni_volume(4)
    assert small.shape == (50, 59, 48)
    np.testing.assert_array_equal(a4[:3, :3], affine[:3, :3] * 4)
    np.testing.assert_array_equal(a4[:3, 3], affine[:3, 3])


def _volume_4d(mni, dtype: str) -> np.ndarray:
    d = mni[0][::4, ::4, 8:44:4].astype(np.int32)  # 50 x 59 x 9
    v = np.stack([d - 300 * t for t in range(3)], axis=-1)  # 4-D, negative values
    if np.dtype(dtype).kind == "u":
        v = np.clip(v, 0, np.iinfo(dtype).max)
    return v


@pytest.mark.parametrize(
    "version,dtype,gz",
    [
        (1, "<i2", False),
        (1, ">i2", True),
        (1, "<u2", False),
        (1, "uint8", True),
        (1, "int8", False),
        (1, "int32", False),
        (1, ">f4", False),
        (2, "<i2", True),
        (2, "float64", False),
        (2, ">u4", True),
    ],
)
def test_4d_round_trip(mni, tmp_path: Path, version: int, dtype: str, gz: bool) -> None:
    v = _volume_4d(mni, dtype)
    if dtype == "int8":
        v = np.clip(v // 32, -128, 127)
    src = volumes.nifti_file(
        tmp_path,
        v,
        mni[1] @ np.diag([4, 4, 4, 1.0]),
        dtype,
        gz,
        version=version,
        slope=0.5,
        inter=-12.0,
    )
    obj = nifti.read(src)
    x, y, z, t = v.shape
    assert obj.shape == v.shape and obj.dtype == np.dtype(dtype) and obj.version == version
    assert obj.pixels.shape == (z * t, x, y)
    for k in (0, 1, z, z * t - 1):  # frame k is data[:, :, k % Z, k // Z]
        np.testing.assert_array_equal(obj.pixels[k], v[:, :, k % z, k // z])
    blob, out = _round_trip(src, tmp_path)
    assert sdwtfast.info(blob)["frames"] == z * t
    np.testing.assert_array_equal(sdwtfast.decode(blob, frame=z + 2), obj.pixels[z + 2])
    assert _plain(out) == _plain(src)
    _same_nifti(src, out)
    img = nib.load(out)
    assert (img.dataobj.slope, img.dataobj.inter) == (0.5, -12.0)  # kept, not applied
    assert img.header.get_zooms()[3] == 2.0 and img.header.get_xyzt_units() == ("mm", "sec")


@pytest.mark.parametrize("shape", [(5, 4), (5, 4, 3), (5, 4, 3, 2), (3, 4, 2, 2, 3), (6,)])
def test_frames_of_inverts(shape: tuple[int, ...]) -> None:
    v = np.arange(int(np.prod(shape)), dtype=np.int16).reshape(shape)
    f = nifti.frames_of(v)
    s = (*shape, 1, 1)[: max(3, len(shape))]
    assert f.shape == (int(np.prod(s[2:])), s[0], s[1]) and f.flags.c_contiguous
    np.testing.assert_array_equal(nifti.volume_of(f, shape), v)
    # the order NIfTI stores the voxels in (first axis fastest), frame after frame
    stored = np.concatenate([fr.ravel(order="F") for fr in f])
    np.testing.assert_array_equal(stored, v.ravel(order="F"))


def test_lossy_roi_keeps_affine_and_header(mni, tmp_path: Path) -> None:
    data, affine = mni[0][::2, ::2, 30:70:2], mni[1] @ np.diag([2, 2, 2, 1.0])
    src = volumes.nifti_file(tmp_path, data, affine, "<i2", True, slope=1.5, inter=3.0)
    box = (20, 30, 60, 80)  # (y0, x0, y1, x1) of every frame: rows are the volume's i axis
    blob = nifti.encode_nifti(src, roi=[box], background="wavelet", background_quality=0.1)
    assert not sdwtfast.info(blob)["lossless"]
    img = nifti.decode_to_nifti(blob)
    out = tmp_path / "lossy.nii.gz"
    nifti.write(out, img)
    _same_nifti(src, out, data=False)
    assert _plain(out)[:352] == _plain(src)[:352]  # the header bytes themselves
    got = np.asarray(nib.load(out).dataobj.get_unscaled())
    assert got.dtype == np.dtype("<i2") and got.shape == data.shape
    np.testing.assert_array_equal(got[20:60, 30:80], data[20:60, 30:80])  # the ROI exact
    assert not np.array_equal(got, data)  # the background is not
    assert len(blob) < 0.8 * len(nifti.encode_nifti(src))  # the ROI is 17 % of each slice


def test_encrypted_header_sealed(mni, tmp_path: Path) -> None:
    from sdwtfast.crypto import Key

    key = Key.generate()
    src = volumes.nifti_file(tmp_path, mni[0][::4, ::4, ::8], mni[1], "<u2", False)
    blob, out = _round_trip(src, tmp_path, key=key)
    assert volumes.DESCRIP not in blob and b"made by tests" not in blob
    with pytest.raises(KeyRequiredError):
        nifti.decode_to_nifti(blob)
    assert _plain(out) == _plain(src)


# --- bad input: the named exception, nothing written -------------------------------------------


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, type]]:
    v = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    good = volumes.nifti_file(tmp, v, None, "<i2", False, name="good")
    raw = good.read_bytes()
    cases: dict[str, tuple[Path, type]] = {}

    def put(name: str, content: bytes, exc: type) -> None:
        p = tmp / name
        p.write_bytes(content)
        cases[name] = (p, exc)

    put("truncated_data.nii", raw[:-17], CorruptStreamError)
    put("truncated_header.nii", raw[:200], CorruptStreamError)
    put("truncated.nii.gz", gzip.compress(raw)[:-40], CorruptStreamError)
    put("empty.nii", b"", UnsupportedFormatError)
    put("text.nii", b"this is not a NIfTI volume at all\n" * 20, UnsupportedFormatError)
    put("notnifti.nii.gz", gzip.compress(b"\x00" * 400), UnsupportedFormatError)
    pair = bytearray(raw[:348])
    pair[344:348] = b"ni1\x00"
    put("pair.nii", bytes(pair) + raw[348:], UnsupportedFormatError)
    frac = v.astype(np.float32) + 0.25
    cases["fractions.nii"] = (
        volumes.nifti_file(tmp, frac, None, "<f4", False, name="fractions"),
        InvalidInputError,
    )
    nan = v.astype(np.float64)
    nan[1, 2, 3] = np.nan
    cases["nan.nii.gz"] = (
        volumes.nifti_file(tmp, nan, None, "<f8", True, name="nan"),
        InvalidInputError,
    )
    wide = v.astype(np.int32) * 1000
    cases["int32_wide.nii"] = (
        volumes.nifti_file(tmp, wide, None, "<i4", False, name="wide"),
        InvalidInputError,
    )
    cplx = v.astype(np.complex64)
    cases["complex.nii"] = (
        volumes.nifti_file(tmp, cplx, None, "<c8", False, name="complex"),
        InvalidInputError,
    )
    try:
        from pydicom.data import get_testdata_file

        dcm = Path(get_testdata_file("CT_small.dcm"))
        put("ct.nii", dcm.read_bytes(), UnsupportedFormatError)
    except ImportError:
        pass
    return cases


def test_bad_input_named_exception(tmp_path: Path) -> None:
    cases = _bad_inputs(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for name, (path, exc) in cases.items():
        with pytest.raises(exc) as info:
            nifti.read(path)
        assert str(path) in str(info.value), (name, info.value)  # says where
        with pytest.raises(exc):
            nifti.encode_nifti(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_float_fraction_message(tmp_path: Path) -> None:
    v = np.zeros((3, 3, 2), np.float32)
    v[2, 1, 0] = 7.5
    path = volumes.nifti_file(tmp_path, v, None, "<f4", False)
    with pytest.raises(InvalidInputError, match=r"fractions \(voxel \(2, 1, 0\) = .*7\.5"):
        nifti.read(path)


def test_integral_float_and_wide_int_coded_exactly(tmp_path: Path) -> None:
    v = (np.arange(60, dtype=np.float64).reshape(3, 4, 5) - 30) * 1000  # -30000..29000
    for dt, want in (("<f4", np.int16), (">f8", np.int16), ("<i4", np.int16), ("<u4", None)):
        vv = v if want is not None else np.abs(v) * 2  # 0..60000: uint16
        src = volumes.nifti_file(tmp_path, vv, None, dt, False, name=f"f{dt[1:]}")
        obj = nifti.read(src)
        assert obj.pixels.dtype == (want or np.uint16) and obj.dtype == np.dtype(dt)
        out = tmp_path / f"out{dt[1:]}.nii"
        nifti.write(out, nifti.decode_to_nifti(nifti.encode_nifti(src)))
        assert out.read_bytes() == src.read_bytes()


def test_write_refuses_and_leaves_nothing(tmp_path: Path) -> None:
    v = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    src = volumes.nifti_file(tmp_path, v, None, "uint8", False)
    img = nifti.decode_to_nifti(nifti.encode_nifti(src))
    existing = tmp_path / "exists.nii"
    existing.write_bytes(b"keep me")
    with pytest.raises(InvalidInputError, match="exists"):
        nifti.write(existing, img)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(InvalidInputError, match=r"\.nii or \.nii\.gz"):
        nifti.write(tmp_path / "out.npy", img)
    with pytest.raises(InvalidInputError, match="cannot write"):
        nifti.write(tmp_path / "missing" / "out.nii", img)
    with pytest.raises(InvalidInputError, match="nibabel NIfTI image"):
        nifti.write(tmp_path / "arr.nii", v)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.nii", "vol.nii"]
    assert not _leftovers(tmp_path)
    nifti.write(existing, img, force=True)
    assert existing.read_bytes() == src.read_bytes()
    gz1, gz2 = tmp_path / "a.nii.gz", tmp_path / "b.nii.gz"
    nifti.write(gz1, img)
    nifti.write(gz2, img)
    assert gz1.read_bytes() == gz2.read_bytes()  # no name, no time stamp


def test_changed_image_written_by_nibabel(tmp_path: Path) -> None:
    v = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    src = volumes.nifti_file(tmp_path, v, None, "<i2", False)
    img = nifti.decode_to_nifti(nifti.encode_nifti(src))
    img.header["descrip"] = b"edited"
    nifti.write(tmp_path / "edited.nii", img)
    assert nib.load(tmp_path / "edited.nii").header["descrip"] == b"edited"


def test_metadata_errors() -> None:
    blob = sdwtfast.encode(np.zeros((2, 8, 8), np.uint16), samples=1)
    with pytest.raises(UnsupportedFormatError, match="no metadata"):
        nifti.decode_to_nifti(blob)
    other = sdwtfast.encode(np.zeros((2, 8, 8), np.uint16), samples=1, metadata=b"DICM....")
    with pytest.raises(UnsupportedFormatError, match="not from NIfTI"):
        nifti.decode_to_nifti(other)
    v = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    obj = nifti.NiftiObject(nifti.frames_of(v), b"", b"", np.eye(4), v.shape, np.dtype("<i2"), 1)
    with pytest.raises(CorruptStreamError):
        nifti.from_metadata(nifti.metadata_bytes(obj))  # no header
    with pytest.raises(CorruptStreamError, match="truncated"):
        nifti.from_metadata(nifti.MAGIC + b"\x10\x00\x00\x00{}")
    with pytest.raises(InvalidInputError):
        nifti.metadata_bytes(v)


def test_metadata_round_trip_and_frame_mismatch(tmp_path: Path) -> None:
    v = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    obj = nifti.read(volumes.nifti_file(tmp_path, v, None, "<i2", False))
    meta = nifti.from_metadata(nifti.metadata_bytes(obj))
    assert meta.pixels is None and meta.shape == obj.shape and meta.dtype == obj.dtype
    assert meta.header_bytes == obj.header_bytes and meta.extension_bytes == obj.extension_bytes
    np.testing.assert_array_equal(meta.affine, obj.affine)
    blob = sdwtfast.encode(obj.pixels[:4], samples=1, metadata=nifti.metadata_bytes(obj))
    with pytest.raises(CorruptStreamError, match="needs"):
        nifti.decode_to_nifti(blob)
    with pytest.raises(InvalidInputError, match="sets metadata"):
        nifti.encode_nifti(tmp_path / "vol.nii", metadata=b"x")


# --- the command line -------------------------------------------------------------------------


def test_cli_round_trip_and_bad_input(tmp_path: Path) -> None:
    from sdwtfast.cli import main

    v = (np.arange(20 * 16 * 8 * 2).reshape(20, 16, 8, 2) % 4000 - 1000).astype(np.int16)
    src = volumes.nifti_file(tmp_path, v, None, "<i2", True, slope=2.0)
    sdw = tmp_path / "v.sdw"
    assert main(["encode", str(src), str(sdw)]) == 0
    out = tmp_path / "back.nii.gz"
    assert main(["decode", str(sdw), str(out)]) == 0
    assert _plain(out) == _plain(src)
    bad = tmp_path / "bad.nii"
    bad.write_bytes(src.read_bytes()[:100])
    names = sorted(os.listdir(tmp_path))
    assert main(["encode", str(bad), str(tmp_path / "bad.sdw")]) != 0
    assert sorted(os.listdir(tmp_path)) == names  # nothing written


@pytest.mark.parametrize("fields", ["RGB", "RGBA"])
@pytest.mark.parametrize("depth", [1, 5])
def test_rgb_volumes_round_trip(tmp_path: Path, fields: str, depth: int) -> None:
    """RGB24 / RGBA32 voxels: coded as 3 / 4 samples per voxel, the file back byte for byte
    (through the API and the CLI), the dtype's fields kept."""
    from sdwtfast.cli import main

    rng = np.random.default_rng(depth)
    dt = np.dtype([(c, "u1") for c in fields])
    data = np.zeros((20, 24, depth), dt)
    for c in fields:
        data[c] = rng.integers(0, 256, data.shape)
    src = tmp_path / "rgb.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([0.5, 0.5, 2.0, 1.0])), src)
    obj = nifti.read(src)
    assert obj.pixels.shape == (depth, 20, 24, len(fields))
    blob = nifti.encode_nifti(src)
    info = sdwtfast.info(blob)
    assert (info["frames"], info["samples"], info["lossless"]) == (depth, len(fields), True)
    back = nifti.decode_to_nifti(blob)
    assert back.get_data_dtype() == dt
    assert np.array_equal(np.asanyarray(back.dataobj), data)
    sdw, out = tmp_path / "rgb.sdw", tmp_path / "back.nii.gz"
    assert main(["encode", str(src), str(sdw)]) == 0
    assert main(["decode", str(sdw), str(out)]) == 0
    assert _plain(out) == _plain(src)
