/* Deadzone uniform scalar quantizer and its dequantizer.
 *
 * Quantize: q = sign(x) * floor(|x| / step): the zero bin is (-step, step) (twice as wide as
 * the others), the usual JPEG 2000 deadzone quantizer.
 *
 * Dequantize (embedded-aware): `lp[i]` is the lowest bit plane of |q[i]| that the decoder
 * knows (0 = every bit known). The magnitude then lies in [|q|, |q| + 2^lp) and is
 * reconstructed at |q| + r_known (lp == 0) or |q| + r_part * 2^lp (lp > 0), times step, with
 * the sign of q; q == 0 gives 0. r_part = 0.5 is the middle of the remaining interval.
 */
#ifndef SDW_QUANT_H
#define SDW_QUANT_H
#include "sdw_status.h"

/* Errors: SDW_EINVAL (NULL with n > 0, step not finite or <= 0, NaN input), SDW_ERANGE
 * (|x| / step >= 2^30). On error the contents of q are unspecified. */
sdw_status sdw_quantize(const double *x, size_t n, double step, int32_t *q);

/* lp may be NULL (all bits known). Errors: SDW_EINVAL (NULL with n > 0, bad step or offsets
 * outside [0, 1), lp[i] > 30). */
sdw_status sdw_dequantize(const int32_t *q, const uint8_t *lp, size_t n, double step,
                          double r_known, double r_part, double *out);

#endif
