/* libFuzzer target: the binary-image (ROI mask) decoder (bitmap.h) and the arithmetic decoder
 * under it (arith.h).
 *
 * Input layout (tests/fuzz/layouts.py mirrors it):
 *   [0] mode: bit 0 round trip
 *   [1] h, [2] w: fz_side (1..128)
 *   [3..] decoding: the stream; round trip: the bitmap, one bit per pixel, LSB first
 *
 * Decoding: any stream decodes (SDW_OK) to 0 / 1 values. Round trip: the stream fits the
 * documented 2 * h * w + 16 bytes and decodes to the bitmap. */
#include "bitmap.h"
#include "fuzz_common.h"

#define PREFIX 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    unsigned mode = fz_u8(&in);
    size_t h = fz_side(fz_u8(&in)), w = fz_side(fz_u8(&in)), n = h * w;
    fz_in s = fz_rest(data, size, PREFIX);
    uint8_t *bits = malloc(n), *dec = malloc(n);
    FZ_CHECK(bits != NULL && dec != NULL);
    if (mode & 1u) {
        for (size_t i = 0; i < n; i++) {
            bits[i] = (uint8_t)((i / 8 < s.n ? s.p[i / 8] >> (i % 8) : 0) & 1u);
        }
        size_t cap = 2 * n + 16, len = 0;
        uint8_t *out = malloc(cap);
        FZ_CHECK(out != NULL);
        FZ_STATUS(sdw_bitmap_encode(bits, h, w, out, cap, &len), FZ_BIT(SDW_OK));
        uint8_t *exact = malloc(len ? len : 1);
        FZ_CHECK(exact != NULL);
        memcpy(exact, out, len);
        FZ_STATUS(sdw_bitmap_decode(len ? exact : NULL, len, h, w, dec), FZ_BIT(SDW_OK));
        FZ_CHECK(memcmp(bits, dec, n) == 0);
        free(exact);
        free(out);
    } else {
        FZ_STATUS(sdw_bitmap_decode(s.n ? s.p : NULL, s.n, h, w, dec), FZ_BIT(SDW_OK));
        for (size_t i = 0; i < n; i++) {
            FZ_CHECK(dec[i] <= 1u);
        }
    }
    free(bits);
    free(dec);
    return 0;
}
