// StoreImpl::Scan: Query and Scan over the items family.
#include "storage/store_impl.h"

namespace globaltable::storage {

absl::Status StoreImpl::Scan(const ScanSpec& spec, const ScanVisitor& visit) const {
  return absl::UnimplementedError("Scan");
}

}  // namespace globaltable::storage
