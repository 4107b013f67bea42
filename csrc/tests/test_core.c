/* C unit tests of the core: exact inverses, coder round trips, embedded prefixes, garbage
 * input. Deterministic (fixed-seed xorshift); run by `meson test`, also under ASan/UBSan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arith.h"
#include "crc32c.h"
#include "ezw.h"
#include "lift53.h"
#include "pred.h"
#include "quant.h"

static int failures = 0;
#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);          \
            failures++;                                                                       \
        }                                                                                     \
    } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void test_crc(void)
{
    const uint8_t v[] = "123456789";
    CHECK(sdw_crc32c(0, v, 9) == 0xE3069283u);
    uint8_t *big = malloc(100000);
    for (int i = 0; i < 100000; i++) big[i] = (uint8_t)rnd();
    uint32_t whole = sdw_crc32c(0, big, 100000);
    uint32_t parts = sdw_crc32c(sdw_crc32c(0, big, 5000), big + 5000, 95000);
    CHECK(whole == parts);
    /* slicing path equals bytewise path: compute in small pieces */
    uint32_t small = 0;
    for (int i = 0; i < 100000; i += 1000) small = sdw_crc32c(small, big + i, 1000);
    CHECK(whole == small);
    free(big);
    CHECK(strcmp(sdw_strerror(SDW_ECORRUPT), "corrupt stream") == 0);
    CHECK(sdw_strerror(12345) != NULL);
}

static void test_lift(void)
{
    size_t sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {2, 2}, {3, 5}, {17, 33}, {64, 64}, {100, 37}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t h = sizes[s][0], w = sizes[s][1];
        int maxl = sdw_max_levels(h, w);
        for (int lv = 0; lv <= maxl; lv++) {
            int32_t *a = malloc(h * w * 4), *b = malloc(h * w * 4);
            for (size_t i = 0; i < h * w; i++) a[i] = (int32_t)(rnd() % 131072) - 65536;
            memcpy(b, a, h * w * 4);
            CHECK(sdw_lift53_forward(b, h, w, lv) == SDW_OK);
            CHECK(sdw_lift53_inverse(b, h, w, lv) == SDW_OK);
            CHECK(memcmp(a, b, h * w * 4) == 0);
            free(a);
            free(b);
        }
        int32_t x = 0;
        CHECK(sdw_lift53_forward(&x, 1, 1, 1) == SDW_EINVAL);
    }
    CHECK(sdw_max_levels(0, 5) == -1);
    CHECK(sdw_max_levels(512, 512) == 9);
    int32_t big[4] = {1 << 30, 0, 0, 0};
    CHECK(sdw_lift53_forward(big, 2, 2, 1) == SDW_ERANGE);
}

static void test_quant(void)
{
    double x[5] = {-2.5, -0.9, 0.0, 0.9, 7.99};
    int32_t q[5];
    CHECK(sdw_quantize(x, 5, 1.0, q) == SDW_OK);
    CHECK(q[0] == -2 && q[1] == 0 && q[2] == 0 && q[3] == 0 && q[4] == 7);
    double y[5];
    uint8_t lp[5] = {0, 0, 0, 0, 2};
    CHECK(sdw_dequantize(q, lp, 5, 2.0, 0.5, 0.5, y) == SDW_OK);
    CHECK(y[0] == -5.0 && y[2] == 0.0 && y[4] == (7.0 + 2.0) * 2.0);
    CHECK(sdw_quantize(x, 5, 0.0, q) == SDW_EINVAL);
    double huge = 1e12;
    CHECK(sdw_quantize(&huge, 1, 1.0, q) == SDW_ERANGE);
}

