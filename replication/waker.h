// Waker: a wake-up flag whose timed waits run on the monotonic clock.
//
// absl's timed waits (Mutex::LockWhenWithDeadline, Notification::WaitForNotificationWithTimeout)
// sleep until an absolute CLOCK_REALTIME deadline, so a wall clock stepped forward by N seconds
// (an NTP step, or libfaketime in the clock-skew tests) stretches every one of them by N
// seconds. The replication loops poll with short timeouts and must not stall then, so they
// wait here instead; std::condition_variable::wait_for uses the steady clock.
//
//   Waker waker;
//   waker.Signal();                                   // from any thread
//   bool signaled = waker.WaitFor(absl::Milliseconds(50));  // consumes the signal
//
// Thread-safety: thread-safe. Meant for one waiting thread.
#ifndef GLOBALTABLE_REPLICATION_WAKER_H_
#define GLOBALTABLE_REPLICATION_WAKER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"

namespace globaltable::replication {

class Waker {
 public:
  void Signal() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      signaled_ = true;
    }
    cv_.notify_one();
  }

  // Returns true when signaled (now or within `timeout`), and clears the signal.
  bool WaitFor(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    auto d =
        std::chrono::nanoseconds(absl::ToInt64Nanoseconds(std::max(timeout, absl::ZeroDuration())));
    cv_.wait_for(lock, d, [this] { return signaled_; });
    bool was = signaled_;
    signaled_ = false;
    return was;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool signaled_ = false;
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_WAKER_H_
