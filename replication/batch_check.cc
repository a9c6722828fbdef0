// Batch validation. Thread-safety: see batch_check.h.
#include "replication/batch_check.h"

#include "absl/strings/str_cat.h"

namespace globaltable::replication {
namespace {

BatchVerdict Reject(RejectReason r, std::string detail) {
  BatchVerdict v;
  v.reject = r;
  v.detail = std::move(detail);
  return v;
}

}  // namespace

BatchVerdict CheckBatch(const void* data, size_t size, const BatchCheckContext& ctx,
                        proto::MutationBatch* batch) {
  if (size > ctx.max_message_bytes) {
    return Reject(RejectReason::kOversized,
                  absl::StrCat(size, " bytes > limit ", ctx.max_message_bytes));
  }
  BatchVerdict v;
  if (size > static_cast<size_t>(INT32_MAX) ||
      !batch->ParseFromArray(data, static_cast<int>(size))) {
    return Reject(RejectReason::kUndecodable, absl::StrCat(size, " bytes do not parse"));
  }
  const proto::MutationBatch& b = *batch;
  if (b.origin_region() == ctx.self_id || b.origin_name() == ctx.self_name) {
    return Reject(RejectReason::kFromSelf, absl::StrCat("origin ", b.origin_region(), " \"",
                                                        b.origin_name(), "\" is this region"));
  }
  const PeerRegion* origin = nullptr;
  if (ctx.peers != nullptr) {
    for (const PeerRegion& p : *ctx.peers) {
      if (p.id == b.origin_region()) origin = &p;
    }
  }
  if (origin == nullptr || origin->name != b.origin_name()) {
    return Reject(RejectReason::kUnknownRegion,
                  absl::StrCat("origin ", b.origin_region(), " \"", b.origin_name(),
                               "\" is not a region of the deployment"));
  }
  if (ctx.stream_owner == nullptr || origin->id != ctx.stream_owner->id) {
    return Reject(RejectReason::kWrongStream,
                  absl::StrCat("origin ", origin->name, " on the outbox of ",
                               ctx.stream_owner == nullptr ? "?" : ctx.stream_owner->name));
  }
  if (b.first_sequence() == 0 || b.last_sequence() < b.first_sequence() ||
      static_cast<uint64_t>(b.mutations_size()) != b.last_sequence() - b.first_sequence() + 1) {
    return Reject(RejectReason::kInvalid,
                  absl::StrCat("range ", b.first_sequence(), "-", b.last_sequence(), " with ",
                               b.mutations_size(), " mutations"));
  }
  uint64_t seq = b.first_sequence();
  for (const proto::Mutation& m : b.mutations()) {
    if (m.sequence() != seq) {
      return Reject(RejectReason::kInvalid,
                    absl::StrCat("mutation sequence ", m.sequence(), ", expected ", seq));
    }
    if (m.origin_region() != b.origin_region()) {
      return Reject(RejectReason::kInvalid,
                    absl::StrCat("mutation ", seq, " from region ", m.origin_region()));
    }
    if (m.kind() == proto::Mutation::KIND_UNSPECIFIED || !proto::Mutation::Kind_IsValid(m.kind())) {
      return Reject(RejectReason::kInvalid, absl::StrCat("mutation ", seq, " has no kind"));
    }
    ++seq;
  }
  return v;
}

}  // namespace globaltable::replication
