/* Static-model rANS coder; see rans.h. */
#include "rans.h"

#include <string.h>

#define RANS_L ((uint32_t)1 << 23)
#define NIB_BITS 4
#define COUNT_BITS 3

sdw_status sdw_rans_check_tables(const sdw_rans_tables *t)
{
    if (t == NULL || t->cdfs == NULL || t->lengths == NULL || t->offsets == NULL) {
        return SDW_EINVAL;
    }
    if (t->n_tables == 0 || t->stride < 3) {
        return SDW_EINVAL;
    }
    if (t->stride > SDW_RANS_MAX_TABLE + 1 || t->n_tables > ((size_t)1 << 24)) {
        return SDW_ELIMIT;
    }
    for (size_t k = 0; k < t->n_tables; k++) {
        int32_t len = t->lengths[k];
        int32_t off = t->offsets[k];
        if (len < 2 || (size_t)len > t->stride - 1) {
            return SDW_EINVAL;
        }
        if (off > SDW_RANS_MAX_VALUE || off < -SDW_RANS_MAX_VALUE) {
            return SDW_EINVAL;
        }
        const int32_t *c = t->cdfs + k * t->stride;
        if (c[0] != 0 || c[len] != ((int32_t)1 << SDW_RANS_PRECISION)) {
            return SDW_EINVAL;
        }
        for (int32_t s = 0; s < len; s++) {
            if (c[s + 1] <= c[s]) {
                return SDW_EINVAL;
            }
        }
    }
    return SDW_OK;
}

sdw_status sdw_rans_bound(size_t n, size_t *bound)
{
    if (bound == NULL) {
        return SDW_EINVAL;
    }
    if (n > SDW_MAX_PIXELS) {
        return SDW_ELIMIT;
    }
    size_t b;
    sdw_status st = sdw_mul_size(n, 8, &b);
    if (st != SDW_OK) {
        return st;
    }
    if (b > SIZE_MAX - 16) {
        return SDW_EOVERFLOW;
    }
    *bound = b + 16;
    return SDW_OK;
}

/* Encoder: writes bytes downwards from *pp; `lo` is the buffer start. */
typedef struct {
    uint32_t x;
    uint8_t *p;
    uint8_t *lo;
} renc;

static int enc_put(renc *e, uint32_t start, uint32_t freq)
{
    uint32_t x = e->x;
    uint32_t x_max = ((RANS_L >> SDW_RANS_PRECISION) << 8) * freq;
    while (x >= x_max) {
        if (e->p == e->lo) {
            return -1;
        }
        *--e->p = (uint8_t)(x & 0xff);
        x >>= 8;
    }
    e->x = ((x / freq) << SDW_RANS_PRECISION) + (x % freq) + start;
    return 0;
}

static int enc_uniform(renc *e, uint32_t v, int bits)
{
    return enc_put(e, v << (SDW_RANS_PRECISION - bits), (uint32_t)1 << (SDW_RANS_PRECISION - bits));
}

/* Checks shared by encoder and decoder: symbol count, tables, every table index in range. */
static sdw_status check_symbols(const int32_t *table_index, size_t n, const sdw_rans_tables *t)
{
    if (n > SDW_MAX_PIXELS) {
        return SDW_ELIMIT;
    }
    sdw_status st = sdw_rans_check_tables(t);
    if (st != SDW_OK) {
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        if (table_index[i] < 0 || (size_t)table_index[i] >= t->n_tables) {
            return SDW_EINVAL;
        }
    }
    return SDW_OK;
}

sdw_status sdw_rans_encode(const int32_t *values, const int32_t *table_index, size_t n,
                           const sdw_rans_tables *t, uint8_t *out, size_t cap, size_t *out_len)
{
    if (out_len == NULL || out == NULL || (n > 0 && (values == NULL || table_index == NULL))) {
        return SDW_EINVAL;
    }
    *out_len = 0;
    sdw_status st = check_symbols(table_index, n, t);
    if (st != SDW_OK) {
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        if (values[i] > SDW_RANS_MAX_VALUE || values[i] < -SDW_RANS_MAX_VALUE) {
            return SDW_ERANGE;
        }
    }
    renc e = {RANS_L, out + cap, out};
    for (size_t i = n; i-- > 0;) {
        size_t k = (size_t)table_index[i];
        const int32_t *c = t->cdfs + k * t->stride;
        int64_t esc = t->lengths[k] - 1;
        int64_t s = (int64_t)values[i] - t->offsets[k];
        if (s < 0 || s >= esc) {
            uint32_t u = s < 0 ? (uint32_t)(2 * (-s) - 1) : (uint32_t)(2 * (s - esc));
            int nib = 1;
            while (nib < 8 && (u >> (NIB_BITS * nib)) != 0) {
                nib++;
            }
            /* reverse of the decoding order (most significant nibble first) */
            for (int j = 0; j < nib; j++) {
                if (enc_uniform(&e, (u >> (NIB_BITS * j)) & 0xf, NIB_BITS) != 0) {
                    return SDW_EBUFSIZE;
                }
            }
            if (enc_uniform(&e, (uint32_t)(nib - 1), COUNT_BITS) != 0) {
                return SDW_EBUFSIZE;
            }
            s = esc;
        }
        uint32_t start = (uint32_t)c[s];
        uint32_t freq = (uint32_t)(c[s + 1] - c[s]);
        if (enc_put(&e, start, freq) != 0) {
            return SDW_EBUFSIZE;
        }
    }
    if ((size_t)(e.p - out) < 4) {
        return SDW_EBUFSIZE;
    }
    e.p -= 4;
    e.p[0] = (uint8_t)(e.x);
    e.p[1] = (uint8_t)(e.x >> 8);
    e.p[2] = (uint8_t)(e.x >> 16);
    e.p[3] = (uint8_t)(e.x >> 24);
    size_t len = (size_t)(out + cap - e.p);
    memmove(out, e.p, len);
    *out_len = len;
    return SDW_OK;
}

