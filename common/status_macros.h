// Status propagation macros for absl::Status and absl::StatusOr<T>.
//
// Debian's Abseil (20220623) ships no status macros, so the project defines its own, once.
//
//   absl::Status Open() {
//     RETURN_IF_ERROR(CheckDir(dir));
//     ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Create(dir));
//     ...
//   }
//
// Thread-safety: macros only; nothing shared.
#ifndef GLOBALTABLE_COMMON_STATUS_MACROS_H_
#define GLOBALTABLE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GT_STATUS_CONCAT_INNER_(a, b) a##b
#define GT_STATUS_CONCAT_(a, b) GT_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the current function if it is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status gt_status_ = (expr);                \
    if (!gt_status_.ok()) return gt_status_;           \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the
// value into `lhs` (which may be a declaration such as `auto x`).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  GT_ASSIGN_OR_RETURN_IMPL_(GT_STATUS_CONCAT_(gt_statusor_, __LINE__), lhs, rexpr)

#define GT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()

#endif  // GLOBALTABLE_COMMON_STATUS_MACROS_H_
