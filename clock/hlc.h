// Hybrid logical clock (HLC): timestamps that follow physical time and respect causality.
//
// A Timestamp is one uint64 that compares as an integer: the high 48 bits are physical
// milliseconds since the Unix epoch, the low 16 bits a logical counter. Logical overflow
// carries into the physical part, so +1 is always the next timestamp.
//
//   ManualClock wall(1000);                // tests; production uses SystemClock
//   HybridClock clock(&wall);
//   Timestamp t = clock.Now();             // local event or send
//   auto s = clock.Update(remote_ts);      // receive; rejected if too far ahead
//
// Max offset: a remote timestamp whose physical part is more than `max_offset` ahead of the
// local physical clock is rejected with kUnavailable (retry later) and the clock is unchanged.
// Backward jumps of the physical clock never move the HLC backwards; they are counted.
//
// Restarts: Current() is an upper bound of every timestamp issued so far. Persist it with the
// data that carries the timestamps and pass it to Restore() before the first Now() after a
// restart; a physical clock set back then never makes the clock reissue a timestamp.
//
// Thread-safety: HybridClock is safe for concurrent use; Now() is strictly increasing across
// all threads. The state is one packed atomic updated with compare-and-swap.
#ifndef GLOBALTABLE_CLOCK_HLC_H_
#define GLOBALTABLE_CLOCK_HLC_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace globaltable::clock {

using Timestamp = uint64_t;

inline constexpr int kLogicalBits = 16;
inline constexpr uint64_t kLogicalMask = (uint64_t{1} << kLogicalBits) - 1;
inline constexpr uint64_t kMaxPhysicalMillis = (uint64_t{1} << (64 - kLogicalBits)) - 1;

inline constexpr Timestamp MakeTimestamp(uint64_t physical_millis, uint64_t logical) {
  return (physical_millis << kLogicalBits) | (logical & kLogicalMask);
}
inline constexpr uint64_t PhysicalMillis(Timestamp t) { return t >> kLogicalBits; }
inline constexpr uint64_t Logical(Timestamp t) { return t & kLogicalMask; }

// "2026-11-24T11:38:55.123Z+5": UTC wall time of the physical part, then the logical counter.
std::string FormatTimestamp(Timestamp t);

// The physical time source. Implementations must be thread-safe.
class PhysicalClock {
 public:
  virtual ~PhysicalClock() = default;
  // Milliseconds since the Unix epoch. May jump backwards.
  virtual uint64_t NowMillis() = 0;
};

// The system's real-time clock.
class SystemClock final : public PhysicalClock {
 public:
  uint64_t NowMillis() override;
  // A process-wide instance.
  static SystemClock* Default();
};

// A clock that moves only when told to: for tests and simulations. Thread-safe.
class ManualClock final : public PhysicalClock {
 public:
  explicit ManualClock(uint64_t millis = 0) : millis_(millis) {}
  uint64_t NowMillis() override { return millis_.load(std::memory_order_acquire); }
  void Set(uint64_t millis) { millis_.store(millis, std::memory_order_release); }
  void Advance(int64_t delta_millis) {
    millis_.fetch_add(static_cast<uint64_t>(delta_millis), std::memory_order_acq_rel);
  }

 private:
  std::atomic<uint64_t> millis_;
};

// Counters exposed as metrics. Read with HybridClock::stats().
struct ClockStats {
  uint64_t backward_jumps = 0;        // physical readings lower than an earlier reading
  uint64_t rejected_remote = 0;       // Update() calls refused for exceeding max offset
  int64_t max_remote_offset_ms = 0;   // largest (remote physical - local physical) seen
};

class HybridClock {
 public:
  struct Options {
    absl::Duration max_offset = absl::Milliseconds(500);
  };

  // `physical` must outlive the clock.
  explicit HybridClock(PhysicalClock* physical) : HybridClock(physical, Options()) {}
  HybridClock(PhysicalClock* physical, Options options);

  HybridClock(const HybridClock&) = delete;
  HybridClock& operator=(const HybridClock&) = delete;

  // A new timestamp for a local event or a send: greater than every timestamp this clock has
  // issued or observed, and at least the physical time.
  Timestamp Now();

  // Observes a remote timestamp on receive and returns a new local timestamp greater than
  // both `remote` and everything issued before. If the remote physical time is more than
  // max_offset ahead of the local physical time, returns kUnavailable and changes nothing.
  absl::StatusOr<Timestamp> Update(Timestamp remote);

  // The largest timestamp issued or observed so far, without advancing the clock.
  Timestamp Current() const { return state_.load(std::memory_order_acquire); }

  // Raises the clock to at least `upper_bound` (a persisted Current()). Never lowers it.
  void Restore(Timestamp upper_bound);

  absl::Duration max_offset() const { return options_.max_offset; }
  ClockStats stats() const;

 private:
  uint64_t ReadPhysical();
  Timestamp AdvanceTo(Timestamp floor);  // state := max(state + 1, floor), returns new state

  PhysicalClock* const physical_;
  const Options options_;
  std::atomic<Timestamp> state_{0};
  std::atomic<uint64_t> last_physical_{0};  // the previous physical reading
  std::atomic<uint64_t> backward_jumps_{0};
  std::atomic<uint64_t> rejected_remote_{0};
  std::atomic<int64_t> max_remote_offset_ms_{INT64_MIN};
};

}  // namespace globaltable::clock

#endif  // GLOBALTABLE_CLOCK_HLC_H_
