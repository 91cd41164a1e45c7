// Tiny C helpers for Swift code that needs an instruction Swift does not expose.
#ifndef VIGIL_SUPPORT_H
#define VIGIL_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Hints the processor to start loading the cache line at `address` (for reading, no temporal
/// locality hint beyond the default). It never faults, whatever the address.
static inline void vigil_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

// Hamming-distance kernels over 256-bit hashes (four uint64_t words each, word 0 first), for
// VigilIndex's search loops. Each is compiled twice on x86-64, for the baseline CPU and with the
// POPCNT instruction, and picks the second at run time where the processor has it; a library
// therefore needs no CPU-specific compiler flags. Every kernel is exact: it writes the position
// and distance of every entry within `radius`, in input order, and returns how many it wrote.
// The output arrays must have room for as many entries as the input has.

/// Whether the kernels use the processor's population-count instruction (for logs and benchmarks).
int vigil_hamming_uses_popcnt(void);

/// Entries `first..<end` of `hashes`, compared with `query`.
size_t vigil_hamming_scan(const uint64_t *hashes, size_t first, size_t end, const uint64_t *query, int radius,
                          uint32_t *out_positions, uint32_t *out_distances);

/// The entries at `positions[0..<count]` of `hashes`, compared with `query` (the full hash of each is
/// prefetched a few positions ahead).
size_t vigil_hamming_verify(const uint64_t *hashes, const uint32_t *positions, size_t count, const uint64_t *query,
                            int radius, uint32_t *out_positions, uint32_t *out_distances);

/// A multi-index search's candidate sweep over an index with candidate filters. `ranges` holds
/// `count` buckets as (start, end, table) triples. A bucket of table 0, or of a table whose
/// `filters[table]` is NULL, holds entry positions `start..<end` directly; a bucket of another table
/// holds slots whose entry is `postings[table][slot]` and whose 128-bit filter
/// `filters[table][2 * slot ...]` must be within `radius` of `halves[2 * table ...]` before the
/// full hash is read. Buckets are prefetched `16` ahead. Also writes each survivor's table.
size_t vigil_hamming_sweep(const intptr_t *ranges, size_t count, const uint64_t *hashes,
                           const uint64_t *const *filters, const uint32_t *const *postings, const uint64_t *halves,
                           const uint64_t *query, int radius, uint32_t *out_positions, uint32_t *out_distances,
                           uint32_t *out_tables);

/// `vigil_hamming_scan` in a chosen variant, for tests that check both on one machine: `popcnt` 0 is
/// the baseline CPU's, 1 the POPCNT one (the baseline's where `vigil_hamming_uses_popcnt` is 0).
size_t vigil_hamming_scan_variant(int popcnt, const uint64_t *hashes, size_t first, size_t end, const uint64_t *query,
                                  int radius, uint32_t *out_positions, uint32_t *out_distances);

/// `vigil_hamming_verify` in a chosen variant (as `vigil_hamming_scan_variant`).
size_t vigil_hamming_verify_variant(int popcnt, const uint64_t *hashes, const uint32_t *positions, size_t count,
                                    const uint64_t *query, int radius, uint32_t *out_positions,
                                    uint32_t *out_distances);

#endif
