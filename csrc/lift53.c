#include "lift53.h"

#include <stdlib.h>
#include <string.h>

/* Floor division by 2^k of a signed value. Right shift of a negative int is
 * implementation-defined in C11; every supported compiler (GCC, Clang, MSVC) shifts
 * arithmetically, which is floor division. */
#define FLOOR_SHR(v, k) ((v) >> (k))

int sdw_max_levels(size_t h, size_t w)
{
    if (h == 0 || w == 0) {
        return -1;
    }
    size_t m = h > w ? h : w;
    int lv = 0;
    while ((m >> 1) > 0 && lv < SDW_MAX_LEVELS) { /* floor(log2(max(h, w))) */
        m >>= 1;
        lv++;
    }
    return lv;
}

/* Arithmetic is done in int64 so that no input, however crafted, can overflow; results must
 * fit |v| < 2^30 or the level reports SDW_ERANGE through *bad. */
#define COEF_LIMIT ((int64_t)1 << 30)

static void store(int32_t *dst, int64_t v, int *bad)
{
    if (v >= COEF_LIMIT || v <= -COEF_LIMIT) {
        *bad = 1;
        v = 0;
    }
    *dst = (int32_t)v;
}

/* One level of the forward 1-D transform of n samples at stride `s` of x, using tmp (n). */
static void fwd1d(int32_t *x, size_t n, size_t s, int64_t *tmp, int *bad)
{
    if (n < 2) {
        return;
    }
    size_t nl = (n + 1) / 2, nh = n / 2;
    int64_t *lo = tmp, *hi = tmp + nl;
    /* predict: d[i] = x[2i+1] - floor((x[2i] + x[2i+2]) / 2), x[n] mirrored to x[n-2] */
    for (size_t i = 0; i < nh; i++) {
        int64_t a = x[(2 * i) * s];
        int64_t b = (2 * i + 2 < n) ? x[(2 * i + 2) * s] : a;
        hi[i] = x[(2 * i + 1) * s] - FLOOR_SHR(a + b, 1);
    }
    /* update: s[i] = x[2i] + floor((d[i-1] + d[i] + 2) / 4), d[-1] = d[0], d[nh] = d[nh-1] */
    for (size_t i = 0; i < nl; i++) {
        int64_t dl = (i > 0) ? hi[i - 1] : hi[0];
        int64_t dr = (i < nh) ? hi[i] : hi[nh - 1];
        lo[i] = x[(2 * i) * s] + FLOOR_SHR(dl + dr + 2, 2);
    }
    for (size_t i = 0; i < n; i++) {
        store(&x[i * s], tmp[i], bad);
    }
}

static void inv1d(int32_t *x, size_t n, size_t s, int64_t *tmp, int *bad)
{
    if (n < 2) {
        return;
    }
    size_t nl = (n + 1) / 2, nh = n / 2;
    for (size_t i = 0; i < n; i++) {
        tmp[i] = x[i * s];
    }
    const int64_t *lo = tmp, *hi = tmp + nl;
    int64_t *out = tmp + n; /* second half of the scratch line */
    /* undo update: even samples */
    for (size_t i = 0; i < nl; i++) {
        int64_t dl = (i > 0) ? hi[i - 1] : hi[0];
        int64_t dr = (i < nh) ? hi[i] : hi[nh - 1];
        out[2 * i] = lo[i] - FLOOR_SHR(dl + dr + 2, 2);
    }
    /* undo predict: odd samples */
    for (size_t i = 0; i < nh; i++) {
        int64_t a = out[2 * i];
        int64_t b = (2 * i + 2 < n) ? out[2 * i + 2] : a;
        out[2 * i + 1] = hi[i] + FLOOR_SHR(a + b, 1);
    }
    for (size_t i = 0; i < n; i++) {
        store(&x[i * s], out[i], bad);
    }
}

/* Column passes work on blocks of COLS columns copied into a contiguous scratch block (one
 * cache line of each row per copy), which avoids the cache-set conflicts of striding down
 * power-of-two-wide images one column at a time. */
