// Replication status: what GET /v1/replication on the admin listener returns.
//
//   ReplicationStatus s = replicator->Status();
//   std::string body = StatusToJson(s);
//
// Thread-safety: plain value types and a pure function.
#ifndef GLOBALTABLE_REPLICATION_STATUS_H_
#define GLOBALTABLE_REPLICATION_STATUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "clock/hlc.h"
#include "clock/version.h"

namespace globaltable::replication {

// Why a batch was set aside instead of applied (the dead-letter reasons).
enum class RejectReason {
  kUndecodable,    // not a MutationBatch
  kOversized,      // larger than max_message_bytes
  kUnknownRegion,  // origin is not a region of the deployment
  kFromSelf,       // claims to come from this region
  kWrongStream,    // origin differs from the owner of the stream it arrived on
  kInvalid,        // the store refused it as malformed (kInvalidArgument)
};
const char* RejectReasonName(RejectReason r);  // "decode", "oversized", ... (metric label values)

// This region reading one peer's outbox.
struct PeerStatus {
  std::string region;
  clock::RegionId region_id = 0;
  bool link_up = false;  // the peer's JetStream answered within the last few seconds
  clock::Timestamp last_applied_hlc = 0;
  // now - physical(last applied HLC) while behind, else 0; while the link is down, at least the
  // time since the peer's JetStream last answered.
  double lag_seconds = 0;
  int64_t last_confirmed_ms = 0;  // wall time of that last answer (0: never)
  uint64_t pending_batches = 0;    // the consumer's unread + unacknowledged messages
  uint64_t pending_mutations = 0;  // estimate: pending_batches x mean batch size so far
  bool paused = false;             // cut off by the operator (drills)
  uint64_t applied_mutations = 0;  // became the stored version
  uint64_t conflicts = 0;          // concurrent writes revealed (ApplyResult::conflicts)
  uint64_t duplicates = 0;
  uint64_t batches_applied = 0;
  uint64_t gaps = 0;             // batches refused for a sequence gap (redelivered later)
  bool clock_skew_hold = false;  // batches held: HLC beyond the max clock offset
  int64_t clock_skew_ms = 0;     // how far ahead the peer's last held batch was
  uint64_t skew_holds = 0;
  bool needs_resync = false;  // the outbox dropped data this region never applied
  uint64_t gap_fills = 0;     // batches read straight from the peer's outbox to close a gap
  uint32_t stalled_partitions = 0;  // refusing batches as gaps for longer than stall_after
  double oldest_gap_seconds = 0;    // how long the oldest such spell has lasted
  // A record that cannot be applied and holds a partition back ("" when none): partition,
  // sequence, why, and what the operator can do.
  std::string blocked;
  uint64_t retention_checks = 0;  // completed stream/consumer checks behind needs_resync
  std::map<std::string, uint64_t> dead_letters;  // by reason name
  std::string last_error;
};

// What an operator must know about a link beyond its numbers, in one line for the NOTE column
// of `globaltablectl status` ("" when nothing): resync required, blocked, stalled partitions,
// clock-skew holds, dead letters. Pure.
std::string PeerNote(const PeerStatus& s);

// This region's publisher.
struct PublisherStatus {
  bool ready = false;  // streams set up, resume points read
  uint64_t batches_published = 0;
  uint64_t mutations_published = 0;
  uint64_t publish_failures = 0;       // errors and timeouts; each rewinds its partition
  uint64_t unpublished_mutations = 0;  // committed locally, not yet acknowledged by JetStream
  uint64_t changelog_mutations = 0;    // records kept in the change log (not acked or not trimmed)
  uint64_t trimmed_mutations = 0;      // records this process dropped from the change log
  std::string last_error;
};

struct ReplicationStatus {
  std::string region;
  clock::RegionId region_id = 0;
  bool nats_connected = false;
  PublisherStatus publisher;
  std::vector<PeerStatus> peers;
};

// {"region":...,"nats_connected":...,"publisher":{...},"peers":[{...}]}
std::string StatusToJson(const ReplicationStatus& status);

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_STATUS_H_
