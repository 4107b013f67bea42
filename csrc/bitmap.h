/* Lossless coding of a binary image (e.g. an ROI block mask) with the adaptive arithmetic
 * coder: raster order, each bit in one of 16 contexts formed by its already-coded west,
 * north-west, north and north-east neighbours (0 outside the image). */
#ifndef SDW_BITMAP_H
#define SDW_BITMAP_H
#include "sdw_status.h"

/* Encodes h*w bytes of `bits` (0 / nonzero) into out (cap bytes); *len receives the length.
 * Errors: SDW_EINVAL, SDW_ELIMIT (over the core's image limits), SDW_EBUFSIZE (cap too small;
 * h*w/8 + 16 always suffices for typical masks, 2*h*w + 16 for any). */
sdw_status sdw_bitmap_encode(const uint8_t *bits, size_t h, size_t w, uint8_t *out, size_t cap,
                             size_t *len);

/* Decodes into bits (h*w bytes, 0 / 1). A short or corrupt input decodes to some bitmap
 * (never reads past `len`); callers check integrity separately. Errors: SDW_EINVAL, SDW_ELIMIT. */
sdw_status sdw_bitmap_decode(const uint8_t *in, size_t len, size_t h, size_t w, uint8_t *bits);

#endif
