/* Mutation fuzzing of the C decoders (EZW, bitmap, predictive, range coder), deterministic and bounded so
 * that it runs in every `meson test`, and under ASan/UBSan in CI: valid streams are flipped,
 * truncated, extended and replaced by random bytes, with random (valid) header parameters;
 * every call must return a status and never touch memory out of bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "ezw.h"
#include "lift53.h"
#include "pred.h"

static uint64_t rng = 0xD1B54A32D192ED03ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Mutates the valid stream buf[len] (buffer of cap bytes) one of four ways: flipped bits, a
 * truncation, random bytes in its place, random bytes appended; returns an exact-size copy of the
 * result (so ASan sees reads past the stream) and its length in *mlen. */
static uint8_t *mutated_copy(uint8_t *buf, size_t len, size_t cap, size_t *mlen)
{
    size_t ml = len;
    switch (rnd() % 4) {
    case 0:
        for (int k = 0; k < 4 && len; k++) buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
        break;
    case 1:
        ml = len ? rnd() % (len + 1) : 0;
        break;
    case 2:
        ml = rnd() % (cap < 512 ? cap : 512);
        for (size_t i = 0; i < ml; i++) buf[i] = (uint8_t)rnd();
        break;
    default:
        ml = len + rnd() % 16 < cap ? len + rnd() % 16 : len;
        for (size_t i = len; i < ml; i++) buf[i] = (uint8_t)rnd();
    }
    uint8_t *in = malloc(ml ? ml : 1);
    memcpy(in, buf, ml);
    *mlen = ml;
    return in;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 3000;
    size_t shapes[][2] = {{1, 1}, {2, 3}, {7, 5}, {16, 16}, {31, 9}, {40, 64}};
    long calls = 0;
    for (long it = 0; it < iters; it++) {
        size_t *sh = shapes[rnd() % (sizeof shapes / sizeof shapes[0])];
        size_t h = sh[0], w = sh[1], n = h * w;
        int maxl = sdw_max_levels(h, w);
        int lv = maxl > 0 ? (int)(rnd() % (unsigned)(maxl + 1)) : 0;
        int backend = (int)(rnd() & 1u);
        int32_t *c = malloc(n * 4), *dec = malloc(n * 4);
        uint8_t *lp = malloc(n), *mask = malloc(n);
        for (size_t i = 0; i < n; i++) {
            c[i] = (rnd() % 3 == 0) ? (int32_t)(rnd() % 4096) - 2048 : 0;
            mask[i] = (uint8_t)(rnd() % 5 != 0);
        }
        const uint8_t *m = (rnd() & 1u) ? mask : NULL;
        int top;
        if (sdw_ezw_top_plane(c, m, n, &top) != SDW_OK) return 1;
        size_t cap = n * 40 + 64, len = 0;
        uint8_t *buf = malloc(cap);
        int done;
        if (sdw_ezw_encode(c, h, w, lv, m, backend, top, 0, 0, buf, cap, &len, &done) != SDW_OK) {
            fprintf(stderr, "encode failed\n");
            return 1;
        }
        size_t mlen;
        uint8_t *in = mutated_copy(buf, len, cap, &mlen);
        int dtop = (rnd() % 4 == 0) ? (int)(rnd() % 32) - 1 : top;
        int dmin = (rnd() % 4 == 0) ? (int)(rnd() % 31) : 0;
        sdw_status st = sdw_ezw_decode(in, mlen, h, w, lv, m, backend, dtop, dmin, dec, lp);
        if (st != SDW_OK && st != SDW_EINVAL) return 2;
        if (st == SDW_OK && lv > 0) {
            (void)sdw_lift53_inverse(dec, h, w, lv); /* any status, no UB */
        }
        uint8_t *bits = malloc(n);
        (void)sdw_bitmap_decode(in, mlen, h, w, bits);
        calls += 3;
        free(bits);
        /* predictive coder: a valid stream of the same image, mutated the same way */
        {
            static const int32_t mvs[] = {1, 255, 4095, 65535};
            int32_t mv = mvs[rnd() % 4];
            for (size_t i = 0; i < n; i++) {
                c[i] = (int32_t)((uint32_t)(c[i] < 0 ? -c[i] : c[i]) % (uint32_t)(mv + 1));
            }
            size_t plen = 0;
            if (sdw_pred_encode(c, m, h, w, mv, buf, cap, &plen) != SDW_OK) {
                fprintf(stderr, "pred encode failed\n");
                return 1;
            }
            size_t pm;
            uint8_t *pin = mutated_copy(buf, plen, cap, &pm);
            int32_t dmv = (rnd() % 4 == 0) ? (int32_t)(rnd() % 70000) : mv;
            sdw_status pst = sdw_pred_decode(pin, pm, m, h, w, dmv, dec);
            if (pst != SDW_OK && pst != SDW_ETRUNCATED && pst != SDW_ECORRUPT &&
                pst != SDW_EINVAL) {
                return 3;
            }
            if (pst == SDW_OK) {
                for (size_t i = 0; i < n; i++) {
                    if (dec[i] < 0 || dec[i] > dmv) return 4; /* never out of range */
                }
            }
            free(pin);
            calls++;
        }
        free(in);
        free(buf);
        free(c);
        free(dec);
        free(lp);
        free(mask);
    }
    printf("fuzz: %ld decoder calls, no fault\n", calls);
    return 0;
}
