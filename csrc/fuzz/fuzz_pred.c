/* libFuzzer target: the predictive decoder (pred.h).
 *
 * Input layout (tests/fuzz/layouts.py mirrors it):
 *   [0] mode: bit 0 mask, bit 1 round trip
 *   [1] h, [2] w: fz_side (1..128)
 *   [3..4] maxval - 1, LE, modulo 65535 (maxval 1..65535, SDW_PRED_MAX_VALUE)
 *   [5] mask seed, [6] mask density, [7] mask block shift (modulo 4): see fz_mask
 *   [8..] decoding: the stream; round trip: uint16 LE samples, taken modulo maxval + 1, h cut
 *       to the complete rows present (fz_fit_rows)
 *
 * Decoding: SDW_OK, SDW_ETRUNCATED or SDW_ECORRUPT, and on SDW_OK every value (predictions
 * outside the mask included) lies in [0, maxval]. Round trip: the stream fits 48 bytes per
 * pixel (34 binary decisions of at most 10 bits each), decodes to the image inside the mask,
 * and is refused without its last byte or with a byte more. */
#include "fuzz_common.h"
#include "pred.h"

#define PREFIX 8

static void decode_stream(fz_in s, const uint8_t *mask, size_t h, size_t w, int32_t maxval)
{
    int32_t *img = malloc(h * w * sizeof *img);
    FZ_CHECK(img != NULL);
    sdw_status st = sdw_pred_decode(s.n ? s.p : NULL, s.n, mask, h, w, maxval, img);
    FZ_STATUS(st, FZ_BIT(SDW_OK) | FZ_BIT(SDW_ETRUNCATED) | FZ_BIT(SDW_ECORRUPT));
    if (st == SDW_OK) {
        for (size_t i = 0; i < h * w; i++) {
            FZ_CHECK(img[i] >= 0 && img[i] <= maxval);
        }
    }
    free(img);
}

static void round_trip(fz_in s, const uint8_t *mask, size_t h, size_t w, int32_t maxval)
{
    size_t n = h * w, cap = 48 * n + 64, len = 0;
    int32_t *img = malloc(n * sizeof *img), *dec = malloc(n * sizeof *dec);
    uint8_t *out = malloc(cap);
    FZ_CHECK(img != NULL && dec != NULL && out != NULL);
    for (size_t i = 0; i < n; i++) {
        img[i] = (int32_t)(fz_u16(&s) % (uint32_t)(maxval + 1));
    }
    FZ_STATUS(sdw_pred_encode(img, mask, h, w, maxval, out, cap, &len), FZ_BIT(SDW_OK));
    uint8_t *in = malloc(len + 1); /* the stream, exactly, then with one byte more */
    FZ_CHECK(in != NULL);
    memcpy(in, out, len);
    FZ_STATUS(sdw_pred_decode(in, len, mask, h, w, maxval, dec), FZ_BIT(SDW_OK));
    for (size_t i = 0; i < n; i++) {
        FZ_CHECK(mask == NULL || !mask[i] || dec[i] == img[i]);
    }
    if (len > 0) {
        sdw_status st = sdw_pred_decode(in, len - 1, mask, h, w, maxval, dec);
        FZ_STATUS(st, FZ_BIT(SDW_ETRUNCATED) | FZ_BIT(SDW_ECORRUPT));
    }
    in[len] = 0x5A;
    FZ_STATUS(sdw_pred_decode(in, len + 1, mask, h, w, maxval, dec), FZ_BIT(SDW_ECORRUPT));
    free(in);
    free(out);
    free(img);
    free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    unsigned mode = fz_u8(&in);
    size_t h = fz_side(fz_u8(&in)), w = fz_side(fz_u8(&in));
    int32_t maxval = (int32_t)(fz_u16(&in) % SDW_PRED_MAX_VALUE) + 1;
    uint8_t seed = fz_u8(&in), density = fz_u8(&in), block = fz_u8(&in);
    fz_in rest = fz_rest(data, size, PREFIX);
    if (mode & 2u) {
        h = fz_fit_rows(h, w, rest.n, 2);
    }
    uint8_t *mask = NULL;
    if (mode & 1u) {
        mask = malloc(h * w);
        FZ_CHECK(mask != NULL);
        fz_mask(mask, h, w, seed, density, block % 4u);
    }
    if (mode & 2u) {
        round_trip(rest, mask, h, w, maxval);
    } else {
        decode_stream(rest, mask, h, w, maxval);
    }
    free(mask);
    return 0;
}
