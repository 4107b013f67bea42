/* EZW coder: see ezw.h for the algorithm and the stream. One traversal routine serves the
 * encoder and the decoder, so both visit coefficients and take decisions in the same order by
 * construction. */
#include "ezw.h"

#include "arith.h"
#include "lift53.h"

#include <stdlib.h>
#include <string.h>

/* ---- geometry --------------------------------------------------------------------------- */

enum { OR_LL = 0, OR_HL = 1, OR_LH = 2, OR_HH = 3 };

typedef struct band {
    size_t y0, x0, h, w;
    int orient, level;
    int parent; /* band holding the parents, -1 for LL */
    int child;  /* band holding the children (for LL: the first of the 3 coarsest details) */
} band;

#define MAX_BANDS (1 + 3 * SDW_MAX_LEVELS)

typedef struct geom {
    size_t h, w;
    int levels, nb;
    band b[MAX_BANDS];
} geom;

static sdw_status geom_init(geom *g, size_t h, size_t w, int levels)
{
    if (levels < 0) {
        return SDW_EINVAL;
    }
    sdw_status st = sdw_check_size(h, w);
    if (st != SDW_OK) {
        return st;
    }
    if (levels > sdw_max_levels(h, w)) {
        return SDW_EINVAL;
    }
    size_t hs[SDW_MAX_LEVELS + 1], ws[SDW_MAX_LEVELS + 1];
    sdw_level_sizes(h, levels, hs);
    sdw_level_sizes(w, levels, ws);
    g->h = h;
    g->w = w;
    g->levels = levels;
    g->nb = 1 + 3 * levels;
    band *ll = &g->b[0];
    ll->y0 = 0;
    ll->x0 = 0;
    ll->h = hs[levels];
    ll->w = ws[levels];
    ll->orient = OR_LL;
    ll->level = levels;
    ll->parent = -1;
    ll->child = levels > 0 ? 1 : -1;
    for (int l = levels; l >= 1; l--) {
        for (int o = OR_HL; o <= OR_HH; o++) {
            int idx = 1 + 3 * (levels - l) + (o - 1);
            band *bd = &g->b[idx];
            size_t lh = hs[l], hh = hs[l - 1] - hs[l];
            size_t lw = ws[l], hw = ws[l - 1] - ws[l];
            bd->orient = o;
            bd->level = l;
            bd->y0 = (o == OR_HL) ? 0 : lh;
            bd->x0 = (o == OR_LH) ? 0 : lw;
            bd->h = (o == OR_HL) ? lh : hh;
            bd->w = (o == OR_LH) ? lw : hw;
            bd->parent = (l == levels) ? 0 : idx - 3;
            bd->child = (l > 1) ? idx + 3 : -1;
        }
    }
    return SDW_OK;
}

/* ---- contexts ----------------------------------------------------------------------------- */

/* orientation class: 0 LL, 1 HL/LH, 2 HH; level class: 0 finest, 1 second, 2 coarser / LL */
#define N_OC 3
#define N_LC 3
#define CTX_T_N (N_OC * N_LC * 2 * 3 * 3)
#define CTX_S_N (N_OC * N_LC * 2 * 9)
#define CTX_SIGN_N (N_OC * 5)
#define CTX_REF_N (N_OC * N_LC * 3)

enum {
    CTX_T0 = 0,
    CTX_SNL0 = CTX_T0 + CTX_T_N,          /* significance of a node with children, given T */
    CTX_SLF0 = CTX_SNL0 + CTX_S_N,        /* significance of a leaf */
    CTX_SIGN0 = CTX_SLF0 + CTX_S_N,
    CTX_REF0 = CTX_SIGN0 + CTX_SIGN_N,
    CTX_TOTAL = CTX_REF0 + CTX_REF_N
};

/* JPEG 2000 significance context from neighbour counts (h, v horizontal/vertical 0..2,
 * d diagonal 0..4); for HL the roles of h and v are swapped by the caller. */
