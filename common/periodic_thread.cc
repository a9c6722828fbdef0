// PeriodicThread (see periodic_thread.h).
#include "common/periodic_thread.h"

#include <utility>

#include "common/thread_name.h"

namespace globaltable {

PeriodicThread::PeriodicThread(std::string name, absl::Duration interval,
                               std::function<void()> run)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)) {}

PeriodicThread::~PeriodicThread() { Stop(); }

void PeriodicThread::Start() {
  thread_ = std::thread([this] {
    SetThreadName(name_);
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(+[](bool* stop) { return *stop; }, &stop_),
                             interval_);
        if (stop_) return;
      }
      run_();
    }
  });
}

void PeriodicThread::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace globaltable
