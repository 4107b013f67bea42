/* Predictive lossless coder for 2-D integer images (the LOCO-I / CALIC family).
 *
 * The wavelet path (lift53 + EZW) gives an embedded stream; this coder gives none, but on
 * images with large flat or smoothly graded areas, text and graphics (ultrasound, screen
 * captures, CT with air) it is much smaller. The codec tries both for lossless and
 * near-lossless coding (of the whole image, or of a ROI given as a pixel mask) and keeps the
 * smaller stream.
 *
 * Pixels are coded in raster order. For pixel x with causal neighbours a (west), b (north),
 * c (north-west) and d (north-east):
 *   prediction  per context of the three quantised gradients d - b, b - c, c - a (365
 *               sign-merged contexts, thresholds scaled with the value range as in JPEG-LS),
 *               the candidate with the smallest decayed |error| sum so far among: the median
 *               edge detector of LOCO-I, MED(a, b, c), with and without the context's JPEG-LS
 *               bias correction; CALIC's gradient-adjusted prediction with its own
 *               correction; and a blend of eight simple predictors, each weighted by the
 *               inverse cube of its recent error around the pixel. Always in [0, maxval];
 *   coding      the error e = x - prediction (sign-flipped with the gradient context) through
 *               the adaptive binary arithmetic coder of arith.h: a zero flag, a sign and an
 *               Elias-gamma binarisation of |e| (unary exponent, mantissa bits), every decision
 *               in a context chosen by the local activity |d - b| + |b - c| + |c - a| +
 *               2 |e_west| + |e_north| quantised on a half-octave scale (40 classes).
 * Outside the image: the first row sees a = b = c = d = its west neighbour (the very first
 * pixel predicts (maxval + 1) / 2); the first column uses b for a and c; the last uses b for d.
 *
 * Everything is integer, so every machine writes and reads the same bytes. The stream is the
 * arithmetic coder's output and nothing else: the caller stores h, w and maxval.
 */
#ifndef SDW_PRED_H
#define SDW_PRED_H
#include "sdw_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest supported maxval (16-bit samples, or their range after a shift). */
#define SDW_PRED_MAX_VALUE 65535

/* What a stream can describe. Every coded pixel costs the arithmetic decoder at least one
 * binary decision, a decision shrinks the range by at least a factor 1 - 64/65536 + 2^-18
 * (probabilities are clamped to [64, 65472] / 65536, arith.h), and the range is renormalised
 * (one byte read) whenever it falls below 2^24: so at most 5700 decisions per byte read, and a
 * stream of len bytes codes at most 5700 * len pixels. A decoder refuses a declared image of
 * more than SDW_PRED_MAX_PIXELS_PER_BYTE * len coded pixels before it allocates or decodes
 * anything (the margin keeps every real stream inside). */
#define SDW_PRED_MAX_PIXELS_PER_BYTE 8192

/* Encodes the h x w image `img` (row-major, every value in [0, maxval], 1 <= maxval <=
 * SDW_PRED_MAX_VALUE) into out[cap]; *out_len receives the stream length.
 * mask (h x w, or NULL for every pixel): only pixels with mask != 0 are coded; the others
 * take their prediction (on both sides, so they cost nothing and their values are
 * meaningless to the caller) and need not lie in [0, maxval].
 * Errors: SDW_EINVAL (NULL pointers, maxval out of range), SDW_ELIMIT (geometry),
 * SDW_ERANGE (a value outside [0, maxval]), SDW_ENOMEM, SDW_EBUFSIZE (out too small: the
 * encoder stops as soon as it knows; the stream would then be larger than cap). */
sdw_status sdw_pred_encode(const int32_t *img, const uint8_t *mask, size_t h, size_t w,
                           int32_t maxval, uint8_t *out, size_t cap, size_t *out_len);

/* Decodes a stream of exactly `len` bytes made by sdw_pred_encode with the same mask, h, w
 * and maxval into the caller's img[h * w] (outside the mask: the predictions).
 * Errors: SDW_EINVAL, SDW_ELIMIT, SDW_ENOMEM, SDW_ETRUNCATED (the stream ends early, or is
 * too short to describe the coded pixels: see SDW_PRED_MAX_PIXELS_PER_BYTE),
 * SDW_ECORRUPT (a decoded value outside [0, maxval], or bytes left over). On error img holds
 * partial output and must not be used. */
sdw_status sdw_pred_decode(const uint8_t *in, size_t len, const uint8_t *mask, size_t h,
                           size_t w, int32_t maxval, int32_t *img);

#ifdef __cplusplus
}
#endif
#endif
