/* libFuzzer target: the rANS decoder of the learned background codec (rans.h).
 *
 * Input layout (tests/fuzz/layouts.py mirrors it):
 *   [0] mode: bit 0 round trip, bit 1 corrupt one table entry ([13], [14])
 *   [1] number of tables - 1, modulo 4 (1..4)
 *   [2..5] table lengths - 2, modulo 32 (2..33 symbols, the last the escape)
 *   [6..9] table offsets, int8, times 3
 *   [10..11] number of values, LE, modulo 1025 (0..1024)
 *   [12] seed of the table index: value i uses table fz_hash(seed, i) % tables
 *   [13] entry to corrupt (modulo the row length), [14] int8 added to it
 *   then, for each table, one byte per symbol: its frequency weight - 1; the CDF is
 *     c[k] = floor(65536 * (w_0 + ... + w_(k-1)) / (w_0 + ... + w_(L-1)))
 *   then decoding: the stream; round trip: the values, one int8 each (offset + it), or, for
 *     the byte 0x80, an escape: the next int32 LE modulo 2^28
 *
 * Decoding: bad tables are SDW_EINVAL (exactly when sdw_rans_check_tables says so); otherwise
 * SDW_OK, SDW_ETRUNCATED or SDW_ECORRUPT, and values decoded with SDW_OK re-encode to a stream
 * that decodes to them. Round trip: exact; refused without its last byte (SDW_ETRUNCATED)
 * and with a byte more (SDW_ECORRUPT). */
#include "fuzz_common.h"
#include "rans.h"

#define PREFIX 15
#define MAX_TABLES 4
#define MAX_LEN 33
#define MAX_VALUES 1024

typedef struct model {
    int32_t cdfs[MAX_TABLES * (MAX_LEN + 1)];
    int32_t lengths[MAX_TABLES], offsets[MAX_TABLES];
    int32_t index[MAX_VALUES];
    size_t n;
    sdw_rans_tables t;
} model;

static void build(model *m, fz_in *in)
{
    unsigned mode = fz_u8(in);
    size_t nt = (size_t)(fz_u8(in) % MAX_TABLES) + 1;
    for (size_t k = 0; k < MAX_TABLES; k++) m->lengths[k] = (int32_t)(fz_u8(in) % 32u) + 2;
    for (size_t k = 0; k < MAX_TABLES; k++) m->offsets[k] = (int32_t)(int8_t)fz_u8(in) * 3;
    m->n = (size_t)(fz_u16(in) % (MAX_VALUES + 1));
    uint8_t seed = fz_u8(in), entry = fz_u8(in);
    int32_t delta = (int8_t)fz_u8(in);
    memset(m->cdfs, 0, sizeof m->cdfs);
    for (size_t k = 0; k < nt; k++) {
        uint32_t wts[MAX_LEN], total = 0;
        int32_t len = m->lengths[k];
        for (int32_t s = 0; s < len; s++) total += wts[s] = (uint32_t)fz_u8(in) + 1u;
        int32_t *c = m->cdfs + k * (MAX_LEN + 1);
        uint32_t acc = 0;
        for (int32_t s = 0; s < len; s++) {
            acc += wts[s];
            c[s + 1] = (int32_t)(((uint64_t)acc << SDW_RANS_PRECISION) / total);
        }
    }
    if (mode & 2u) {
        m->cdfs[entry % (MAX_LEN + 1)] += delta;
    }
    for (size_t i = 0; i < m->n; i++) m->index[i] = (int32_t)(fz_hash(seed, (uint32_t)i) % nt);
    m->t.cdfs = m->cdfs;
    m->t.stride = MAX_LEN + 1;
    m->t.lengths = m->lengths;
    m->t.offsets = m->offsets;
    m->t.n_tables = nt;
}

/* Encodes values[0..n) and checks that the stream decodes back to them. */
static void encode_decode(const model *m, const int32_t *values, int check_cuts)
{
    size_t bound, len = 0;
    FZ_STATUS(sdw_rans_bound(m->n, &bound), FZ_BIT(SDW_OK));
    uint8_t *out = malloc(bound);
    int32_t *back = malloc((m->n ? m->n : 1) * sizeof *back);
    FZ_CHECK(out != NULL && back != NULL);
    FZ_STATUS(sdw_rans_encode(values, m->index, m->n, &m->t, out, bound, &len), FZ_BIT(SDW_OK));
    uint8_t *in = malloc(len + 1);
    FZ_CHECK(in != NULL);
    memcpy(in, out, len);
    FZ_STATUS(sdw_rans_decode(in, len, m->index, m->n, &m->t, back), FZ_BIT(SDW_OK));
    FZ_CHECK(m->n == 0 || memcmp(values, back, m->n * sizeof *back) == 0);
    if (check_cuts) {
        FZ_STATUS(sdw_rans_decode(in, len - 1, m->index, m->n, &m->t, back),
                  FZ_BIT(SDW_ETRUNCATED));
        in[len] = 0xA5;
        FZ_STATUS(sdw_rans_decode(in, len + 1, m->index, m->n, &m->t, back),
                  FZ_BIT(SDW_ECORRUPT));
    }
    free(in);
    free(back);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    unsigned mode = size ? data[0] : 0u;
    model m;
    build(&m, &in);
    int32_t values[MAX_VALUES];
    sdw_status tables = sdw_rans_check_tables(&m.t);
    FZ_STATUS(tables, FZ_BIT(SDW_OK) | FZ_BIT(SDW_EINVAL));
    FZ_CHECK(tables == SDW_OK || (mode & 2u));
    if (mode & 1u) {
        if (tables != SDW_OK) return 0;
        for (size_t i = 0; i < m.n; i++) {
            int32_t k = m.index[i], b = (int8_t)fz_u8(&in);
            values[i] = b != -128 ? m.offsets[k] + b
                                  : (int32_t)(fz_u32(&in) % (2u * SDW_RANS_MAX_VALUE + 1u)) -
                                        SDW_RANS_MAX_VALUE;
        }
        encode_decode(&m, values, 1);
        return 0;
    }
    sdw_status st = sdw_rans_decode(in.n ? in.p : NULL, in.n, m.index, m.n, &m.t, values);
    if (tables != SDW_OK) {
        FZ_STATUS(st, FZ_BIT(SDW_EINVAL));
        return 0;
    }
    FZ_STATUS(st, FZ_BIT(SDW_OK) | FZ_BIT(SDW_ETRUNCATED) | FZ_BIT(SDW_ECORRUPT));
    if (st == SDW_OK) {
        for (size_t i = 0; i < m.n; i++) {
            FZ_CHECK(values[i] >= -SDW_RANS_MAX_VALUE && values[i] <= SDW_RANS_MAX_VALUE);
        }
        encode_decode(&m, values, 0);
    }
    return 0;
}
