"""The numcodecs codec and the zarr v3 serializer (issue 12 item 4): configuration, registry,
exact round trips, edge chunks, a 3-D volume in zarr, bounds, keys, bad chunks."""

from __future__ import annotations

import json
import pickle
from importlib.metadata import entry_points

import numpy as np
import pytest

numcodecs = pytest.importorskip("numcodecs")
zarr = pytest.importorskip("zarr")

from sdwtfast import crypto  # noqa: E402
from sdwtfast.errors import (  # noqa: E402
    AuthenticationError,
    CorruptStreamError,
    InvalidInputError,
    KeyRequiredError,
    LimitExceededError,
    SdwtError,
)
from sdwtfast.zarrcodec import Sdwtfast, SdwtfastZarr, open_array, with_key  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::zarr.errors.ZarrUserWarning")


def _image(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    """A smooth image with noise, spanning most of ``dtype``'s 16-bit range."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape).sum(axis=0).astype(np.float64)
    info = np.iinfo(np.dtype(dtype))
    lo, hi = max(info.min, -2000), min(info.max, 4095)
    x = lo + (hi - lo) * (0.5 + 0.4 * np.sin(grid / 7.0)) + rng.normal(0, 20, shape)
    return np.clip(np.rint(x), lo, hi).astype(dtype)


def _mni() -> np.ndarray:
    """The MNI152 template at half resolution as (slices, rows, columns) uint16 0..4095."""
    pytest.importorskip("nibabel")
    pytest.importorskip("nilearn")
    from .volumes import mni_volume

    data, _ = mni_volume(step=2)  # (99, 117, 95) as (x, y, z)
    return np.ascontiguousarray(data.transpose(2, 1, 0))


def _array(store, shape, chunks, dtype, **codec) -> zarr.Array:
    return zarr.create_array(
        store,
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        serializer=SdwtfastZarr(**codec),
        compressors=None,
    )


# ---- configuration and registry ------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"roi_max_error": 3},
        {"roi_bpp": 1.5, "wavelet": "9/7"},
        {"roi": "auto", "background": "wavelet", "background_quality": 0.2},
        {"roi": [(2, 3, 20, 30), (0, 0, 4, 4)], "roi_max_error": 1, "levels": 3, "workers": 2},
    ],
)
def test_config_round_trips_through_json(options):
    codec = Sdwtfast(**options)
    cfg = json.loads(json.dumps(codec.get_config()))
    assert cfg["id"] == "sdwtfast" and cfg["encrypted"] is False
    again = numcodecs.get_codec(cfg)
    assert isinstance(again, Sdwtfast) and again == codec
    assert again.get_config() == codec.get_config()
    zc = SdwtfastZarr(**options)
    entry = json.loads(json.dumps(zc.to_dict()))
    assert entry["name"] == "sdwtfast"
    assert SdwtfastZarr.from_dict(entry) == zc and hash(SdwtfastZarr.from_dict(entry)) == hash(zc)


def test_registry_finds_both_codecs_by_name():
    assert type(numcodecs.get_codec({"id": "sdwtfast"})) is Sdwtfast
    assert {e.value for e in entry_points(group="numcodecs.codecs", name="sdwtfast")} == {
        "sdwtfast.zarrcodec:Sdwtfast"
    }
    assert {e.value for e in entry_points(group="zarr.codecs", name="sdwtfast")} == {
        "sdwtfast.zarrcodec:SdwtfastZarr"
    }
    from zarr.registry import get_codec_class

    assert get_codec_class("sdwtfast") is SdwtfastZarr


# ---- exact round trips ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16"])
@pytest.mark.parametrize("shape", [(37, 50), (4, 33, 21), (1, 16, 16), (3, 1, 9)])
def test_numcodecs_round_trip_is_exact(dtype, shape):
    x = _image(shape, dtype)
    codec = Sdwtfast()
    blob = codec.encode(x)
    y = codec.decode(blob)
    assert y.dtype == x.dtype and y.shape == x.shape and np.array_equal(y, x)
    out = np.empty_like(x)
    assert codec.decode(blob, out=out) is out and np.array_equal(out, x)
    raw = np.empty(x.nbytes, np.uint8)  # ndarray_copy: any buffer of the chunk's bytes
    codec.decode(np.frombuffer(blob, np.uint8), out=raw)
    assert raw.tobytes() == x.tobytes()


@pytest.mark.parametrize("dtype", ["int32", "uint32", "int64", ">u2", ">i2", "int8"])
def test_other_integer_types_come_back_as_themselves(dtype):
    x = _image((2, 20, 24), "int16" if np.dtype(dtype).kind == "i" else "uint16")
    x = (x // 256 if dtype == "int8" else x).astype(dtype)
    y = Sdwtfast().decode(Sdwtfast().encode(x))
    assert y.dtype == x.dtype and np.array_equal(y, x) and y.tobytes() == x.tobytes()


def test_zarr_edge_chunks_are_exact(tmp_path):
    x = _image((7, 45, 61), "int16", seed=3)
    z = _array(tmp_path / "a.zarr", x.shape, (3, 16, 32), "int16")  # edge chunks on every axis
    z[:] = x
    back = zarr.open_array(tmp_path / "a.zarr", mode="r")
    assert np.array_equal(back[:], x) and np.array_equal(back[5:7, 40:, 50:], x[5:7, 40:, 50:])
    v2 = zarr.create_array(
        tmp_path / "v2.zarr",
        shape=x.shape,
        chunks=(3, 16, 32),
        dtype="int16",
        zarr_format=2,
        compressors=Sdwtfast(),
    )
    v2[:] = x
    assert np.array_equal(zarr.open_array(tmp_path / "v2.zarr", mode="r")[:], x)


def test_zarr_v3_round_trip_of_a_volume(tmp_path):
    vol = _mni()
    path = tmp_path / "mni.zarr"
    z = _array(path, vol.shape, (16, 64, 64), "uint16")
    z[:] = vol
    meta = json.loads((path / "zarr.json").read_text())
    assert [c["name"] for c in meta["codecs"]] == ["sdwtfast"]
    back = zarr.open_array(path, mode="r")
    assert isinstance(back.metadata.codecs[0], SdwtfastZarr)
    assert np.array_equal(back[:], vol)
    assert np.array_equal(back[40], vol[40])  # one slice, through its chunks only
    stored = sum(f.stat().st_size for f in (path / "c").rglob("*") if f.is_file())
    assert stored < vol.nbytes / 2.5  # a compressor, not a copy


# ---- bounds and ROI ------------------------------------------------------------------------


def test_error_bound_holds_per_chunk_and_in_zarr(tmp_path):
    x = _image((3, 40, 48), "uint16", seed=5)
    codec = Sdwtfast(roi_max_error=3)
    y = codec.decode(codec.encode(x))
    err = np.abs(y.astype(np.int64) - x)
    assert err.max() <= 3 and err.max() > 0
    assert len(codec.encode(x)) < len(Sdwtfast().encode(x))
    vol = _mni()[30:50]
    z = _array(tmp_path / "b.zarr", vol.shape, (8, 64, 64), "uint16", roi_max_error=2)
    z[:] = vol
    back = zarr.open_array(tmp_path / "b.zarr", mode="r")[:]
    assert np.abs(back.astype(np.int64) - vol).max() <= 2


def test_roi_boxes_in_chunk_coordinates_bound_the_roi_only():
    x = _image((2, 64, 64), "uint16", seed=7)
    codec = Sdwtfast(roi=[(8, 8, 40, 40)], roi_max_error=1, background_quality=0.1)
    y = codec.decode(codec.encode(x)).astype(np.int64)
    assert np.abs(y - x)[:, 8:40, 8:40].max() <= 1  # inside the box, every frame
    assert np.abs(y - x).max() > 1  # the background is coded at a low rate
    rate = Sdwtfast(roi_bpp=1.0)
    assert len(rate.encode(x[0])) <= 64 * 64 / 8


# ---- keys ----------------------------------------------------------------------------------


def test_encrypted_chunks_need_the_key():
    x = _image((2, 30, 30), "uint16")
    key = crypto.Key.generate()
    sealed_codec = Sdwtfast(roi_max_error=0, key=key)
    blob = sealed_codec.encode(x)
    assert np.array_equal(sealed_codec.decode(blob), x)
    cfg = sealed_codec.get_config()
    assert cfg["encrypted"] is True and "key" not in cfg and "passphrase" not in cfg
    keyless = numcodecs.get_codec(json.loads(json.dumps(cfg)))
    assert not keyless.has_key and "hidden" not in repr(keyless)
    with pytest.raises(KeyRequiredError):
        keyless.decode(blob)
    with pytest.raises(KeyRequiredError):
        keyless.encode(x)  # an encrypted array never receives a plaintext chunk
    with pytest.raises(KeyRequiredError):
        Sdwtfast().decode(blob)
    assert np.array_equal(keyless.with_key(key).decode(blob), x)
    with pytest.raises(AuthenticationError):
        keyless.with_key(crypto.Key.generate()).decode(blob)
    with pytest.raises(AuthenticationError):  # a plaintext chunk in an encrypted array
        keyless.decode(Sdwtfast().encode(x))
    with pytest.raises(AuthenticationError):
        sealed_codec.decode(Sdwtfast().encode(x))
    assert crypto.key_bytes(key).hex() not in repr(sealed_codec)
    assert "key=<hidden>" in repr(sealed_codec)
    with pytest.raises(InvalidInputError):
        Sdwtfast.from_config({**cfg, "key": "00" * 32})
    with pytest.raises(InvalidInputError, match="unknown"):
        Sdwtfast.from_config({**cfg, "quality": 3})
    with pytest.raises(InvalidInputError):
        SdwtfastZarr.from_dict({"name": "sdwtfast", "configuration": [1]})
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(sealed_codec)
    assert pickle.loads(pickle.dumps(Sdwtfast(roi_max_error=2))) == Sdwtfast(roi_max_error=2)


def test_passphrase_is_stretched_once_and_only_its_salt_is_stored():
    x = _image((24, 24), "int16")
    codec = Sdwtfast(passphrase="correct horse")
    blob = codec.encode(x)
    cfg = json.loads(json.dumps(codec.get_config()))
    assert cfg["kdf"]["algorithm"] == "argon2id" and len(cfg["kdf"]["salt"]) == 32
    assert "correct horse" not in json.dumps(cfg)
    reader = numcodecs.get_codec(cfg)
    with pytest.raises(KeyRequiredError):
        reader.decode(blob)
    assert np.array_equal(reader.with_key(passphrase="correct horse").decode(blob), x)
    with pytest.raises(AuthenticationError):
        reader.with_key(passphrase="wrong").decode(blob)


def test_keys_are_absent_from_the_stored_zarr_json(tmp_path):
    x = _image((4, 40, 40), "uint16", seed=2)
    key = crypto.Key.generate()
    raw = crypto.key_bytes(key)
    path = tmp_path / "sealed.zarr"
    z = _array(path, x.shape, (2, 32, 32), "uint16", key=key)
    z[:] = x
    text = (path / "zarr.json").read_text()
    cfg = json.loads(text)["codecs"][0]["configuration"]
    assert cfg["encrypted"] is True and "key" not in cfg and "passphrase" not in cfg
    assert raw.hex() not in text and raw not in (path / "zarr.json").read_bytes()
    for chunk in (path / "c").rglob("*"):
        if chunk.is_file():
            assert raw not in chunk.read_bytes()
    with pytest.raises(KeyRequiredError):
        zarr.open_array(path, mode="r")[:]
    assert np.array_equal(open_array(path, key=key)[:], x)
    rw = open_array(path, key=raw, mode="r+")  # writing with the key keeps chunks sealed
    rw[0] = x[1]
    assert np.array_equal(open_array(path, key=key)[0], x[1])
    assert (path / "zarr.json").read_text() == text
    with pytest.raises(KeyRequiredError):
        zarr.open_array(path, mode="r+")[1] = x[0]  # no plaintext chunk without the key
    with pytest.raises(InvalidInputError):
        with_key(zarr.open_array(path, mode="r"))


# ---- bad chunks and options ----------------------------------------------------------------


@pytest.mark.parametrize(
    "chunk",
    [
        np.arange(10, dtype=np.uint16),
        np.zeros((2, 3, 8, 8), np.uint16),
        np.zeros((8, 8), np.float32),
        np.zeros((8, 8), bool),
        np.zeros((0, 8), np.uint16),
        np.zeros((8, 8), np.complex64),
    ],
    ids=["1-D", "4-D", "float", "bool", "empty", "complex"],
)
def test_bad_chunks_are_refused_naming_shape_and_dtype(chunk):
    with pytest.raises(InvalidInputError) as err:
        Sdwtfast().encode(chunk)
    assert str(tuple(chunk.shape)) in str(err.value) and str(chunk.dtype) in str(err.value)


def test_other_bad_input_raises_sdwt_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="fit neither"):
        Sdwtfast().encode(np.array([[-1, 70000]], np.int32))
    with pytest.raises(InvalidInputError, match="shape"):
        Sdwtfast().encode(b"\x00" * 64)  # bytes have no shape: zarr v3 needs serializer=
    bad_options = [
        {"roi": np.ones((8, 8), bool)},
        {"roi": "everything"},
        {"roi": [(5, 5, 2, 2)]},
        {"roi": []},
        {"roi_max_error": -1},
        {"roi_max_error": 2, "roi_bpp": 1.0},
        {"levels": 99},
        {"workers": 0},
        {"kdf": {"algorithm": "scrypt"}},
        {"key": b"short"},
    ]
    for options in bad_options:
        with pytest.raises(InvalidInputError):
            Sdwtfast(**options)
    with pytest.raises(InvalidInputError):
        _array(tmp_path / "f.zarr", (4, 8, 8), (2, 8, 8), "float32")
    with pytest.raises(InvalidInputError):
        _array(tmp_path / "g.zarr", (2, 2, 8, 8), (1, 2, 8, 8), "uint16")
    with pytest.raises(LimitExceededError, match="max_pixels"):
        Sdwtfast(max_pixels=100).encode(np.zeros((11, 11), np.uint8))
    blob = Sdwtfast().encode(_image((20, 20), "uint8"))
    with pytest.raises(LimitExceededError):
        Sdwtfast().decode(blob, out=np.empty(10, np.uint8))  # declares more than out holds
    for broken in (blob[:-5], b"\x00" * 40, blob[:10]):
        with pytest.raises(SdwtError):
            Sdwtfast().decode(broken)


def test_a_corrupt_chunk_in_zarr_is_reported(tmp_path):
    x = _image((2, 16, 16), "uint16")
    path = tmp_path / "c.zarr"
    _array(path, x.shape, x.shape, "uint16")[:] = x
    chunk = next(f for f in (path / "c").rglob("*") if f.is_file())
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    with pytest.raises(CorruptStreamError):
        zarr.open_array(path, mode="r")[:]


def test_sharded_encrypted_array_takes_its_key_back(tmp_path):
    x = _image((4, 48, 48), "uint16", seed=9)
    key = crypto.Key.generate()
    path = tmp_path / "shards.zarr"
    z = zarr.create_array(
        path,
        shape=x.shape,
        chunks=(2, 24, 24),
        shards=(4, 48, 48),
        dtype="uint16",
        serializer=SdwtfastZarr(key=key),
        compressors=None,
    )
    z[:] = x
    with pytest.raises(KeyRequiredError):
        zarr.open_array(path, mode="r")[:]
    assert np.array_equal(open_array(path, key=key)[:], x)
