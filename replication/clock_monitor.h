// ClockMonitor: measures this region's wall clock against every peer's, over NATS request/reply,
// so that a region whose clock runs ahead of its peers by more than the max clock offset stops
// taking writes (its writes would win last-writer-wins over writes the others acknowledge later
// in real time). CockroachDB's RemoteClockMonitor does the same over its RPC heartbeats.
//
//   ClockMonitor monitor(link, "us-east-1", peers, SystemClock::Default(), max_offset, metrics);
//   monitor.Start();
//   ClockVerdict v = monitor.verdict();      // kAhead: refuse writes
//   monitor.Stop();
//
// Every region answers `gt.<region>.clock` with its wall time in milliseconds. Every interval the
// monitor asks each peer: with t0 and t1 the local wall times around the request and tp the
// peer's answer, the peer's offset is tp - (t0 + t1) / 2, known within (t1 - t0) / 2. A peer says
// "you are ahead" when this region's clock leads it by more than the max offset even at the
// edge of that uncertainty. JudgeClock (pure) turns the samples into a verdict.
//
// Thread-safety: Start/Stop from the owner; verdict() from any thread. The request callback
// only formats and publishes the answer (no lock, no blocking call).
#ifndef GLOBALTABLE_REPLICATION_CLOCK_MONITOR_H_
#define GLOBALTABLE_REPLICATION_CLOCK_MONITOR_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "clock/hlc.h"
#include "common/metrics.h"
#include "replication/nats_link.h"
#include "replication/options.h"
#include "replication/waker.h"

namespace globaltable::replication {

struct ClockSample {
  int64_t offset_ms = 0;       // peer's clock minus ours (negative: ours is ahead)
  int64_t uncertainty_ms = 0;  // half the round trip
  absl::Time at;               // when it was taken
};

enum class ClockState {
  kUnknown,    // the first round of measurements has not finished: refuse writes for now
  kOk,         // a majority of the peers that answered recently are within the max offset
  kAhead,      // a majority of them say this region's clock leads theirs beyond the max offset
  kUnchecked,  // no peer answered recently: nothing to compare with (writes continue)
};

struct ClockVerdict {
  ClockState state = ClockState::kUnknown;
  int answered = 0;    // peers with a recent sample
  int ahead_of = 0;    // of those, the ones this region's clock surely leads beyond max offset
  int64_t lead_ms = 0; // the smallest sure lead over those (kAhead only)
};

// The verdict for `samples` (one per peer; nullopt: never answered) at `now`. Samples older than
// `fresh_for` do not count. `first_round_done`: every peer has been asked at least once.
ClockVerdict JudgeClock(absl::Span<const std::optional<ClockSample>> samples, absl::Time now,
                        absl::Duration max_offset, absl::Duration fresh_for,
                        bool first_round_done);

class ClockMonitor {
 public:
  // `link` and `metrics` (may be null) must outlive the monitor; `wall` must outlive `link`
  // (the answering callback reads it).
  ClockMonitor(NatsLink* link, std::string self, std::vector<PeerRegion> peers,
               clock::PhysicalClock* wall, absl::Duration max_offset, Metrics* metrics,
               absl::Duration interval = absl::Seconds(1));
  ~ClockMonitor();
  ClockMonitor(const ClockMonitor&) = delete;
  ClockMonitor& operator=(const ClockMonitor&) = delete;

  void Start();
  void Stop();  // idempotent
  ClockVerdict verdict() const;
  absl::Duration max_offset() const { return max_offset_; }

 private:
  static void OnRequest(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                        void* closure) noexcept;
  void Run();
  void Round();
  std::optional<ClockSample> Measure(const PeerRegion& peer);

  NatsLink* const link_;
  const std::string self_;
  const std::vector<PeerRegion> peers_;
  clock::PhysicalClock* const wall_;
  const absl::Duration max_offset_;
  Metrics* const metrics_;
  const absl::Duration interval_;

  NatsSubPtr responder_;  // owned by the monitor thread until Stop
  std::atomic<bool> stopping_{false};
  Waker waker_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::vector<std::optional<ClockSample>> samples_ ABSL_GUARDED_BY(mu_);
  bool first_round_done_ ABSL_GUARDED_BY(mu_) = false;
  ClockState logged_ ABSL_GUARDED_BY(mu_) = ClockState::kUnknown;
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_CLOCK_MONITOR_H_
