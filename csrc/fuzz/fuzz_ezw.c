/* libFuzzer target: the EZW decoder (ezw.h) and what the Python layer runs on its output, the
 * inverse 5/3 transform (lift53.h) and the embedded-aware dequantizer (quant.h).
 *
 * Input layout (tests/fuzz/layouts.py mirrors it):
 *   [0] mode: bit 0 back-end (0 raw, 1 arith), bit 1 mask, bit 2 round trip, bit 3 round trip
 *       of an image through the 5/3 transform (with bit 2)
 *   [1] h, [2] w: fz_side (1..128)
 *   [3] levels, taken modulo sdw_max_levels(h, w) + 1
 *   [4] decoding: top + 1 modulo 32 (-1..30); round trip: rate budget (0: none, else
 *       [4] * n / 64 + 1 bytes)
 *   [5] decoding: min_plane modulo 31; round trip: value shift (modulo 15) or, for an image,
 *       its bit depth - 1 (modulo 16)
 *   [6] mask seed, [7] mask density, [8] mask block shift (modulo 4): see fz_mask
 *   [9..] decoding: the EZW stream; round trip: int16 LE coefficients (uint16 LE samples),
 *       h cut to the complete rows present (fz_fit_rows)
 *
 * Decoding: any stream with valid parameters decodes (SDW_OK); the coefficients are zero
 * outside the mask and below 2^(top + 1) in magnitude, known planes are 0..30, and the inverse
 * transform and the dequantizer accept the result or refuse it with their documented status.
 * Round trip: an unbudgeted stream decodes exactly; a budgeted one fits its budget and decodes
 * to a prefix of every coefficient's bits (sign right, |c| - |d| < 2^lp). */
#include "fuzz_common.h"
#include "ezw.h"
#include "lift53.h"
#include "quant.h"

#define PREFIX 9

typedef struct params {
    size_t h, w, n;
    int backend, levels, top, min_plane;
    unsigned mode;
    uint8_t b4, b5;
    uint8_t *mask; /* NULL: every coefficient */
} params;

static void check_decoded(const params *p, int top, const int32_t *coef, const uint8_t *lp)
{
    for (size_t i = 0; i < p->n; i++) {
        FZ_CHECK(lp[i] <= SDW_EZW_MAX_PLANE);
        if (p->mask != NULL && !p->mask[i]) {
            FZ_CHECK(coef[i] == 0);
        }
        uint32_t mag = coef[i] < 0 ? 0u - (uint32_t)coef[i] : (uint32_t)coef[i];
        FZ_CHECK(top < 0 ? mag == 0 : (mag >> (unsigned)top) <= 1u);
    }
}

/* What the Python layer does with decoded coefficients: lossless -> inverse 5/3; lossy ->
 * dequantize (then the float synthesis, or the 5/3 on rounded values). */
static void after_decode(const params *p, const int32_t *coef, const uint8_t *lp)
{
    int32_t *img = malloc(p->n * sizeof *img);
    double *x = malloc(p->n * sizeof *x);
    FZ_CHECK(img != NULL && x != NULL);
    memcpy(img, coef, p->n * sizeof *img);
    sdw_status st = sdw_lift53_inverse(img, p->h, p->w, p->levels);
    FZ_STATUS(st, FZ_BIT(SDW_OK) | FZ_BIT(SDW_ERANGE));
    st = sdw_dequantize(coef, lp, p->n, 1.0 / 64, 0.5, 0.5, x);
    FZ_STATUS(st, FZ_BIT(SDW_OK));
    free(img);
    free(x);
}

static void decode_stream(const params *p, fz_in s)
{
    int32_t *coef = malloc(p->n * sizeof *coef);
    uint8_t *lp = malloc(p->n);
    FZ_CHECK(coef != NULL && lp != NULL);
    sdw_status st = sdw_ezw_decode(s.n ? s.p : NULL, s.n, p->h, p->w, p->levels, p->mask,
                                   p->backend, p->top, p->min_plane, coef, lp);
    FZ_STATUS(st, FZ_BIT(SDW_OK));
    check_decoded(p, p->top, coef, lp);
    after_decode(p, coef, lp);
    free(coef);
    free(lp);
}

