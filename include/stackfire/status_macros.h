// Early-return helpers for absl::Status and absl::StatusOr.
//
// Debian 12's Abseil (20220623) ships no RETURN_IF_ERROR / ASSIGN_OR_RETURN,
// so stackfire keeps its own. Use them in setup and I/O code only; the hot
// path returns bool or std::optional and counts failures instead.
#ifndef STACKFIRE_STATUS_MACROS_H_
#define STACKFIRE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SF_CONCAT_INNER_(a, b) a##b
#define SF_CONCAT_(a, b) SF_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status sf_status_ = (expr);            \
    if (!sf_status_.ok()) return sf_status_;       \
  } while (0)

#define SF_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(*tmp)

#define ASSIGN_OR_RETURN(lhs, expr) \
  SF_ASSIGN_OR_RETURN_IMPL_(SF_CONCAT_(sf_statusor_, __LINE__), lhs, expr)

#endif  // STACKFIRE_STATUS_MACROS_H_
