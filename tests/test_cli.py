"""The sdwtfast command line."""

from __future__ import annotations

import os

import numpy as np
import pytest

from sdwtfast.cli import main


@pytest.fixture
def ct_file(tmp_path, ct):
    p = tmp_path / "ct.npy"
    np.save(p, ct)
    return p


def test_encode_decode_info(tmp_path, ct_file, ct, capsys):
    out = tmp_path / "ct.sdw"
    assert main(["encode", str(ct_file), str(out)]) == 0
    assert main(["info", str(out)]) == 0
    assert "lossless" in capsys.readouterr().out
    dec = tmp_path / "back.npy"
    assert main(["decode", str(out), str(dec)]) == 0
    assert np.array_equal(np.load(dec), ct)
    # never overwrite without --force; nothing is left behind
    assert main(["encode", str(ct_file), str(out)]) == 3
    assert (
        main(
            [
                "encode",
                str(ct_file),
                str(out),
                "--force",
                "--roi",
                "100,100,300,300",
                "--roi-max-error",
                "2",
                "--background",
                "wavelet",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["back.npy", "ct.npy", "ct.sdw"]


def test_info_of_a_sealed_file_needs_the_key(tmp_path, ct_file, capsys, monkeypatch):
    out = tmp_path / "ct.sdw"
    monkeypatch.setenv("SDW_PW", "correct horse")
    assert main(["encode", str(ct_file), str(out), "--passphrase-env", "SDW_PW"]) == 0
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "sealed" in text and "width" not in text and "--passphrase-env" in text
    assert main(["info", str(out), "--passphrase-env", "SDW_PW"]) == 0
    text = capsys.readouterr().out
    assert "width" in text and "lossless" in text


def test_png_tiff_and_dicom(tmp_path, ct):
    pytest.importorskip("imageio")
    u16 = (ct.astype(np.int32) + 2000).astype(np.uint16)
    src = tmp_path / "img.npy"
    np.save(src, u16)
    enc = tmp_path / "img.sdw"
    assert main(["encode", str(src), str(enc)]) == 0
    bits = int(u16.max()).bit_length()  # PNG / TIFF are for display: scaled to 16 bits
    for ext in (".png", ".tiff"):
        dst = tmp_path / f"out{ext}"
        assert main(["decode", str(enc), str(dst)]) == 0
        import imageio.v3 as iio

        shown = iio.imread(dst)
        assert np.array_equal(shown, (u16.astype(np.int64) * 65535 // (2**bits - 1)))
        assert shown.max() > 30000  # a 13-bit image is not near black in a 16-bit PNG
    raw = tmp_path / "raw.npy"
    assert main(["decode", str(enc), str(raw)]) == 0
    assert np.array_equal(np.load(raw), u16)  # .npy keeps the stored values
    pydicom = pytest.importorskip("pydicom")
    from pydicom.data import get_testdata_file

    dcm = get_testdata_file("CT_small.dcm")
    assert main(["encode", dcm, str(tmp_path / "d.sdw")]) == 0
    assert main(["decode", str(tmp_path / "d.sdw"), str(tmp_path / "d.npy")]) == 0
    frames = np.load(tmp_path / "d.npy")  # a DICOM object decodes as (frames, h, w)
    assert frames.shape[0] == 1 and np.array_equal(frames[0], pydicom.dcmread(dcm).pixel_array)


def test_keys_and_exit_codes(tmp_path, ct_file, monkeypatch, capsys):
    key = tmp_path / "k.key"
    assert main(["keygen", str(key)]) == 0
    assert os.stat(key).st_mode & 0o077 == 0
    assert main(["keygen", str(key)]) == 3  # refuses to overwrite
    enc = tmp_path / "e.sdw"
    assert main(["encode", str(ct_file), str(enc), "--key-file", str(key)]) == 0
    secret = key.read_text()
    assert main(["decode", str(enc), str(tmp_path / "x.npy")]) == 6  # key required
    other = tmp_path / "other.key"
    main(["keygen", str(other)])
    assert main(["decode", str(enc), str(tmp_path / "x.npy"), "--key-file", str(other)]) == 7
    assert main(["decode", str(enc), str(tmp_path / "x.npy"), "--key-file", str(key)]) == 0
    monkeypatch.setenv("SDW_PW", "open sesame")
    pw = tmp_path / "p.sdw"
    assert main(["encode", str(ct_file), str(pw), "--passphrase-env", "SDW_PW"]) == 0
    assert main(["decode", str(pw), str(tmp_path / "y.npy"), "--passphrase-env", "SDW_PW"]) == 0
    bad = bytearray(enc.read_bytes())
    bad[len(bad) // 2] ^= 1
    (tmp_path / "bad.sdw").write_bytes(bytes(bad))
    assert (
        main(["decode", str(tmp_path / "bad.sdw"), str(tmp_path / "z.npy"), "--key-file", str(key)])
        == 7
    )
    junk = tmp_path / "junk.sdw"
    junk.write_bytes(b"hello")
    assert main(["decode", str(junk), str(tmp_path / "z.npy")]) == 5
    assert main(["decode", str(tmp_path / "missing.sdw"), str(tmp_path / "z.npy")]) == 3
    assert main(["encode", str(ct_file), str(tmp_path / "q.sdw"), "--roi", "1,2,3"]) == 2
    err = capsys.readouterr().err
    assert secret.strip().splitlines()[-1] not in err  # keys never printed


def test_compare_writes_figure(tmp_path, ct_file, ct, capsys):
    pytest.importorskip("matplotlib")
    enc, dec = tmp_path / "c.sdw", tmp_path / "c.npy"
    main(["encode", str(ct_file), str(enc), "--roi-max-error", "3"])
    main(["decode", str(enc), str(dec)])
    fig = tmp_path / "fig.png"
    assert (
        main(
            [
                "compare",
                str(ct_file),
                str(dec),
                "--out",
                str(fig),
                "--compressed",
                str(enc),
                "--roi",
                "100,100,300,300",
            ]
        )
        == 0
    )
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "psnr" in capsys.readouterr().out


def test_demo_runs(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "lossless (default)" in out and "hybrid" in out and "next: sdwtfast" in out
    fig = tmp_path / "sdwtfast-demo.png"
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and str(fig) in out
    assert main(["demo"]) == 0  # a second run never overwrites the first figure
    assert (tmp_path / "sdwtfast-demo-1.png").exists() and fig.stat().st_size > 0
    assert main(["demo", "--no-figure"]) == 0
    assert not (tmp_path / "sdwtfast-demo-2.png").exists()


def test_compare_uses_the_stored_roi_and_works_without_compressed(tmp_path, ct_file, capsys):
    pytest.importorskip("matplotlib")
    enc, dec = tmp_path / "h.sdw", tmp_path / "h.npy"
    assert (
        main(
            ["encode", str(ct_file), str(enc), "--roi", "96,96,320,320", "--background", "wavelet"]
        )
        == 0
    )
    assert main(["decode", str(enc), str(dec)]) == 0
    capsys.readouterr()
    assert main(["compare", str(ct_file), str(dec)]) == 0  # no rate, no ROI: still works
    out = capsys.readouterr().out
    assert "[image]" in out and "[roi]" not in out
    fig = tmp_path / "h.png"
    assert (
        main(["compare", str(ct_file), str(dec), "--compressed", str(enc), "--out", str(fig)]) == 0
    )
    out = capsys.readouterr().out
    # the ROI comes from the container: lossless there, lossy outside
    roi_part = out.split("[roi]")[1].split("[background]")[0]
    assert "lossless           True" in roi_part
    assert fig.exists()


def test_frames_colour_and_refusals(tmp_path, ct, capsys):
    pytest.importorskip("imageio")
    import imageio.v3 as iio

    stack = np.stack([ct[:64, :64], ct[64:128, 64:128], ct[200:264, 200:264]])
    src, enc = tmp_path / "stack.npy", tmp_path / "stack.sdw"
    np.save(src, stack)
    assert main(["encode", str(src), str(enc)]) == 0
    assert "3 frames" in capsys.readouterr().out
    assert main(["decode", str(enc), str(tmp_path / "all.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "all.npy"), stack)
    assert main(["decode", str(enc), str(tmp_path / "f1.npy"), "--frame", "1"]) == 0
    assert np.array_equal(np.load(tmp_path / "f1.npy"), stack[1])
    assert main(["decode", str(enc), str(tmp_path / "f.png")]) == 2  # which frame?
    assert not (tmp_path / "f.png").exists()
    assert main(["decode", str(enc), str(tmp_path / "f.tiff"), "--frame", "2"]) == 0
    assert main(["decode", str(enc), str(tmp_path / "f9.npy"), "--frame", "9"]) == 2
    rgb = np.zeros((32, 40, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, np.arange(40, dtype=np.uint8), 7
    png, renc = tmp_path / "rgb.png", tmp_path / "rgb.sdw"
    iio.imwrite(png, rgb)
    assert main(["encode", str(png), str(renc)]) == 0
    assert main(["decode", str(renc), str(tmp_path / "back.png")]) == 0
    assert np.array_equal(iio.imread(tmp_path / "back.png"), rgb)
    # the output is the input, even with --force; a wrong extension; nothing written
    assert main(["encode", str(src), str(src), "--force"]) == 2
    assert np.array_equal(np.load(src), stack)
    assert main(["encode", str(src), str(tmp_path / "x.png")]) == 2
    assert main(["decode", str(enc), str(enc), "--force"]) == 2
    assert main(["decode", str(enc), str(tmp_path / "x.jpg")]) == 2
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY garbage")
    assert main(["encode", str(bad), str(tmp_path / "b.sdw")]) == 5
    assert not (tmp_path / "b.sdw").exists()


@pytest.mark.parametrize("name", ["emri_small.dcm", "SC_rgb.dcm", "MR_small_bigendian.dcm"])
def test_dicom_objects_keep_every_frame_and_sample(tmp_path, name):
    """Multi-frame, colour and big-endian DICOM through the CLI: nothing dropped, and back to
    DICOM with the same stored values."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.data import get_testdata_file

    src = get_testdata_file(name)
    ref = pydicom.dcmread(src).pixel_array
    enc = tmp_path / "o.sdw"
    assert main(["encode", src, str(enc)]) == 0
    arr = (
        np.load(tmp_path / "o.npy")
        if main(["decode", str(enc), str(tmp_path / "o.npy")]) == 0
        else None
    )
    frames = ref if ref.ndim == 4 or (ref.ndim == 3 and ref.shape[-1] != 3) else ref[None]
    assert arr is not None and np.array_equal(arr, frames)
    assert main(["decode", str(enc), str(tmp_path / "o.dcm")]) == 0
    back = pydicom.dcmread(tmp_path / "o.dcm").pixel_array
    assert np.array_equal(back, ref)


def test_monochrome1_png_is_shown_the_right_way_round(tmp_path):
    """A MONOCHROME1 CR (0 = white) decoded to PNG is inverted for display; .npy and DICOM keep
    the stored values."""
    pydicom = pytest.importorskip("pydicom")
    pytest.importorskip("imageio")
    import imageio.v3 as iio
    from pydicom.data import get_testdata_file

    src = get_testdata_file("RG3_UNCR.dcm")
    if src is None:
        pytest.skip("pydicom-data's RG3_UNCR.dcm is not installed")
    stored = pydicom.dcmread(src).pixel_array
    enc = tmp_path / "cr.sdw"
    assert main(["encode", src, str(enc)]) == 0
    assert main(["decode", str(enc), str(tmp_path / "cr.png")]) == 0
    assert main(["decode", str(enc), str(tmp_path / "cr.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "cr.npy")[0], stored)
    shown = iio.imread(tmp_path / "cr.png").astype(np.int64)
    bits = sdwtfast_bits(enc)
    expected = 65535 - stored.astype(np.int64) * 65535 // (2**bits - 1)
    assert np.array_equal(shown, expected)


def sdwtfast_bits(path) -> int:
    import sdwtfast

    return sdwtfast.info(path.read_bytes())["bit_depth"]
