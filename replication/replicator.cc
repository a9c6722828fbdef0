// Replicator implementation. Thread-safety: see replicator.h.
#include "replication/replicator.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace globaltable::replication {
namespace {

bool SafeName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateOptions(const ReplicationOptions& opts) {
  if (!SafeName(opts.region_name)) {
    return absl::InvalidArgumentError(absl::StrCat("region name \"", opts.region_name,
                                                   "\" must be 1-64 letters, digits, '-' or '_'"));
  }
  if (opts.region_id == 0) return absl::InvalidArgumentError("region id must not be 0");
  absl::flat_hash_set<std::string> names = {opts.region_name};
  absl::flat_hash_set<clock::RegionId> ids = {opts.region_id};
  for (const PeerRegion& p : opts.peers) {
    if (!SafeName(p.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("peer region name \"", p.name, "\" is not valid"));
    }
    if (p.id == 0) return absl::InvalidArgumentError(absl::StrCat("peer ", p.name, " has id 0"));
    if (!names.insert(p.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("region name ", p.name, " appears twice"));
    }
    if (!ids.insert(p.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("region id ", p.id, " appears twice"));
    }
  }
  if (opts.nats_urls.empty()) return absl::InvalidArgumentError("no NATS URLs");
  if (opts.max_batch_records == 0 || opts.pull_batch <= 0 || opts.max_inflight <= 0 ||
      opts.max_inflight_per_partition <= 0) {
    return absl::InvalidArgumentError("batch and window sizes must be positive");
  }
  if (opts.max_batch_bytes >= opts.max_message_bytes) {
    return absl::InvalidArgumentError("max_batch_bytes must be below max_message_bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Replicator>> Replicator::Create(const ReplicationOptions& opts,
                                                               storage::Store* store,
                                                               clock::HybridClock* clock,
                                                               clock::PhysicalClock* wall,
                                                               Metrics* metrics) {
  absl::Status st = ValidateOptions(opts);
  if (!st.ok()) return st;
  if (wall == nullptr) wall = clock::SystemClock::Default();
  std::unique_ptr<Replicator> r(new Replicator());
  r->opts_ = opts;
  absl::StatusOr<std::unique_ptr<NatsLink>> link = NatsLink::Create(
      opts.nats_urls, absl::StrCat("globaltable-", opts.region_name), opts.reconnect_wait);
  if (!link.ok()) return link.status();
  r->link_ = std::move(*link);
  // Acknowledgements need no hurry (they only stop redelivery after ack_wait): a second
  // connection lets nats.c coalesce them, one write per millisecond or so instead of a
  // system call per acknowledged message.
  absl::StatusOr<std::unique_ptr<NatsLink>> ack_link =
      NatsLink::Create(opts.nats_urls, absl::StrCat("globaltable-", opts.region_name, "-acks"),
                       opts.reconnect_wait, /*send_asap=*/false);
  if (!ack_link.ok()) return ack_link.status();
  r->ack_link_ = std::move(*ack_link);
  r->publisher_ = std::make_unique<Publisher>(r->link_.get(), store, opts, clock, metrics);
  for (const PeerRegion& peer : opts.peers) {
    r->readers_.push_back(std::make_unique<PeerReader>(
        r->link_.get(), r->ack_link_.get(), store, opts, peer, wall,
        clock != nullptr ? clock->max_offset() : absl::Milliseconds(500), metrics));
  }
  r->clock_monitor_ = std::make_unique<ClockMonitor>(
      r->link_.get(), opts.region_name, opts.peers, wall,
      clock != nullptr ? clock->max_offset() : absl::Milliseconds(500), metrics);
  r->clock_monitor_->Start();
  r->publisher_->Start();
  for (auto& reader : r->readers_) reader->Start();
  GT_LOG(INFO) << "replication of " << opts.region_name << " started with " << opts.peers.size()
               << " peers";
  return r;
}

Replicator::~Replicator() {
  if (clock_monitor_) clock_monitor_->Stop();
  for (auto& reader : readers_) reader->Stop();
  if (publisher_) publisher_->Stop();
  readers_.clear();
  clock_monitor_.reset();
  publisher_.reset();
  ack_link_.reset();
  link_.reset();
}

void Replicator::SetPaused(bool paused) {
  if (paused_.exchange(paused) == paused) return;
  publisher_->SetPaused(paused);
  for (auto& reader : readers_) reader->SetPaused(paused);
  GT_LOG(INFO) << "replication of " << opts_.region_name << (paused ? " paused" : " resumed");
}

ReplicationStatus Replicator::Status() const {
  ReplicationStatus s;
  s.region = opts_.region_name;
  s.region_id = opts_.region_id;
  s.nats_connected = link_->connected();
  s.publisher = publisher_->status();
  for (const auto& reader : readers_) s.peers.push_back(reader->status());
  return s;
}

}  // namespace globaltable::replication
