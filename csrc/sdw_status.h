/* sdwtfast native core: status codes shared by every C module.
 *
 * Every public function of the core returns an sdw_status. SDW_OK is 0; every other value is
 * an error with a fixed meaning, described by sdw_strerror(). The core has no global state.
 */
#ifndef SDW_STATUS_H
#define SDW_STATUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sdw_status {
    SDW_OK = 0,
    SDW_EINVAL = 1,     /* an argument is out of its documented range */
    SDW_ENOMEM = 2,     /* an allocation failed */
    SDW_EOVERFLOW = 3,  /* a size computation would overflow */
    SDW_ELIMIT = 4,     /* a size exceeds the core's hard limits */
    SDW_EBUFSIZE = 5,   /* the caller's output buffer is too small */
    SDW_ECORRUPT = 6,   /* the input stream is inconsistent (not merely truncated) */
    SDW_ERANGE = 7,     /* a value does not fit the representation (e.g. > 30 bit planes) */
    SDW_ETRUNCATED = 8  /* the input ended before a required field */
} sdw_status;

/* Returns a static, NUL-terminated English description of `status` (never NULL). */
const char *sdw_strerror(int status);

/* Checked size multiplication: *out = a * b; returns SDW_EOVERFLOW when it would wrap. */
static inline sdw_status sdw_mul_size(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b) {
        return SDW_EOVERFLOW;
    }
    *out = a * b;
    return SDW_OK;
}

/* Hard limits shared by every module: an image side is at most SDW_MAX_SIDE samples and an
 * image at most SDW_MAX_PIXELS samples, checked before any allocation. */
#define SDW_MAX_SIDE ((size_t)1 << 20)
#define SDW_MAX_PIXELS ((size_t)1 << 30)

/* Validates an image geometry before anything is allocated from it: SDW_EINVAL for a zero
 * side, SDW_ELIMIT beyond the limits above (computed without overflowing h * w). */
static inline sdw_status sdw_check_size(size_t h, size_t w)
{
    if (h == 0 || w == 0) {
        return SDW_EINVAL;
    }
    if (h > SDW_MAX_SIDE || w > SDW_MAX_SIDE || h > SDW_MAX_PIXELS / w) {
        return SDW_ELIMIT;
    }
    return SDW_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* SDW_STATUS_H */
