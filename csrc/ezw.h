/* Embedded zerotree wavelet (EZW, Shapiro 1993) coder over an integer coefficient pyramid.
 *
 * Pyramid: an h x w int32 array in Mallat layout with `levels` levels (see lift53.h for the
 * band geometry; any wavelet producing that layout works). Bands are scanned coarsest first:
 * LL, then HL, LH, HH of level `levels`, ..., HL, LH, HH of level 1; each band in raster order.
 * Trees: an LL coefficient's children are the coefficients at the same place in HL, LH and HH
 * of the coarsest level; a detail coefficient (y, x) of level l > 1 has children
 * (2y + dy, 2x + dx), dy, dx in {0, 1}, in the band of the same orientation at level l - 1
 * (those inside the band). Detail coefficients with no parent inside the coarser band are
 * tree roots of their own.
 *
 * Bit planes run from `top` (the highest plane holding a set magnitude bit; the caller gets it
 * from sdw_ezw_top_plane) down to `min_plane` (0 = every bit: lossless for integer data).
 * For each plane p:
 *   dominant pass: every coefficient not yet significant and not inside a zerotree found in
 *     this pass is coded as POS / NEG (|c| >= 2^p), ZTR (it and every descendant that is not
 *     already significant are below 2^p: its descendants are skipped in this pass) or IZ
 *     (isolated zero). Coefficients without children code POS / NEG / IZ.
 *   refinement pass: every coefficient significant before this plane, in the order in which
 *     they became significant, codes bit p of its magnitude.
 *
 * Back-ends:
 *   SDW_EZW_RAW   each dominant symbol as 2 bits (ZTR 00, IZ 01, POS 10, NEG 11), refinement
 *                 as 1 bit, MSB first. A symbol is written only if it fits the budget entirely.
 *   SDW_EZW_ARITH binary decisions through the adaptive arithmetic coder (arith.h):
 *                 significance (contexts: band orientation, level class, parent significance,
 *                 the JPEG 2000 neighbour-significance classes), zerotree vs isolated zero
 *                 (orientation, level class, parent, neighbours, significant children), sign
 *                 (the JPEG 2000 horizontal/vertical sign contexts) and refinement (first or
 *                 later refinement, neighbours).
 *
 * Mask: when `mask` is not NULL, only coefficients with mask[i] != 0 belong to the coded set;
 * the others are treated as zero and cost nothing (encoder and decoder must pass the same
 * mask). Their descendants are still visited.
 *
 * Embedded: the stream may be cut anywhere. The encoder stops when `max_bytes` would be
 * exceeded; the decoder stops at the first symbol its input does not fully determine, and
 * reports per coefficient the lowest known bit plane so the caller can reconstruct at the
 * middle of the remaining interval (quant.h).
 */
#ifndef SDW_EZW_H
#define SDW_EZW_H
#include "sdw_status.h"

enum { SDW_EZW_RAW = 0, SDW_EZW_ARITH = 1 };

#define SDW_EZW_MAX_PLANE 30

/* Highest bit plane holding a set bit of any |coef[i]| in the set, or -1 if all are zero.
 * Errors: SDW_EINVAL, SDW_ERANGE (|c| >= 2^30). */
sdw_status sdw_ezw_top_plane(const int32_t *coef, const uint8_t *mask, size_t n, int *top);

/* Upper bound on the encoder's output size for an n-coefficient pyramid and `planes` planes
 * with the raw back-end (the arithmetic back-end can exceed it only on adversarial data, where
 * the encoder reports SDW_EBUFSIZE and the caller retries with a bigger buffer). */
sdw_status sdw_ezw_raw_bound(size_t n, int planes, size_t *bound);

/* Encodes. `out` (cap bytes) is the caller's; *out_len receives the stream length, at most
 * max_bytes (0 = no budget). *planes_done receives the number of bit planes fully coded.
 * Errors: SDW_EINVAL (bad geometry, levels, back-end, planes), SDW_ERANGE, SDW_ENOMEM,
 * SDW_EBUFSIZE (out too small: retry with a larger one). */
sdw_status sdw_ezw_encode(const int32_t *coef, size_t h, size_t w, int levels,
                          const uint8_t *mask, int backend, int top, int min_plane,
                          size_t max_bytes, uint8_t *out, size_t cap, size_t *out_len,
                          int *planes_done);

/* Decodes `len` bytes into coef (h*w int32, the sign-magnitude of the known bits) and lp
 * (h*w uint8: for significant coefficients, the lowest bit plane known; 0 = exact).
 * A short input decodes its prefix. Errors: SDW_EINVAL, SDW_ELIMIT (geometry over the
 * core's limits), SDW_EOVERFLOW, SDW_ENOMEM. */
sdw_status sdw_ezw_decode(const uint8_t *in, size_t len, size_t h, size_t w, int levels,
                          const uint8_t *mask, int backend, int top, int min_plane,
                          int32_t *coef, uint8_t *lp);

#endif
