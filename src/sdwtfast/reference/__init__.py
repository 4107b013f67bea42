"""Pure-Python reference implementation of the sdwtfast core: the executable specification.

It produces the same bytes as the C core, function by function (:data:`ENGINE`, a drop-in for
``sdwtfast._native``) and for whole images (:func:`encode_image` / :func:`decode_image`, the
pipeline of :mod:`sdwtfast.ezw` run on :data:`ENGINE`). It is the oracle of the tests and the
baseline of the benchmarks, written for clarity: plain loops, no C.

Modules: :mod:`.arith` (range coder), :mod:`.ezw` (EZW traversal and back-ends),
:mod:`.lift53` (integer 5/3 lifting), :mod:`.pred` (predictive lossless coder),
:mod:`.quant` (deadzone quantizer), :mod:`.engine`.

>>> import numpy as np
>>> from sdwtfast import reference
>>> img = (np.arange(16 * 12, dtype=np.uint16).reshape(16, 12) * 37) % 1024
>>> data = reference.encode_image(img)
>>> bool((reference.decode_image(data) == img).all())
True
"""

from __future__ import annotations

import numpy as np

from .engine import ENGINE

__all__ = ["ENGINE", "encode_image", "decode_image"]


def encode_image(
    image: np.ndarray,
    *,
    bpp: float | None = None,
    wavelet: str | None = None,
    backend: str = "arith",
    levels: int | None = None,
    last_plane: int | None = None,
) -> bytes:
    """Encode like :func:`sdwtfast.ezw.encode_image`, on the pure-Python engine.

    Parameters
    ----------
    image : numpy.ndarray
        2-D uint8, uint16 or int16 image.
    bpp : float, optional
        None: lossless; a number: lossy with the payload cut to ``bpp * pixels / 8`` bytes.
    wavelet : {"5/3", "9/7", "haar"}, optional
        Wavelet (lossless needs "5/3").
    backend : {"arith", "raw"}
        EZW back-end.
    levels : int, optional
        Decomposition levels.
    last_plane : int, optional
        Lossless path only: the last bit plane coded.

    Returns
    -------
    bytes
        The same stream as :func:`sdwtfast.ezw.encode_image`.
    """
    from .. import ezw

    return ezw.encode_image_with(
        ENGINE,
        image,
        bpp=bpp,
        wavelet=wavelet,
        backend=backend,
        levels=levels,
        last_plane=last_plane,
    )


def decode_image(data: bytes | bytearray | memoryview, *, partial: bool = False) -> np.ndarray:
    """Decode like :func:`sdwtfast.ezw.decode_image`, on the pure-Python engine.

    Parameters
    ----------
    data : bytes-like
        A stream made by either encoder.
    partial : bool
        Accept a truncated payload and decode its embedded prefix.

    Returns
    -------
    numpy.ndarray
        The image.
    """
    from .. import ezw

    return ezw.decode_image_with(ENGINE, data, partial=partial)
