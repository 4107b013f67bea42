# cython: language_level=3
"""The membrane over the C core: buffers to pointers, the GIL released, status to exception.

Nothing else lives here. Every argument is converted without loss or refused
(:class:`~sdwtfast.errors.InvalidInputError`: a float or out-of-range array is never cast);
sizes, caps, retries and limits are the Python layer's (:mod:`sdwtfast.limits`,
:mod:`sdwtfast.ezw`, :mod:`sdwtfast.coders`). The C constants below are taken from the headers
(``c_core.pxd``), never retyped. Every C call runs inside ``with nogil``; a status code becomes
an exception in :func:`status_exception`, the one mapping of the package.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, uint8_t, uint32_t

from sdwtfast.c_core cimport *

from sdwtfast.errors import (
    CorruptStreamError,
    InvalidInputError,
    LimitExceededError,
    NativeError,
    OutOfMemoryError,
)

cnp.import_array()

OK = SDW_OK
EINVAL = SDW_EINVAL
ENOMEM = SDW_ENOMEM
EOVERFLOW = SDW_EOVERFLOW
ELIMIT = SDW_ELIMIT
EBUFSIZE = SDW_EBUFSIZE
ECORRUPT = SDW_ECORRUPT
ERANGE = SDW_ERANGE
ETRUNCATED = SDW_ETRUNCATED
EZW_RAW = SDW_EZW_RAW
EZW_ARITH = SDW_EZW_ARITH
EZW_MAX_PLANE = SDW_EZW_MAX_PLANE
MAX_SIDE = SDW_MAX_SIDE
MAX_PIXELS = SDW_MAX_PIXELS
MAX_LEVELS = SDW_MAX_LEVELS
PRED_MAX_VALUE = SDW_PRED_MAX_VALUE
PRED_MAX_PIXELS_PER_BYTE = SDW_PRED_MAX_PIXELS_PER_BYTE


def status_exception(int status, str where, bint decoding=False):
    """The exception for a nonzero C status code (``csrc/sdw_status.h``).

    Parameters
    ----------
    status : int
        The ``sdw_status`` a core function returned.
    where : str
        The failing call, for the message.
    decoding : bool
        The call was decoding data: a value out of range (``SDW_ERANGE``) then means the data
        is corrupt. ``SDW_EINVAL`` is always an argument the caller should have checked.

    Returns
    -------
    SdwtError
        ``OutOfMemoryError`` (also a ``MemoryError``), ``LimitExceededError``,
        ``CorruptStreamError`` or ``NativeError`` (an ``InvalidInputError`` with ``status``).
    """
    msg = f"{where}: {sdw_strerror(status).decode()}"
    if status == SDW_ENOMEM:
        return OutOfMemoryError(msg)
    if status == SDW_EOVERFLOW or status == SDW_ELIMIT:
        return LimitExceededError(msg)
    if status == SDW_ECORRUPT or status == SDW_ETRUNCATED:
        return CorruptStreamError(msg)
    if decoding and status == SDW_ERANGE:
        return CorruptStreamError(msg)
    return NativeError(msg, status)


cdef int _check(int status, str where, bint decoding=False) except -1:
    if status == SDW_OK:
        return 0
    raise status_exception(status, where, decoding)


def strerror(int status):
    """Description of a C core status code."""
    return sdw_strerror(status).decode()


def _int32(x, int ndim, str where):
    """``x`` as a C-contiguous int32 array of ``ndim`` dimensions, converted exactly or refused."""
    a = np.asarray(x)
    if a.ndim != ndim:
        raise InvalidInputError(f"{where}: need a {ndim}-D array, got shape {a.shape}")
    if a.dtype != np.int32:
        if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.integer):
            raise InvalidInputError(f"{where}: need integers, got {a.dtype}")
        if a.size and (a.min() < -(1 << 31) or a.max() > (1 << 31) - 1):
            raise InvalidInputError(f"{where}: values do not fit int32")
    return np.ascontiguousarray(a, dtype=np.int32)


def _flat_mask(mask, size_t n, str where):
    """``mask`` (any shape with n elements) as a flat uint8 array of 0 / 1, or None."""
    if mask is None:
        return None
    m = np.ascontiguousarray(np.asarray(mask) != 0, dtype=np.uint8).reshape(-1)
    if <size_t>m.shape[0] != n:
        raise InvalidInputError(f"{where}: mask and data differ in size")
    return m


def _pixel_mask(mask, size_t h, size_t w, str where):
    """``mask`` as a C-contiguous (h, w) uint8 array of 0 / 1, or None."""
    if mask is None:
        return None
    m = np.ascontiguousarray(np.asarray(mask) != 0, dtype=np.uint8)
    if m.ndim != 2 or <size_t>m.shape[0] != h or <size_t>m.shape[1] != w:
        raise InvalidInputError(f"{where}: mask shape differs from the image's")
    return m


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


def lift53_forward(image, int levels):
    """Integer 5/3 forward transform of a 2-D integer array; returns a new int32 array."""
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = np.array(_int32(image, 2, "lift53_forward"),
                                                              copy=True)
    cdef size_t h = a.shape[0], w = a.shape[1]
    cdef int st
    with nogil:
        st = sdw_lift53_forward(&a[0, 0] if h * w else NULL, h, w, levels)
    _check(st, "lift53_forward")
    return a


def lift53_inverse(coef, int levels):
    """Inverse integer 5/3 transform; returns a new int32 array. Coefficients that do not
    describe an image (a sample would overflow) raise :class:`CorruptStreamError`."""
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = np.array(_int32(coef, 2, "lift53_inverse"),
                                                              copy=True)
    cdef size_t h = a.shape[0], w = a.shape[1]
    cdef int st
    with nogil:
        st = sdw_lift53_inverse(&a[0, 0] if h * w else NULL, h, w, levels)
    _check(st, "lift53_inverse", True)
    return a


def quantize(x, double step):
    """Deadzone quantizer: ``sign(x) * floor(|x| / step)`` as int32 (same shape)."""
    cdef cnp.ndarray[double, ndim=1, mode="c"] xf = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    cdef cnp.ndarray[int32_t, ndim=1, mode="c"] q = np.empty(xf.shape[0], dtype=np.int32)
    cdef size_t n = xf.shape[0]
    cdef int st
    with nogil:
        st = sdw_quantize(&xf[0] if n else NULL, n, step, &q[0] if n else NULL)
    _check(st, "quantize")
    return q.reshape(np.shape(x))


def dequantize(q, lp, double step, double r_known=0.5, double r_part=0.5):
    """Embedded-aware dequantizer (see csrc/quant.h); ``lp`` may be None."""
    qa = _int32(q, np.ndim(q), "dequantize")
    cdef cnp.ndarray[int32_t, ndim=1, mode="c"] qf = qa.reshape(-1)
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
    return out.reshape(qa.shape)


def ezw_top_plane(coef, mask=None):
    """Highest bit plane with a set magnitude bit (-1 if every coefficient is zero)."""
    ca = _int32(coef, np.ndim(coef), "ezw_top_plane")
    cdef cnp.ndarray[int32_t, ndim=1, mode="c"] c = ca.reshape(-1)
    cdef size_t n = c.shape[0]
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] m = _flat_mask(mask, n, "ezw_top_plane")
    cdef const uint8_t *mp = &m[0] if m is not None and n else NULL
    cdef int top = -1, st
    with nogil:
        st = sdw_ezw_top_plane(&c[0] if n else NULL, mp, n, &top)
    _check(st, "ezw_top_plane")
    return top


def ezw_raw_bound(size_t n, int planes):
    """Upper bound (bytes) of the raw back-end's output for n coefficients and ``planes``."""
    cdef size_t bound = 0
    cdef int st
    with nogil:
        st = sdw_ezw_raw_bound(n, planes, &bound)
    _check(st, "ezw_raw_bound")
    return bound


