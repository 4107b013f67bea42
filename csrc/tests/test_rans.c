/* Unit tests of the rANS coder (csrc/rans.c). Exit status 0 when every check passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rans.h"

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

#define STRIDE 40
#define NT 4

/* Table t: lengths and geometric-ish frequencies summing to 1 << 16. */
static void make_tables(int32_t *cdfs, int32_t *lengths, int32_t *offsets)
{
    const int32_t lens[NT] = {2, 3, 17, STRIDE - 1};
    const int32_t offs[NT] = {0, -1, -8, -20};
    for (int t = 0; t < NT; t++) {
        int32_t L = lens[t];
        int32_t *c = cdfs + t * STRIDE;
        int32_t total = 1 << SDW_RANS_PRECISION;
        int32_t acc = 0;
        c[0] = 0;
        for (int s = 0; s < L; s++) {
            int32_t left = total - acc;
            int32_t f = s == L - 1 ? left : (left / 3 > (L - s) ? left / 3 : 1);
            if (f > left - (L - s - 1)) {
                f = left - (L - s - 1);
            }
            acc += f;
            c[s + 1] = acc;
        }
        for (int s = L + 1; s < STRIDE; s++) {
            c[s] = total;
        }
        lengths[t] = L;
        offsets[t] = offs[t];
    }
}

int main(void)
{
    int32_t cdfs[NT * STRIDE], lengths[NT], offsets[NT];
    make_tables(cdfs, lengths, offsets);
    sdw_rans_tables t = {cdfs, STRIDE, lengths, offsets, NT};
    CHECK(sdw_rans_check_tables(&t) == SDW_OK);

    enum { N = 20000 };
    int32_t *vals = malloc(N * sizeof *vals), *idx = malloc(N * sizeof *idx);
    int32_t *back = malloc(N * sizeof *back);
    size_t bound;
    CHECK(sdw_rans_bound(N, &bound) == SDW_OK);
    uint8_t *buf = malloc(bound);
    for (int i = 0; i < N; i++) {
        idx[i] = (int32_t)(rnd() % NT);
        uint32_t r = rnd() % 100;
        if (r < 80) {
            vals[i] = offsets[idx[i]] + (int32_t)(rnd() % (uint32_t)(lengths[idx[i]] - 1));
        } else if (r < 95) {
            vals[i] = (int32_t)(rnd() % 2001) - 1000; /* often an escape */
        } else {
            int32_t big = (int32_t)(rnd() % (uint32_t)SDW_RANS_MAX_VALUE);
            vals[i] = (rnd() & 1) ? big : -big;
        }
    }
    vals[0] = SDW_RANS_MAX_VALUE;
    vals[1] = -SDW_RANS_MAX_VALUE;
    size_t len = 0;
    CHECK(sdw_rans_encode(vals, idx, N, &t, buf, bound, &len) == SDW_OK);
    CHECK(len > 4 && len <= bound);
    CHECK(sdw_rans_decode(buf, len, idx, N, &t, back) == SDW_OK);
    CHECK(memcmp(vals, back, N * sizeof *vals) == 0);

    /* every truncation is an error, never a crash */
    for (size_t cut = 0; cut < len; cut += 1 + cut / 7) {
        sdw_status st = sdw_rans_decode(buf, cut, idx, N, &t, back);
        CHECK(st == SDW_ETRUNCATED || st == SDW_ECORRUPT);
    }
    /* trailing garbage is corrupt */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0x55;
    CHECK(sdw_rans_decode(longer, len + 1, idx, N, &t, back) == SDW_ECORRUPT);
    free(longer);
    /* flipped bytes: an error or (rarely) other values, never a crash */
    for (int k = 0; k < 200; k++) {
        uint8_t *cp = malloc(len);
        memcpy(cp, buf, len);
        cp[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
        sdw_status st = sdw_rans_decode(cp, len, idx, N, &t, back);
        CHECK(st == SDW_OK || st == SDW_ECORRUPT || st == SDW_ETRUNCATED);
        free(cp);
    }
    /* empty input */
    CHECK(sdw_rans_encode(vals, idx, 0, &t, buf, bound, &len) == SDW_OK && len == 4);
    CHECK(sdw_rans_decode(buf, len, idx, 0, &t, back) == SDW_OK);
    CHECK(sdw_rans_decode(buf, 3, idx, 0, &t, back) == SDW_ETRUNCATED);
    /* small buffers */
    CHECK(sdw_rans_encode(vals, idx, N, &t, buf, 10, &len) == SDW_EBUFSIZE && len == 0);
    /* bad arguments */
    int32_t bad_idx = NT;
    CHECK(sdw_rans_encode(vals, &bad_idx, 1, &t, buf, bound, &len) == SDW_EINVAL);
    CHECK(sdw_rans_decode(buf, bound, &bad_idx, 1, &t, back) == SDW_EINVAL);
    int32_t huge = SDW_RANS_MAX_VALUE + 1;
    CHECK(sdw_rans_encode(&huge, idx, 1, &t, buf, bound, &len) == SDW_ERANGE);
    cdfs[STRIDE + 1] = cdfs[STRIDE + 2]; /* a zero frequency */
    CHECK(sdw_rans_check_tables(&t) == SDW_EINVAL);
    CHECK(sdw_rans_encode(vals, idx, 1, &t, buf, bound, &len) == SDW_EINVAL);
    make_tables(cdfs, lengths, offsets);
    lengths[2] = STRIDE; /* longer than a row */
    CHECK(sdw_rans_check_tables(&t) == SDW_EINVAL);
    CHECK(sdw_rans_check_tables(NULL) == SDW_EINVAL);
    CHECK(sdw_rans_bound(SDW_MAX_PIXELS + 1, &bound) == SDW_ELIMIT);

    free(vals);
    free(idx);
    free(back);
    free(buf);
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("rans: all tests passed\n");
    return 0;
}
