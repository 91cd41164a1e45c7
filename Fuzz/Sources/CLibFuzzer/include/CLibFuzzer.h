// libFuzzer's driver, for fuzz executables that bring their own main (SwiftPM gives every
// executable target one) and hand control to libFuzzer from it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
