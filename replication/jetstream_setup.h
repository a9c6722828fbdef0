// Creation of the replication streams and consumers (idempotent), and the publisher's resume
// point. See names.h for the names and docs/architecture.md (Replication) for why interest
// retention and why the outbox owner creates its readers' consumers.
//
//   RETURN_IF_ERROR(EnsureOutbox(js, opts));         // stream + one consumer per peer
//   ASSIGN_OR_RETURN(uint64_t last, LastPublishedSequence(js, "us-east-1", 3));
//
// Thread-safety: stateless functions; each does blocking JetStream API requests (seconds at
// most, bounded by the context's Wait).
#ifndef GLOBALTABLE_REPLICATION_JETSTREAM_SETUP_H_
#define GLOBALTABLE_REPLICATION_JETSTREAM_SETUP_H_

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replication/options.h"

namespace globaltable::replication {

// This region's outbox stream (created or its limits updated) and a durable consumer for every
// peer in opts.peers. With opts.placement_cluster set (the supercluster topology), the stream is
// placed in that NATS cluster, i.e. on the region's own servers.
absl::Status EnsureOutbox(jsCtx* js, const ReplicationOptions& opts);
// The durable consumer `reader` reads `origin`'s outbox with; same config as EnsureOutbox makes.
absl::Status EnsureReaderConsumer(jsCtx* js, absl::string_view origin, absl::string_view reader,
                                  const ReplicationOptions& opts);
// This region's dead-letter stream (7 days, 256 MB), placed like the outbox.
absl::Status EnsureDeadLetter(jsCtx* js, const ReplicationOptions& opts);
// Gt-Last-Seq of the newest message of `region`'s outbox for `partition`; 0 when there is none.
absl::StatusOr<uint64_t> LastPublishedSequence(jsCtx* js, absl::string_view region,
                                               uint32_t partition);

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_JETSTREAM_SETUP_H_
