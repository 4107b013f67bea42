# Declarations of the C core (csrc/) and nothing else. Every function is nogil.
from libc.stdint cimport int32_t, uint8_t, uint32_t

cdef extern from "sdw_status.h" nogil:
    ctypedef enum sdw_status:
        SDW_OK
        SDW_EINVAL
        SDW_ENOMEM
        SDW_EOVERFLOW
        SDW_ELIMIT
        SDW_EBUFSIZE
        SDW_ECORRUPT
        SDW_ERANGE
        SDW_ETRUNCATED
    size_t SDW_MAX_SIDE
    size_t SDW_MAX_PIXELS
    const char *sdw_strerror(int status)
    sdw_status sdw_check_size(size_t h, size_t w)

cdef extern from "crc32c.h" nogil:
    uint32_t sdw_crc32c(uint32_t crc, const uint8_t *data, size_t len)

cdef extern from "lift53.h" nogil:
    int SDW_MAX_LEVELS
    int sdw_max_levels(size_t h, size_t w)
    int sdw_lift53_forward(int32_t *data, size_t h, size_t w, int levels)
    int sdw_lift53_inverse(int32_t *data, size_t h, size_t w, int levels)

cdef extern from "quant.h" nogil:
    int sdw_quantize(const double *x, size_t n, double step, int32_t *q)
    int sdw_dequantize(const int32_t *q, const uint8_t *lp, size_t n, double step,
                       double r_known, double r_part, double *out)

cdef extern from "ezw.h" nogil:
    int SDW_EZW_RAW
    int SDW_EZW_ARITH
    int SDW_EZW_MAX_PLANE
    int sdw_ezw_top_plane(const int32_t *coef, const uint8_t *mask, size_t n, int *top)
    int sdw_ezw_raw_bound(size_t n, int planes, size_t *bound)
    int sdw_ezw_encode(const int32_t *coef, size_t h, size_t w, int levels,
                       const uint8_t *mask, int backend, int top, int min_plane,
                       size_t max_bytes, uint8_t *out, size_t cap, size_t *out_len,
                       int *planes_done)
    int sdw_ezw_decode(const uint8_t *inp, size_t len, size_t h, size_t w, int levels,
                       const uint8_t *mask, int backend, int top, int min_plane,
                       int32_t *coef, uint8_t *lp)

cdef extern from "bitmap.h" nogil:
    int sdw_bitmap_encode(const uint8_t *bits, size_t h, size_t w, uint8_t *out, size_t cap,
                          size_t *len)
    int sdw_bitmap_decode(const uint8_t *inp, size_t len, size_t h, size_t w, uint8_t *bits)

cdef extern from "pred.h" nogil:
    int SDW_PRED_MAX_VALUE
    int SDW_PRED_MAX_PIXELS_PER_BYTE
    int sdw_pred_encode(const int32_t *img, const uint8_t *mask, size_t h, size_t w,
                        int32_t maxval, uint8_t *out, size_t cap, size_t *out_len)
    int sdw_pred_decode(const uint8_t *inp, size_t len, const uint8_t *mask, size_t h, size_t w,
                        int32_t maxval, int32_t *img)