static int sig9_lllh(int h, int v, int d)
{
    if (h == 2) return 8;
    if (h == 1) return v >= 1 ? 7 : (d >= 1 ? 6 : 5);
    if (v == 2) return 4;
    if (v == 1) return 3;
    if (d >= 2) return 2;
    return d;
}

static int sig9_hh(int h, int v, int d)
{
    int hv = h + v;
    if (d >= 3) return 8;
    if (d == 2) return hv >= 1 ? 7 : 6;
    if (d == 1) return hv >= 2 ? 5 : (hv == 1 ? 4 : 3);
    return hv >= 2 ? 2 : hv;
}

/* ---- coder: arithmetic or raw bits, encoder or decoder ----------------------------------- */

typedef struct coder {
    int enc, backend, stop, any;
    /* arithmetic */
    sdw_aenc ae;
    sdw_adec ad;
    uint64_t budget; /* bytes; 0 = none (encoder) */
    /* raw */
    uint8_t *out;
    const uint8_t *in;
    size_t cap, len;
    uint64_t bitpos, budget_bits;
    sdw_ctx ctx[CTX_TOTAL];
} coder;

/* Can `nbits` more raw bits, or one more arithmetic decision, be coded? Sets stop if not. */
static inline int avail(coder *c, int nbits)
{
    if (c->stop) {
        return 0;
    }
    int ok;
    if (c->backend == SDW_EZW_ARITH) {
        ok = c->enc ? (c->budget == 0 || sdw_aenc_needed(&c->ae) <= c->budget)
                    : sdw_adec_ok(&c->ad);
    } else {
        ok = c->bitpos + (uint64_t)nbits <= c->budget_bits;
    }
    if (!ok) {
        c->stop = 1;
    }
    return ok;
}

static inline int abit(coder *c, int ctx, int bit)
{
    c->any = 1;
    if (c->enc) {
        sdw_aenc_bit(&c->ae, &c->ctx[ctx], bit);
        return bit;
    }
    return sdw_adec_bit(&c->ad, &c->ctx[ctx]);
}

static inline unsigned rawbits(coder *c, unsigned v, int n)
{
    c->any = 1;
    unsigned r = 0;
    for (int k = n - 1; k >= 0; k--) {
        uint64_t bp = c->bitpos++;
        size_t byte = (size_t)(bp >> 3);
        unsigned sh = 7u - (unsigned)(bp & 7u);
        if (c->enc) {
            unsigned b = (v >> k) & 1u;
            if (byte < c->cap) {
                if (sh == 7u) {
                    c->out[byte] = 0;
                }
                c->out[byte] |= (uint8_t)(b << sh);
            } else {
                (void)0; /* past cap: dropped; the caller sees len > cap */
            }
            r = (r << 1) | b;
        } else {
            unsigned b = byte < c->len ? (c->in[byte] >> sh) & 1u : 0u;
            r = (r << 1) | b;
        }
    }
    return r;
}

/* ---- the traversal ------------------------------------------------------------------------ */

typedef struct ezw {
    geom g;
    const uint8_t *mask;
    int8_t *st;       /* 0 insignificant, +1 / -1 significant with that sign */
    uint8_t *skip;    /* == stamp: inside a zerotree found in this pass */
    uint8_t *nbc;     /* significant neighbour counts (see nbr_counts) */
    uint8_t *csig;    /* number of significant children */
    uint32_t *list;   /* significant coefficients in the order they became significant */
    size_t nsig;
    /* encoder */
    const int32_t *coef;
    uint32_t *desc;   /* bit p set: some descendant in the set has its top bit at plane p */
    /* decoder */
    uint32_t *mag;    /* known magnitude bits (aliases the caller's coef buffer) */
    uint8_t *lp;
    coder c;
} ezw;

static inline uint32_t absval(int32_t v)
{
    return v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v;
}

static inline int top_bit(uint32_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    return m ? 31 - __builtin_clz(m) : -1;
#else
    int p = -1;
    while (m) {
        m >>= 1;
        p++;
    }
    return p;
#endif
}

