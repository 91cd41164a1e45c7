// The helpers are static inline functions in include/vigil_support.h; SwiftPM needs one source file.
#include "vigil_support.h"
