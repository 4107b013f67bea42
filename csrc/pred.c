/* Predictive lossless coder: see pred.h. One traversal serves the encoder and the decoder. */
#include "pred.h"

#include <stdlib.h>
#include <string.h>

#include "arith.h"

#define ACT_CLASSES 40 /* half-octave classes of the local activity */
#define KMAX 16        /* exponents of |e| <= 65535 are 0..15; one spare */
#define NQ 405         /* sign-merged gradient contexts: q1 in 0..4, q2, q3 in -4..4 */
#define BIAS_RESET 64  /* halve a bias context's statistics when it has seen this many */
#define BLEND_TAB 4096 /* local errors below this take their blend weight from a table */
#define NPRED 8        /* predictors blended by their recent local accuracy */

typedef struct pred_model {
    sdw_ctx zero[ACT_CLASSES];
    sdw_ctx sign[ACT_CLASSES][9];
    sdw_ctx expo[ACT_CLASSES][KMAX];
    sdw_ctx mant_hi[ACT_CLASSES][KMAX];
    sdw_ctx mant_lo[KMAX][KMAX];
    int32_t bias_acc[NQ];  /* JPEG-LS's B[Q]: accumulated corrected error */
    int32_t bias_n[NQ];    /* N[Q] */
    int32_t bias_corr[NQ]; /* C[Q]: the correction added to the prediction */
    uint32_t cost_corr[NQ]; /* decayed sums of |error| with and without the correction */
    uint32_t cost_raw[NQ];
    uint32_t cost_gap[NQ];
    uint32_t cost_blend[NQ];
    int32_t gap_acc[NQ], gap_corr[NQ];
    uint64_t blend_wt[BLEND_TAB]; /* blend_weight() of small local errors, precomputed */
} pred_model;

typedef struct pred_coder {
    int decoding;
    sdw_aenc enc;
    sdw_adec dec;
} pred_coder;

static inline int code_bit(pred_coder *c, sdw_ctx *ctx, int bit)
{
    if (c->decoding) {
        return sdw_adec_bit(&c->dec, ctx);
    }
    sdw_aenc_bit(&c->enc, ctx, bit);
    return bit;
}

static inline int ilog2_u32(uint32_t v) /* v >= 1 */
{
#if defined(__GNUC__) || defined(__clang__)
    return 31 - __builtin_clz(v);
#else
    int k = 0;
    while (v >>= 1) {
        k++;
    }
    return k;
#endif
}

static inline int32_t abs32(int32_t v) { return v < 0 ? -v : v; }

static inline int quant_grad(int32_t g, int32_t t1, int32_t t2, int32_t t3)
{
    if (g <= -t3) return -4;
    if (g <= -t2) return -3;
    if (g <= -t1) return -2;
    if (g < 0) return -1;
    if (g == 0) return 0;
    if (g < t1) return 1;
    if (g < t2) return 2;
    if (g < t3) return 3;
    return 4;
}

static inline int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* JPEG-LS default thresholds for a lossless coder of range [0, maxval]. */
static void thresholds(int32_t maxval, int32_t *t1, int32_t *t2, int32_t *t3)
{
    int32_t a, b, c;
    if (maxval >= 128) {
        int32_t f = ((maxval < 4095 ? maxval : 4095) + 128) >> 8;
        a = f * 1 + 2;
        b = f * 4 + 3;
        c = f * 17 + 4;
    } else {
        int32_t f = 256 / (maxval + 1);
        a = 3 / f > 2 ? 3 / f : 2;
        b = 7 / f > 3 ? 7 / f : 3;
        c = 21 / f > 4 ? 21 / f : 4;
    }
    a = clamp32(a, 1, maxval);
    b = clamp32(b, a, maxval);
    c = clamp32(c, b, maxval);
    *t1 = a;
    *t2 = b;
    *t3 = c;
}

