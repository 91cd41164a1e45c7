// The kernels declared in include/pdq_kernels.h, laid out as CVigilSupport's are. Each body is
// written once as an always-inline function; `PDQ_KERNELS` wraps them for the baseline CPU and, on
// x86-64, with `target("avx2")`, where clang's vectoriser turns the stride-3 byte loads into
// shuffles. `PDQ_DISPATCH` picks the variant per call with `__builtin_cpu_supports`, which reads a
// flag set once at load time; `PDQ_VARIANT` lets the tests pick the baseline one on any machine.
#include "pdq_kernels.h"

// The reference rounds every product and every sum: no fused multiply-add may merge them.
#pragma STDC FP_CONTRACT OFF

#define VIGIL_INLINE static inline __attribute__((always_inline))

VIGIL_INLINE void luma_float32_body(const uint8_t *restrict rgb, float *restrict luma, size_t count) {
    for (size_t i = 0; i < count; i++) {
        float red = 0.299f * (float)rgb[3 * i];
        float green = 0.587f * (float)rgb[3 * i + 1];
        float blue = 0.114f * (float)rgb[3 * i + 2];
        luma[i] = (red + green) + blue;
    }
}

VIGIL_INLINE void luma_float64_body(const uint8_t *restrict rgb, float *restrict luma, size_t count) {
    for (size_t i = 0; i < count; i++) {
        double red = (double)rgb[3 * i] * 0.299;
        double green = (double)rgb[3 * i + 1] * 0.587;
        double blue = (double)rgb[3 * i + 2] * 0.114;
        luma[i] = (float)((red + green) + blue);
    }
}

// Both kernels, once per variant: `suffix` names it, `attributes` carries its target.
#define PDQ_KERNELS(suffix, attributes)                                                                    \
    attributes static void luma_float32_##suffix(const uint8_t *rgb, float *luma, size_t count) {          \
        luma_float32_body(rgb, luma, count);                                                               \
    }                                                                                                      \
    attributes static void luma_float64_##suffix(const uint8_t *rgb, float *luma, size_t count) {          \
        luma_float64_body(rgb, luma, count);                                                               \
    }

PDQ_KERNELS(baseline, )

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
PDQ_KERNELS(avx2, __attribute__((target("avx2"))))

static inline int has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#define PDQ_VARIANT(call, simd) ((simd) && has_avx2() ? call##_avx2 : call##_baseline)
#else
static inline int has_avx2(void) { return 0; }
#define PDQ_VARIANT(call, simd) ((void)(simd), call##_baseline)
#endif
#define PDQ_DISPATCH(call) PDQ_VARIANT(call, 1)

int vigil_pdq_kernels_use_avx2(void) { return has_avx2(); }

void vigil_luma_rgb24_float32(const uint8_t *rgb, float *luma, size_t count) {
    PDQ_DISPATCH(luma_float32)(rgb, luma, count);
}

void vigil_luma_rgb24_float64(const uint8_t *rgb, float *luma, size_t count) {
    PDQ_DISPATCH(luma_float64)(rgb, luma, count);
}

void vigil_luma_rgb24_float32_variant(int simd, const uint8_t *rgb, float *luma, size_t count) {
    PDQ_VARIANT(luma_float32, simd)(rgb, luma, count);
}

void vigil_luma_rgb24_float64_variant(int simd, const uint8_t *rgb, float *luma, size_t count) {
    PDQ_VARIANT(luma_float64, simd)(rgb, luma, count);
}
