// StoreImpl::ApplyBatch: remote mutations with LWW.
#include "storage/store_impl.h"

namespace globaltable::storage {

struct StoreImpl::PreparedApply {};

absl::StatusOr<ApplyResult> StoreImpl::ApplyBatch(const proto::MutationBatch& batch) {
  return absl::UnimplementedError("ApplyBatch");
}

absl::Status StoreImpl::PrepareApply(const proto::MutationBatch& batch,
                                     PreparedApply* prepared) const {
  return absl::UnimplementedError("ApplyBatch");
}

}  // namespace globaltable::storage