/* Coefficients of the round trip: int16 values shifted up, or the 5/3 pyramid of an image. */
static int32_t *round_trip_input(const params *p, fz_in s, int32_t **image)
{
    int32_t *c = malloc(p->n * sizeof *c);
    FZ_CHECK(c != NULL);
    *image = NULL;
    if (p->mode & 8u) {
        unsigned bits = (unsigned)p->b5 % 16u + 1u;
        for (size_t i = 0; i < p->n; i++) {
            c[i] = (int32_t)(fz_u16(&s) & ((1u << bits) - 1u)) - (int32_t)(1u << (bits - 1u));
        }
        *image = malloc(p->n * sizeof **image);
        FZ_CHECK(*image != NULL);
        memcpy(*image, c, p->n * sizeof *c);
        FZ_STATUS(sdw_lift53_forward(c, p->h, p->w, p->levels), FZ_BIT(SDW_OK));
    } else {
        unsigned shift = (unsigned)p->b5 % 15u;
        for (size_t i = 0; i < p->n; i++) {
            c[i] = (int32_t)(int16_t)fz_u16(&s) * (int32_t)(1u << shift);
        }
    }
    return c;
}

static void round_trip(const params *p, fz_in s)
{
    int32_t *image;
    int32_t *c = round_trip_input(p, s, &image);
    int top;
    FZ_STATUS(sdw_ezw_top_plane(c, p->mask, p->n, &top), FZ_BIT(SDW_OK));
    size_t bound;
    FZ_STATUS(sdw_ezw_raw_bound(p->n, top + 1, &bound), FZ_BIT(SDW_OK));
    size_t budget = p->b4 ? (size_t)p->b4 * p->n / 64 + 1 : 0;
    size_t cap = 16 * bound + 64, len = 0;
    uint8_t *out = malloc(cap);
    int32_t *d = malloc(p->n * sizeof *d);
    uint8_t *lp = malloc(p->n);
    FZ_CHECK(out != NULL && d != NULL && lp != NULL);
    int done;
    sdw_status st = sdw_ezw_encode(c, p->h, p->w, p->levels, p->mask, p->backend, top, 0,
                                   budget, out, cap, &len, &done);
    FZ_STATUS(st, FZ_BIT(SDW_OK));
    FZ_CHECK(budget == 0 || len <= budget);
    /* an exact-size copy, so that a read past the stream is seen */
    uint8_t *in = malloc(len ? len : 1);
    FZ_CHECK(in != NULL);
    memcpy(in, out, len);
    st = sdw_ezw_decode(len ? in : NULL, len, p->h, p->w, p->levels, p->mask, p->backend, top, 0,
                        d, lp);
    FZ_STATUS(st, FZ_BIT(SDW_OK));
    for (size_t i = 0; i < p->n; i++) {
        int32_t want = (p->mask == NULL || p->mask[i]) ? c[i] : 0;
        if (budget == 0) {
            FZ_CHECK(d[i] == want && lp[i] == 0);
            continue;
        }
        int64_t mw = want < 0 ? -(int64_t)want : want, md = d[i] < 0 ? -(int64_t)d[i] : d[i];
        FZ_CHECK(md <= mw && (d[i] == 0 || (d[i] < 0) == (want < 0)));
        FZ_CHECK(d[i] == 0 ? lp[i] == 0 : mw - md < ((int64_t)1 << lp[i]));
    }
    if (budget == 0 && image != NULL && p->mask == NULL) {
        FZ_STATUS(sdw_lift53_inverse(d, p->h, p->w, p->levels), FZ_BIT(SDW_OK));
        FZ_CHECK(memcmp(d, image, p->n * sizeof *d) == 0);
    }
    free(in);
    free(out);
    free(d);
    free(lp);
    free(c);
    free(image);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    params p;
    p.mode = fz_u8(&in);
    p.h = fz_side(fz_u8(&in));
    p.w = fz_side(fz_u8(&in));
    p.n = p.h * p.w;
    p.levels = (int)(fz_u8(&in) % (unsigned)(sdw_max_levels(p.h, p.w) + 1));
    p.b4 = fz_u8(&in);
    p.b5 = fz_u8(&in);
    p.top = (int)(p.b4 % 32u) - 1;
    p.min_plane = (int)(p.b5 % 31u);
    p.backend = (p.mode & 1u) ? SDW_EZW_ARITH : SDW_EZW_RAW;
    uint8_t seed = fz_u8(&in), density = fz_u8(&in), block = fz_u8(&in);
    fz_in rest = fz_rest(data, size, PREFIX);
    if (p.mode & 4u) {
        p.h = fz_fit_rows(p.h, p.w, rest.n, 2);
        p.n = p.h * p.w;
        p.levels = p.levels > sdw_max_levels(p.h, p.w) ? sdw_max_levels(p.h, p.w) : p.levels;
    }
    p.mask = NULL;
    if (p.mode & 2u) {
        p.mask = malloc(p.n);
        FZ_CHECK(p.mask != NULL);
        fz_mask(p.mask, p.h, p.w, seed, density, block % 4u);
    }
    if (p.mode & 4u) {
        round_trip(&p, rest);
    } else {
        decode_stream(&p, rest);
    }
    free(p.mask);
    return 0;
}
