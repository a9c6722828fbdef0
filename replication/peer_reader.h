// PeerReader: this region's reader of one peer's outbox. Pulls batches from the durable
// consumer `to_<this region>` on the peer's stream, checks them, applies them to the Store and
// acks each message only after the apply returned OK. See docs/architecture.md (Replication)
// for the design and the table of outcomes.
//
// Memory: at most one pull request of opts.pull_batch messages (each at most
// opts.max_message_bytes) is outstanding, plus at most 4 x pull_batch messages held back
// because they arrived ahead of a gap, so the reader holds a bounded amount whatever the
// backlog; the backlog stays in the peer's outbox stream.
//
//   PeerReader reader(link, store, opts, peer, SystemClock::Default());
//   reader.Start();
//   PeerStatus s = reader.status();
//   reader.Stop();
//
// Thread-safety: Start/Stop from one owner thread; status() from any thread. The reader runs
// on its own thread; it holds no lock across NATS or store calls.
#ifndef GLOBALTABLE_REPLICATION_PEER_READER_H_
#define GLOBALTABLE_REPLICATION_PEER_READER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "clock/hlc.h"
#include "common/metrics.h"
#include "replication/batch_check.h"
#include "replication/nats_link.h"
#include "replication/options.h"
#include "replication/status.h"
#include "replication/stream_fetch.h"
#include "replication/waker.h"
#include "storage/store.h"

namespace globaltable::replication {

class PeerReader {
 public:
  // `link`, `ack_link`, `store`, `wall` and `metrics` (may be null) must outlive the reader.
  // Acks (and naks) go through `ack_link` (nullptr: `link`), a connection that coalesces its
  // writes: one system call for many acks instead of one each. `max_offset`
  // is the store clock's: a kUnavailable from a batch further ahead is clock skew, any other
  // kUnavailable (e.g. its table's creation has not arrived yet) is a plain retry.
  PeerReader(NatsLink* link, NatsLink* ack_link, storage::Store* store,
             const ReplicationOptions& opts, PeerRegion peer, clock::PhysicalClock* wall,
             absl::Duration max_offset, Metrics* metrics);
  ~PeerReader();
  PeerReader(const PeerReader&) = delete;
  PeerReader& operator=(const PeerReader&) = delete;

  void Start();
  void Stop();  // idempotent; returns after the thread has ended
  // Paused: no pulls (the backlog stays in the peer's outbox). For drills that cut a region off.
  void SetPaused(bool paused) { paused_.store(paused, std::memory_order_release); }
  PeerStatus status() const;

 private:
  void Run();
  bool Setup();     // subscription and consumer; false: retry later
  void PullOnce();  // one pull request until it ends
  // Checks the messages of one burst, applies runs of consecutive batches of a partition as
  // one batch, and hands the rest to Apply one by one.
  void HandleBurst(std::vector<NatsMsgPtr> msgs);
  void RecordApplied(const storage::ApplyResult& r, const proto::MutationBatch& batch, size_t size,
                     uint64_t messages);
  // Applies a checked batch and acks, naks, holds or dead-letters it. True when applied.
  // `batch` may live on the burst's arena; a batch that is held is copied out of it.
  bool Apply(NatsMsgPtr msg, proto::MutationBatch* batch, size_t size, absl::Time now);
  void DrainHeld(uint32_t partition);  // applies held batches the watermark has reached
  // For every partition in a gap (at most every kFillInterval each): reads the batches that
  // close it straight from the peer's outbox, outside the consumer, and applies them; then
  // drains what was held behind the gap. The consumer delivers the same batches again later,
  // as duplicates. This is what makes a gap close at catch-up speed whatever the consumer's ack
  // window holds (after a restart it holds the batches the old process never acked, which
  // JetStream only redelivers after their ack wait, behind everything else).
  void FillGaps();
  // Returns true when partition p's watermark moved.
  bool FillGap(uint32_t partition);
  // Stalled partitions: a gap older than opts_.stall_after is reported (status, metric, log).
  void UpdateStalls(absl::Time now);
  void SetBlocked();  // status and metric from fills_
  void ExpireHeld(absl::Time now);
  size_t MaxHeld() const { return static_cast<size_t>(opts_.pull_batch) * 4; }
  void RefreshStatus();
  bool DeadLetter(natsMsg* msg, RejectReason reason, const std::string& detail);
  void Ack(natsMsg* msg);
  void Nak(natsMsg* msg, absl::Duration delay);
  bool WaitFor(absl::Duration d);  // false when stopping
  absl::Duration NextBackoff(absl::Duration* backoff);
  void SetError(const std::string& error);

  NatsLink* const link_;
  NatsLink* const ack_link_;
  storage::Store* const store_;
  const ReplicationOptions opts_;
  const PeerRegion peer_;
  clock::PhysicalClock* const wall_;
  const absl::Duration max_offset_;
  Metrics* const metrics_;
  std::atomic<bool> paused_{false};
  BatchCheckContext check_ctx_;
  std::string next_subject_;  // $JS[.domain].API.CONSUMER.MSG.NEXT.<stream>.<consumer>
  std::string request_body_;

  // Owned by the reader thread.
  std::string inbox_;
  NatsSubPtr sub_;
  bool consumer_ready_ = false;
  uint64_t setup_epoch_ = 0;
  absl::Time hold_until_ = absl::InfinitePast();
  absl::Duration skew_backoff_;
  absl::Duration retry_backoff_;
  absl::Duration gap_backoff_;
  absl::Duration setup_backoff_;
  absl::Time last_refresh_ = absl::InfinitePast();
  absl::Time last_response_ = absl::InfinitePast();
  struct GapSince {
    uint64_t watermark = 0;
    absl::Time since = absl::InfiniteFuture();
  };
  std::map<uint32_t, GapSince> gaps_;  // partitions whose last batch was refused as a gap
  StreamFetcher fetcher_;
  struct Fill {
    uint64_t cursor = 0;  // stream sequence from which the next fill of the partition reads
    absl::Time last = absl::InfinitePast();
    uint64_t watermark_at_last = 0;
    bool reported_missing = false;
    bool reported_blocked = false;
    std::string blocked;  // what holds the partition back, while reported_blocked
    // The last message of this partition's subject set aside as a dead letter (0: none): what a
    // gap that nothing in the outbox closes is waiting for.
    uint64_t dead_seq = 0;
    std::string dead_why;
  };
  std::map<uint32_t, Fill> fills_;
  uint64_t ack_floor_ = 0;  // the consumer's, as of the last fill or status refresh
  // Partitions refusing batches as gaps: since when, and when last. A partition that has kept
  // refusing for opts_.stall_after is stalled: its watermark moves slower than its backlog.
  struct GapSpell {
    absl::Time first;
    absl::Time last;
    uint64_t refused_first = 0;  // first sequence of the last batch refused as a gap
    bool reported = false;
  };
  std::map<uint32_t, GapSpell> spells_;
  // Batches that arrived ahead of a gap, unacked, by partition and first sequence.
  struct Held {
    NatsMsgPtr msg;
    proto::MutationBatch batch;
    size_t size;
    absl::Time since;
  };
  std::map<uint32_t, std::map<uint64_t, Held>> held_;
  size_t held_count_ = 0;

  std::atomic<bool> stopping_{false};
  Waker waker_;  // monotonic timed waits; Stop() signals it
  std::thread thread_;

  mutable absl::Mutex mu_;
  PeerStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_PEER_READER_H_
