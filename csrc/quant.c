#include "quant.h"

#include <math.h>

sdw_status sdw_quantize(const double *x, size_t n, double step, int32_t *q)
{
    if ((n > 0 && (x == NULL || q == NULL)) || !(step > 0.0) || !isfinite(step)) {
        return SDW_EINVAL;
    }
    const double inv = 1.0 / step;
    const double lim = 1073741824.0; /* 2^30 */
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]) * inv;
        if (!(a < lim)) { /* also catches NaN */
            return isnan(a) ? SDW_EINVAL : SDW_ERANGE;
        }
        int32_t m = (int32_t)a; /* truncation == floor for a >= 0 */
        q[i] = x[i] < 0.0 ? -m : m;
    }
    return SDW_OK;
}

sdw_status sdw_dequantize(const int32_t *q, const uint8_t *lp, size_t n, double step,
                          double r_known, double r_part, double *out)
{
    if ((n > 0 && (q == NULL || out == NULL)) || !(step > 0.0) || !isfinite(step) ||
        !(r_known >= 0.0 && r_known < 1.0) || !(r_part >= 0.0 && r_part < 1.0)) {
        return SDW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t v = q[i];
        if (v == 0) {
            out[i] = 0.0;
            continue;
        }
        unsigned p = lp ? lp[i] : 0u;
        if (p > 30) {
            return SDW_EINVAL;
        }
        double mag = (double)(v < 0 ? -(int64_t)v : (int64_t)v);
        mag += p == 0 ? r_known : r_part * (double)((int64_t)1 << p);
        out[i] = (v < 0 ? -mag : mag) * step;
    }
    return SDW_OK;
}
