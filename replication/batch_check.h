// Decoding and validation of a received MutationBatch message, before it reaches the store.
//
// A batch is applied only if all of this holds; otherwise it is rejected with a RejectReason
// and dead-lettered whole (never applied in part):
//   - the message is at most max_message_bytes and parses as a MutationBatch;
//   - its origin is a peer of the deployment (id and name agree), not this region, and is the
//     owner of the outbox stream it arrived on;
//   - last_sequence >= first_sequence, the mutations cover exactly that range in order, each
//     mutation names the batch's origin and a known kind.
//
//   proto::MutationBatch* batch = google::protobuf::Arena::CreateMessage<...>(&arena);
//   BatchVerdict v = CheckBatch(data, size, ctx, batch);
//   if (v.reject) DeadLetter(*v.reject, v.detail); else store->ApplyBatch(*batch);
//
// Thread-safety: a pure function.
#ifndef GLOBALTABLE_REPLICATION_BATCH_CHECK_H_
#define GLOBALTABLE_REPLICATION_BATCH_CHECK_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "clock/version.h"
#include "proto/globaltable.pb.h"
#include "replication/options.h"
#include "replication/status.h"

namespace globaltable::replication {

struct BatchCheckContext {
  clock::RegionId self_id = 0;
  std::string self_name;
  const PeerRegion* stream_owner = nullptr;  // the peer whose outbox the message came from
  const std::vector<PeerRegion>* peers = nullptr;
  size_t max_message_bytes = 1 << 20;
};

struct BatchVerdict {
  std::optional<RejectReason> reject;  // set: do not apply
  std::string detail;                  // why, for the log and the dead-letter header
};

// Parses the message into `*batch` (cleared first; it may live on an arena, which is how the
// reader avoids freeing every item's attributes one by one) and validates it. `*batch` is
// meaningful only when the verdict does not reject.
BatchVerdict CheckBatch(const void* data, size_t size, const BatchCheckContext& ctx,
                        proto::MutationBatch* batch);

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_BATCH_CHECK_H_
