"""Images with frames and samples (sdwtfast.objects): every frame, every sample, exact."""

from __future__ import annotations

import numpy as np
import pytest

import sdwtfast
from sdwtfast import container as C
from sdwtfast import crypto
from sdwtfast.errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
)


@pytest.fixture(scope="module")
def stack(ct):
    return np.stack([ct[100:196, 100:196], ct[200:296, 200:296], ct[300:396, 150:246]])


@pytest.fixture(scope="module")
def rgb():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:40, 0:52]
    base = (y * 3 + x * 2) % 256
    img = np.stack([base, (base + 40) % 256, (255 - base)], axis=-1)
    img = img + rng.integers(-3, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_every_frame_comes_back_exactly(stack):
    blob = sdwtfast.encode(stack)
    info = sdwtfast.info(blob)
    assert (info["frames"], info["samples"], info["version"], info["lossless"]) == (
        3,
        1,
        "1.1",
        True,
    )
    out = sdwtfast.decode(blob)
    assert out.shape == stack.shape and out.dtype == stack.dtype and np.array_equal(out, stack)
    for k in range(3):
        assert np.array_equal(sdwtfast.decode(blob, frame=k), stack[k])
    for bad in (3, -1, 1.0, True, "0"):
        with pytest.raises(InvalidInputError):
            sdwtfast.decode(blob, frame=bad)


def test_a_single_2d_image_is_still_a_version_1_0_container(ct):
    blob = sdwtfast.encode(ct[:64, :64])
    assert sdwtfast.info(blob)["version"] == "1.0" and sdwtfast.info(blob)["frames"] == 1
    assert np.array_equal(sdwtfast.decode(blob, frame=0), ct[:64, :64])
    with pytest.raises(InvalidInputError):
        sdwtfast.decode(blob, frame=1)
    one = sdwtfast.decode(sdwtfast.encode(ct[None, :64, :64]))  # a stack of one keeps its axis
    assert one.shape == (1, 64, 64)


def test_info_describes_every_plane(stack, rgb):
    """Per frame and sample: its bytes, mode and the parameters its own header holds (the
    value range differs from frame to frame; the outer header keeps only what they share)."""
    blob = sdwtfast.encode(stack, roi_max_error=1)
    info = sdwtfast.info(blob)
    planes = info["planes"]
    assert [(p["frame"], p["sample"]) for p in planes] == [(0, 0), (1, 0), (2, 0)]
    assert sum(p["bytes"] for p in planes) == info["sections"]["frames"]
    for k, p in enumerate(planes):
        assert p["mode"] == "near-lossless" and p["params"]["roi.max_error"] == 1
        assert p["params"]["vmin"] == int(stack[k].min())
        assert p["params"]["vmax"] == int(stack[k].max())
    assert info["params"]["roi.max_error"] == 1
    colour = sdwtfast.info(sdwtfast.encode(rgb))["planes"]
    assert [(p["frame"], p["sample"]) for p in colour] == [(0, 0), (0, 1), (0, 2)]
    assert "planes" not in sdwtfast.info(sdwtfast.encode(stack[0]))


def test_colour_is_lossless_through_the_reversible_transform(rgb):
    blob = sdwtfast.encode(rgb)
    assert sdwtfast.info(blob)["params"]["colour"] == "rct"
    out = sdwtfast.decode(blob)
    assert out.shape == rgb.shape and out.dtype == np.uint8 and np.array_equal(out, rgb)
    plain = sdwtfast.encode(rgb, colour_transform=False)
    assert sdwtfast.info(plain)["params"]["colour"] == "none"
    assert np.array_equal(sdwtfast.decode(plain), rgb)
    y, x = np.mgrid[0:64, 0:64]
    grey = (y * 2 + x) % 200
    alike = np.stack([grey + 20, grey + 10, grey], axis=-1).astype(np.uint8)
    assert len(sdwtfast.encode(alike)) < len(sdwtfast.encode(alike, colour_transform=False))


def test_colour_stacks_and_16_bit_colour(rgb):
    frames = np.stack([rgb, rgb[::-1], rgb[:, ::-1]])
    out = sdwtfast.decode(sdwtfast.encode(frames))
    assert out.shape == frames.shape and np.array_equal(out, frames)
    assert np.array_equal(sdwtfast.decode(sdwtfast.encode(frames), frame=2), frames[2])
    wide = rgb.astype(np.uint16) * 257  # differences beyond int16: coded without the RCT
    blob = sdwtfast.encode(wide)
    assert sdwtfast.info(blob)["params"]["colour"] == "none"
    assert np.array_equal(sdwtfast.decode(blob), wide)
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(wide, colour_transform=True)


def test_error_bound_holds_on_every_sample(rgb, stack):
    for img, d in ((rgb, 2), (stack, 3)):
        blob = sdwtfast.encode(img, roi_max_error=d)
        assert not sdwtfast.info(blob)["lossless"]
        err = np.abs(sdwtfast.decode(blob).astype(np.int64) - img).max()
        assert err <= d


def test_frames_with_a_roi_and_a_background(stack):
    box = [(16, 16, 64, 72)]
    blob = sdwtfast.encode(stack, roi=box, background_quality=0.1)
    out = sdwtfast.decode(blob)
    m = np.zeros(stack.shape[1:], bool)
    m[16:64, 16:72] = True
    assert np.array_equal(out[:, m], stack[:, m])
    assert not sdwtfast.info(blob)["lossless"]
    per_frame = np.zeros(stack.shape, bool)
    per_frame[0, :32, :32] = per_frame[1, 40:, 40:] = per_frame[2, 8:24, :] = True
    out = sdwtfast.decode(sdwtfast.encode(stack, roi=per_frame, roi_max_error=1))
    assert np.abs(out.astype(np.int64) - stack)[per_frame].max() <= 1
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(stack, roi=per_frame[:2])
    auto = sdwtfast.encode(stack, roi="auto")
    assert sdwtfast.info(auto)["frames"] == 3


def test_rate_budget_covers_the_whole_object(stack):
    for bpp in (0.5, 1.0, 2.0):
        for kw in ({}, {"key": crypto.Key.generate()}):
            blob = sdwtfast.encode(stack, roi_bpp=bpp, **kw)
            assert len(blob) <= bpp * stack.size / 8


@pytest.mark.parametrize("dtype", [">u2", ">i2", "<i4", "<u4", "<i8"])
def test_any_integer_dtype_of_a_stack(stack, dtype):
    x = (stack.astype(np.int64) - (0 if dtype[1] == "i" else stack.min())).astype(dtype)
    out = sdwtfast.decode(sdwtfast.encode(x))
    assert np.array_equal(out.astype(np.int64), x.astype(np.int64))
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(np.array([[[-1, 40000]], [[0, 0]]], np.int32))


def test_metadata_is_kept_and_sealed(stack, ct):
    meta = b"PatientName=Doe^Jane; 20261201"
    key = crypto.Key.generate()
    for img in (stack, ct[:32, :32]):
        blob = sdwtfast.encode(img, metadata=meta, key=key)
        assert meta not in blob and b"Doe" not in blob
        assert sdwtfast.metadata(blob, key=key) == meta
        assert np.array_equal(sdwtfast.decode(blob, key=key), img)
        plain = sdwtfast.encode(img, metadata=meta)
        assert sdwtfast.metadata(plain) == meta
    assert sdwtfast.metadata(sdwtfast.encode(stack)) is None
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(stack, metadata="text")


def test_frames_decode_alone_from_the_index(stack):
    """Random access: decoding frame k reads only plane k (the others may be garbage as long
    as the container's checksums hold)."""
    blob = sdwtfast.encode(stack)
    hdr, sections = C.unpack(blob)
    secs = {s.type: bytes(s.data) for s in sections}
    lengths = np.frombuffer(secs[C.SectionType.FRAME_INDEX], "<u4")
    frames = bytearray(secs[C.SectionType.FRAMES])
    frames[lengths[0] + 40] ^= 0xFF  # damage plane 1 inside its own CRC-protected body
    forged = C.pack(
        hdr,
        [
            C.Section(C.SectionType.FRAME_INDEX, secs[C.SectionType.FRAME_INDEX]),
            C.Section(C.SectionType.FRAMES, bytes(frames)),
        ],
    )
    assert np.array_equal(sdwtfast.decode(forged, frame=0), stack[0])
    assert np.array_equal(sdwtfast.decode(forged, frame=2), stack[2])
    with pytest.raises(CorruptStreamError):
        sdwtfast.decode(forged, frame=1)


def test_forged_object_containers_are_refused(stack):
    blob = sdwtfast.encode(stack)
    hdr, sections = C.unpack(blob)
    secs = {s.type: bytes(s.data) for s in sections}
    index, frames = secs[C.SectionType.FRAME_INDEX], secs[C.SectionType.FRAMES]

    def forged(params=None, index=index, frames=frames):
        h = C.Header(
            width=hdr.width,
            height=hdr.height,
            dtype=hdr.dtype,
            bit_depth=hdr.bit_depth,
            signed=hdr.signed,
            mode=hdr.mode,
            wavelet=hdr.wavelet,
            levels=hdr.levels,
            params={**hdr.params, **(params or {})},
        )
        return C.pack(
            h,
            [C.Section(C.SectionType.FRAME_INDEX, index), C.Section(C.SectionType.FRAMES, frames)],
        )

    for bad in (
        forged({"frames": 4}),
        forged({"frames": 0}),
        forged({"samples": 9}),
        forged({"layout": "xyz"}),
        forged(index=index[:-4]),
        forged(frames=frames[:-1]),
        forged({"frames": 65535, "samples": 4}),
        forged({"colour": "rct"}),
        forged(frames=frames, index=index[4:] + index[:4]),
    ):
        with pytest.raises((CorruptStreamError, LimitExceededError)) as exc:
            sdwtfast.decode(bad)
        assert (
            isinstance(exc.value, CorruptStreamError)
            or "max_pixels" in str(exc.value)
            or "limit" in str(exc.value)
        )
    nested = forged(
        frames=blob + blob[:0], index=np.array([len(blob)] * 1 + [0] * 2, "<u4").tobytes()
    )
    with pytest.raises(CorruptStreamError):
        sdwtfast.decode(nested)


def test_shapes_and_samples_are_checked():
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(np.zeros((2, 3, 4, 5, 6), np.uint8))
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(np.zeros((4, 4, 3), np.uint8), samples=2)
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(np.zeros((4, 4), np.uint8), samples=3)
    with pytest.raises(InvalidInputError):
        sdwtfast.encode(np.zeros((0, 4, 4), np.uint8))
    frames3 = np.arange(4 * 5 * 3, dtype=np.uint16).reshape(4, 5, 3)
    as_frames = sdwtfast.decode(sdwtfast.encode(frames3, samples=1))
    assert as_frames.shape == (4, 5, 3) and np.array_equal(as_frames, frames3)
    assert sdwtfast.info(sdwtfast.encode(frames3, samples=1))["frames"] == 4


def test_frames_in_parallel_give_the_same_bytes(stack):
    assert sdwtfast.encode(stack, workers=1) == sdwtfast.encode(stack, workers=3)