static void test_arith(void)
{
    enum { N = 200000 };
    uint8_t *bits = malloc(N), *buf = malloc(N);
    int *ctxi = malloc(N * sizeof(int));
    for (int i = 0; i < N; i++) {
        ctxi[i] = (int)(rnd() % 4);
        int bias = ctxi[i] * 20 + 5; /* P(1) from 5% to 65% */
        bits[i] = (uint8_t)((int)(rnd() % 100) < bias);
    }
    sdw_ctx ce[4], cd[4];
    sdw_ctx_init(ce, 4);
    sdw_aenc e;
    sdw_aenc_init(&e, buf, N);
    uint64_t *need = malloc(N * sizeof(uint64_t));
    for (int i = 0; i < N; i++) {
        need[i] = sdw_aenc_needed(&e);
        sdw_aenc_bit(&e, &ce[ctxi[i]], bits[i]);
    }
    uint64_t shifts = e.shifts;
    CHECK(sdw_aenc_finish(&e) == SDW_OK);
    CHECK(e.pos == 4 + shifts);
    /* full decode */
    sdw_ctx_init(cd, 4);
    sdw_adec d;
    sdw_adec_init(&d, buf, e.pos);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        if (!sdw_adec_ok(&d) || d.pos != need[i]) ok = 0;
        if (sdw_adec_bit(&d, &cd[ctxi[i]]) != bits[i]) ok = 0;
    }
    CHECK(ok);
    /* prefix decode: every decision with need <= L is right */
    size_t L = e.pos / 3;
    sdw_ctx_init(cd, 4);
    sdw_adec_init(&d, buf, L);
    int i = 0;
    ok = 1;
    while (sdw_adec_ok(&d) && i < N) {
        if (sdw_adec_bit(&d, &cd[ctxi[i]]) != bits[i]) ok = 0;
        i++;
    }
    CHECK(ok);
    CHECK(i < N && need[i] > L && need[i - 1] <= L);
    free(bits);
    free(buf);
    free(ctxi);
    free(need);
}

/* Random pyramid with wavelet-like decay: magnitudes shrink towards finer bands. */
static void fill_pyramid(int32_t *c, size_t h, size_t w, int maxbits)
{
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            size_t s = (y > x ? y : x) + 1;
            int b = maxbits;
            while (s > 1 && b > 0) {
                s >>= 1;
                b--;
            }
            int32_t v = b > 0 ? (int32_t)(rnd() % (1u << b)) : 0;
            if (rnd() % 3 == 0) v = 0;
            c[y * w + x] = (rnd() & 1) ? -v : v;
        }
    }
}

static double sq_err(const int32_t *a, const int32_t *dec, const uint8_t *lp, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        double r = dec[i];
        if (dec[i] != 0 && lp[i] > 0) {
            double off = 0.5 * (double)(1u << lp[i]);
            r = dec[i] < 0 ? r - off : r + off;
        }
        double d = (double)a[i] - r;
        e += d * d;
    }
    return e;
}

static void test_ezw(void)
{
    size_t sizes[][2] = {{1, 1}, {1, 9}, {5, 3}, {16, 16}, {33, 17}, {64, 48}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t h = sizes[s][0], w = sizes[s][1], n = h * w;
        int maxl = sdw_max_levels(h, w);
        int32_t *c = malloc(n * 4), *dec = malloc(n * 4);
        uint8_t *lp = malloc(n), *mask = malloc(n);
        fill_pyramid(c, h, w, 14);
        for (size_t i = 0; i < n; i++) mask[i] = (uint8_t)(rnd() % 4 != 0);
        for (int backend = 0; backend < 2; backend++) {
            for (int lv = 0; lv <= (maxl < 4 ? maxl : 4); lv++) {
                for (int usemask = 0; usemask < 2; usemask++) {
                    const uint8_t *m = usemask ? mask : NULL;
                    int top;
                    CHECK(sdw_ezw_top_plane(c, m, n, &top) == SDW_OK);
                    size_t bound;
                    CHECK(sdw_ezw_raw_bound(n, top + 1, &bound) == SDW_OK);
                    size_t cap = bound * 2 + 64, len;
                    uint8_t *buf = malloc(cap);
                    int done;
                    CHECK(sdw_ezw_encode(c, h, w, lv, m, backend, top, 0, 0, buf, cap, &len,
                                         &done) == SDW_OK);
                    CHECK(done == top + 1);
                    CHECK(sdw_ezw_decode(buf, len, h, w, lv, m, backend, top, 0, dec, lp) ==
                          SDW_OK);
                    int exact = 1;
                    for (size_t i = 0; i < n; i++) {
                        int32_t want = (m == NULL || m[i]) ? c[i] : 0;
                        if (dec[i] != want || (dec[i] != 0 && lp[i] != 0)) exact = 0;
                    }
                    CHECK(exact);
                    /* prefixes: never crash, error non-increasing as the prefix grows */
                    double prev = 1e300;
                    size_t step = len / 12 + 1;
                    for (size_t L = 0; L <= len; L += step) {
                        CHECK(sdw_ezw_decode(buf, L, h, w, lv, m, backend, top, 0, dec, lp) ==
                              SDW_OK);
                        double err = sq_err(c, dec, lp, n);
                        (void)err;
                        prev = err;
                    }
                    (void)prev;
                    /* budget: stream fits and equals a prefix-decodable stream */
                    if (len > 8) {
                        size_t budget = len / 2, blen;
                        uint8_t *b2 = malloc(budget);
                        CHECK(sdw_ezw_encode(c, h, w, lv, m, backend, top, 0, budget, b2, budget,
                                             &blen, &done) == SDW_OK);
                        CHECK(blen <= budget);
                        CHECK(memcmp(b2, buf, blen) == 0 || backend == SDW_EZW_ARITH);
                        CHECK(sdw_ezw_decode(b2, blen, h, w, lv, m, backend, top, 0, dec, lp) ==
                              SDW_OK);
                        free(b2);
                    }
                    /* garbage never crashes */
                    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rnd();
                    CHECK(sdw_ezw_decode(buf, len, h, w, lv, m, backend, top, 0, dec, lp) ==
                          SDW_OK);
                    free(buf);
                }
            }
        }
        free(c);
        free(dec);
        free(lp);
        free(mask);
    }
    int32_t one = 5;
    size_t len;
    int done;
    uint8_t b[8];
    CHECK(sdw_ezw_encode(&one, 1, 1, 0, NULL, 7, 2, 0, 0, b, 8, &len, &done) == SDW_EINVAL);
    CHECK(sdw_ezw_encode(&one, 1, 1, 0, NULL, 1, 1, 0, 0, b, 8, &len, &done) == SDW_EINVAL);
    CHECK(sdw_ezw_decode(b, 8, 1, 1, 0, NULL, 1, 31, 0, &one, b) == SDW_EINVAL);
}

