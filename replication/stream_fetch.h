// Reading one message of a JetStream stream directly, by stream sequence and subject, outside
// any consumer: the way a reader obtains the batch that closes a gap whatever its consumer's
// ack window holds (see docs/reliability.md, "Restart under load").
//
//   StreamFetcher f(link);
//   ASSIGN_OR_RETURN(std::optional<StreamMessage> m,
//                    f.NextBySubject("", "GT_OUTBOX_eu-west-1", "gt.eu-west-1.outbox.3", 1200));
//   if (m) Use(m->sequence, m->data);   // the first message of that subject at 1200 or later
//
// It uses the JetStream API's STREAM.MSG.GET request with `next_by_subj`, which every
// nats-server since 2.9 answers (also across domains, through the domain's API prefix).
//
// Thread-safety: a StreamFetcher is used by one thread at a time; the NatsLink may be shared.
// Errors: kUnavailable when NATS does not answer (retry later), kInternal for an answer that
// cannot be read. A sequence beyond the stream's last message, or no message of the subject at
// or after it, is not an error: std::nullopt.
#ifndef GLOBALTABLE_REPLICATION_STREAM_FETCH_H_
#define GLOBALTABLE_REPLICATION_STREAM_FETCH_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "replication/nats_link.h"

namespace globaltable::replication {

struct StreamMessage {
  uint64_t sequence = 0;  // stream sequence
  std::string data;       // payload, decoded from the API's base64
};

// Parses the JSON answer of STREAM.MSG.GET. Pure; exposed for tests.
absl::StatusOr<std::optional<StreamMessage>> ParseMsgGetResponse(absl::string_view json);

class StreamFetcher {
 public:
  explicit StreamFetcher(NatsLink* link, absl::Duration timeout = absl::Seconds(2))
      : link_(link), timeout_(timeout) {}

  // The first message of `subject` in `stream` (of JetStream domain `domain`, "" = own) whose
  // stream sequence is at least `from`.
  absl::StatusOr<std::optional<StreamMessage>> NextBySubject(absl::string_view domain,
                                                             absl::string_view stream,
                                                             absl::string_view subject,
                                                             uint64_t from);

 private:
  NatsLink* const link_;
  const absl::Duration timeout_;
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_STREAM_FETCH_H_
