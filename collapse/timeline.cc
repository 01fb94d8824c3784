// See stackfire/timeline.h.
#include "stackfire/timeline.h"

#include <algorithm>

namespace stackfire {

void SortByTime(Timeline* timeline) {
  std::stable_sort(
      timeline->samples.begin(), timeline->samples.end(),
      [](const TimedSample& a, const TimedSample& b) { return a.time_ns < b.time_ns; });
}

}  // namespace stackfire
