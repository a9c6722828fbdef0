// Bounded conflict log. Thread-safe; see conflict_log.h.
#include "storage/conflict_log.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace globaltable::storage {

void ConflictLog::Record(ConflictRecord record) {
  absl::MutexLock lock(&mu_);
  ++total_;
  ++counts_[{record.loser_region, record.table}];
  if (capacity_ == 0) return;
  ring_.push_front(std::move(record));
  while (ring_.size() > capacity_) ring_.pop_back();
}

std::vector<ConflictRecord> ConflictLog::Recent() const {
  absl::MutexLock lock(&mu_);
  return {ring_.begin(), ring_.end()};
}

uint64_t ConflictLog::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

std::vector<ConflictCount> ConflictLog::Counts() const {
  absl::MutexLock lock(&mu_);
  std::vector<ConflictCount> out;
  out.reserve(counts_.size());
  for (const auto& [key, count] : counts_) out.push_back({key.first, key.second, count});
  return out;
}

std::string DescribeKey(const proto::Item& key) {
  std::string out;
  for (const proto::Attribute& a : key.attributes()) {
    if (!out.empty()) out.push_back(' ');
    absl::StrAppend(&out, a.name(), "=");
    const proto::AttributeValue& v = a.value();
    switch (v.value_case()) {
      case proto::AttributeValue::kS:
        absl::StrAppend(&out, "\"", absl::CEscape(v.s()), "\"");
        break;
      case proto::AttributeValue::kN:
        absl::StrAppend(&out, v.n());
        break;
      case proto::AttributeValue::kB:
        absl::StrAppend(&out, "0x", absl::BytesToHexString(v.b()));
        break;
      default:
        absl::StrAppend(&out, "?");
    }
  }
  return out;
}

}  // namespace globaltable::storage
