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
void sdw_aenc_bit(sdw_aenc *e, sdw_ctx *c, int bit);
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
int sdw_adec_bit(sdw_adec *d, sdw_ctx *c);

#endif
