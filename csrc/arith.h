/* Adaptive binary arithmetic (range) coder, integer arithmetic only.
 *
 * A carry-less range coder in the style of LZMA's: 32-bit range, 64-bit low with a cached
 * byte for carry propagation, bytes emitted MSB first. The constant leading zero byte of the
 * LZMA construction is not emitted, so the decoder starts by reading 4 bytes.
 *
 * Probabilities are 16-bit estimates of P(bit == 0) kept by two adaptive estimators per
 * context (a fast one, shift 4, and a slow one, shift 7), averaged: fast to learn, stable once
 * learned. Everything is integer, so every machine produces and reads identical bytes.
 *
 * Embedding. The decoder consumes 4 bytes at start and one byte per renormalisation shift;
 * encoder and decoder shift at the same points, so before coding the k-th decision both know
 * n_k = 4 + shifts so far, the number of stream bytes the decoder has read when it decides
 * it. A decision is decodable from any prefix of at least n_k bytes. The encoder can therefore
 * stop when n_k would exceed a byte budget, flush, and keep the first `budget` bytes; and a
 * decoder given a prefix of L bytes stops before the first decision with n_k > L.
 */
#ifndef SDW_ARITH_H
#define SDW_ARITH_H
#include "sdw_status.h"

typedef struct sdw_ctx {
    uint16_t fast, slow; /* P(0) * 65536, two estimators */
} sdw_ctx;

/* Initialises n contexts to P(0) = 1/2. */
void sdw_ctx_init(sdw_ctx *ctx, size_t n);

typedef struct sdw_aenc {
    uint64_t low;
    uint32_t range;
    uint8_t cache;
    int started;          /* 0 until the first (dropped) cache byte has been passed */
    uint64_t cache_size;
    uint64_t shifts;      /* renormalisation shifts so far */
    uint8_t *out;         /* caller-owned buffer */
    size_t cap, pos;
    int overflow;         /* set when a byte did not fit in out[cap] */
} sdw_aenc;

void sdw_aenc_init(sdw_aenc *e, uint8_t *out, size_t cap);
/* Bytes a decoder must have read before the next decision: 4 + shifts. */
static inline uint64_t sdw_aenc_needed(const sdw_aenc *e) { return 4u + e->shifts; }
/* Flushes; afterwards e->pos == 4 + shifts bytes were produced (SDW_EBUFSIZE if they did
 * not fit in cap, in which case out holds the first cap of them). */
sdw_status sdw_aenc_finish(sdw_aenc *e);

typedef struct sdw_adec {
    uint32_t range, code;
    const uint8_t *in;
    size_t len, pos;      /* pos = bytes read so far (may exceed len: zero bytes are read) */
} sdw_adec;

void sdw_adec_init(sdw_adec *d, const uint8_t *in, size_t len);
/* Nonzero while the next decision is fully determined by the bytes present. */
static inline int sdw_adec_ok(const sdw_adec *d) { return d->pos <= d->len; }

/* ---- hot paths, inline so that the EZW loops can use them without a call ---------------- */

#define SDW_ARITH_TOP ((uint32_t)1 << 24)
#define SDW_ARITH_PMIN 64u
#define SDW_ARITH_PMAX (65536u - 64u)

static inline uint32_t sdw_ctx_p0_(const sdw_ctx *c)
{
    uint32_t p = ((uint32_t)c->fast + (uint32_t)c->slow) >> 1;
    return p < SDW_ARITH_PMIN ? SDW_ARITH_PMIN : (p > SDW_ARITH_PMAX ? SDW_ARITH_PMAX : p);
}

static inline void sdw_ctx_update_(sdw_ctx *c, int bit)
{
    if (bit) {
        c->fast = (uint16_t)(c->fast - (c->fast >> 4));
        c->slow = (uint16_t)(c->slow - (c->slow >> 7));
    } else {
        c->fast = (uint16_t)(c->fast + ((65535u - c->fast) >> 4));
        c->slow = (uint16_t)(c->slow + ((65535u - c->slow) >> 7));
    }
}

static inline void sdw_aenc_put_byte_(sdw_aenc *e, uint8_t b)
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

static inline void sdw_aenc_shift_low_(sdw_aenc *e)
{
    if ((uint32_t)e->low < 0xFF000000u || (e->low >> 32) != 0) {
        uint8_t carry = (uint8_t)(e->low >> 32);
        uint8_t temp = e->cache;
        do {
            sdw_aenc_put_byte_(e, (uint8_t)(temp + carry));
            temp = 0xFF;
        } while (--e->cache_size != 0);
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->cache_size++;
    e->low = (e->low & 0x00FFFFFFu) << 8;
}

/* Codes one decision `bit` (0 / 1) in context c, adapting it. */
static inline void sdw_aenc_bit(sdw_aenc *e, sdw_ctx *c, int bit)
{
    uint32_t bound = (e->range >> 16) * sdw_ctx_p0_(c);
    if (!bit) {
        e->range = bound;
    } else {
        e->low += bound;
        e->range -= bound;
    }
    sdw_ctx_update_(c, bit);
    while (e->range < SDW_ARITH_TOP) {
        e->range <<= 8;
        e->shifts++;
        sdw_aenc_shift_low_(e);
    }
}

/* Decodes one decision in context c (reads zero bytes past the end: see sdw_adec_ok). */
static inline int sdw_adec_bit(sdw_adec *d, sdw_ctx *c)
{
    uint32_t bound = (d->range >> 16) * sdw_ctx_p0_(c);
    int bit;
    if (d->code < bound) {
        d->range = bound;
        bit = 0;
    } else {
        d->code -= bound;
        d->range -= bound;
        bit = 1;
    }
    sdw_ctx_update_(c, bit);
    while (d->range < SDW_ARITH_TOP) {
        d->range <<= 8;
        uint8_t b = d->pos < d->len ? d->in[d->pos] : 0;
        d->pos++;
        d->code = (d->code << 8) | b;
    }
    return bit;
}

#endif
