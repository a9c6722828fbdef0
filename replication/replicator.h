// Replicator: a region's whole replication: one NATS connection, the publisher of this
// region's change log, and one reader per peer region. This is what the daemon owns.
//
//   ReplicationOptions opts = ...;             // from the deployment file
//   ASSIGN_OR_RETURN(std::unique_ptr<Replicator> repl,
//                    Replicator::Create(opts, store.get(), &hlc));
//   admin.Handle("/v1/replication", [&] { return repl->StatusJson(); });
//
// Create() fails only on invalid options; a NATS server that is down is not an error: the
// replicator connects in the background, local writes go on, and replication catches up when
// NATS returns. Destroying the replicator stops its threads (within about a second).
//
// Thread-safety: Status()/StatusJson() from any thread.
#ifndef GLOBALTABLE_REPLICATION_REPLICATOR_H_
#define GLOBALTABLE_REPLICATION_REPLICATOR_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clock/hlc.h"
#include "replication/clock_monitor.h"
#include "replication/nats_link.h"
#include "replication/options.h"
#include "replication/peer_reader.h"
#include "replication/publisher.h"
#include "replication/status.h"
#include "storage/store.h"

namespace globaltable::replication {

// kInvalidArgument naming the first problem: empty or unsafe region names (only letters,
// digits, '-' and '_'), id 0, duplicate names or ids, this region among the peers.
absl::Status ValidateOptions(const ReplicationOptions& opts);

class Replicator {
 public:
  // `store`, `clock`, `wall` and `metrics` (may be null) must outlive the replicator. `wall`
  // defaults to the system clock.
  static absl::StatusOr<std::unique_ptr<Replicator>> Create(const ReplicationOptions& opts,
                                                            storage::Store* store,
                                                            clock::HybridClock* clock,
                                                            clock::PhysicalClock* wall = nullptr,
                                                            Metrics* metrics = nullptr);
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  ReplicationStatus Status() const;
  // Cut off (drills): no publishing and no pulling while paused; both resume from where they
  // were (the change log and the peers' outboxes hold the backlog).
  void SetPaused(bool paused);
  std::string StatusJson() const { return StatusToJson(Status()); }
  const Publisher& publisher() const { return *publisher_; }
  // This region's clock against its peers' (see clock_monitor.h).
  ClockVerdict clock_verdict() const { return clock_monitor_->verdict(); }

 private:
  Replicator() = default;

  ReplicationOptions opts_;
  std::atomic<bool> paused_{false};
  std::unique_ptr<NatsLink> link_;
  std::unique_ptr<NatsLink> ack_link_;  // acknowledgements: writes coalesced by nats.c
  std::unique_ptr<Publisher> publisher_;
  std::vector<std::unique_ptr<PeerReader>> readers_;
  std::unique_ptr<ClockMonitor> clock_monitor_;
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_REPLICATOR_H_
