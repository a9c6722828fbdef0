// Leader/follower group commit. Thread-safe; see writer_queue.h.
#include "storage/writer_queue.h"

#include <vector>

namespace globaltable::storage {

WriterQueue::WriterQueue(CommitFn commit, size_t max_group_size)
    : commit_(std::move(commit)), max_group_size_(max_group_size == 0 ? 1 : max_group_size) {}

absl::Status WriterQueue::Submit(Request* request) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(request);
  while (!request->done_ && queue_.front() != request) request->cv_.Wait(&mu_);
  if (request->done_) return request->result_;

  // This thread leads: take a run from the front. An exclusive request goes alone, and an
  // exclusive request behind the run ends it.
  std::vector<Request*> group;
  for (Request* r : queue_) {
    if (group.size() >= max_group_size_) break;
    if (r->exclusive() && !group.empty()) break;
    group.push_back(r);
    if (r->exclusive()) break;
  }

  // New arrivals queue up behind the group meanwhile; none of them can lead before the group
  // is popped, because the front of the queue stays this request.
  mu_.Unlock();
  const absl::Status status = commit_(absl::MakeConstSpan(group));
  mu_.Lock();

  ++groups_;
  for (Request* r : group) {
    queue_.pop_front();
    r->result_ = r->rejected() ? r->rejection_ : status;
    r->done_ = true;
    if (r != request) r->cv_.Signal();
  }
  if (!queue_.empty()) queue_.front()->cv_.Signal();
  return request->result_;
}

uint64_t WriterQueue::groups() const {
  absl::MutexLock lock(&mu_);
  return groups_;
}

size_t WriterQueue::pending() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace globaltable::storage
