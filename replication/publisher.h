// Publisher: tails this region's change log and publishes it to the region's outbox stream as
// MutationBatch messages, one partition per message, with JetStream acknowledgements tracked
// here. See docs/architecture.md (Replication).
//
// - Woken by Store::SetCommitListener (the listener only marks the partition and signals).
// - Batches close at max_batch_records / max_batch_bytes, after `linger` since the first
//   unsent commit of the partition.
// - At most max_inflight unacknowledged publishes (max_inflight_per_partition per partition);
//   a publish that fails or is not acknowledged within publish_timeout rewinds its partition to
//   the last contiguously acknowledged sequence, and the data is read again from the change log.
// - On start, each partition resumes after max(last batch in the stream for its subject,
//   persisted acknowledgement watermark "replication.acked.<partition>").
// - Every trim_interval, each partition's change log is trimmed below its PERSISTED
//   acknowledgement watermark + 1 (never the in-memory one): whatever a restart resumes from
//   is still in the change log, and everything dropped is in the outbox stream. The store's
//   trim keeps each partition's last record.
// Nothing is queued in memory beyond the in-flight window: the backlog is the change log.
//
//   Publisher pub(link, store, opts, &hlc);
//   pub.Start();   // sets the store's commit listener
//   ...
//   pub.Stop();
//
// Thread-safety: Start/Stop from the owner; status() and AckedSequence() from any thread. The
// publishing runs on one thread; no lock is held across NATS or store calls.
#ifndef GLOBALTABLE_REPLICATION_PUBLISHER_H_
#define GLOBALTABLE_REPLICATION_PUBLISHER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "clock/hlc.h"
#include "common/metrics.h"
#include "replication/nats_link.h"
#include "replication/options.h"
#include "replication/status.h"
#include "replication/waker.h"
#include "storage/store.h"

namespace globaltable::replication {

// The serialized MutationBatch of consecutive change-log `records` (as stored) of `partition`
// (one of the origin's `origin_partitions`): byte for byte what filling a proto::MutationBatch
// with the parsed records and serializing it gives, without parsing them. `records` must not
// be empty.
std::string EncodeMutationBatch(clock::RegionId origin, absl::string_view origin_name,
                                uint32_t partition, uint32_t origin_partitions,
                                absl::Span<const storage::ChangeLogRecord> records,
                                clock::Timestamp sent_hlc);

class Publisher {
 public:
  // `link` and `store` must outlive the publisher; `clock` (may be null) stamps sent_hlc.
  Publisher(NatsLink* link, storage::Store* store, const ReplicationOptions& opts,
            clock::HybridClock* clock, Metrics* metrics = nullptr);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  void Start();
  void Stop();  // idempotent; clears the store's commit listener
  // Paused: nothing is published (the change log keeps it). For drills that cut a region off.
  void SetPaused(bool paused);
  PublisherStatus status() const;
  // Last sequence of `partition` that JetStream acknowledged contiguously.
  uint64_t AckedSequence(uint32_t partition) const;

 private:
  struct InFlight {
    uint64_t id;
    uint64_t first;
    uint64_t last;
    size_t bytes;
    absl::Time sent;
    enum class State { kPending, kAcked, kFailed } state;
    uint64_t stream_seq = 0;  // from its JetStream acknowledgement
  };
  // A batch JetStream acknowledged recently: if nats-server then loses it (a kill -9 before its
  // file store wrote it, or a restarted stream sequence), it is published again from the
  // change log, which keeps it for ReplicationOptions::keep_acked_for.
  struct AckedBatch {
    uint64_t stream_seq;
    uint64_t first;
    absl::Time at;
  };
  struct Partition {
    uint64_t next = 1;   // next sequence to publish
    uint64_t acked = 0;  // contiguously acknowledged
    uint64_t persisted = 0;
    uint64_t first_kept = 1;  // first record left in the change log (an estimate until trimmed)
    absl::Time dirty_since = absl::InfiniteFuture();
    std::deque<InFlight> inflight;
    std::deque<AckedBatch> recent;  // acknowledged within keep_acked_for, oldest first
  };
  struct AckEvent {
    uint64_t id;
    bool ok;
    std::string error;
    uint64_t stream_seq = 0;  // the outbox sequence JetStream stored the message at
    bool duplicate = false;   // deduplicated: stream_seq is the original message's
  };

  static void OnAck(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                    void* closure) noexcept;
  static void OnAckSubDone(void* closure) noexcept;
  void OnCommit(uint32_t partition);
  void Run();
  bool Setup();
  // Forgets a partition's publishes in flight (their acknowledgements will be ignored).
  void ClearInFlight(Partition* part);
  void Rewind(uint32_t p, const std::string& why);
  // Publishes what is ready; returns the earliest time a lingering partition becomes ready.
  absl::Time Send(absl::Time now);
  bool PublishOne(uint32_t p, uint64_t last_committed);
  // A JetStream acknowledgement at or below a sequence the outbox already had: nats-server
  // lost acknowledged messages (a kill -9 before its file store wrote them) and reuses their
  // sequences, which the peers' consumers, whose floors may be past them, would skip. Moves
  // the stream's next sequence past the old high-water mark (a purge up to it) and publishes
  // again, under new message ids, every recent batch acknowledged at or above `seen`.
  bool RepairSequenceRegression(uint64_t seen);
  void Persist(absl::Time now);
  void Trim(absl::Time now);

  NatsLink* const link_;
  storage::Store* const store_;
  const ReplicationOptions opts_;
  clock::HybridClock* const clock_;
  Metrics* const metrics_;
  const uint32_t num_partitions_;
  std::string ack_prefix_;
  std::string outbox_stream_;

  // Owned by the publishing thread.
  std::vector<Partition> parts_;
  absl::flat_hash_map<uint64_t, uint32_t> id_partition_;
  int total_inflight_ = 0;
  uint64_t next_id_ = 1;
  uint64_t stream_high_ = 0;     // highest outbox sequence acknowledged (not deduplicated)
  uint64_t regressed_seq_ = 0;   // non-zero: a repair is due (the regressed sequence seen)
  uint32_t id_generation_ = 0;   // bumped by each repair: republished batches need new ids
  absl::Time connected_since_ = absl::InfinitePast();  // the current connection's setup
  bool ready_ = false;
  uint64_t setup_epoch_ = 0;
  absl::Duration setup_backoff_;
  absl::Time last_persist_ = absl::InfinitePast();
  absl::Time last_trim_ = absl::InfinitePast();
  NatsSubPtr ack_sub_;
  Waker waker_;  // commits, acks, pause and stop wake the publishing thread
  absl::Notification ack_sub_done_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<bool> dirty_ ABSL_GUARDED_BY(mu_);
  std::vector<AckEvent> acks_ ABSL_GUARDED_BY(mu_);
  PublisherStatus status_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> acked_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> first_kept_ ABSL_GUARDED_BY(mu_);  // mirrors Partition::first_kept
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_PUBLISHER_H_
