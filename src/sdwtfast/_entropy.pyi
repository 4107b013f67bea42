"""Type stubs of the rANS membrane (``_entropy.pyx``)."""

import numpy as np
from numpy.typing import NDArray

PRECISION: int
MAX_TABLE: int
MAX_VALUE: int

def check_tables(
    cdfs: NDArray[np.int32], lengths: NDArray[np.int32], offsets: NDArray[np.int32]
) -> None: ...
def encode(
    values: NDArray[np.int32],
    index: NDArray[np.int32],
    cdfs: NDArray[np.int32],
    lengths: NDArray[np.int32],
    offsets: NDArray[np.int32],
) -> bytes: ...
def decode(
    data: bytes,
    index: NDArray[np.int32],
    cdfs: NDArray[np.int32],
    lengths: NDArray[np.int32],
    offsets: NDArray[np.int32],
) -> NDArray[np.int32]: ...
