// C kernels for VigilHash's PDQ pipeline: loops that Swift's baseline x86-64 code generation leaves
// slow (8-bit RGB triples to float luma needs byte shuffles that only SSSE3 and later have).
#ifndef VIGIL_PDQ_KERNELS_H
#define VIGIL_PDQ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Each kernel is compiled for the baseline CPU and, on x86-64, again with `target("avx2")`; the
// public function picks the second at run time where the processor has AVX2, so no target needs
// CPU-specific compiler flags. Both variants give the same bits: every product and sum is the one
// the reference computes, in its order and precision, and contraction into fused multiply-adds is
// off for the whole file.

/// Whether the kernels use AVX2 on this processor (for logs and benchmarks).
int vigil_pdq_kernels_use_avx2(void);

/// Luma of `count` packed RGB pixels (`rgb[3 * i]` red, then green, blue) with float32 products and
/// sums, left to right: `(0.299f * R + 0.587f * G) + 0.114f * B`, as Meta's C++
/// `fillFloatLumaFromRGB`.
void vigil_luma_rgb24_float32(const uint8_t *rgb, float *luma, size_t count);

/// Luma of `count` packed RGB pixels with float64 products and sums, rounded once to float32:
/// `float((R * 0.299 + G * 0.587) + B * 0.114)`, as pdqhash's (PyPI) numpy expression.
void vigil_luma_rgb24_float64(const uint8_t *rgb, float *luma, size_t count);

/// `vigil_luma_rgb24_float32` in a chosen variant, for tests that check both on one machine:
/// `simd` 0 is the baseline CPU's, 1 the AVX2 one. 1 runs the baseline where
/// `vigil_pdq_kernels_use_avx2` is 0 (the processor lacks AVX2, or the target is not x86-64).
void vigil_luma_rgb24_float32_variant(int simd, const uint8_t *rgb, float *luma, size_t count);

/// `vigil_luma_rgb24_float64` in a chosen variant (as `vigil_luma_rgb24_float32_variant`).
void vigil_luma_rgb24_float64_variant(int simd, const uint8_t *rgb, float *luma, size_t count);

#endif
