# cython: language_level=3
"""Thin membrane over the C core: buffers to pointers, GIL released, status -> exception.

No policy lives here: validation of images and streams is done by the Python modules that
call these functions. Every C call runs inside ``with nogil``.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, uint8_t, uint32_t

from sdwtfast.c_core cimport *

from sdwtfast.errors import InvalidInputError, NativeError, status_error  # noqa: F401

cnp.import_array()

# status codes (csrc/sdw_status.h)
OK, EINVAL, ENOMEM, EOVERFLOW, ELIMIT, EBUFSIZE, ECORRUPT, ERANGE, ETRUNCATED = range(9)
RAW = 0
ARITH = 1
MAX_PLANE = 30


cdef int _check(int status, str where) except -1:
    """C status codes become Python exceptions through the one shared mapping."""
    if status == 0:
        return 0
    raise status_error(status, where, sdw_strerror(status).decode())


def strerror(int status):
    """Description of a C core status code."""
    return sdw_strerror(status).decode()


def crc32c(const uint8_t[::1] data, uint32_t crc=0):
    """CRC-32C (Castagnoli) of ``data``, continuing from ``crc``."""
    cdef uint32_t r
    cdef size_t n = data.shape[0]
    cdef const uint8_t *p = &data[0] if n > 0 else NULL
    with nogil:
        r = sdw_crc32c(crc, p, n)
    return r


def max_levels(size_t h, size_t w):
    """Largest accepted number of decomposition levels for an h x w image."""
    return sdw_max_levels(h, w)


def lift53_forward(cnp.ndarray image, int levels):
    """Integer 5/3 forward transform of a 2-D integer array; returns a new int32 array."""
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = np.array(image, dtype=np.int32, order="C", copy=True)
    cdef size_t h = a.shape[0], w = a.shape[1]
    cdef int st
    with nogil:
        st = sdw_lift53_forward(&a[0, 0] if h * w else NULL, h, w, levels)
    _check(st, "lift53_forward")
    return a


def lift53_inverse(cnp.ndarray coef, int levels):
    """Inverse integer 5/3 transform; returns a new int32 array."""
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = np.array(coef, dtype=np.int32, order="C", copy=True)
    cdef size_t h = a.shape[0], w = a.shape[1]
    cdef int st
    with nogil:
        st = sdw_lift53_inverse(&a[0, 0] if h * w else NULL, h, w, levels)
    _check(st, "lift53_inverse")
    return a


def quantize(cnp.ndarray x, double step):
    """Deadzone quantizer: ``sign(x) * floor(|x| / step)`` as int32 (same shape)."""
    cdef cnp.ndarray[double, ndim=1, mode="c"] xf = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    cdef cnp.ndarray[int32_t, ndim=1, mode="c"] q = np.empty(xf.shape[0], dtype=np.int32)
    cdef size_t n = xf.shape[0]
    cdef int st
    with nogil:
        st = sdw_quantize(&xf[0] if n else NULL, n, step, &q[0] if n else NULL)
    _check(st, "quantize")
    return q.reshape(np.shape(x))


def dequantize(cnp.ndarray q, lp, double step, double r_known=0.5, double r_part=0.5):
    """Embedded-aware dequantizer (see csrc/quant.h); ``lp`` may be None."""
    cdef cnp.ndarray[int32_t, ndim=1, mode="c"] qf = np.ascontiguousarray(q, dtype=np.int32).reshape(-1)
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] lpf
    cdef const uint8_t *lpp = NULL
    cdef size_t n = qf.shape[0]
    if lp is not None:
        lpf = np.ascontiguousarray(lp, dtype=np.uint8).reshape(-1)
        if <size_t>lpf.shape[0] != n:
            raise InvalidInputError("dequantize: lp and q differ in size")
        lpp = &lpf[0] if n else NULL
    cdef cnp.ndarray[double, ndim=1, mode="c"] out = np.empty(n, dtype=np.float64)
    cdef int st
    with nogil:
        st = sdw_dequantize(&qf[0] if n else NULL, lpp, n, step, r_known, r_part,
                            &out[0] if n else NULL)
    _check(st, "dequantize")
    return out.reshape(np.shape(q))




def ezw_top_plane(cnp.ndarray coef, mask=None):
    """Highest bit plane with a set magnitude bit (-1 if every coefficient is zero)."""
    cdef cnp.ndarray[int32_t, ndim=1, mode="c"] c = np.ascontiguousarray(coef, dtype=np.int32).reshape(-1)
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] m
    cdef const uint8_t *mp = NULL
    cdef size_t n = c.shape[0]
    cdef int top = -1, st
    if mask is not None:
        m = np.ascontiguousarray(mask, dtype=np.uint8).reshape(-1)
        if <size_t>m.shape[0] != n:
            raise InvalidInputError("ezw: mask and coefficients differ in size")
        mp = &m[0] if n else NULL
    with nogil:
        st = sdw_ezw_top_plane(&c[0] if n else NULL, mp, n, &top)
    _check(st, "ezw_top_plane")
    return top


def ezw_encode(cnp.ndarray coef, int levels, mask=None, int backend=ARITH, top=None,
               int min_plane=0, size_t max_bytes=0):
    """EZW-encode a 2-D int32 pyramid. Returns ``(payload bytes, top, planes_done)``."""
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] c = np.ascontiguousarray(coef, dtype=np.int32)
    cdef size_t h = c.shape[0], w = c.shape[1], n = h * w
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] m
    cdef const uint8_t *mp = NULL
    cdef int st, t, done = 0
    cdef size_t bound = 0, out_len = 0, cap
    if mask is not None:
        m = np.ascontiguousarray(mask, dtype=np.uint8).reshape(-1)
        if <size_t>m.shape[0] != n:
            raise InvalidInputError("ezw: mask and coefficients differ in size")
        mp = &m[0] if n else NULL
    t = ezw_top_plane(c, mask) if top is None else int(top)
    planes = max(0, t - min_plane + 1)
    with nogil:
        st = sdw_ezw_raw_bound(n, planes, &bound)
    _check(st, "ezw_encode")
    cap = bound + 64
    if max_bytes and max_bytes < cap:
        cap = max_bytes
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] out
    while True:
        out = np.empty(cap if cap > 0 else 1, dtype=np.uint8)
        with nogil:
            st = sdw_ezw_encode(&c[0, 0] if n else NULL, h, w, levels, mp, backend, t,
                                min_plane, max_bytes, &out[0], cap, &out_len, &done)
        if st == EBUFSIZE:
            cap = cap * 2
            continue
        _check(st, "ezw_encode")
        break
    return out[:out_len].tobytes(), t, done


def ezw_decode(const uint8_t[::1] data, size_t h, size_t w, int levels, mask=None,
               int backend=ARITH, int top=0, int min_plane=0):
    """Decode an EZW payload. Returns ``(coef int32 (h, w), lp uint8 (h, w))``."""
    cdef size_t n = h * w, ln = data.shape[0]
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] m
    cdef const uint8_t *mp = NULL
    cdef const uint8_t *ip = &data[0] if ln > 0 else NULL
    if mask is not None:
        m = np.ascontiguousarray(mask, dtype=np.uint8).reshape(-1)
        if <size_t>m.shape[0] != n:
            raise InvalidInputError("ezw: mask and coefficients differ in size")
        mp = &m[0] if n else NULL
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] coef = np.zeros((h, w), dtype=np.int32)
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] lp = np.zeros((h, w), dtype=np.uint8)
    cdef int st
    with nogil:
        st = sdw_ezw_decode(ip, ln, h, w, levels, mp, backend, top, min_plane,
                            &coef[0, 0] if n else NULL, &lp[0, 0] if n else NULL)
    _check(st, "ezw_decode")
    return coef, lp


def bitmap_encode(bits):
    """Losslessly code a 2-D binary array (context-modelled arithmetic coding)."""
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] b = np.ascontiguousarray(np.asarray(bits) != 0, dtype=np.uint8)
    cdef size_t h = b.shape[0], w = b.shape[1], out_len = 0
    if h == 0 or w == 0:
        raise InvalidInputError("bitmap_encode: empty bitmap")
    cdef size_t cap = 2 * h * w + 16
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] out = np.empty(cap, dtype=np.uint8)
    cdef int st
    with nogil:
        st = sdw_bitmap_encode(&b[0, 0], h, w, &out[0], cap, &out_len)
    _check(st, "bitmap_encode")
    return out[:out_len].tobytes()


def bitmap_decode(const uint8_t[::1] data, size_t h, size_t w):
    """Inverse of :func:`bitmap_encode`; returns a bool array of shape (h, w)."""
    cdef size_t ln = data.shape[0]
    cdef const uint8_t *ip = &data[0] if ln > 0 else NULL
    if h == 0 or w == 0:
        raise InvalidInputError("bitmap_decode: empty bitmap")
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] b = np.empty((h, w), dtype=np.uint8)
    cdef int st
    with nogil:
        st = sdw_bitmap_decode(ip, ln, h, w, &b[0, 0])
    _check(st, "bitmap_decode")
    return b.astype(bool)


PRED_MAX_VALUE = 65535


def _pixel_mask(mask, size_t h, size_t w, str where):
    """``mask`` as a C-contiguous (h, w) uint8 array of 0 / 1, or None."""
    if mask is None:
        return None
    m = np.ascontiguousarray(np.asarray(mask) != 0, dtype=np.uint8)
    if m.ndim != 2 or <size_t>m.shape[0] != h or <size_t>m.shape[1] != w:
        raise InvalidInputError(f"{where}: mask shape differs from the image's")
    return m


def pred_encode(image, int32_t maxval, cap=None, mask=None):
    """Predictive lossless coding of a 2-D image with values in [0, maxval] (csrc/pred.h).

    ``mask`` (bool, same shape): code only those pixels. Returns the stream, or None when it
    would be longer than ``cap`` bytes (the coder stops as soon as it knows; default cap:
    3 bytes per pixel).
    """
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = np.ascontiguousarray(image, dtype=np.int32)
    cdef size_t h = a.shape[0], w = a.shape[1], out_len = 0
    if h == 0 or w == 0:
        raise InvalidInputError("pred_encode: empty image")
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] m = _pixel_mask(mask, h, w, "pred_encode")
    cdef const uint8_t *mp = &m[0, 0] if m is not None else NULL
    cdef size_t c = 3 * h * w + 64 if cap is None else <size_t>max(int(cap), 0)
    cdef size_t alloc = c if c > 0 else 1
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] out = np.empty(alloc, dtype=np.uint8)
    cdef int st
    with nogil:
        st = sdw_pred_encode(&a[0, 0], mp, h, w, maxval, &out[0], c, &out_len)
    if st == EBUFSIZE:
        return None
    _check(st, "pred_encode")
    return out[:out_len].tobytes()


def pred_decode(const uint8_t[::1] data, size_t h, size_t w, int32_t maxval, mask=None):
    """Inverse of :func:`pred_encode`: an (h, w) int32 array with values in [0, maxval]
    (outside ``mask``: the coder's predictions, not image data)."""
    cdef size_t ln = data.shape[0]
    cdef const uint8_t *ip = &data[0] if ln > 0 else NULL
    if h == 0 or w == 0:
        raise InvalidInputError("pred_decode: empty image")
    if h > (1 << 20) or w > (1 << 20) or h * w > (1 << 30):
        raise InvalidInputError("pred_decode: image exceeds the size limits")
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] m = _pixel_mask(mask, h, w, "pred_decode")
    cdef const uint8_t *mp = &m[0, 0] if m is not None else NULL
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = np.empty((h, w), dtype=np.int32)
    cdef int st
    with nogil:
        st = sdw_pred_decode(ip, ln, mp, h, w, maxval, &a[0, 0])
    _check(st, "pred_decode")
    return a