typedef struct {
    uint32_t x;
    const uint8_t *p;
    const uint8_t *end;
} rdec;

/* Removes a symbol [start, start+freq) already identified from the state and renormalises. */
static int dec_advance(rdec *d, uint32_t slot, uint32_t start, uint32_t freq)
{
    uint32_t x = freq * (d->x >> SDW_RANS_PRECISION) + slot - start;
    while (x < RANS_L) {
        if (d->p == d->end) {
            return -1;
        }
        x = (x << 8) | *d->p++;
    }
    d->x = x;
    return 0;
}

static int dec_uniform(rdec *d, int bits, uint32_t *v)
{
    uint32_t slot = d->x & (((uint32_t)1 << SDW_RANS_PRECISION) - 1);
    int shift = SDW_RANS_PRECISION - bits;
    *v = slot >> shift;
    return dec_advance(d, slot, *v << shift, (uint32_t)1 << shift);
}

sdw_status sdw_rans_decode(const uint8_t *in, size_t len, const int32_t *table_index, size_t n,
                           const sdw_rans_tables *t, int32_t *values)
{
    if ((in == NULL && len > 0) || (n > 0 && (values == NULL || table_index == NULL))) {
        return SDW_EINVAL;
    }
    sdw_status st = check_symbols(table_index, n, t);
    if (st != SDW_OK) {
        return st;
    }
    if (len < 4) {
        return SDW_ETRUNCATED;
    }
    rdec d;
    d.x = (uint32_t)in[0] | ((uint32_t)in[1] << 8) | ((uint32_t)in[2] << 16) |
          ((uint32_t)in[3] << 24);
    d.p = in + 4;
    d.end = in + len;
    if (d.x < RANS_L) {
        return SDW_ECORRUPT;
    }
    const uint32_t mask = ((uint32_t)1 << SDW_RANS_PRECISION) - 1;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)table_index[i];
        const int32_t *c = t->cdfs + k * t->stride;
        int32_t L = t->lengths[k];
        uint32_t slot = d.x & mask;
        /* largest s with c[s] <= slot, s in [0, L) */
        int32_t lo = 0, hi = L;
        while (hi - lo > 1) {
            int32_t mid = lo + (hi - lo) / 2;
            if ((uint32_t)c[mid] <= slot) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if (dec_advance(&d, slot, (uint32_t)c[lo], (uint32_t)(c[lo + 1] - c[lo])) != 0) {
            return SDW_ETRUNCATED;
        }
        int64_t s = lo;
        int64_t esc = L - 1;
        if (s == esc) {
            uint32_t cnt, nib, u = 0;
            if (dec_uniform(&d, COUNT_BITS, &cnt) != 0) {
                return SDW_ETRUNCATED;
            }
            for (uint32_t j = 0; j <= cnt; j++) {
                if (dec_uniform(&d, NIB_BITS, &nib) != 0) {
                    return SDW_ETRUNCATED;
                }
                u = (u << NIB_BITS) | nib;
            }
            if (u & 1u) {
                s = -(((int64_t)u + 1) / 2);
            } else {
                s = esc + (int64_t)(u / 2);
            }
        }
        int64_t v = s + t->offsets[k];
        if (v > SDW_RANS_MAX_VALUE || v < -SDW_RANS_MAX_VALUE) {
            return SDW_ECORRUPT;
        }
        values[i] = (int32_t)v;
    }
    if (d.p != d.end || d.x != RANS_L) {
        return SDW_ECORRUPT;
    }
    return SDW_OK;
}
