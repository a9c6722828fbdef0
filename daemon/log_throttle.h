// LogThrottle: lets one log line through per interval and counts the ones it held back, so a
// condition that repeats thousands of times a second (accept failing with EMFILE) costs one line
// per interval instead of filling the disk.
//
//   LogThrottle throttle(absl::Seconds(10));
//   uint64_t suppressed = 0;
//   if (throttle.Allow(absl::Now(), &suppressed)) {
//     GT_LOG(WARNING) << "accept: " << ec.message() << " (" << suppressed << " more not logged)";
//   }
//
// The caller passes the time, so tests drive it without sleeping.
// Thread-safety: none; the owner serializes calls (HttpServer calls it on its acceptor strand).
#ifndef GLOBALTABLE_DAEMON_LOG_THROTTLE_H_
#define GLOBALTABLE_DAEMON_LOG_THROTTLE_H_

#include <cstdint>

#include "absl/time/time.h"

namespace globaltable::daemon {

class LogThrottle {
 public:
  explicit LogThrottle(absl::Duration interval) : interval_(interval) {}

  // True when a line may be logged at `now`: the first call, and the first call at least
  // `interval` after the last line let through. Then *suppressed is the number of calls held
  // back since that line (and the count restarts); otherwise the call is counted.
  bool Allow(absl::Time now, uint64_t* suppressed) {
    if (last_ != absl::InfinitePast() && now - last_ < interval_) {
      ++held_;
      return false;
    }
    last_ = now;
    *suppressed = held_;
    held_ = 0;
    return true;
  }

 private:
  const absl::Duration interval_;
  absl::Time last_ = absl::InfinitePast();
  uint64_t held_ = 0;
};

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_LOG_THROTTLE_H_
