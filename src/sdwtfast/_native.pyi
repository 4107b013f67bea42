"""Type stubs of the C core's membrane (``_native.pyx``)."""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import SdwtError

OK: int
EINVAL: int
ENOMEM: int
EOVERFLOW: int
ELIMIT: int
EBUFSIZE: int
ECORRUPT: int
ERANGE: int
ETRUNCATED: int
EZW_RAW: int
EZW_ARITH: int
EZW_MAX_PLANE: int
MAX_SIDE: int
MAX_PIXELS: int
MAX_LEVELS: int
PRED_MAX_VALUE: int
PRED_MAX_PIXELS_PER_BYTE: int

def status_exception(status: int, where: str, decoding: bool = ...) -> SdwtError: ...
def strerror(status: int) -> str: ...
def crc32c(data: bytes | bytearray | memoryview, crc: int = ...) -> int: ...
def max_levels(h: int, w: int) -> int: ...
def lift53_forward(image: ArrayLike, levels: int) -> NDArray[np.int32]: ...
def lift53_inverse(coef: ArrayLike, levels: int) -> NDArray[np.int32]: ...
def quantize(x: ArrayLike, step: float) -> NDArray[np.int32]: ...
def dequantize(
    q: ArrayLike, lp: ArrayLike | None, step: float, r_known: float = ..., r_part: float = ...
) -> NDArray[np.float64]: ...
def ezw_top_plane(coef: ArrayLike, mask: ArrayLike | None = ...) -> int: ...
def ezw_raw_bound(n: int, planes: int) -> int: ...
def ezw_encode(
    coef: ArrayLike,
    levels: int,
    mask: ArrayLike | None = ...,
    backend: int = ...,
    top: int | None = ...,
    min_plane: int = ...,
    max_bytes: int = ...,
    cap: int | None = ...,
) -> tuple[bytes, int, int] | None: ...
def ezw_decode(
    data: bytes,
    h: int,
    w: int,
    levels: int,
    mask: ArrayLike | None = ...,
    backend: int = ...,
    top: int = ...,
    min_plane: int = ...,
) -> tuple[NDArray[np.int32], NDArray[np.uint8]]: ...
def bitmap_encode(bits: ArrayLike) -> bytes: ...
def bitmap_decode(data: bytes, h: int, w: int) -> NDArray[np.bool_]: ...
def pred_encode(
    image: ArrayLike, maxval: int, cap: int, mask: ArrayLike | None = ...
) -> bytes | None: ...
def pred_decode(
    data: bytes, h: int, w: int, maxval: int, mask: ArrayLike | None = ...
) -> NDArray[np.int32]: ...