def ezw_encode(coef, int levels, mask=None, int backend=SDW_EZW_ARITH, top=None,
               int min_plane=0, size_t max_bytes=0, cap=None):
    """EZW-encode a 2-D int32 pyramid into at most ``cap`` bytes.

    ``top``: the first bit plane (default: :func:`ezw_top_plane` of the coded set); ``cap``:
    the output buffer (default: the raw back-end's bound, :func:`ezw_raw_bound`, plus 64).
    Returns ``(payload, top, planes_done)``, or None when the stream would not fit ``cap``
    (the caller decides whether to retry). ``max_bytes`` is the rate budget (0: none).
    """
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] c = _int32(coef, 2, "ezw_encode")
    cdef size_t h = c.shape[0], w = c.shape[1], n = h * w, out_len = 0
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] m = _flat_mask(mask, n, "ezw_encode")
    cdef const uint8_t *mp = &m[0] if m is not None and n else NULL
    cdef int t = ezw_top_plane(c, mask) if top is None else int(top)
    cdef size_t size = ezw_raw_bound(n, max(0, t - min_plane + 1)) + 64 if cap is None \
        else <size_t>cap
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] out = np.empty(size if size > 0 else 1,
                                                               dtype=np.uint8)
    cdef int st, done = 0
    with nogil:
        st = sdw_ezw_encode(&c[0, 0] if n else NULL, h, w, levels, mp, backend, t,
                            min_plane, max_bytes, &out[0], size, &out_len, &done)
    if st == SDW_EBUFSIZE:
        return None
    _check(st, "ezw_encode")
    return out[:out_len].tobytes(), t, done