static inline int in_set(const ezw *e, size_t i)
{
    return e->mask == NULL || e->mask[i] != 0;
}

/* Calls fn(e, child index) for every child of coefficient (ry, rx) of band bi. */
#define FOR_CHILDREN(E, BI, RY, RX, BODY)                                                     \
    do {                                                                                      \
        const band *b_ = &(E)->g.b[(BI)];                                                    \
        if (b_->orient == OR_LL) {                                                            \
            if (b_->child >= 0) {                                                             \
                for (int k_ = 0; k_ < 3; k_++) {                                              \
                    const band *cb_ = &(E)->g.b[b_->child + k_];                             \
                    if ((RY) < cb_->h && (RX) < cb_->w) {                                     \
                        size_t ch = (cb_->y0 + (RY)) * (E)->g.w + cb_->x0 + (RX);             \
                        BODY;                                                                 \
                    }                                                                         \
                }                                                                             \
            }                                                                                 \
        } else if (b_->child >= 0) {                                                          \
            const band *cb_ = &(E)->g.b[b_->child];                                          \
            for (size_t dy_ = 0; dy_ < 2; dy_++) {                                            \
                size_t cy_ = 2 * (RY) + dy_;                                                  \
                if (cy_ >= cb_->h) break;                                                     \
                for (size_t dx_ = 0; dx_ < 2; dx_++) {                                        \
                    size_t cx_ = 2 * (RX) + dx_;                                              \
                    if (cx_ >= cb_->w) break;                                                 \
                    size_t ch = (cb_->y0 + cy_) * (E)->g.w + cb_->x0 + cx_;                   \
                    BODY;                                                                     \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    } while (0)

static inline int has_children(const ezw *e, int bi, size_t ry, size_t rx)
{
    const band *b = &e->g.b[bi];
    if (b->child < 0) {
        return 0;
    }
    if (b->orient == OR_LL) {
        for (int k = 0; k < 3; k++) {
            const band *cb = &e->g.b[b->child + k];
            if (ry < cb->h && rx < cb->w) return 1;
        }
        return 0;
    }
    const band *cb = &e->g.b[b->child];
    return 2 * ry < cb->h && 2 * rx < cb->w;
}

static inline int oclass(int orient)
{
    return orient == OR_LL ? 0 : (orient == OR_HH ? 2 : 1);
}

static inline int lclass(const band *b)
{
    if (b->orient == OR_LL) return 2;
    return b->level >= 3 ? 2 : b->level - 1;
}

/* Neighbour significance counts (h, v, d as in JPEG 2000), kept incrementally in nbc[]:
 * bits 0-1 horizontal, 2-3 vertical, 4-6 diagonal neighbours inside the same band that are
 * significant. Updated once per coefficient when it becomes significant (note_significant). */
#define NB_H 1u
#define NB_V 4u
#define NB_D 16u

static inline void nbr_counts(const ezw *e, size_t i, int *h, int *v, int *d)
{
    unsigned c = e->nbc[i];
    *h = (int)(c & 3u);
    *v = (int)((c >> 2) & 3u);
    *d = (int)(c >> 4);
}

static inline void note_significant(ezw *e, const band *b, size_t ry, size_t rx, size_t i,
                                    size_t parent)
{
    const size_t W = e->g.w;
    uint8_t *nb = e->nbc;
    int left = rx > 0, right = rx + 1 < b->w;
    if (left) nb[i - 1] += NB_H;
    if (right) nb[i + 1] += NB_H;
    if (ry > 0) {
        uint8_t *r = nb + i - W;
        r[0] += NB_V;
        if (left) r[-1] += NB_D;
        if (right) r[1] += NB_D;
    }
    if (ry + 1 < b->h) {
        uint8_t *r = nb + i + W;
        r[0] += NB_V;
        if (left) r[-1] += NB_D;
        if (right) r[1] += NB_D;
    }
    if (parent != SIZE_MAX) {
        e->csig[parent]++;
    }
}

static inline int sig9(const band *b, int h, int v, int d)
{
    if (b->orient == OR_HH) return sig9_hh(h, v, d);
    if (b->orient == OR_HL) return sig9_lllh(v, h, d);
    return sig9_lllh(h, v, d);
}

/* JPEG 2000 sign context: returns the context (0..4) and sets *flip. */
static inline int sign_ctx(const ezw *e, const band *b, size_t ry, size_t rx, int *flip)
{
    const size_t W = e->g.w;
    const int8_t *row = e->st + (b->y0 + ry) * W + b->x0;
    int hc = 0, vc = 0;
    if (rx > 0) hc += row[rx - 1];
    if (rx + 1 < b->w) hc += row[rx + 1];
    if (ry > 0) vc += (row - W)[rx];
    if (ry + 1 < b->h) vc += (row + W)[rx];
    hc = hc > 0 ? 1 : (hc < 0 ? -1 : 0);
    vc = vc > 0 ? 1 : (vc < 0 ? -1 : 0);
    if (hc < 0) {
        hc = -hc;
        vc = -vc;
        *flip = 1;
    } else {
        *flip = 0;
    }
    if (hc == 0) {
        if (vc < 0) {
            *flip = 1;
            return 1;
        }
        return vc; /* 0 or 1 */
    }
    return 3 + vc; /* 2, 3, 4 */
}

/* Dominant pass at plane p. Returns 0, or -1 when the coder stopped. */
static int dominant_pass(ezw *e, int p)
{
    coder *c = &e->c;
    const uint8_t stamp = (uint8_t)(p + 1);
    const size_t W = e->g.w;
    /* skip[i] == stamp marks a zerotree root of this pass or a coefficient inside one: a
     * coefficient is inside a zerotree exactly when its parent is so marked (parents come
     * in earlier bands, so they are decided first). */
    for (int bi = 0; bi < e->g.nb; bi++) {
        const band *b = &e->g.b[bi];
        const band *pb = b->parent >= 0 ? &e->g.b[b->parent] : NULL;
        const int shift = (pb != NULL && pb->orient != OR_LL) ? 1 : 0;
        const int oc = oclass(b->orient), lc = lclass(b);
        for (size_t ry = 0; ry < b->h; ry++) {
            const size_t row = (b->y0 + ry) * W + b->x0;
            const uint8_t *pskip = NULL;
            const int8_t *pst = NULL;
            size_t pw = 0;
            if (pb != NULL && (ry >> shift) < pb->h) {
                size_t prow = (pb->y0 + (ry >> shift)) * W + pb->x0;
                pskip = e->skip + prow;
                pst = e->st + prow;
                pw = pb->w;
            }
            const uint64_t stamp8 = 0x0101010101010101ull * stamp;
            const int marks = b->child >= 0; /* finest bands: nobody reads their marks */
            for (size_t rx = 0; rx < b->w; rx++) {
                const size_t i = row + rx;
                const size_t px = rx >> shift;
                const int has_parent = pskip != NULL && px < pw;
                if (has_parent && pskip[px] == stamp) {
                    /* fast path: 8 parents in a row inside zerotrees skip 16 children */
                    uint64_t w8;
                    if (shift && (rx & 1u) == 0 && px + 8 <= pw && rx + 16 <= b->w) {
                        memcpy(&w8, pskip + px, 8);
                        if (w8 == stamp8) {
                            if (marks) memset(e->skip + i, stamp, 16);
                            rx += 15;
                            continue;
                        }
                    }
                    if (marks) e->skip[i] = stamp;
                    continue;
                }
                if (!in_set(e, i) || e->st[i] != 0) {
                    continue;
                }
                int nonleaf = has_children(e, bi, ry, rx);
                int ps = has_parent && pst[px] != 0;
                int sig = 0, neg = 0, descsig = 0;
                if (c->enc) {
                    uint32_t m = absval(e->coef[i]);
                    sig = (int)((m >> p) & 1u);
                    neg = e->coef[i] < 0;
                    descsig = (int)((e->desc[i] >> p) & 1u);
                }
                if (c->backend == SDW_EZW_RAW) {
                    if (!avail(c, 2)) return -1;
                    unsigned sym = sig ? (neg ? 3u : 2u) : ((nonleaf && !descsig) ? 0u : 1u);
                    sym = rawbits(c, sym, 2);
                    if (sym == 0u && nonleaf) {
                        e->skip[i] = stamp;
                        continue;
                    }
                    if (sym < 2u) {
                        continue;
                    }
                    sig = 1;
                    neg = sym == 3u;
                } else {
                    int h, v, d;
                    nbr_counts(e, i, &h, &v, &d);
                    int s9 = sig9(b, h, v, d);
                    if (nonleaf) {
                        int nsc = e->csig[i];
                        int ncl = h + v + d;
                        ncl = ncl == 0 ? 0 : (ncl <= 2 ? 1 : 2);
                        nsc = nsc == 0 ? 0 : (nsc <= 2 ? 1 : 2);
                        int ctx = CTX_T0 + (((oc * N_LC + lc) * 2 + ps) * 3 + ncl) * 3 + nsc;
                        if (!avail(c, 1)) return -1;
                        if (!abit(c, ctx, sig | descsig)) {
                            e->skip[i] = stamp;
                            continue;
                        }
                    }
                    int base = nonleaf ? CTX_SNL0 : CTX_SLF0;
                    if (!avail(c, 1)) return -1;
                    sig = abit(c, base + ((oc * N_LC + lc) * 2 + ps) * 9 + s9, sig);
                    if (!sig) {
                        continue;
                    }
                    int flip;
                    int sc = sign_ctx(e, b, ry, rx, &flip);
                    if (!avail(c, 1)) return -1;
                    neg = abit(c, CTX_SIGN0 + oc * 5 + sc, neg ^ flip) ^ flip;
                }
                /* newly significant */
                e->st[i] = neg ? -1 : 1;
                note_significant(e, b, ry, rx, i,
                                 has_parent ? (size_t)(pst - e->st) + px : SIZE_MAX);
                e->list[e->nsig++] = (uint32_t)i;
                if (!c->enc) {
                    e->mag[i] = (uint32_t)1 << p;
                    e->lp[i] = (uint8_t)p;
                }
            }
        }
    }
    return 0;
}

static int refinement_pass(ezw *e, int p, size_t nold, const uint8_t *bandmap)
{
    coder *c = &e->c;
    for (size_t k = 0; k < nold; k++) {
        size_t i = e->list[k];
        uint32_t known = c->enc ? absval(e->coef[i]) : e->mag[i];
        int bit = (int)((known >> p) & 1u);
        if (c->backend == SDW_EZW_RAW) {
            if (!avail(c, 1)) return -1;
            bit = (int)rawbits(c, (unsigned)bit, 1);
        } else {
            int bi = bandmap[i];
            const band *b = &e->g.b[bi];
            int kind;
            if ((known >> (p + 1)) == 1u) { /* first refinement */
                int h, v, d;
                nbr_counts(e, i, &h, &v, &d);
                kind = (h + v + d) ? 1 : 0;
            } else {
                kind = 2;
            }
            int ctx = CTX_REF0 + (oclass(b->orient) * N_LC + lclass(b)) * 3 + kind;
            if (!avail(c, 1)) return -1;
            bit = abit(c, ctx, bit);
        }
        if (!c->enc) {
            e->mag[i] |= (uint32_t)bit << p;
            e->lp[i] = (uint8_t)p;
        }
    }
    return 0;
}

/* Runs the passes from `top` down to `min_plane`; returns the number of planes completed. */
static int run_passes(ezw *e, int top, int min_plane, const uint8_t *bandmap)
{
    int done = 0;
    for (int p = top; p >= min_plane; p--) {
        size_t nold = e->nsig;
        if (dominant_pass(e, p) < 0) break;
        if (refinement_pass(e, p, nold, bandmap) < 0) break;
        done++;
    }
    return done;
}

/* ---- setup shared by encoder and decoder --------------------------------------------------- */

static void ezw_free(ezw *e)
{
    free(e->st);
    free(e->skip);
    free(e->nbc);
    free(e->csig);
    free(e->list);
    free(e->desc);
}

static sdw_status ezw_alloc(ezw *e, size_t n, int want_desc, uint8_t **bandmap)
{
    size_t b4;
    if (sdw_mul_size(n, 4, &b4) != SDW_OK) {
        return SDW_EOVERFLOW;
    }
    e->st = calloc(n, 1);
    e->skip = calloc(n, 1);
    e->nbc = calloc(n, 1);
    e->csig = calloc(n, 1);
    e->list = malloc(b4);
    e->desc = want_desc ? calloc(n, 4) : NULL;
    *bandmap = malloc(n);
    if (!e->st || !e->skip || !e->nbc || !e->csig || !e->list || (want_desc && !e->desc) || !*bandmap) {
        ezw_free(e);
        free(*bandmap);
        *bandmap = NULL;
        return SDW_ENOMEM;
    }
    for (int bi = 0; bi < e->g.nb; bi++) {
        const band *b = &e->g.b[bi];
        for (size_t y = 0; y < b->h; y++) {
            memset(*bandmap + (b->y0 + y) * e->g.w + b->x0, bi, b->w);
        }
    }
    return SDW_OK;
}

static sdw_status check_common(size_t h, size_t w, int levels, int backend, int top,
                               int min_plane, geom *g)
{
    if (backend != SDW_EZW_RAW && backend != SDW_EZW_ARITH) {
        return SDW_EINVAL;
    }
    if (top < -1 || top > SDW_EZW_MAX_PLANE || min_plane < 0 || min_plane > SDW_EZW_MAX_PLANE) {
        return SDW_EINVAL;
    }
    return geom_init(g, h, w, levels);
}

sdw_status sdw_ezw_top_plane(const int32_t *coef, const uint8_t *mask, size_t n, int *top)
{
    if ((n > 0 && coef == NULL) || top == NULL) {
        return SDW_EINVAL;
    }
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask == NULL || mask[i]) {
            m |= absval(coef[i]);
        }
    }
    if (m >= ((uint32_t)1 << (SDW_EZW_MAX_PLANE + 1))) {
        return SDW_ERANGE;
    }
    *top = top_bit(m);
    return SDW_OK;
}

sdw_status sdw_ezw_raw_bound(size_t n, int planes, size_t *bound)
{
    if (bound == NULL || planes < 0 || planes > SDW_EZW_MAX_PLANE + 1) {
        return SDW_EINVAL;
    }
    size_t bits;
    /* per plane and coefficient: at most 2 dominant bits + 1 refinement bit */
    if (sdw_mul_size(n, 3 * (size_t)planes, &bits) != SDW_OK) {
        return SDW_EOVERFLOW;
    }
    *bound = bits / 8 + 16;
    return SDW_OK;
}

sdw_status sdw_ezw_encode(const int32_t *coef, size_t h, size_t w, int levels,
                          const uint8_t *mask, int backend, int top, int min_plane,
                          size_t max_bytes, uint8_t *out, size_t cap, size_t *out_len,
                          int *planes_done)
{
    ezw e;
    memset(&e, 0, sizeof e);
    sdw_status st = check_common(h, w, levels, backend, top, min_plane, &e.g);
    if (st != SDW_OK) {
        return st;
    }
    if (coef == NULL || out_len == NULL || planes_done == NULL || (cap > 0 && out == NULL)) {
        return SDW_EINVAL;
    }
    size_t n = h * w;
    int real_top;
    st = sdw_ezw_top_plane(coef, mask, n, &real_top);
    if (st != SDW_OK) {
        return st;
    }
    if (real_top > top) {
        return SDW_EINVAL; /* the caller's top plane would lose bits */
    }
    *out_len = 0;
    *planes_done = 0;
    if (top < min_plane) {
        *planes_done = 0;
        return SDW_OK;
    }
    uint8_t *bandmap = NULL;
    st = ezw_alloc(&e, n, 1, &bandmap);
    if (st != SDW_OK) {
        return st;
    }
    e.mask = mask;
    e.coef = coef;
    /* descendant plane masks, finest bands first (children are always in later bands) */
    for (int bi = e.g.nb - 1; bi >= 0; bi--) {
        const band *b = &e.g.b[bi];
        if (b->child < 0) {
            continue; /* finest bands: no descendants, desc stays 0 (calloc) */
        }
        for (size_t ry = 0; ry < b->h; ry++) {
            for (size_t rx = 0; rx < b->w; rx++) {
                size_t i = (b->y0 + ry) * w + b->x0 + rx;
                uint32_t dm = 0;
                FOR_CHILDREN(&e, bi, ry, rx, {
                    dm |= e.desc[ch];
                    if (in_set(&e, ch) && coef[ch] != 0) {
                        dm |= (uint32_t)1 << top_bit(absval(coef[ch]));
                    }
                });
                e.desc[i] = dm;
            }
        }
    }
    coder *c = &e.c;
    c->enc = 1;
    c->backend = backend;
    sdw_ctx_init(c->ctx, CTX_TOTAL);
    if (backend == SDW_EZW_ARITH) {
        sdw_aenc_init(&c->ae, out, cap);
        c->budget = max_bytes;
    } else {
        c->out = out;
        c->cap = cap;
        c->budget_bits = max_bytes ? (uint64_t)max_bytes * 8u : UINT64_MAX;
    }
    *planes_done = run_passes(&e, top, min_plane, bandmap);
    size_t len = 0;
    if (backend == SDW_EZW_ARITH) {
        if (c->any) {
            (void)sdw_aenc_finish(&c->ae); /* overflow judged below, after the budget cut */
            len = c->ae.pos;
        }
    } else {
        len = (size_t)((c->bitpos + 7) / 8);
    }
    if (max_bytes && len > max_bytes) {
        len = max_bytes; /* the decoder needs no byte beyond the budget (see arith.h) */
    }
    /* bytes past cap were dropped; the first cap bytes are right, so only len matters */
    st = len > cap ? SDW_EBUFSIZE : SDW_OK;
    *out_len = len;
    ezw_free(&e);
    free(bandmap);
    return st;
}

sdw_status sdw_ezw_decode(const uint8_t *in, size_t len, size_t h, size_t w, int levels,
                          const uint8_t *mask, int backend, int top, int min_plane,
                          int32_t *coef, uint8_t *lp)
{
    ezw e;
    memset(&e, 0, sizeof e);
    sdw_status st = check_common(h, w, levels, backend, top, min_plane, &e.g);
    if (st != SDW_OK) {
        return st;
    }
    if ((len > 0 && in == NULL) || coef == NULL || lp == NULL) {
        return SDW_EINVAL;
    }
    size_t n = h * w;
    memset(coef, 0, n * sizeof *coef);
    memset(lp, 0, n);
    if (top < min_plane) {
        return SDW_OK;
    }
    uint8_t *bandmap = NULL;
    st = ezw_alloc(&e, n, 0, &bandmap);
    if (st != SDW_OK) {
        return st;
    }
    e.mask = mask;
    e.mag = (uint32_t *)coef; /* magnitudes are built in place, signs applied at the end */
    e.lp = lp;
    coder *c = &e.c;
    c->enc = 0;
    c->backend = backend;
    sdw_ctx_init(c->ctx, CTX_TOTAL);
    if (backend == SDW_EZW_ARITH) {
        sdw_adec_init(&c->ad, in, len);
    } else {
        c->in = in;
        c->len = len;
        c->budget_bits = (uint64_t)len * 8u;
    }
    run_passes(&e, top, min_plane, bandmap);
    for (size_t i = 0; i < n; i++) {
        if (e.st[i] < 0) {
            coef[i] = -(int32_t)e.mag[i];
        }
    }
    ezw_free(&e);
    free(bandmap);
    return SDW_OK;
}