/* Halves an accumulated error, rounding toward minus infinity as JPEG-LS does. */
static inline int32_t halve(int32_t v)
{
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

/* JPEG-LS's bias update of one context after its count *n has been incremented: the correction
 * *corr moves by at most one per sample, so a lone outlier (an edge) cannot shift a whole
 * context's predictions. */
static inline void bias_step(int32_t *acc, int32_t n, int32_t *corr, int32_t corr_max)
{
    if (*acc <= -n) {
        *acc += n;
        if (*corr > -corr_max) {
            (*corr)--;
        }
        if (*acc <= -n) {
            *acc = -n + 1;
        }
    } else if (*acc > 0) {
        *acc -= n;
        if (*corr < corr_max) {
            (*corr)++;
        }
        if (*acc > 0) {
            *acc = 0;
        }
    }
}

/* CALIC's gradient-adjusted prediction from the causal neighbours (ww = west of a, nn = north of
 * b, nne = north of d); gsc scales CALIC's 8-bit thresholds to the value range. */
static inline int32_t gap_predict(int32_t a, int32_t b, int32_t c, int32_t d, int32_t ww,
                                  int32_t nn, int32_t nne, int32_t gsc)
{
    const int32_t dh = abs32(a - ww) + abs32(b - c) + abs32(b - d);
    const int32_t dv = abs32(a - c) + abs32(b - nn) + abs32(d - nne);
    if (dv - dh > 80 * gsc) {
        return a;
    }
    if (dh - dv > 80 * gsc) {
        return b;
    }
    int32_t g2 = 2 * (a + b) + (d - c); /* 4 x ((a + b) / 2 + (d - c) / 4) */
    if (dv - dh > 32 * gsc) {
        g2 = (g2 + 4 * a) / 2;
    } else if (dv - dh > 8 * gsc) {
        g2 = (3 * g2 + 4 * a) / 4;
    } else if (dh - dv > 32 * gsc) {
        g2 = (g2 + 4 * b) / 2;
    } else if (dh - dv > 8 * gsc) {
        g2 = (3 * g2 + 4 * b) / 4;
    }
    return (g2 + 2) >> 2;
}

/* Weight of a blended predictor whose local error sum (plus one) is loc >= 1: 2^40 / loc^3, at
 * least 1 (loc <= 4 * 65535 + 1, so loc^3 fits in 64 bits). */
static inline uint64_t blend_weight(uint64_t loc)
{
    uint64_t wt = ((uint64_t)1 << 40) / (loc * loc * loc);
    return wt ? wt : 1;
}

static inline int activity_class(uint32_t act)
{
    uint32_t v = act + 1u;
    int k = ilog2_u32(v);
    int cls = 2 * k + (k > 0 ? (int)((v >> (k - 1)) & 1u) : 0);
    return cls < ACT_CLASSES ? cls : ACT_CLASSES - 1;
}

/* Codes (or decodes) one residual ev, |ev| <= 2^(kmax + 1) - 1: a zero flag, the sign, the
 * exponent k = floor(log2 |ev|) in unary (at most kmax ones, no terminator after kmax) and the
 * k bits under the leading one. Returns the residual (the decoded one when decoding). */
static inline int32_t code_residual(pred_coder *cd, pred_model *m, int cls, int sc, int kmax,
                                    int32_t ev)
{
    if (!code_bit(cd, &m->zero[cls], ev != 0)) {
        return 0;
    }
    const int neg = code_bit(cd, &m->sign[cls][sc], ev < 0);
    const uint32_t mag = (uint32_t)abs32(ev);
    const int k_enc = cd->decoding ? 0 : ilog2_u32(mag);
    int k = 0;
    while (k < kmax && code_bit(cd, &m->expo[cls][k], k < k_enc)) {
        k++;
    }
    uint32_t v = 1;
    for (int p = k - 1; p >= 0; p--) {
        sdw_ctx *ctx = p == k - 1 ? &m->mant_hi[cls][k] : &m->mant_lo[k][p];
        v = (v << 1) | (uint32_t)code_bit(cd, ctx, (int)((mag >> p) & 1u));
    }
    return neg ? -(int32_t)v : (int32_t)v;
}

/* The shared traversal. Encoder: px = the image, dst = NULL, or, with a mask, px = dst = a
 * working copy of the image. Decoder: px = dst = the output. Pixels outside the mask take their
 * prediction (written to dst) and cost nothing. */
static sdw_status traverse(pred_coder *cd, pred_model *m, const int32_t *px, int32_t *dst,
                           const uint8_t *mask, size_t h, size_t w, int32_t maxval,
                           int32_t *err_rows)
{
    int32_t t1, t2, t3;
    thresholds(maxval, &t1, &t2, &t3);
    const int kmax = ilog2_u32((uint32_t)maxval); /* largest exponent of a |e| <= maxval */
    const int32_t corr_max = maxval < 128 ? maxval : 128;
    const int32_t gsc = maxval >= 255 ? (maxval + 1) / 256 : 1; /* CALIC thresholds: 8 bits */
    int32_t *prev_err = err_rows, *cur_err = err_rows + w;
    int32_t *pe_prev = err_rows + 2 * w, *pe_cur = err_rows + 2 * w + NPRED * w;
    static const int32_t zeros[NPRED] = {0};
    memset(err_rows, 0, 2 * (1 + NPRED) * w * sizeof *err_rows);
    for (size_t i = 0; i < h; i++) {
        const int32_t *row = px + i * w;
        const int32_t *up = i > 0 ? row - w : NULL;
        const int32_t *up2 = i > 1 ? row - 2 * w : NULL;
        for (size_t j = 0; j < w; j++) {
            int32_t a, b, c, d;
            if (up == NULL) {
                a = j > 0 ? row[j - 1] : (maxval + 1) / 2;
                b = c = d = a;
            } else {
                b = up[j];
                a = j > 0 ? row[j - 1] : b;
                c = j > 0 ? up[j - 1] : b;
                d = j + 1 < w ? up[j + 1] : b;
            }
            /* median edge detector */
            int32_t mx = a > b ? a : b, mn = a > b ? b : a, med;
            if (c >= mx) {
                med = mn;
            } else if (c <= mn) {
                med = mx;
            } else {
                med = a + b - c;
            }
            /* bias context */
            int q1 = quant_grad(d - b, t1, t2, t3);
            int q2 = quant_grad(b - c, t1, t2, t3);
            int q3 = quant_grad(c - a, t1, t2, t3);
            int32_t s = 1;
            if (q1 < 0 || (q1 == 0 && (q2 < 0 || (q2 == 0 && q3 < 0)))) {
                s = -1;
                q1 = -q1;
                q2 = -q2;
                q3 = -q3;
            }
            int qi = (q1 * 9 + (q2 + 4)) * 9 + (q3 + 4);
            /* no correction in the flat context (JPEG-LS's run mode has none either): there a
             * region's first pixel would otherwise bias every flat pixel after it */
            const int flat = q1 == 0 && q2 == 0 && q3 == 0;
            const int32_t pcorr = flat ? med : clamp32(med + s * m->bias_corr[qi], 0, maxval);
            const int32_t gap =
                gap_predict(a, b, c, d, j > 1 ? row[j - 2] : a, up2 ? up2[j] : b,
                            up2 && j + 1 < w ? up2[j + 1] : d, gsc);
            const int32_t pgap = clamp32(gap + s * m->gap_corr[qi], 0, maxval);
            /* blend of simple predictors (MED, GAP, W, N, planar, (W + NE) / 2, NE, W + NE - N),
             * each weighted by 1 / (1 + its recent error at W, N, NW, NE)^3 */
            int32_t pv[NPRED];
            pv[0] = med;
            pv[1] = clamp32(gap, 0, maxval);
            pv[2] = a;
            pv[3] = b;
            pv[4] = clamp32(a + b - c, 0, maxval);
            pv[5] = (a + d + 1) >> 1;
            pv[6] = d;
            pv[7] = clamp32(a + d - b, 0, maxval);
            uint64_t wsum = 0, psum = 0;
            /* errors are stored pixel-major (NPRED per pixel); outside the row they are 0 */
            const int32_t *e_w = j > 0 ? pe_cur + (j - 1) * NPRED : zeros;
            const int32_t *e_n = pe_prev + j * NPRED;
            const int32_t *e_nw = j > 0 ? pe_prev + (j - 1) * NPRED : zeros;
            const int32_t *e_ne = j + 1 < w ? pe_prev + (j + 1) * NPRED : zeros;
            for (int k = 0; k < NPRED; k++) {
                uint64_t loc = (uint64_t)e_w[k] + (uint64_t)e_n[k] + (uint64_t)e_nw[k] +
                               (uint64_t)e_ne[k] + 1u;
                uint64_t wt = loc < BLEND_TAB ? m->blend_wt[loc] : blend_weight(loc);
                wsum += wt;
                psum += wt * (uint64_t)pv[k];
            }
            /* every candidate lies in [0, maxval], so does the blend, so |e| <= maxval: the
             * exponent code is capped at ilog2(maxval) */
            const int32_t blend = (int32_t)((psum + wsum / 2) / wsum);
            /* the candidate with the smallest decayed |error| sum in this context predicts: on
             * synthetic content MED alone is often exact and a drifting correction would only
             * add errors; on textured content the blend or GAP does better */
            const uint32_t cc = m->cost_corr[qi], cr = m->cost_raw[qi], cg = m->cost_gap[qi];
            const uint32_t cb = m->cost_blend[qi];
            int32_t pred = cc <= cr ? (cc <= cg ? pcorr : pgap) : (cr <= cg ? med : pgap);
            const uint32_t cbest = cc <= cr ? (cc <= cg ? cc : cg) : (cr <= cg ? cr : cg);
            if (cb < cbest) {
                pred = blend;
            }
            if (mask != NULL && !mask[i * w + j]) {
                dst[i * w + j] = pred;
                cur_err[j] = 0;
                for (int k = 0; k < NPRED; k++) {
                    pe_cur[j * NPRED + k] = 0;
                }
                continue;
            }
            /* coding context */
            uint32_t act = (uint32_t)abs32(d - b) + (uint32_t)abs32(b - c) +
                           (uint32_t)abs32(c - a) +
                           2u * (uint32_t)abs32(j > 0 ? cur_err[j - 1] : 0) +
                           (uint32_t)abs32(prev_err[j]);
            int cls = activity_class(act);
            int32_t ev = 0;
            if (!cd->decoding) {
                int32_t x = row[j];
                if (x < 0 || x > maxval) {
                    return SDW_ERANGE;
                }
                ev = s * (x - pred);
            }
            {
                /* sign context: the signs of the west and north coded residuals */
                const int32_t ew = j > 0 ? cur_err[j - 1] : 0, en = prev_err[j];
                const int sc = (ew > 0) - (ew < 0) + 1 + 3 * ((en > 0) - (en < 0) + 1);
                ev = code_residual(cd, m, cls, sc, kmax, ev);
            }
            int32_t x = pred + s * ev;
            if (cd->decoding) {
                if (x < 0 || x > maxval) {
                    return SDW_ECORRUPT;
                }
                dst[i * w + j] = x;
            }
            /* statistics of the context: costs of every candidate, both bias corrections */
            const int32_t ec = s * (x - pcorr); /* error of the corrected MED prediction */
            const int32_t eg = s * (x - pgap);  /* error of the corrected GAP prediction */
            m->cost_corr[qi] += (uint32_t)abs32(ec);
            m->cost_raw[qi] += (uint32_t)abs32(x - med);
            m->cost_gap[qi] += (uint32_t)abs32(eg);
            m->cost_blend[qi] += (uint32_t)abs32(x - blend);
            for (int k = 0; k < NPRED; k++) {
                pe_cur[j * NPRED + k] = abs32(x - pv[k]);
            }
            m->bias_acc[qi] += flat ? 0 : ec;
            m->gap_acc[qi] += eg;
            if (m->bias_n[qi] == BIAS_RESET) {
                m->bias_acc[qi] = halve(m->bias_acc[qi]);
                m->gap_acc[qi] = halve(m->gap_acc[qi]);
                m->bias_n[qi] /= 2;
                m->cost_corr[qi] /= 2;
                m->cost_raw[qi] /= 2;
                m->cost_gap[qi] /= 2;
                m->cost_blend[qi] /= 2;
            }
            const int32_t nq = ++m->bias_n[qi];
            bias_step(&m->bias_acc[qi], nq, &m->bias_corr[qi], corr_max);
            bias_step(&m->gap_acc[qi], nq, &m->gap_corr[qi], corr_max);
            cur_err[j] = ev;
        }
        int32_t *t = prev_err;
        prev_err = cur_err;
        cur_err = t;
        t = pe_prev;
        pe_prev = pe_cur;
        pe_cur = t;
        if (cd->decoding) {
            if (!sdw_adec_ok(&cd->dec)) {
                return SDW_ETRUNCATED;
            }
        } else if (cd->enc.overflow) {
            return SDW_EBUFSIZE;
        }
    }
    return SDW_OK;
}

static sdw_status setup(size_t h, size_t w, int32_t maxval, pred_model **m, int32_t **rows)
{
    sdw_status st = sdw_check_size(h, w);
    if (st != SDW_OK) {
        return st;
    }
    if (maxval < 1 || maxval > SDW_PRED_MAX_VALUE) {
        return SDW_EINVAL;
    }
    size_t nrow;
    if ((st = sdw_mul_size(2 * (1 + NPRED), w, &nrow)) != SDW_OK ||
        (st = sdw_mul_size(nrow, sizeof **rows, &nrow)) != SDW_OK) {
        return st;
    }
    *m = calloc(1, sizeof **m);
    *rows = malloc(nrow);
    if (*m == NULL || *rows == NULL) {
        free(*m);
        free(*rows);
        return SDW_ENOMEM;
    }
    sdw_ctx_init(&(*m)->zero[0], ACT_CLASSES);
    sdw_ctx_init(&(*m)->sign[0][0], (size_t)ACT_CLASSES * 9);
    sdw_ctx_init(&(*m)->expo[0][0], (size_t)ACT_CLASSES * KMAX);
    sdw_ctx_init(&(*m)->mant_hi[0][0], (size_t)ACT_CLASSES * KMAX);
    sdw_ctx_init(&(*m)->mant_lo[0][0], (size_t)KMAX * KMAX);
    for (uint64_t k = 1; k < BLEND_TAB; k++) {
        (*m)->blend_wt[k] = blend_weight(k);
    }
    return SDW_OK;
}

sdw_status sdw_pred_encode(const int32_t *img, const uint8_t *mask, size_t h, size_t w,
                           int32_t maxval, uint8_t *out, size_t cap, size_t *out_len)
{
    if (img == NULL || out_len == NULL || (out == NULL && cap > 0)) {
        return SDW_EINVAL;
    }
    pred_model *m;
    int32_t *rows, *work = NULL;
    sdw_status st = setup(h, w, maxval, &m, &rows);
    if (st != SDW_OK) {
        return st;
    }
    if (mask != NULL) { /* outside the mask the coder sees predictions, not the pixels */
        size_t bytes;
        if ((st = sdw_mul_size(h * w, sizeof *work, &bytes)) != SDW_OK ||
            (work = malloc(bytes)) == NULL) {
            free(m);
            free(rows);
            return st != SDW_OK ? st : SDW_ENOMEM;
        }
        memcpy(work, img, bytes);
    }
    pred_coder cd;
    memset(&cd, 0, sizeof cd);
    sdw_aenc_init(&cd.enc, out, cap);
    st = traverse(&cd, m, work ? work : img, work, mask, h, w, maxval, rows);
    if (st == SDW_OK) {
        st = sdw_aenc_finish(&cd.enc);
        *out_len = cd.enc.pos;
    }
    free(work);
    free(m);
    free(rows);
    return st;
}

sdw_status sdw_pred_decode(const uint8_t *in, size_t len, const uint8_t *mask, size_t h,
                           size_t w, int32_t maxval, int32_t *img)
{
    if (img == NULL || (in == NULL && len > 0)) {
        return SDW_EINVAL;
    }
    sdw_status st = sdw_check_size(h, w);
    if (st != SDW_OK) {
        return st;
    }
    size_t coded = h * w; /* fits: sdw_check_size bounds h * w */
    if (mask != NULL) {
        coded = 0;
        for (size_t i = 0; i < h * w; i++) {
            coded += mask[i] != 0;
        }
    }
    if (coded / SDW_PRED_MAX_PIXELS_PER_BYTE > len) { /* more than the stream can describe */
        return SDW_ETRUNCATED;
    }
    pred_model *m;
    int32_t *rows;
    st = setup(h, w, maxval, &m, &rows);
    if (st != SDW_OK) {
        return st;
    }
    pred_coder cd;
    memset(&cd, 0, sizeof cd);
    cd.decoding = 1;
    sdw_adec_init(&cd.dec, in, len);
    st = traverse(&cd, m, img, img, mask, h, w, maxval, rows);
    if (st == SDW_OK && cd.dec.pos != len) {
        st = cd.dec.pos > len ? SDW_ETRUNCATED : SDW_ECORRUPT;
    }
    free(m);
    free(rows);
    return st;
}