def ezw_decode(const uint8_t[::1] data, size_t h, size_t w, int levels, mask=None,
               int backend=SDW_EZW_ARITH, int top=0, int min_plane=0):
    """Decode an EZW payload. Returns ``(coef int32 (h, w), lp uint8 (h, w))``; the caller has
    checked the geometry against its limits."""
    cdef size_t n = h * w, ln = data.shape[0]
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] m = _flat_mask(mask, n, "ezw_decode")
    cdef const uint8_t *mp = &m[0] if m is not None and n else NULL
    cdef const uint8_t *ip = &data[0] if ln > 0 else NULL
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] coef = np.zeros((h, w), dtype=np.int32)
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] lp = np.zeros((h, w), dtype=np.uint8)
    cdef int st
    with nogil:
        st = sdw_ezw_decode(ip, ln, h, w, levels, mp, backend, top, min_plane,
                            &coef[0, 0] if n else NULL, &lp[0, 0] if n else NULL)
    _check(st, "ezw_decode", True)
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
    _check(st, "bitmap_decode", True)
    return b.astype(bool)


def pred_encode(image, int32_t maxval, size_t cap, mask=None):
    """Predictive lossless coding of a 2-D image with values in [0, maxval] (csrc/pred.h).

    ``mask`` (bool, same shape): code only those pixels. Returns the stream, or None when it
    would be longer than ``cap`` bytes (the coder stops as soon as it knows).
    """
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = _int32(image, 2, "pred_encode")
    cdef size_t h = a.shape[0], w = a.shape[1], out_len = 0
    if h == 0 or w == 0:
        raise InvalidInputError("pred_encode: empty image")
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] m = _pixel_mask(mask, h, w, "pred_encode")
    cdef const uint8_t *mp = &m[0, 0] if m is not None else NULL
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] out = np.empty(cap if cap > 0 else 1,
                                                               dtype=np.uint8)
    cdef int st
    with nogil:
        st = sdw_pred_encode(&a[0, 0], mp, h, w, maxval, &out[0], cap, &out_len)
    if st == SDW_EBUFSIZE:
        return None
    _check(st, "pred_encode")
    return out[:out_len].tobytes()


def pred_decode(const uint8_t[::1] data, size_t h, size_t w, int32_t maxval, mask=None):
    """Inverse of :func:`pred_encode`: an (h, w) int32 array with values in [0, maxval]
    (outside ``mask``: the coder's predictions, not image data). The caller has checked the
    geometry against its limits."""
    cdef size_t ln = data.shape[0]
    cdef const uint8_t *ip = &data[0] if ln > 0 else NULL
    if h == 0 or w == 0:
        raise InvalidInputError("pred_decode: empty image")
    cdef cnp.ndarray[uint8_t, ndim=2, mode="c"] m = _pixel_mask(mask, h, w, "pred_decode")
    cdef const uint8_t *mp = &m[0, 0] if m is not None else NULL
    _check(sdw_check_size(h, w), "pred_decode", True)
    coded = h * w if m is None else int(np.count_nonzero(m))
    if coded // SDW_PRED_MAX_PIXELS_PER_BYTE > ln:  # the C decoder's own first check, before
        raise CorruptStreamError(                    # the output is allocated
            f"pred_decode: a stream of {ln} bytes cannot describe {coded} coded pixels"
        )
    cdef cnp.ndarray[int32_t, ndim=2, mode="c"] a = np.empty((h, w), dtype=np.int32)
    cdef int st
    with nogil:
        st = sdw_pred_decode(ip, ln, mp, h, w, maxval, &a[0, 0])
    _check(st, "pred_decode", True)
    return a
