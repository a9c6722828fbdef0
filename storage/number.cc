// DynamoDB number normalization, comparison, arithmetic and ordered encoding. Pure functions.
#include "storage/number.h"

#include "absl/status/status.h"

namespace globaltable::storage {

absl::StatusOr<std::string> NormalizeNumber(absl::string_view text) {
  return absl::UnimplementedError("NormalizeNumber");
}
int CompareNumbers(absl::string_view a, absl::string_view b) { return a.compare(b); }
absl::StatusOr<std::string> AddNumbers(absl::string_view a, absl::string_view b) {
  return absl::UnimplementedError("AddNumbers");
}
absl::StatusOr<std::string> SubtractNumbers(absl::string_view a, absl::string_view b) {
  return absl::UnimplementedError("SubtractNumbers");
}
void AppendOrderedNumber(absl::string_view normalized, std::string* out) {}
absl::StatusOr<std::string> ConsumeOrderedNumber(absl::string_view* in) {
  return absl::UnimplementedError("ConsumeOrderedNumber");
}

}  // namespace globaltable::storage
