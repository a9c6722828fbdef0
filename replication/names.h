// Subject, stream and consumer names of the replication wire, in one place.
//
//   gt.<region>.outbox.<partition>      MutationBatch messages of <region>
//   GT_OUTBOX_<region>                  the stream holding them
//   to_<reader>                         durable pull consumer of <reader> on a peer's outbox
//   gt.<region>.deadletter.<reason>     batches <region> refused, set aside
//   GT_DEADLETTER_<region>              the stream holding them
//
// Region names are DNS-like (letters, digits, '-'), valid in both subjects and stream names.
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_REPLICATION_NAMES_H_
#define GLOBALTABLE_REPLICATION_NAMES_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace globaltable::replication {

inline std::string OutboxStream(absl::string_view region) {
  return absl::StrCat("GT_OUTBOX_", region);
}
inline std::string OutboxSubject(absl::string_view region, uint32_t partition) {
  return absl::StrCat("gt.", region, ".outbox.", partition);
}
inline std::string OutboxWildcard(absl::string_view region) {
  return absl::StrCat("gt.", region, ".outbox.*");
}
inline std::string ConsumerName(absl::string_view reader) { return absl::StrCat("to_", reader); }
inline std::string DeadLetterStream(absl::string_view region) {
  return absl::StrCat("GT_DEADLETTER_", region);
}
inline std::string DeadLetterSubject(absl::string_view region, absl::string_view reason) {
  return absl::StrCat("gt.", region, ".deadletter.", reason);
}
inline std::string DeadLetterWildcard(absl::string_view region) {
  return absl::StrCat("gt.", region, ".deadletter.>");
}
// JetStream API prefix for a domain ("" = the connection's own JetStream).
inline std::string ApiPrefix(absl::string_view domain) {
  return domain.empty() ? std::string("$JS.API") : absl::StrCat("$JS.", domain, ".API");
}
// NATS message id of a batch: identical republishes dedupe, differently cut ones do not (see
// docs/architecture.md, Replication).
inline std::string BatchMsgId(uint32_t origin, uint32_t partition, uint64_t first, uint64_t last) {
  return absl::StrCat(origin, "-", partition, "-", first, "-", last);
}

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_NAMES_H_
