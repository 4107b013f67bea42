/* Shared helpers of the libFuzzer targets (csrc/fuzz/fuzz_*.c).
 *
 * Every target reads a fixed-size prefix of parameter bytes (geometry, levels, bounds, a mask
 * description), maps each onto the range the Python layer accepts, and gives the rest of the
 * input to the decoder as the stream, in place: libFuzzer's buffer is exactly `size` bytes, so
 * AddressSanitizer reports a single byte read past the stream. Bytes missing from a short
 * input read as zero. The byte layout of each target is mirrored in tests/fuzz/layouts.py (the
 * corpus generator and the replay test use it); change both together.
 *
 * A violated property aborts with its location, which libFuzzer reports as a crash and saves
 * as a reproducer. */
#ifndef SDW_FUZZ_COMMON_H
#define SDW_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdw_status.h"

/* Largest side of a fuzzed image: small, so that one execution takes about a millisecond
 * under the sanitizers (a 256 x 256 EZW decode takes 30 ms there; coverage is the same). */
#define FZ_MAX_SIDE 128

/* An image side from one parameter byte: 1..FZ_MAX_SIDE. */
static inline size_t fz_side(uint8_t b) { return (size_t)(b % FZ_MAX_SIDE) + 1; }

typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline uint8_t fz_u8(fz_in *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static inline uint16_t fz_u16(fz_in *in)
{
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | (uint16_t)(fz_u8(in) << 8));
}

static inline uint32_t fz_u32(fz_in *in)
{
    uint32_t lo = fz_u16(in);
    return lo | ((uint32_t)fz_u16(in) << 16);
}

/* Round trips code an image as large as the input describes: h is cut to the rows whose w
 * items (of `item` bytes each) are all present, keeping at least one row. */
static inline size_t fz_fit_rows(size_t h, size_t w, size_t avail, size_t item)
{
    size_t rows = avail / item / w;
    return rows < 1 ? 1 : (rows < h ? rows : h);
}

/* Skips the first `k` bytes (the parameters), however many of them the input has: the rest of
 * the input is the stream. */
static inline fz_in fz_rest(const uint8_t *data, size_t size, size_t k)
{
    fz_in r = {data + (size < k ? size : k), size < k ? 0 : size - k};
    return r;
}

/* A 32-bit mix of (seed, i); layouts.py's fz_hash computes the same values. */
static inline uint32_t fz_hash(uint32_t seed, uint32_t i)
{
    uint32_t x = i * 0x9E3779B1u ^ (seed * 0x85EBCA77u + 0x165667B1u);
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 12;
    x *= 0x297A2D39u;
    x ^= x >> 15;
    return x;
}

/* Fills mask[h * w] with 0 / 1: blocks of 2^block x 2^block pixels, each in the set when its
 * hash (low byte) is below `density` (0: empty set, 255: almost full). */
static inline void fz_mask(uint8_t *mask, size_t h, size_t w, uint8_t seed, uint8_t density,
                           unsigned block)
{
    size_t bw = (w >> block) + 1;
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++) {
            uint32_t cell = (uint32_t)((y >> block) * bw + (x >> block));
            mask[y * w + x] = (uint8_t)((fz_hash(seed, cell) & 0xFFu) < density);
        }
    }
}

#define FZ_CHECK(cond)                                                                         \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);  \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A decoder's status: `allowed` is a bit set of the statuses it may return (1u << status). */
#define FZ_STATUS(st, allowed)                                                                 \
    do {                                                                                       \
        if (!((1u << (unsigned)(st)) & (allowed))) {                                           \
            fprintf(stderr, "fuzz: unexpected status %d (%s) at %s:%d\n", (int)(st),           \
                    sdw_strerror((int)(st)), __FILE__, __LINE__);                              \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define FZ_BIT(st) (1u << (unsigned)(st))

#endif
