// Checks the C kernels as the release build compiles them (SwiftPM's -O2 objects of CPDQKernels and
// CVigilSupport, linked in by scripts/check-kernels.sh), every variant this processor can run,
// against plain reference loops built here without optimisation or contraction. The Swift tests
// (LumaKernelTests, HammingKernelTests) run in the debug build, whose C is compiled at -O0, so
// they never see the vectorised code; this does. Exit status 0 when every result is the same.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdq_kernels.h"
#include "vigil_support.h"

#pragma STDC FP_CONTRACT OFF

static float reference_float32(uint8_t r, uint8_t g, uint8_t b) {
    float red = 0.299f * (float)r;
    float green = 0.587f * (float)g;
    float blue = 0.114f * (float)b;
    return (red + green) + blue;
}

static float reference_float64(uint8_t r, uint8_t g, uint8_t b) {
    double red = (double)r * 0.299;
    double green = (double)g * 0.587;
    double blue = (double)b * 0.114;
    return (float)((red + green) + blue);
}

typedef void (*LumaKernel)(int simd, const uint8_t *rgb, float *luma, size_t count);
typedef float (*LumaReference)(uint8_t r, uint8_t g, uint8_t b);

// Colours whose luma differs in any bit from the reference: all 2^24 (a row of 65,536 per red,
// started one byte in, so the rows are unaligned), then rows of 1 to 40 pixels and their tails.
static long luma_mismatches(LumaKernel kernel, LumaReference reference, int simd) {
    enum { ROW = 65536 };
    uint8_t *bytes = malloc(ROW * 3 + 1);
    float *luma = malloc((ROW + 1) * sizeof(float));
    if (!bytes || !luma) {
        fprintf(stderr, "check_kernels: out of memory\n");
        exit(2);
    }
    long mismatches = 0;
    for (int red = 0; red < 256; red++) {
        for (int i = 0; i < ROW; i++) {
            bytes[1 + 3 * i] = (uint8_t)red;
            bytes[1 + 3 * i + 1] = (uint8_t)(i >> 8);
            bytes[1 + 3 * i + 2] = (uint8_t)(i & 255);
        }
        kernel(simd, bytes + 1, luma, ROW);
        for (int i = 0; i < ROW; i++) {
            float expected = reference(bytes[1 + 3 * i], bytes[1 + 3 * i + 1], bytes[1 + 3 * i + 2]);
            if (memcmp(&expected, &luma[i], sizeof expected) != 0) mismatches++;
        }
    }
    uint64_t state = 13;
    for (size_t width = 1; width <= 40; width++) {
        for (size_t i = 0; i < width * 3; i++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            bytes[1 + i] = (uint8_t)(state >> 56);
        }
        const float sentinel = -1.0f;
        luma[width] = sentinel;
        kernel(simd, bytes + 1, luma, width);
        for (size_t i = 0; i < width; i++) {
            float expected = reference(bytes[1 + 3 * i], bytes[1 + 3 * i + 1], bytes[1 + 3 * i + 2]);
            if (memcmp(&expected, &luma[i], sizeof expected) != 0) mismatches++;
        }
        if (luma[width] != sentinel) mismatches++;  // wrote past the row
    }
    free(bytes);
    free(luma);
    return mismatches;
}

static uint64_t next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t reference_distance(const uint64_t *a, const uint64_t *b) {
    uint32_t distance = 0;
    for (int w = 0; w < 4; w++)
        for (uint64_t x = a[w] ^ b[w]; x; x &= x - 1) distance++;
    return distance;
}

// Scan and verify results that differ from the reference, over near and random queries at radii
// 0 to 256.
static long hamming_mismatches(int popcnt) {
    enum { COUNT = 4000, LISTED = 1000 };
    static uint64_t hashes[COUNT * 4];
    static uint32_t positions[COUNT], distances[COUNT], listed[LISTED];
    uint64_t state = 21;
    for (int i = 0; i < COUNT; i++) {
        for (int w = 0; w < 4; w++) hashes[4 * i + w] = next(&state);
        if (i % 20 != 0) {  // near the cluster's first hash: a few bits flipped
            memcpy(&hashes[4 * i], &hashes[4 * (i - i % 20)], 4 * sizeof(uint64_t));
            int flips = (int)(next(&state) % 40) + 1;
            for (int f = 0; f < flips; f++) {
                uint64_t bit = next(&state) % 256;
                hashes[4 * i + bit / 64] ^= (uint64_t)1 << (bit % 64);
            }
        }
    }
    for (int i = 0; i < LISTED; i++) listed[i] = (uint32_t)(next(&state) % COUNT);
    long mismatches = 0;
    const int radii[] = {0, 8, 31, 64, 90, 128, 256};
    for (int q = 0; q < 24; q++) {
        uint64_t query[4];
        const uint64_t *base = &hashes[4 * (next(&state) % COUNT)];
        for (int w = 0; w < 4; w++) query[w] = q % 2 ? next(&state) : base[w] ^ (next(&state) & next(&state) & next(&state));
        for (size_t r = 0; r < sizeof radii / sizeof radii[0]; r++) {
            int radius = radii[r];
            size_t first = 7, end = COUNT - 5;
            size_t found = vigil_hamming_scan_variant(popcnt, hashes, first, end, query, radius, positions, distances);
            size_t n = 0;
            for (size_t i = first; i < end; i++) {
                uint32_t d = reference_distance(&hashes[4 * i], query);
                if ((int)d > radius) continue;
                if (n >= found || positions[n] != i || distances[n] != d) mismatches++;
                n++;
            }
            if (n != found) mismatches++;
            found = vigil_hamming_verify_variant(popcnt, hashes, listed, LISTED, query, radius, positions, distances);
            n = 0;
            for (size_t i = 0; i < LISTED; i++) {
                uint32_t d = reference_distance(&hashes[4 * listed[i]], query);
                if ((int)d > radius) continue;
                if (n >= found || positions[n] != listed[i] || distances[n] != d) mismatches++;
                n++;
            }
            if (n != found) mismatches++;
        }
    }
    return mismatches;
}

int main(void) {
    long failures = 0;
    int simd_variants = vigil_pdq_kernels_use_avx2() ? 2 : 1;
    for (int simd = 0; simd < simd_variants; simd++) {
        const char *name = simd ? "avx2" : "baseline";
        long m32 = luma_mismatches(vigil_luma_rgb24_float32_variant, reference_float32, simd);
        long m64 = luma_mismatches(vigil_luma_rgb24_float64_variant, reference_float64, simd);
        printf("kernel check: luma %-8s float32 %ld, float64 %ld mismatches of 16777216 colours and 820 short-row pixels\n",
               name, m32, m64);
        failures += m32 + m64;
    }
    int popcnt_variants = vigil_hamming_uses_popcnt() ? 2 : 1;
    for (int popcnt = 0; popcnt < popcnt_variants; popcnt++) {
        long m = hamming_mismatches(popcnt);
        printf("kernel check: hamming %-8s %ld mismatches (scan and verify, 24 queries, 7 radii)\n",
               popcnt ? "popcnt" : "portable", m);
        failures += m;
    }
    if (simd_variants == 1) printf("kernel check: no AVX2 on this processor: only the baseline luma variant ran\n");
    if (popcnt_variants == 1) printf("kernel check: no POPCNT on this processor: only the portable hamming variant ran\n");
    return failures == 0 ? 0 : 1;
}
