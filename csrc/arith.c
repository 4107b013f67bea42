#include "arith.h"


void sdw_ctx_init(sdw_ctx *ctx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ctx[i].fast = 32768;
        ctx[i].slow = 32768;
    }
}

void sdw_aenc_init(sdw_aenc *e, uint8_t *out, size_t cap)
{
    e->low = 0;
    e->range = 0xFFFFFFFFu;
    e->cache = 0;
    e->started = 0;
    e->cache_size = 1;
    e->shifts = 0;
    e->out = out;
    e->cap = cap;
    e->pos = 0;
    e->overflow = 0;
}

sdw_status sdw_aenc_finish(sdw_aenc *e)
{
    for (int i = 0; i < 5; i++) {
        sdw_aenc_shift_low_(e);
    }
    return e->overflow ? SDW_EBUFSIZE : SDW_OK;
}

void sdw_adec_init(sdw_adec *d, const uint8_t *in, size_t len)
{
    d->in = in;
    d->len = len;
    d->pos = 0;
    d->range = 0xFFFFFFFFu;
    d->code = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t b = d->pos < len ? in[d->pos] : 0;
        d->pos++;
        d->code = (d->code << 8) | b;
    }
}

