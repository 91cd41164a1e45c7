// The Hamming-distance kernels declared in include/vigil_support.h (the other helpers there are
// static inline functions).
//
// Each kernel body is an always-inline function written once; thin wrappers compile it for the
// baseline CPU and, on x86-64, again with `target("popcnt")`, where `__builtin_popcountll`
// becomes the POPCNT instruction (the baseline x86-64 target has no population count and falls
// back to about a dozen bit operations per word). The public function picks a variant per call
// with `__builtin_cpu_supports`, which reads a flag set once at load time; the `_variant`
// functions let the tests run the baseline one on any machine.
#include "vigil_support.h"

#define VIGIL_INLINE static inline __attribute__((always_inline))

VIGIL_INLINE uint32_t distance256(const uint64_t *a, const uint64_t *b) {
    return (uint32_t)(__builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1])
                      + __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]));
}

VIGIL_INLINE size_t scan_body(const uint64_t *hashes, size_t first, size_t end, const uint64_t *query, int radius,
                              uint32_t *out_positions, uint32_t *out_distances) {
    size_t n = 0;
    for (size_t position = first; position < end; position++) {
        uint32_t distance = distance256(hashes + 4 * position, query);
        if ((int)distance <= radius) {
            out_positions[n] = (uint32_t)position;
            out_distances[n] = distance;
            n++;
        }
    }
    return n;
}

VIGIL_INLINE size_t verify_body(const uint64_t *hashes, const uint32_t *positions, size_t count,
                                const uint64_t *query, int radius, uint32_t *out_positions, uint32_t *out_distances) {
    enum { lookahead = 8 };
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (i + lookahead < count) vigil_prefetch(hashes + 4 * (size_t)positions[i + lookahead]);
        uint32_t position = positions[i];
        uint32_t distance = distance256(hashes + 4 * (size_t)position, query);
        if ((int)distance <= radius) {
            out_positions[n] = position;
            out_distances[n] = distance;
            n++;
        }
    }
    return n;
}

/// Prefetches the first (at most four) cache lines of bucket `r`.
VIGIL_INLINE void prefetch_bucket(const intptr_t *ranges, size_t r, const uint64_t *hashes,
                                  const uint64_t *const *filters) {
    intptr_t start = ranges[3 * r], end = ranges[3 * r + 1], table = ranges[3 * r + 2];
    const char *first;
    intptr_t bytes;
    if (table > 0 && filters[table] != NULL) {
        first = (const char *)(filters[table] + 2 * start);
        bytes = (end - start) * 16;
    } else {
        first = (const char *)(hashes + 4 * start);
        bytes = (end - start) * 32;
    }
    for (intptr_t offset = 0; offset < bytes && offset < 256; offset += 64) vigil_prefetch(first + offset);
}

VIGIL_INLINE size_t sweep_body(const intptr_t *ranges, size_t count, const uint64_t *hashes,
                               const uint64_t *const *filters, const uint32_t *const *postings,
                               const uint64_t *halves, const uint64_t *query, int radius, uint32_t *out_positions,
                               uint32_t *out_distances, uint32_t *out_tables) {
    enum { ahead = 16 };
    size_t n = 0;
    for (size_t r = 0; r < count && r < ahead; r++) prefetch_bucket(ranges, r, hashes, filters);
    for (size_t r = 0; r < count; r++) {
        if (r + ahead < count) prefetch_bucket(ranges, r + ahead, hashes, filters);
        intptr_t start = ranges[3 * r], end = ranges[3 * r + 1], table = ranges[3 * r + 2];
        const uint64_t *filter = table > 0 ? filters[table] : NULL;
        if (filter == NULL) {
            for (intptr_t slot = start; slot < end; slot++) {
                uint32_t distance = distance256(hashes + 4 * slot, query);
                if ((int)distance <= radius) {
                    out_positions[n] = (uint32_t)slot;
                    out_distances[n] = distance;
                    out_tables[n] = (uint32_t)table;
                    n++;
                }
            }
            continue;
        }
        const uint32_t *posting = postings[table];
        uint64_t half0 = halves[2 * table], half1 = halves[2 * table + 1];
        for (intptr_t slot = start; slot < end; slot++) {
            int near = __builtin_popcountll(filter[2 * slot] ^ half0) + __builtin_popcountll(filter[2 * slot + 1] ^ half1);
            if (near > radius) continue;
            uint32_t position = posting[slot];
            uint32_t distance = distance256(hashes + 4 * (size_t)position, query);
            if ((int)distance <= radius) {
                out_positions[n] = position;
                out_distances[n] = distance;
                out_tables[n] = (uint32_t)table;
                n++;
            }
        }
    }
    return n;
}

