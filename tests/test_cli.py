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


def test_png_tiff_and_dicom(tmp_path, ct):
    pytest.importorskip("imageio")
    u16 = (ct.astype(np.int32) + 2000).astype(np.uint16)
    src = tmp_path / "img.npy"
    np.save(src, u16)
    enc = tmp_path / "img.sdw"
    assert main(["encode", str(src), str(enc)]) == 0
    for ext in (".png", ".tiff"):
        dst = tmp_path / f"out{ext}"
        assert main(["decode", str(enc), str(dst)]) == 0
        import imageio.v3 as iio

        assert np.array_equal(iio.imread(dst), u16)
    pydicom = pytest.importorskip("pydicom")
    from pydicom.data import get_testdata_file

    dcm = get_testdata_file("CT_small.dcm")
    assert main(["encode", dcm, str(tmp_path / "d.sdw")]) == 0
    assert main(["decode", str(tmp_path / "d.sdw"), str(tmp_path / "d.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "d.npy"), pydicom.dcmread(dcm).pixel_array)


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
