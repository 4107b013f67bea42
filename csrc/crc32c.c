#include "crc32c.h"

/* Slicing-by-8 over tables computed on the fly into a caller-invisible local: no global
 * state, so the tables are built per call for long inputs and a bytewise loop is used for
 * short ones (the table build costs ~8 KiB of work, worth it above a few KiB). */

#define POLY 0x82F63B78u

static uint32_t crc_bytewise(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (POLY & (0u - (crc & 1u)));
        }
    }
    return crc;
}

uint32_t sdw_crc32c(uint32_t crc, const uint8_t *data, size_t len)
{
    crc = ~crc;
    if (len < 4096) {
        return ~crc_bytewise(crc, data, len);
    }
    uint32_t t[8][256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
        }
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int s = 1; s < 8; s++) {
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
        }
    }
    const uint8_t *p = data;
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^
              t[4][lo >> 24] ^ t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
        p += 8;
        len -= 8;
    }
    crc = crc_bytewise(crc, p, len);
    return ~crc;
}