#define VIGIL_KERNELS(suffix, attributes)                                                                              \
    attributes static size_t scan_##suffix(const uint64_t *hashes, size_t first, size_t end, const uint64_t *query,     \
                                           int radius, uint32_t *out_positions, uint32_t *out_distances) {             \
        return scan_body(hashes, first, end, query, radius, out_positions, out_distances);                             \
    }                                                                                                                  \
    attributes static size_t verify_##suffix(const uint64_t *hashes, const uint32_t *positions, size_t count,           \
                                             const uint64_t *query, int radius, uint32_t *out_positions,              \
                                             uint32_t *out_distances) {                                                \
        return verify_body(hashes, positions, count, query, radius, out_positions, out_distances);                     \
    }                                                                                                                  \
    attributes static size_t sweep_##suffix(const intptr_t *ranges, size_t count, const uint64_t *hashes,              \
                                            const uint64_t *const *filters, const uint32_t *const *postings,           \
                                            const uint64_t *halves, const uint64_t *query, int radius,                 \
                                            uint32_t *out_positions, uint32_t *out_distances, uint32_t *out_tables) {  \
        return sweep_body(ranges, count, hashes, filters, postings, halves, query, radius, out_positions,              \
                          out_distances, out_tables);                                                                  \
    }

VIGIL_KERNELS(portable, )

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
VIGIL_KERNELS(popcnt, __attribute__((target("popcnt"))))

static inline int has_popcnt(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt");
}
#define VIGIL_VARIANT(call, popcnt) ((popcnt) && has_popcnt() ? call##_popcnt : call##_portable)
#else
static inline int has_popcnt(void) { return 0; }
#define VIGIL_VARIANT(call, popcnt) ((void)(popcnt), call##_portable)
#endif
#define VIGIL_DISPATCH(call) VIGIL_VARIANT(call, 1)

int vigil_hamming_uses_popcnt(void) { return has_popcnt(); }

size_t vigil_hamming_scan(const uint64_t *hashes, size_t first, size_t end, const uint64_t *query, int radius,
                          uint32_t *out_positions, uint32_t *out_distances) {
    return VIGIL_DISPATCH(scan)(hashes, first, end, query, radius, out_positions, out_distances);
}

size_t vigil_hamming_verify(const uint64_t *hashes, const uint32_t *positions, size_t count, const uint64_t *query,
                            int radius, uint32_t *out_positions, uint32_t *out_distances) {
    return VIGIL_DISPATCH(verify)(hashes, positions, count, query, radius, out_positions, out_distances);
}

size_t vigil_hamming_sweep(const intptr_t *ranges, size_t count, const uint64_t *hashes,
                           const uint64_t *const *filters, const uint32_t *const *postings, const uint64_t *halves,
                           const uint64_t *query, int radius, uint32_t *out_positions, uint32_t *out_distances,
                           uint32_t *out_tables) {
    return VIGIL_DISPATCH(sweep)(ranges, count, hashes, filters, postings, halves, query, radius, out_positions,
                                 out_distances, out_tables);
}

size_t vigil_hamming_scan_variant(int popcnt, const uint64_t *hashes, size_t first, size_t end, const uint64_t *query,
                                  int radius, uint32_t *out_positions, uint32_t *out_distances) {
    return VIGIL_VARIANT(scan, popcnt)(hashes, first, end, query, radius, out_positions, out_distances);
}

size_t vigil_hamming_verify_variant(int popcnt, const uint64_t *hashes, const uint32_t *positions, size_t count,
                                    const uint64_t *query, int radius, uint32_t *out_positions,
                                    uint32_t *out_distances) {
    return VIGIL_VARIANT(verify, popcnt)(hashes, positions, count, query, radius, out_positions, out_distances);
}
