/* Reversible integer 5/3 (LeGall) lifting, as in JPEG 2000 Part 1, multi-level, in place.
 *
 * Layout: Mallat. After one level on an h x w image, the low-pass rows/cols come first:
 * LL = [0, ceil(h/2)) x [0, ceil(w/2)), HL (horizontal high-pass) = [0, ceil(h/2)) x
 * [ceil(w/2), w), LH = [ceil(h/2), h) x [0, ceil(w/2)), HH = the rest. The next level works on
 * LL. A dimension of length 1 passes through a level unchanged (all low-pass), so thin strips
 * still get transformed along their long side.
 *
 * Arithmetic is 64-bit, so no input can overflow; every intermediate and output coefficient
 * must satisfy |c| < 2^30, else SDW_ERANGE (16-bit images with up to 10 levels always do).
 */
#ifndef SDW_LIFT53_H
#define SDW_LIFT53_H
#include "sdw_status.h"

#define SDW_MAX_LEVELS 16

/* Largest number of levels accepted for an h x w image: floor(log2(max(h, w))), capped at
 * SDW_MAX_LEVELS; 0 for a 1x1 image. Returns -1 when h or w is 0. */
int sdw_max_levels(size_t h, size_t w);

/* Sizes of the low-pass part of a length-n axis after 0..levels levels: out[0] = n,
 * out[l] = ceil(out[l - 1] / 2). out must hold levels + 1 entries. */
void sdw_level_sizes(size_t n, int levels, size_t *out);

/* Forward transform of `data` (h rows of w int32, row-contiguous) in place.
 * Errors: SDW_EINVAL (NULL, zero size, levels < 0 or > sdw_max_levels), SDW_ELIMIT (image over
 * the core's limits), SDW_ERANGE (a coefficient reached |c| >= 2^30), SDW_ENOMEM. */
sdw_status sdw_lift53_forward(int32_t *data, size_t h, size_t w, int levels);

/* Inverse of sdw_lift53_forward with the same h, w, levels. Same errors (SDW_ERANGE for
 * coefficients that no forward transform of valid data produces, e.g. a corrupt stream). */
sdw_status sdw_lift53_inverse(int32_t *data, size_t h, size_t w, int levels);

#endif
