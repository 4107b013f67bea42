# cython: language_level=3
"""Membrane over the rANS coder (csrc/rans.c): buffers to pointers, GIL released,
status -> exception. No policy: the tables and the table index of every value are built by
:mod:`sdwtfast.background`.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, uint8_t

from sdwtfast._native import status_exception
from sdwtfast.errors import InvalidInputError

cnp.import_array()

cdef extern from "rans.h" nogil:
    int SDW_RANS_PRECISION
    int SDW_RANS_MAX_TABLE
    int32_t SDW_RANS_MAX_VALUE
    ctypedef struct sdw_rans_tables:
        const int32_t *cdfs
        size_t stride
        const int32_t *lengths
        const int32_t *offsets
        size_t n_tables
    int sdw_rans_check_tables(const sdw_rans_tables *t)
    int sdw_rans_bound(size_t n, size_t *bound)
    int sdw_rans_encode(const int32_t *values, const int32_t *table_index, size_t n,
                        const sdw_rans_tables *t, uint8_t *out, size_t cap, size_t *out_len)
    int sdw_rans_decode(const uint8_t *data, size_t length, const int32_t *table_index, size_t n,
                        const sdw_rans_tables *t, int32_t *values)

PRECISION = SDW_RANS_PRECISION
MAX_TABLE = SDW_RANS_MAX_TABLE
MAX_VALUE = SDW_RANS_MAX_VALUE

cdef int _check(int status, str where, bint decoding=False) except -1:
    """rANS status codes become Python exceptions through the one shared mapping."""
    if status == 0:
        return 0
    raise status_exception(status, where, decoding)


cdef int _tables(sdw_rans_tables *t, const int32_t[:, ::1] cdfs, const int32_t[::1] lengths,
                 const int32_t[::1] offsets) except -1:
    if cdfs.shape[0] == 0 or lengths.shape[0] != cdfs.shape[0] or offsets.shape[0] != cdfs.shape[0]:
        raise InvalidInputError("rans: cdfs, lengths and offsets must describe the same tables")
    t.cdfs = &cdfs[0, 0]
    t.stride = cdfs.shape[1]
    t.lengths = &lengths[0]
    t.offsets = &offsets[0]
    t.n_tables = cdfs.shape[0]
    return 0


def check_tables(const int32_t[:, ::1] cdfs, const int32_t[::1] lengths,
                 const int32_t[::1] offsets):
    """Raise InvalidInputError unless the tables are valid rANS tables."""
    cdef sdw_rans_tables t
    cdef int st
    _tables(&t, cdfs, lengths, offsets)
    with nogil:
        st = sdw_rans_check_tables(&t)
    _check(st, "rans tables")


def encode(const int32_t[::1] values, const int32_t[::1] index, const int32_t[:, ::1] cdfs,
           const int32_t[::1] lengths, const int32_t[::1] offsets):
    """rANS-code ``values[i]`` with table ``index[i]``; returns the stream as bytes."""
    cdef sdw_rans_tables t
    cdef size_t n = values.shape[0], bound = 0, out_len = 0
    cdef int st
    if index.shape[0] != values.shape[0]:
        raise InvalidInputError("rans encode: values and index differ in length")
    _tables(&t, cdfs, lengths, offsets)
    with nogil:
        st = sdw_rans_bound(n, &bound)
    _check(st, "rans encode")
    cdef cnp.ndarray[uint8_t, ndim=1, mode="c"] out = np.empty(bound, dtype=np.uint8)
    cdef const int32_t *pv = &values[0] if n > 0 else NULL
    cdef const int32_t *pi = &index[0] if n > 0 else NULL
    with nogil:
        st = sdw_rans_encode(pv, pi, n, &t, &out[0], bound, &out_len)
    _check(st, "rans encode")
    return out[:out_len].tobytes()


def decode(const uint8_t[::1] data, const int32_t[::1] index, const int32_t[:, ::1] cdfs,
           const int32_t[::1] lengths, const int32_t[::1] offsets):
    """Decode ``len(index)`` values (table ``index[i]`` for the i-th); returns int32 array."""
    cdef sdw_rans_tables t
    cdef size_t n = index.shape[0], length = data.shape[0], bound = 0
    cdef int st
    _tables(&t, cdfs, lengths, offsets)
    with nogil:
        st = sdw_rans_bound(n, &bound)
    _check(st, "rans decode")
    cdef cnp.ndarray[int32_t, ndim=1, mode="c"] out = np.empty(n, dtype=np.int32)
    cdef const uint8_t *pd = &data[0] if length > 0 else NULL
    cdef const int32_t *pi = &index[0] if n > 0 else NULL
    cdef int32_t *po = &out[0] if n > 0 else NULL
    with nogil:
        st = sdw_rans_decode(pd, length, pi, n, &t, po)
    _check(st, "rans decode", True)
    return out