#define COLS 16

typedef void (*line_fn)(int32_t *x, size_t n, size_t s, int64_t *tmp, int *bad);

static void column_pass(int32_t *data, size_t ch, size_t cw, size_t w, int32_t *blk,
                        int64_t *tmp, int *bad, line_fn fn)
{
    for (size_t c0 = 0; c0 < cw; c0 += COLS) {
        size_t nc = cw - c0 < COLS ? cw - c0 : COLS;
        for (size_t r = 0; r < ch; r++) {
            const int32_t *src = data + r * w + c0;
            for (size_t k = 0; k < nc; k++) {
                blk[k * ch + r] = src[k];
            }
        }
        for (size_t k = 0; k < nc; k++) {
            fn(blk + k * ch, ch, 1, tmp, bad);
        }
        for (size_t r = 0; r < ch; r++) {
            int32_t *dst = data + r * w + c0;
            for (size_t k = 0; k < nc; k++) {
                dst[k] = blk[k * ch + r];
            }
        }
    }
}

void sdw_level_sizes(size_t n, int levels, size_t *out)
{
    out[0] = n;
    for (int l = 1; l <= levels; l++) {
        out[l] = (out[l - 1] + 1) / 2;
    }
}

static sdw_status check_args(const int32_t *data, size_t h, size_t w, int levels)
{
    if (data == NULL || levels < 0) {
        return SDW_EINVAL;
    }
    sdw_status st = sdw_check_size(h, w);
    if (st != SDW_OK) {
        return st;
    }
    if (levels > sdw_max_levels(h, w)) {
        return SDW_EINVAL;
    }
    return SDW_OK;
}

sdw_status sdw_lift53_forward(int32_t *data, size_t h, size_t w, int levels)
{
    sdw_status st = check_args(data, h, w, levels);
    if (st != SDW_OK) {
        return st;
    }
    if (levels == 0) {
        return SDW_OK;
    }
    int64_t *tmp = malloc(sizeof(int64_t) * 2 * (h > w ? h : w));
    int32_t *blk = malloc(sizeof(int32_t) * COLS * h);
    if (tmp == NULL || blk == NULL) {
        free(tmp);
        free(blk);
        return SDW_ENOMEM;
    }
    size_t ch = h, cw = w;
    int bad = 0;
    for (int l = 0; l < levels; l++) {
        for (size_t r = 0; r < ch; r++) {
            fwd1d(data + r * w, cw, 1, tmp, &bad);
        }
        column_pass(data, ch, cw, w, blk, tmp, &bad, fwd1d);
        ch = (ch + 1) / 2;
        cw = (cw + 1) / 2;
    }
    free(tmp);
    free(blk);
    return bad ? SDW_ERANGE : SDW_OK;
}

sdw_status sdw_lift53_inverse(int32_t *data, size_t h, size_t w, int levels)
{
    sdw_status st = check_args(data, h, w, levels);
    if (st != SDW_OK) {
        return st;
    }
    if (levels == 0) {
        return SDW_OK;
    }
    int64_t *tmp = malloc(sizeof(int64_t) * 2 * (h > w ? h : w));
    int32_t *blk = malloc(sizeof(int32_t) * COLS * h);
    if (tmp == NULL || blk == NULL) {
        free(tmp);
        free(blk);
        return SDW_ENOMEM;
    }
    size_t hs[SDW_MAX_LEVELS + 1], ws[SDW_MAX_LEVELS + 1];
    sdw_level_sizes(h, levels, hs);
    sdw_level_sizes(w, levels, ws);
    int bad = 0;
    for (int l = levels - 1; l >= 0; l--) {
        size_t ch = hs[l], cw = ws[l];
        column_pass(data, ch, cw, w, blk, tmp, &bad, inv1d);
        for (size_t r = 0; r < ch; r++) {
            inv1d(data + r * w, cw, 1, tmp, &bad);
        }
    }
    free(tmp);
    free(blk);
    return bad ? SDW_ERANGE : SDW_OK;
}
