// PeriodicThread: runs a function every interval on a named thread of its own, until stopped.
//
//   PeriodicThread t("gt-ttl", absl::Seconds(60), [this] { RunOnce(absl::Now()); });
//   t.Start();
//   ...
//   t.Stop();   // wakes the thread at once and waits for a run in progress to finish
//
// The first run comes one interval after Start. Thread-safety: Start and Stop from one owner
// thread; `run` runs on the periodic thread only.
#ifndef GLOBALTABLE_COMMON_PERIODIC_THREAD_H_
#define GLOBALTABLE_COMMON_PERIODIC_THREAD_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace globaltable {

class PeriodicThread {
 public:
  PeriodicThread(std::string name, absl::Duration interval, std::function<void()> run);
  ~PeriodicThread();  // Stop()
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void Start();
  void Stop();  // idempotent

 private:
  const std::string name_;
  const absl::Duration interval_;
  const std::function<void()> run_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace globaltable

#endif  // GLOBALTABLE_COMMON_PERIODIC_THREAD_H_
