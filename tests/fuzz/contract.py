"""The error contract the atheris target (``fuzz_container.py``) and the replay test
(``tests/test_fuzz_replay.py``) hold every input to.

Every call below, on any bytes, either returns or raises a subclass of
:class:`sdwtfast.errors.SdwtError`; any other exception (or a result of the wrong type) is a
finding. Work per input is bounded: containers are decoded with a small ``max_pixels``, and
the calls that have no such option (``roi_mask``, stand-alone EZW streams) are made only when
the header declares a small image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import sdwtfast
from sdwtfast import api, container, ezw
from sdwtfast.errors import SdwtError

__all__ = ["KEY", "MAX_PIXELS", "CALLS", "check"]

KEY = bytes(range(32))
"""The key that seals the corpus's encrypted containers (``csrc/fuzz/make_corpus.py``)."""
MAX_PIXELS = 1 << 16
"""``max_pixels`` of every decode: a 256 x 256 image, so that one input takes milliseconds."""


def _declared_small(data: bytes) -> bool:
    hd = container.read_header(data).header
    if hd is None:  # a sealed container whose header holds no geometry: it is in the body
        hd = container.unpack(data, key=KEY)[0]
    frames = hd.params.get("frames", 1)
    n = frames if isinstance(frames, int) and frames > 0 else 1
    return hd.width * hd.height * n <= MAX_PIXELS


def _roi_mask(data: bytes) -> object:
    return api.roi_mask(data, key=KEY) if _declared_small(data) else None


def _ezw(data: bytes, partial: bool) -> object:
    h = ezw.read_header(data)
    if h.height * h.width > MAX_PIXELS:
        return None
    out = ezw.decode_image(data, partial=partial)
    assert isinstance(out, np.ndarray) and out.shape == (h.height, h.width), out
    return out


def _decode(data: bytes, **kw) -> object:
    out = sdwtfast.decode(data, max_pixels=MAX_PIXELS, **kw)
    assert isinstance(out, np.ndarray) and out.dtype in (np.uint8, np.uint16, np.int16), out
    return out


def _info(data: bytes) -> object:
    out = sdwtfast.info(data)
    assert isinstance(out, dict), out
    return out


CALLS: dict[str, Callable[[bytes], object]] = {
    "info": _info,
    "read_header": container.read_header,
    "unpack": container.unpack,
    "unpack_key": lambda d: container.unpack(d, key=KEY),
    "decode": _decode,
    "decode_key": lambda d: _decode(d, key=KEY),
    "decode_frame1": lambda d: _decode(d, key=KEY, frame=1),
    "metadata": lambda d: sdwtfast.metadata(d, key=KEY),
    "roi_mask": _roi_mask,
    "ezw_decode": lambda d: _ezw(d, False),
    "ezw_decode_partial": lambda d: _ezw(d, True),
}
"""The public entry points that parse untrusted bytes, by name."""


def check(data: bytes) -> list[str]:
    """Run every call of :data:`CALLS` on ``data``; the names of those that returned.

    Raises whatever a call raises that is not an :class:`~sdwtfast.errors.SdwtError`.
    """
    ok = []
    for name, call in CALLS.items():
        try:
            call(data)
        except SdwtError:
            continue
        ok.append(name)
    return ok
