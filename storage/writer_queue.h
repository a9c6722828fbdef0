// WriterQueue: leader/follower group commit (the pattern of LevelDB's DBImpl::Write).
//
// Threads that want to commit enqueue a Request and wait. The thread at the front becomes the
// leader: it takes a run of queued requests (the group), releases the queue lock, and hands
// the whole group to the commit function, which stamps and writes them as one unit. The
// followers of the group are then woken with the outcome and the next leader starts. Only one
// commit function runs at a time, so whatever it assigns (timestamps, sequences) is assigned
// in queue order with no holes.
//
//   WriterQueue queue([&](absl::Span<WriterQueue::Request* const> group) {
//     for (auto* r : group) AppendTo(&batch, r);        // may r->Reject(status) one request
//     return db->Write(batch);                            // the outcome of every request
//   });
//   MyRequest r(...);
//   absl::Status s = queue.Submit(&r);                    // blocks until r is committed
//
// A request marked exclusive forms a group of its own (catalog changes: the commit function
// can then rely on the catalog not changing inside a group).
//
// Thread-safety: Submit() may be called from any number of threads. The commit function runs
// on one submitting thread at a time, without the queue lock held.
#ifndef GLOBALTABLE_STORAGE_WRITER_QUEUE_H_
#define GLOBALTABLE_STORAGE_WRITER_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace globaltable::storage {

class WriterQueue {
 public:
  class Request {
   public:
    explicit Request(bool exclusive = false) : exclusive_(exclusive) {}
    virtual ~Request() = default;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

    bool exclusive() const { return exclusive_; }
    // Called by the commit function to fail this request alone; it must then leave the
    // request out of what it writes.
    void Reject(absl::Status status) { rejection_ = std::move(status); }
    bool rejected() const { return !rejection_.ok(); }

   private:
    friend class WriterQueue;
    const bool exclusive_;
    absl::Status rejection_;
    absl::Status result_;
    bool done_ = false;
    absl::CondVar cv_;
  };

  // Commits a group; returns the status of the group's single write. Requests it rejected get
  // their rejection, the others get the returned status.
  using CommitFn = std::function<absl::Status(absl::Span<Request* const> group)>;

  explicit WriterQueue(CommitFn commit, size_t max_group_size = 512);
  WriterQueue(const WriterQueue&) = delete;
  WriterQueue& operator=(const WriterQueue&) = delete;

  // Blocks until `request` is committed (or failed) as part of some group; returns its
  // outcome. `request` must stay alive until then (it is the caller's).
  absl::Status Submit(Request* request);

  // Number of groups committed so far (tests and benchmarks look at the grouping).
  uint64_t groups() const;
  // Requests queued now, the running group included (tests wait on it instead of sleeping).
  size_t pending() const;

 private:
  const CommitFn commit_;
  const size_t max_group_size_;
  mutable absl::Mutex mu_;
  std::deque<Request*> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t groups_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_WRITER_QUEUE_H_
