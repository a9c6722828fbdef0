// ClockMonitor implementation. Thread-safety: see clock_monitor.h.
#include "replication/clock_monitor.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/thread_name.h"

namespace globaltable::replication {
namespace {

std::string ClockSubject(absl::string_view region) { return absl::StrCat("gt.", region, ".clock"); }

// Samples older than this no longer describe the clocks.
constexpr absl::Duration kFreshFor = absl::Seconds(10);
// How long the first round waits for the NATS connection before asking.
constexpr absl::Duration kConnectWait = absl::Seconds(2);
constexpr int64_t kRequestTimeoutMs = 500;

}  // namespace

ClockVerdict JudgeClock(absl::Span<const std::optional<ClockSample>> samples, absl::Time now,
                        absl::Duration max_offset, absl::Duration fresh_for,
                        bool first_round_done) {
  ClockVerdict v;
  const int64_t max_ms = absl::ToInt64Milliseconds(max_offset);
  int64_t smallest_lead = std::numeric_limits<int64_t>::max();
  for (const std::optional<ClockSample>& s : samples) {
    if (!s.has_value() || now - s->at > fresh_for) continue;
    ++v.answered;
    const int64_t sure_lead = -s->offset_ms - s->uncertainty_ms;
    if (sure_lead > max_ms) {
      ++v.ahead_of;
      smallest_lead = std::min(smallest_lead, sure_lead);
    }
  }
  if (v.answered == 0) {
    v.state = first_round_done ? ClockState::kUnchecked : ClockState::kUnknown;
    return v;
  }
  // A strict majority of the peers that answered: with one peer skewed the other way, the others
  // still vouch for this clock. With a single peer there is no majority to ask: its word counts.
  if (v.ahead_of * 2 > v.answered) {
    v.state = ClockState::kAhead;
    v.lead_ms = smallest_lead;
  } else {
    v.state = ClockState::kOk;
  }
  return v;
}

ClockMonitor::ClockMonitor(NatsLink* link, std::string self, std::vector<PeerRegion> peers,
                           clock::PhysicalClock* wall, absl::Duration max_offset,
                           Metrics* metrics, absl::Duration interval)
    : link_(link),
      self_(std::move(self)),
      peers_(std::move(peers)),
      wall_(wall),
      max_offset_(max_offset),
      metrics_(metrics),
      interval_(interval),
      samples_(peers_.size()) {
  if (metrics_ != nullptr) metrics_->ClockWritesRefused().Set(0);
}

ClockMonitor::~ClockMonitor() { Stop(); }

void ClockMonitor::Start() {
  thread_ = std::thread([this] {
    SetThreadName("gt-clockmon");
    Run();
  });
}

void ClockMonitor::Stop() {
  stopping_.store(true, std::memory_order_release);
  waker_.Signal();
  if (thread_.joinable()) thread_.join();
  responder_.reset();
}

ClockVerdict ClockMonitor::verdict() const {
  absl::MutexLock lock(&mu_);
  return JudgeClock(samples_, absl::Now(), max_offset_, kFreshFor, first_round_done_);
}

void ClockMonitor::OnRequest(natsConnection* nc, natsSubscription*, natsMsg* msg,
                             void* closure) noexcept {
  // The closure is the wall clock, not the monitor: nats.c may still run a callback while the
  // subscription is being destroyed, and the clock outlives the monitor.
  auto* wall = static_cast<clock::PhysicalClock*>(closure);
  const char* reply = natsMsg_GetReply(msg);
  if (reply != nullptr) {
    char body[32];
    int n = snprintf(body, sizeof(body), "%llu",
                     static_cast<unsigned long long>(wall->NowMillis()));
    natsConnection_Publish(nc, reply, body, n);
  }
  natsMsg_Destroy(msg);
}

void ClockMonitor::Run() {
  // The first round waits a little for the connection, so that a region started with a wrong
  // clock is caught before it takes its first write.
  absl::Time connect_deadline = absl::Now() + kConnectWait;
  while (!link_->connected() && absl::Now() < connect_deadline &&
         !stopping_.load(std::memory_order_acquire)) {
    waker_.WaitFor(absl::Milliseconds(20));
  }
  while (!stopping_.load(std::memory_order_acquire)) {
    if (!responder_ && link_->connected()) {
      natsSubscription* sub = nullptr;
      std::string subject = ClockSubject(self_);
      if (natsConnection_Subscribe(&sub, link_->conn(), subject.c_str(), &ClockMonitor::OnRequest,
                                   wall_) == NATS_OK) {
        responder_.reset(sub);
      }
    }
    Round();
    waker_.WaitFor(interval_);
  }
}

std::optional<ClockSample> ClockMonitor::Measure(const PeerRegion& peer) {
  if (!link_->connected()) return std::nullopt;
  std::string subject = ClockSubject(peer.name);
  const int64_t t0 = static_cast<int64_t>(wall_->NowMillis());
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_RequestString(&raw, link_->conn(), subject.c_str(), "",
                                              kRequestTimeoutMs);
  const int64_t t1 = static_cast<int64_t>(wall_->NowMillis());
  NatsMsgPtr reply(raw);
  if (s != NATS_OK) return std::nullopt;
  int64_t tp = 0;
  if (!absl::SimpleAtoi(absl::string_view(natsMsg_GetData(reply.get()),
                                          static_cast<size_t>(natsMsg_GetDataLength(reply.get()))),
                        &tp)) {
    return std::nullopt;
  }
  ClockSample sample;
  sample.offset_ms = tp - (t0 + t1) / 2;
  sample.uncertainty_ms = (std::max<int64_t>(0, t1 - t0) + 1) / 2;
  sample.at = absl::Now();
  return sample;
}

void ClockMonitor::Round() {
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (stopping_.load(std::memory_order_acquire)) return;
    std::optional<ClockSample> sample = Measure(peers_[i]);
    if (sample.has_value()) {
      if (metrics_ != nullptr) {
        metrics_->ClockPeerOffset(peers_[i].name)
            .Set(static_cast<double>(sample->offset_ms) / 1000.0);
      }
      absl::MutexLock lock(&mu_);
      samples_[i] = sample;
    }
  }
  ClockVerdict v;
  ClockState before;
  {
    absl::MutexLock lock(&mu_);
    first_round_done_ = true;
    v = JudgeClock(samples_, absl::Now(), max_offset_, kFreshFor, true);
    before = logged_;
    logged_ = v.state;
  }
  if (metrics_ != nullptr) {
    metrics_->ClockWritesRefused().Set(v.state == ClockState::kAhead ? 1 : 0);
  }
  if (v.state == before) return;
  switch (v.state) {
    case ClockState::kAhead:
      GT_LOG(ERROR) << "region " << self_ << " refuses writes: its clock is at least " << v.lead_ms
                    << " ms ahead of " << v.ahead_of << " of the " << v.answered
                    << " peers that answered, beyond the max clock offset of "
                    << absl::ToInt64Milliseconds(max_offset_)
                    << " ms. Fix the clock (NTP); writes resume by themselves.";
      break;
    case ClockState::kOk:
      if (before == ClockState::kAhead) {
        GT_LOG(INFO) << "region " << self_ << "'s clock is within the max offset of its peers "
                     << "again: writes accepted";
      }
      break;
    case ClockState::kUnchecked:
      GT_LOG(WARNING) << "region " << self_ << " cannot compare its clock with any peer (none "
                      << "answered); writes continue unchecked";
      break;
    case ClockState::kUnknown:
      break;
  }
}

}  // namespace globaltable::replication
