/* libFuzzer target: the kernels the decoders' output and the container's bytes go through:
 * the inverse 5/3 transform on any coefficients (lift53.h), the dequantizer on any indices and
 * known planes (quant.h) and the CRC-32C of the container's sections (crc32c.h).
 *
 * Input layout (tests/fuzz/layouts.py mirrors it):
 *   [0] mode modulo 4: 0 inverse transform of arbitrary coefficients, 1 forward / inverse
 *       round trip of an image, 2 dequantizer, 3 CRC-32C
 *   [1] h, [2] w: fz_side (1..128)
 *   [3] levels, modulo sdw_max_levels(h, w) + 1
 *   [4] round trip: bit depth - 1 (modulo 16), bit 4 signed; dequantizer: step exponent, int8;
 *       CRC: split point (modulo the data's length + 1)
 *   [5] dequantizer: r_known * 256, [6] r_part * 256
 *   [7..] mode 0: int32 LE coefficients; 1: uint16 LE samples; 2: per value an int32 LE index
 *         and its known plane (one byte); 3: the data. Modes 0..2: h cut to the complete rows
 *         present (fz_fit_rows), levels to what the cut image allows
 *
 * Properties: the inverse transform returns SDW_OK or SDW_ERANGE, and a forward transform of
 * its output (when in range) gives the coefficients back (integer lifting is a bijection);
 * forward then inverse is the identity on images; the dequantizer refuses exactly the planes
 * over 30; the CRC equals a bitwise reference and can be continued at any split. */
#include <math.h>

#include "crc32c.h"
#include "fuzz_common.h"
#include "lift53.h"
#include "quant.h"

#define PREFIX 7

static void inverse_any(fz_in s, size_t h, size_t w, int levels)
{
    size_t n = h * w;
    int32_t *c = malloc(n * sizeof *c), *x = malloc(n * sizeof *x);
    FZ_CHECK(c != NULL && x != NULL);
    for (size_t i = 0; i < n; i++) c[i] = (int32_t)fz_u32(&s);
    memcpy(x, c, n * sizeof *c);
    sdw_status st = sdw_lift53_inverse(x, h, w, levels);
    FZ_STATUS(st, FZ_BIT(SDW_OK) | FZ_BIT(SDW_ERANGE));
    if (st == SDW_OK) {
        st = sdw_lift53_forward(x, h, w, levels);
        FZ_STATUS(st, FZ_BIT(SDW_OK) | FZ_BIT(SDW_ERANGE));
        FZ_CHECK(st != SDW_OK || memcmp(x, c, n * sizeof *c) == 0);
    }
    free(c);
    free(x);
}

static void forward_inverse(fz_in s, size_t h, size_t w, int levels, uint8_t b4)
{
    size_t n = h * w;
    unsigned bits = (unsigned)(b4 % 16u) + 1u;
    int32_t lo = (b4 & 16u) ? -(int32_t)(1u << (bits - 1u)) : 0;
    int32_t *img = malloc(n * sizeof *img), *x = malloc(n * sizeof *x);
    FZ_CHECK(img != NULL && x != NULL);
    for (size_t i = 0; i < n; i++) img[i] = (int32_t)(fz_u16(&s) & ((1u << bits) - 1u)) + lo;
    memcpy(x, img, n * sizeof *img);
    FZ_STATUS(sdw_lift53_forward(x, h, w, levels), FZ_BIT(SDW_OK));
    FZ_STATUS(sdw_lift53_inverse(x, h, w, levels), FZ_BIT(SDW_OK));
    FZ_CHECK(memcmp(x, img, n * sizeof *img) == 0);
    free(img);
    free(x);
}

static void dequantize_any(fz_in s, size_t n, int8_t step_exp, uint8_t b5, uint8_t b6)
{
    int32_t *q = malloc(n * sizeof *q);
    uint8_t *lp = malloc(n);
    double *out = malloc(n * sizeof *out);
    FZ_CHECK(q != NULL && lp != NULL && out != NULL);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        q[i] = (int32_t)fz_u32(&s);
        lp[i] = fz_u8(&s);
        bad |= q[i] != 0 && lp[i] > 30;
    }
    sdw_status st = sdw_dequantize(q, lp, n, ldexp(1.0, step_exp), b5 / 256.0, b6 / 256.0, out);
    FZ_STATUS(st, bad ? FZ_BIT(SDW_EINVAL) : FZ_BIT(SDW_OK));
    for (size_t i = 0; !bad && i < n; i++) {
        FZ_CHECK(isfinite(out[i]) && (q[i] == 0 ? out[i] == 0.0 : (out[i] < 0) == (q[i] < 0)));
    }
    free(q);
    free(lp);
    free(out);
}

static uint32_t crc_reference(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return ~c;
}

static void crc_check(fz_in s, uint8_t b4)
{
    size_t split = b4 % (s.n + 1);
    uint32_t whole = sdw_crc32c(0, s.n ? s.p : NULL, s.n);
    FZ_CHECK(whole == crc_reference(s.p, s.n));
    uint32_t part = sdw_crc32c(0, split ? s.p : NULL, split);
    FZ_CHECK(sdw_crc32c(part, s.n - split ? s.p + split : NULL, s.n - split) == whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    unsigned mode = fz_u8(&in) % 4u;
    size_t h = fz_side(fz_u8(&in)), w = fz_side(fz_u8(&in));
    int levels = (int)(fz_u8(&in) % (unsigned)(sdw_max_levels(h, w) + 1));
    uint8_t b4 = fz_u8(&in), b5 = fz_u8(&in), b6 = fz_u8(&in);
    fz_in s = fz_rest(data, size, PREFIX);
    h = fz_fit_rows(h, w, s.n, mode == 0 ? 4 : (mode == 1 ? 2 : 5));
    if (levels > sdw_max_levels(h, w)) {
        levels = sdw_max_levels(h, w);
    }
    switch (mode) {
    case 0:
        inverse_any(s, h, w, levels);
        break;
    case 1:
        forward_inverse(s, h, w, levels, b4);
        break;
    case 2:
        dequantize_any(s, h * w, (int8_t)b4, b5, b6);
        break;
    default:
        crc_check(s, b4);
    }
    return 0;
}
