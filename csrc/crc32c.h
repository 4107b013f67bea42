/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI and ext4.
 * sdw_crc32c(0, "123456789", 9) == 0xE3069283. Pass a previous result as `crc` to continue. */
#ifndef SDW_CRC32C_H
#define SDW_CRC32C_H
#include <stddef.h>
#include <stdint.h>

uint32_t sdw_crc32c(uint32_t crc, const uint8_t *data, size_t len);

#endif
