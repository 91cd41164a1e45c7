// Tiny C helpers for Swift code that needs an instruction Swift does not expose.
#ifndef VIGIL_SUPPORT_H
#define VIGIL_SUPPORT_H

/// Hints the processor to start loading the cache line at `address` (for reading, no temporal
/// locality hint beyond the default). It never faults, whatever the address.
static inline void vigil_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
