// RocksDB implementation of Store.
#include "storage/store.h"

namespace globaltable::storage {

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options,
                                                   clock::HybridClock* clock) {
  return absl::UnimplementedError("Store::Open");
}

uint32_t PartitionOf(absl::string_view table, const proto::AttributeValue& partition_key,
                     uint32_t num_partitions) {
  return 0;
}

}  // namespace globaltable::storage
