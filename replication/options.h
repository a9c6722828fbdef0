// ReplicationOptions: what a region's replicator needs to know about itself, its peers and NATS.
//
// Every field has a default that works for a single nats-server on loopback; the daemon fills
// the region, peers and URLs from the deployment file.
//
//   ReplicationOptions opts;
//   opts.region_name = "us-east-1";
//   opts.region_id = 1;
//   opts.nats_urls = {"nats://127.0.0.1:4222"};
//   opts.peers = {{"eu-west-1", 2, ""}, {"ap-south-1", 3, ""}};
//
// Thread-safety: a plain value type.
#ifndef GLOBALTABLE_REPLICATION_OPTIONS_H_
#define GLOBALTABLE_REPLICATION_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "clock/version.h"

namespace globaltable::replication {

struct PeerRegion {
  std::string name;
  clock::RegionId id = 0;
  // JetStream domain holding the peer's outbox ("" = the connection's own JetStream; the
  // `domains` topology sets it to the peer's domain).
  std::string js_domain;
};

struct ReplicationOptions {
  std::string region_name = "local";
  clock::RegionId region_id = 1;
  std::string js_domain;  // this region's own JetStream domain ("" = default)
  // NATS cluster to place this region's streams in ("" = wherever the server puts them). The
  // `supercluster` topology sets it to the region's own cluster, so the outbox lives on the
  // region's servers rather than wherever the meta leader happens to pick.
  std::string placement_cluster;
  std::vector<std::string> nats_urls = {"nats://127.0.0.1:4222"};
  std::vector<PeerRegion> peers;
  absl::Duration reconnect_wait = absl::Milliseconds(250);

  // Outbox stream limits.
  absl::Duration max_age = absl::Hours(24);
  int64_t max_bytes = -1;  // -1: unlimited
  absl::Duration duplicates_window = absl::Minutes(2);

  // Publisher: a batch closes at max_batch_records or about max_batch_bytes (kept below the
  // server's 1 MB max_payload), after `linger` since the first unsent commit.
  size_t max_batch_records = 1000;
  size_t max_batch_bytes = 512 << 10;
  absl::Duration linger = absl::Microseconds(200);
  int max_inflight = 256;               // unacknowledged publishes, all partitions
  int max_inflight_per_partition = 32;  // unacknowledged publishes of one partition
  absl::Duration publish_timeout = absl::Seconds(3);
  absl::Duration watermark_persist_interval = absl::Milliseconds(200);
  // Change-log trimming: every trim_interval, each partition's records at or below its
  // persisted acknowledgement watermark (JetStream holds them) are dropped, once at least
  // trim_min_records of them have accumulated: few, large range deletions rather than one per
  // batch, since every range tombstone costs the change log's readers until compaction.
  absl::Duration trim_interval = absl::Seconds(10);
  uint64_t trim_min_records = 1024;
  // Batches JetStream acknowledged within this long (and, after a reconnect, for at least this
  // long) stay in the change log, so that a nats-server that loses acknowledged messages in a
  // crash can be sent them again (Publisher::RepairSequenceRegression).
  absl::Duration keep_acked_for = absl::Seconds(30);

  // Readers (one per peer): at most one pull request of pull_batch messages / pull_max_bytes
  // is outstanding per peer, which bounds memory whatever the backlog.
  int pull_batch = 64;
  int64_t pull_max_bytes = 8 << 20;
  absl::Duration pull_expires = absl::Milliseconds(500);
  size_t max_message_bytes = 1 << 20;  // larger messages are dead-lettered as oversized
  absl::Duration ack_wait = absl::Seconds(5);
  int64_t max_ack_pending = 1024;
  absl::Duration retry_initial = absl::Milliseconds(50);
  absl::Duration retry_max = absl::Seconds(2);
  absl::Duration status_refresh = absl::Seconds(1);
  // A partition refused as a gap at the same watermark for this long is reported as needing a
  // resync (a missing range is normally redelivered within publish_timeout + ack_wait).
  absl::Duration resync_after = absl::Seconds(60);
  // A partition that keeps refusing batches as gaps for this long is reported as stalled
  // (status, metric, log): its watermark moves slower than its backlog.
  absl::Duration stall_after = absl::Seconds(10);
  // At most this often per partition, a gap is closed by reading the missing batches straight
  // from the peer's outbox; at most fill_max_messages read per attempt.
  absl::Duration fill_interval = absl::Milliseconds(50);
  int fill_max_messages = 4096;
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_OPTIONS_H_
