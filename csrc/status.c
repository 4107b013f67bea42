#include "sdw_status.h"

const char *sdw_strerror(int status)
{
    switch (status) {
    case SDW_OK: return "success";
    case SDW_EINVAL: return "invalid argument";
    case SDW_ENOMEM: return "out of memory";
    case SDW_EOVERFLOW: return "size computation overflows";
    case SDW_ELIMIT: return "size exceeds the codec's limits";
    case SDW_EBUFSIZE: return "output buffer too small";
    case SDW_ECORRUPT: return "corrupt stream";
    case SDW_ERANGE: return "value out of representable range";
    case SDW_ETRUNCATED: return "stream truncated";
    default: return "unknown status";
    }
}
