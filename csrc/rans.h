/* Static-model rANS entropy coder for integer symbols with integer CDF tables.
 *
 * Used by the learned background codec: each value is coded with one of several tables
 * (one per latent channel and quality). Tables are cumulative frequencies with
 * SDW_RANS_PRECISION bits of precision; the last symbol of every table is an escape: a value
 * outside the table's range is coded as the escape symbol, then its distance from the range
 * (zig-zag folded) as 1..8 uniform 4-bit nibbles, preceded by the nibble count (3 bits).
 *
 * 32-bit state, byte-wise renormalisation (lower bound 2^23), little-endian 4-byte final
 * state. The encoder codes the symbols in reverse, writing backwards from the end of the
 * caller's buffer, then moves the stream to the front. Everything is integer arithmetic, so
 * the bytes are identical on every machine. No global state; callers own every buffer.
 */
#ifndef SDW_RANS_H
#define SDW_RANS_H
#include "sdw_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SDW_RANS_PRECISION 16
/* Most symbols in one table (escape included). */
#define SDW_RANS_MAX_TABLE 4096
/* Largest magnitude of a coded value and of a table offset. */
#define SDW_RANS_MAX_VALUE ((int32_t)1 << 28)

/* A set of tables, all borrowed from the caller.
 * cdfs: n_tables rows of `stride` int32 entries; row t holds lengths[t] + 1 cumulative
 * frequencies: cdfs[t*stride] == 0, strictly increasing, cdfs[t*stride + lengths[t]] ==
 * 1 << SDW_RANS_PRECISION. Symbol k of table t stands for the value offsets[t] + k, except the
 * last (k == lengths[t] - 1), the escape. */
typedef struct sdw_rans_tables {
    const int32_t *cdfs;
    size_t stride;
    const int32_t *lengths; /* 2 .. min(stride - 1, SDW_RANS_MAX_TABLE) */
    const int32_t *offsets; /* |offset| <= SDW_RANS_MAX_VALUE */
    size_t n_tables;
} sdw_rans_tables;

/* Checks every table. Returns SDW_OK, SDW_EINVAL (bad table or NULL) or SDW_ELIMIT. */
sdw_status sdw_rans_check_tables(const sdw_rans_tables *t);

/* *bound = the largest stream sdw_rans_encode can produce for n values (8 bytes per value
 * plus the final state). Returns SDW_EOVERFLOW or SDW_ELIMIT (n > SDW_MAX_PIXELS) on failure. */
sdw_status sdw_rans_bound(size_t n, size_t *bound);

/* Codes values[i] with table table_index[i], i = 0..n-1, into out[0..cap), *out_len bytes.
 * Returns SDW_EINVAL (bad table, index >= n_tables, NULL), SDW_ERANGE (|value| >
 * SDW_RANS_MAX_VALUE), SDW_ELIMIT, or SDW_EBUFSIZE (out too small; cap >= sdw_rans_bound never
 * is). On failure out's contents are unspecified and *out_len is 0. */
sdw_status sdw_rans_encode(const int32_t *values, const int32_t *table_index, size_t n,
                           const sdw_rans_tables *t, uint8_t *out, size_t cap, size_t *out_len);

/* Decodes n values into values[0..n) (caller-owned) from in[0..len). The stream must be
 * consumed exactly and end in the encoder's initial state. Returns SDW_EINVAL (bad tables or
 * index, NULL), SDW_ETRUNCATED (input ended early) or SDW_ECORRUPT (inconsistent stream,
 * trailing bytes, escape out of range). Never reads outside in[0..len). */
sdw_status sdw_rans_decode(const uint8_t *in, size_t len, const int32_t *table_index, size_t n,
                           const sdw_rans_tables *t, int32_t *values);

#ifdef __cplusplus
}
#endif

#endif /* SDW_RANS_H */
