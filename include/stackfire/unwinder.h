// Turns a RawSample into a list of program counters, leaf first.
//
// pcs[0] is the sampled instruction pointer; every later pc is a return
// address (the symbolizer looks those up at pc - 1). Unwinders read memory
// only from the sample's stack copy and from the mapped ELF files, never from
// the live process, so a recorded sample unwinds the same way later.
#ifndef STACKFIRE_UNWINDER_H_
#define STACKFIRE_UNWINDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "stackfire/process_maps.h"
#include "stackfire/raw_sample.h"

namespace stackfire {

enum class UnwindOutcome {
  kComplete,   // reached the outermost frame (CFI says the return address is undefined)
  kTruncated,  // ran off the end of the stack copy (dyn_size or the copy size)
  kFailed,     // no CFI or a bad frame before the end; pcs holds what was found
};

class Unwinder {
 public:
  virtual ~Unwinder() = default;
  // Appends to *pcs (cleared first). Never throws; never reads the target.
  virtual UnwindOutcome Unwind(const RawSample& sample, const ProcessMaps& maps,
                               std::vector<uint64_t>* pcs) = 0;
  // Problems met with the target's files so far (unreadable or corrupt ELF,
  // no unwind information), one line per file, for the end-of-run summary.
  virtual void AppendWarnings(std::vector<std::string>* out) const { (void)out; }
};

}  // namespace stackfire

#endif  // STACKFIRE_UNWINDER_H_
