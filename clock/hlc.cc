// Hybrid logical clock implementation: one packed atomic, compare-and-swap updates.
// Thread-safe.
#include "clock/hlc.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace globaltable::clock {

std::string FormatTimestamp(Timestamp t) {
  const absl::Time wall = absl::FromUnixMillis(static_cast<int64_t>(PhysicalMillis(t)));
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", wall, absl::UTCTimeZone()), "+",
                      Logical(t));
}

uint64_t SystemClock::NowMillis() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  return ms < 0 ? 0 : static_cast<uint64_t>(ms);
}

SystemClock* SystemClock::Default() {
  static SystemClock* clock = new SystemClock();
  return clock;
}

HybridClock::HybridClock(PhysicalClock* physical, Options options)
    : physical_(physical), options_(options) {}

uint64_t HybridClock::ReadPhysical() {
  uint64_t now = physical_->NowMillis();
  if (now > kMaxPhysicalMillis) now = kMaxPhysicalMillis;
  // A jump is a reading lower than the previous reading; readings that stay at the lower level
  // afterwards are not counted again.
  const uint64_t previous = last_physical_.exchange(now, std::memory_order_relaxed);
  if (now < previous) backward_jumps_.fetch_add(1, std::memory_order_relaxed);
  return now;
}

Timestamp HybridClock::AdvanceTo(Timestamp floor) {
  Timestamp old = state_.load(std::memory_order_acquire);
  while (true) {
    Timestamp next = old + 1;  // logical overflow carries into the physical part
    if (floor > next) next = floor;
    if (state_.compare_exchange_weak(old, next, std::memory_order_acq_rel)) return next;
  }
}

Timestamp HybridClock::Now() { return AdvanceTo(MakeTimestamp(ReadPhysical(), 0)); }

absl::StatusOr<Timestamp> HybridClock::Update(Timestamp remote) {
  const uint64_t local_ms = ReadPhysical();
  const uint64_t remote_ms = PhysicalMillis(remote);
  const int64_t offset_ms = static_cast<int64_t>(remote_ms) - static_cast<int64_t>(local_ms);
  int64_t seen = max_remote_offset_ms_.load(std::memory_order_relaxed);
  while (offset_ms > seen &&
         !max_remote_offset_ms_.compare_exchange_weak(seen, offset_ms, std::memory_order_relaxed)) {
  }
  const int64_t max_ms = absl::ToInt64Milliseconds(options_.max_offset);
  if (offset_ms > max_ms) {
    rejected_remote_.fetch_add(1, std::memory_order_relaxed);
    return absl::UnavailableError(absl::StrFormat(
        "remote timestamp %s is %d ms ahead of the local physical clock; max offset is %d ms",
        FormatTimestamp(remote), offset_ms, max_ms));
  }
  Timestamp floor = MakeTimestamp(local_ms, 0);
  if (remote + 1 > floor) floor = remote + 1;
  return AdvanceTo(floor);
}

void HybridClock::Restore(Timestamp upper_bound) {
  Timestamp old = state_.load(std::memory_order_acquire);
  while (upper_bound > old &&
         !state_.compare_exchange_weak(old, upper_bound, std::memory_order_acq_rel)) {
  }
}

ClockStats HybridClock::stats() const {
  ClockStats s;
  s.backward_jumps = backward_jumps_.load(std::memory_order_relaxed);
  s.rejected_remote = rejected_remote_.load(std::memory_order_relaxed);
  const int64_t seen = max_remote_offset_ms_.load(std::memory_order_relaxed);
  s.max_remote_offset_ms = seen == INT64_MIN ? 0 : seen;
  return s;
}

}  // namespace globaltable::clock
