#include "bitmap.h"

#include "arith.h"

static inline int ctx_of(const uint8_t *bits, size_t w, size_t y, size_t x)
{
    int c = 0;
    if (x > 0) c |= bits[y * w + x - 1] ? 1 : 0;
    if (y > 0) {
        const uint8_t *up = bits + (y - 1) * w;
        if (x > 0) c |= up[x - 1] ? 2 : 0;
        c |= up[x] ? 4 : 0;
        if (x + 1 < w) c |= up[x + 1] ? 8 : 0;
    }
    return c;
}

sdw_status sdw_bitmap_encode(const uint8_t *bits, size_t h, size_t w, uint8_t *out, size_t cap,
                             size_t *len)
{
    sdw_status st = sdw_check_size(h, w);
    if (st != SDW_OK) return st;
    if (bits == NULL || len == NULL || (cap > 0 && out == NULL)) return SDW_EINVAL;
    sdw_ctx ctx[16];
    sdw_ctx_init(ctx, 16);
    sdw_aenc e;
    sdw_aenc_init(&e, out, cap);
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            sdw_aenc_bit(&e, &ctx[ctx_of(bits, w, y, x)], bits[y * w + x] != 0);
        }
    }
    st = sdw_aenc_finish(&e);
    *len = e.pos;
    return st;
}

sdw_status sdw_bitmap_decode(const uint8_t *in, size_t len, size_t h, size_t w, uint8_t *bits)
{
    sdw_status st = sdw_check_size(h, w);
    if (st != SDW_OK) return st;
    if (bits == NULL || (len > 0 && in == NULL)) return SDW_EINVAL;
    sdw_ctx ctx[16];
    sdw_ctx_init(ctx, 16);
    sdw_adec d;
    sdw_adec_init(&d, in, len);
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            bits[y * w + x] = (uint8_t)sdw_adec_bit(&d, &ctx[ctx_of(bits, w, y, x)]);
        }
    }
    return SDW_OK;
}
