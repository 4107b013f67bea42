#include "arith.h"

#define TOP ((uint32_t)1 << 24)
#define PMIN 64u
#define PMAX (65536u - 64u)

void sdw_ctx_init(sdw_ctx *ctx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ctx[i].fast = 32768;
        ctx[i].slow = 32768;
    }
}

static inline uint32_t ctx_p0(const sdw_ctx *c)
{
    uint32_t p = ((uint32_t)c->fast + (uint32_t)c->slow) >> 1;
    return p < PMIN ? PMIN : (p > PMAX ? PMAX : p);
}

static inline void ctx_update(sdw_ctx *c, int bit)
{
    if (bit) {
        c->fast = (uint16_t)(c->fast - (c->fast >> 4));
        c->slow = (uint16_t)(c->slow - (c->slow >> 7));
    } else {
        c->fast = (uint16_t)(c->fast + ((65535u - c->fast) >> 4));
        c->slow = (uint16_t)(c->slow + ((65535u - c->slow) >> 7));
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

static inline void put_byte(sdw_aenc *e, uint8_t b)
{
    if (!e->started) { /* the first cache byte is always 0 and is not emitted */
        e->started = 1;
        return;
    }
    if (e->pos < e->cap) {
        e->out[e->pos] = b;
    } else {
        e->overflow = 1;
    }
    e->pos++;
}

static void shift_low(sdw_aenc *e)
{
    if ((uint32_t)e->low < 0xFF000000u || (e->low >> 32) != 0) {
        uint8_t carry = (uint8_t)(e->low >> 32);
        uint8_t temp = e->cache;
        do {
            put_byte(e, (uint8_t)(temp + carry));
            temp = 0xFF;
        } while (--e->cache_size != 0);
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->cache_size++;
    e->low = (e->low & 0x00FFFFFFu) << 8;
}

void sdw_aenc_bit(sdw_aenc *e, sdw_ctx *c, int bit)
{
    uint32_t bound = (e->range >> 16) * ctx_p0(c);
    if (!bit) {
        e->range = bound;
    } else {
        e->low += bound;
        e->range -= bound;
    }
    ctx_update(c, bit);
    while (e->range < TOP) {
        e->range <<= 8;
        e->shifts++;
        shift_low(e);
    }
}

sdw_status sdw_aenc_finish(sdw_aenc *e)
{
    for (int i = 0; i < 5; i++) {
        shift_low(e);
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

int sdw_adec_bit(sdw_adec *d, sdw_ctx *c)
{
    uint32_t bound = (d->range >> 16) * ctx_p0(c);
    int bit;
    if (d->code < bound) {
        d->range = bound;
        bit = 0;
    } else {
        d->code -= bound;
        d->range -= bound;
        bit = 1;
    }
    ctx_update(c, bit);
    while (d->range < TOP) {
        d->range <<= 8;
        uint8_t b = d->pos < d->len ? d->in[d->pos] : 0;
        d->pos++;
        d->code = (d->code << 8) | b;
    }
    return bit;
}
