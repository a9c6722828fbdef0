// ConflictLog: the bounded record of writes that lost last-writer-wins, newest first, with a
// counter of every conflict ever recorded (the ring forgets, the counter does not).
// Internal to storage/.
//
//   ConflictLog log(1000);
//   log.Record(std::move(record));
//   std::vector<ConflictRecord> recent = log.Recent();   // newest first
//
// Thread-safety: thread-safe.
#ifndef GLOBALTABLE_STORAGE_CONFLICT_LOG_H_
#define GLOBALTABLE_STORAGE_CONFLICT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/globaltable.pb.h"
#include "storage/store.h"

namespace globaltable::storage {

class ConflictLog {
 public:
  explicit ConflictLog(size_t capacity) : capacity_(capacity) {}

  void Record(ConflictRecord record);
  std::vector<ConflictRecord> Recent() const;
  uint64_t total() const;
  std::vector<ConflictCount> Counts() const;  // sorted by (loser region, table)

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<ConflictRecord> ring_ ABSL_GUARDED_BY(mu_);  // front = newest
  uint64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<clock::RegionId, std::string>, uint64_t> counts_ ABSL_GUARDED_BY(mu_);
};

// A readable rendering of key attributes for logs: pk="a" sk=3 (B values as hex).
std::string DescribeKey(const proto::Item& key);

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_CONFLICT_LOG_H_
