// A hint travels with an absl::Status as a payload: the code that knows why
// something failed says what to do about it, and main prints it under the
// error ("stackfire: hint: ..."), as bpftrace's diagnostics do.
//
//   return WithHint(absl::InvalidArgumentError("-F must be at least 1 Hz"),
//                   "give samples per second per thread, e.g. -F 99");
//   PrintError(status.message(), HintOf(status));
#ifndef STACKFIRE_HINT_H_
#define STACKFIRE_HINT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace stackfire {

inline constexpr char kHintPayloadUrl[] = "type.stackfire/hint";

// status with hint attached (replacing any earlier one); an OK status or an
// empty hint is returned unchanged.
inline absl::Status WithHint(absl::Status status, std::string_view hint) {
  if (!status.ok() && !hint.empty()) {
    status.SetPayload(kHintPayloadUrl, absl::Cord(absl::string_view(hint.data(), hint.size())));
  }
  return status;
}

// The hint attached to status, or "" when there is none.
inline std::string HintOf(const absl::Status& status) {
  auto hint = status.GetPayload(kHintPayloadUrl);  // absl::optional<absl::Cord>
  return hint ? std::string(*hint) : std::string();
}

}  // namespace stackfire

#endif  // STACKFIRE_HINT_H_
