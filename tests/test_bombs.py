"""Decompression bombs (issue 15): a few hundred bytes that declare gigapixels must fail at
once, measured in a fresh process (CPU time and peak memory), and big real images must still
decode."""

from __future__ import annotations

import dataclasses
import json
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import sdwtfast
from sdwtfast import background, ezw
from sdwtfast import container as C
from sdwtfast.errors import CorruptStreamError, LimitExceededError, SdwtError

SIDE = 16384
PARAMS = {"dc": 0, "vmax": 4095, "vmin": 0}


def _container(mode: str, sections: list[C.Section], side: int = SIDE, **params) -> bytes:
    header = C.Header(
        width=side,
        height=side,
        dtype="uint16",
        bit_depth=12,
        mode=mode,
        wavelet=params.pop("wavelet", "5/3"),
        levels=5,
        params={**PARAMS, **params},
    )
    return C.pack(header, sections)


def _ezw_stream() -> bytes:
    small = ezw.encode_image(np.zeros((64, 64), np.uint16))  # lossless
    hdr = dataclasses.replace(ezw.read_header(small), height=SIDE, width=SIDE)
    return ezw._pack_header(hdr) + small[ezw._HSIZE :]


def _learned_stream() -> bytes:
    small = bytearray(background.encode(np.full((64, 64), 7, np.uint16), quality=2))
    struct.pack_into("<II", small, 8, SIDE, SIDE)  # height, width
    return bytes(small)


def bombs() -> dict[str, tuple[str, bytes, dict]]:
    """name: (decoder, input, keyword arguments)."""
    roi = C.Section(C.SectionType.ROI, bytes(40))
    pred = C.Section(C.SectionType.PRED, bytes(100))
    hybrid = [
        C.Section(C.SectionType.MASK, bytes(16)),
        C.Section(C.SectionType.ROI, bytes(40)),
        C.Section(C.SectionType.BACKGROUND, bytes(40)),
    ]
    big = {"max_pixels": sdwtfast.limits.MAX_PIXELS}
    return {
        "roi 16384^2": ("decode", _container("lossless", [roi]), {}),
        "rate 16384^2": ("decode", _container("rate", [roi], wavelet="9/7"), {}),
        "hybrid 16384^2": ("decode", _container("hybrid-lossless", hybrid, block=8), {}),
        "pred 16384^2 max_pixels=2^28": (
            "decode",
            _container("lossless", [pred], wavelet="none"),
            big,
        ),
        "pred 8192^2 (within max_pixels)": (
            "decode",
            _container("lossless", [pred], side=8192, wavelet="none"),
            {},
        ),
        "ezw stream 16384^2": ("ezw", _ezw_stream(), {}),
        "learned stream 16384^2": ("learned", _learned_stream(), {}),
    }


RUNNER = textwrap.dedent(
    """
    import json, resource, sys, time
    import sdwtfast
    from sdwtfast import background, ezw
    decoders = {"decode": sdwtfast.decode, "ezw": ezw.decode_image,
                "learned": background.decode}
    out = []
    for name, kind, path, kw in json.load(sys.stdin):
        data = open(path, "rb").read()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.process_time()
        try:
            decoders[kind](data, **kw)
            err = None
        except Exception as exc:
            err = [type(exc).__name__, str(exc), isinstance(exc, sdwtfast.SdwtError)]
        cpu = time.process_time() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
        out.append([name, len(data), err, cpu, peak * 1024])
    print(json.dumps(out))
    """
)


def test_bombs_fail_at_once_in_a_fresh_process(tmp_path):
    jobs = []
    for i, (name, (kind, data, kw)) in enumerate(bombs().items()):
        path = tmp_path / f"bomb{i}"
        path.write_bytes(data)
        jobs.append([name, kind, str(path), kw])
    # the first import (torch, numpy) must not count: warm up on a harmless call first
    warm = [["warm-up", "decode", str(tmp_path / "warm"), {}]]
    (tmp_path / "warm").write_bytes(sdwtfast.encode(np.zeros((8, 8), np.uint8)))
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(warm + jobs),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)[1:]
    for name, size, err, cpu, peak in results:
        assert size < 400, name
        assert err is not None and err[2], f"{name}: {err}"  # an SdwtError, with its reason
        assert err[0] in ("LimitExceededError", "CorruptStreamError"), f"{name}: {err}"
        assert cpu < 0.1, f"{name}: {cpu:.3f} s of CPU"
        assert peak < 100 << 20, f"{name}: {peak / 2**20:.0f} MB"


def test_bombs_name_the_limit():
    b = bombs()
    with pytest.raises(LimitExceededError, match="max_pixels"):
        sdwtfast.decode(b["roi 16384^2"][1])
    with pytest.raises(CorruptStreamError, match="cannot describe"):
        sdwtfast.decode(b["pred 8192^2 (within max_pixels)"][1])
    with pytest.raises(LimitExceededError, match="EZW stream 16384x16384"):
        ezw.decode_image(b["ezw stream 16384^2"][1])
    with pytest.raises(LimitExceededError, match="background stream 16384x16384"):
        background.decode(b["learned stream 16384^2"][1])
    with pytest.raises(CorruptStreamError, match="expected"):
        small = background.encode(np.full((64, 64), 7, np.uint16), quality=2)
        background.decode(small, shape=(64, 65))
    with pytest.raises(SdwtError):
        ezw.decode_image(b["ezw stream 16384^2"][1], max_pixels=0)
    with pytest.raises(LimitExceededError, match="max_pixels"):
        sdwtfast.codec.roi_mask(b["hybrid 16384^2"][1])


@pytest.mark.slow
def test_a_real_8192_square_image_still_decodes():
    """The default max_pixels (2^26) admits an 8192 x 8192 CR, and its stream is far inside
    what the predictive coder's bound allows."""
    y, x = np.mgrid[0:8192, 0:8192]
    img = ((np.sin(x / 300.0) + np.cos(y / 500.0)) * 1000 + 2048).astype(np.uint16)
    blob = sdwtfast.encode(img)
    assert np.array_equal(sdwtfast.decode(blob), img)