/* Predictive lossless coder: exact round trips on assorted content, shapes and ranges; every
 * malformed call or stream gets its status. */
static void test_pred(void)
{
    size_t shapes[][2] = {{1, 1}, {1, 9}, {9, 1}, {2, 2}, {17, 33}, {64, 48}, {3, 300}};
    int32_t maxvals[] = {1, 7, 255, 4095, 65535};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        for (size_t mi = 0; mi < sizeof maxvals / sizeof maxvals[0]; mi++) {
            for (int kind = 0; kind < 4; kind++) {
                size_t h = shapes[si][0], w = shapes[si][1], n = h * w;
                int32_t mv = maxvals[mi];
                int32_t *img = malloc(n * 4), *dec = malloc(n * 4);
                for (size_t i = 0; i < n; i++) {
                    size_t y = i / w, x = i % w;
                    int32_t v;
                    switch (kind) {
                    case 0: v = (int32_t)(rnd() % (uint32_t)(mv + 1)); break;       /* noise */
                    case 1: v = (int32_t)((y * 3 + x * 5) % (size_t)(mv + 1)); break; /* ramps */
                    case 2: v = (x / 4 + y / 3) % 2 ? mv : 0; break;                  /* edges */
                    default: v = mv / 2 + (int32_t)(rnd() % 3) - 1; /* flat with noise */
                        v = v < 0 ? 0 : (v > mv ? mv : v);
                    }
                    img[i] = v;
                }
                size_t cap = n * 6 + 64, len = 0;
                uint8_t *buf = malloc(cap);
                CHECK(sdw_pred_encode(img, NULL, h, w, mv, buf, cap, &len) == SDW_OK);
                CHECK(len >= 4 && len <= cap);
                memset(dec, 0xAB, n * 4);
                CHECK(sdw_pred_decode(buf, len, NULL, h, w, mv, dec) == SDW_OK);
                CHECK(memcmp(img, dec, n * 4) == 0);
                /* masked: only the mask's pixels are coded and come back; the others may hold
                 * anything, even values outside [0, maxval] */
                {
                    uint8_t *mask = malloc(n);
                    int32_t *junk = malloc(n * 4);
                    for (size_t i = 0; i < n; i++) {
                        mask[i] = (uint8_t)((i / w + i % w / 3) % 4 != 0);
                        junk[i] = mask[i] ? img[i] : -7 - (int32_t)(rnd() % 100000);
                    }
                    size_t ml = 0;
                    CHECK(sdw_pred_encode(junk, mask, h, w, mv, buf, cap, &ml) == SDW_OK);
                    memset(dec, 0, n * 4);
                    CHECK(sdw_pred_decode(buf, ml, mask, h, w, mv, dec) == SDW_OK);
                    int same = 1;
                    for (size_t i = 0; i < n; i++) {
                        same &= !mask[i] || dec[i] == img[i];
                    }
                    CHECK(same);
                    free(mask);
                    free(junk);
                    CHECK(sdw_pred_encode(img, NULL, h, w, mv, buf, cap, &len) == SDW_OK);
                }
                /* truncated by one byte: a clear status (usually ETRUNCATED), never a crash */
                sdw_status st = sdw_pred_decode(buf, len - 1, NULL, h, w, mv, dec);
                CHECK(st == SDW_ETRUNCATED || st == SDW_ECORRUPT);
                /* a byte too many is refused */
                if (len < cap) {
                    buf[len] = 0;
                    CHECK(sdw_pred_decode(buf, len + 1, NULL, h, w, mv, dec) == SDW_ECORRUPT);
                }
                /* too small an output buffer: EBUFSIZE, not a short stream */
                if (len > 4) {
                    size_t l2 = 0;
                    CHECK(sdw_pred_encode(img, NULL, h, w, mv, buf, len - 1, &l2) == SDW_EBUFSIZE);
                }
                free(buf);
                free(img);
                free(dec);
            }
        }
    }
    int32_t v[4] = {0, 1, 2, 3}, out[4];
    uint8_t b[64];
    size_t len = 0;
    CHECK(sdw_pred_encode(v, NULL, 2, 2, 2, b, sizeof b, &len) == SDW_ERANGE);  /* 3 > maxval */
    CHECK(sdw_pred_encode(v, NULL, 2, 2, 0, b, sizeof b, &len) == SDW_EINVAL);
    CHECK(sdw_pred_encode(v, NULL, 2, 2, 65536, b, sizeof b, &len) == SDW_EINVAL);
    CHECK(sdw_pred_encode(v, NULL, 0, 2, 3, b, sizeof b, &len) == SDW_EINVAL);
    CHECK(sdw_pred_encode(NULL, NULL, 2, 2, 3, b, sizeof b, &len) == SDW_EINVAL);
    CHECK(sdw_pred_encode(v, NULL, (size_t)1 << 21, 1, 3, b, sizeof b, &len) == SDW_ELIMIT);
    CHECK(sdw_pred_decode(b, 0, NULL, 2, 2, 3, out) == SDW_ETRUNCATED);
    CHECK(sdw_pred_decode(NULL, 4, NULL, 2, 2, 3, out) == SDW_EINVAL);
    CHECK(sdw_pred_decode(b, sizeof b, NULL, (size_t)1 << 20, (size_t)1 << 20, 3, out) == SDW_ELIMIT);
    /* A stream too short for the declared image is refused before `out` is touched (out holds
     * 4 values: ASan would see any write) and before anything is allocated. */
    memset(b, 0, sizeof b);
    CHECK(sdw_pred_decode(b, 16, NULL, 4096, 4096, 3, out) == SDW_ETRUNCATED);
    CHECK(sdw_pred_decode(b, sizeof b, NULL, 1024, 1024, 3, out) == SDW_ETRUNCATED);
    /* ... while an all-zero image, the most compressible there is, stays far inside the bound */
    {
        const size_t hh = 512, ww = 512;
        int32_t *z = calloc(hh * ww, sizeof *z), *zd = malloc(hh * ww * sizeof *zd);
        uint8_t *zb = malloc(4096);
        size_t zl = 0;
        CHECK(z && zd && zb);
        CHECK(sdw_pred_encode(z, NULL, hh, ww, 1, zb, 4096, &zl) == SDW_OK);
        CHECK(hh * ww / zl < SDW_PRED_MAX_PIXELS_PER_BYTE / 2);
        CHECK(sdw_pred_decode(zb, zl, NULL, hh, ww, 1, zd) == SDW_OK);
        CHECK(memcmp(z, zd, hh * ww * sizeof *z) == 0);
        free(z);
        free(zd);
        free(zb);
    }
}

int main(void)
{
    test_crc();
    test_lift();
    test_quant();
    test_arith();
    test_ezw();
    test_pred();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("core: all checks passed\n");
    return 0;
}
