// Batch operations: BatchWriteItem and BatchGetItem. Thread-safety: see operations.h.
#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"

namespace globaltable::daemon::api {

absl::Status BatchWriteItem(const OpContext& ctx, const rapidjson::Value& request,
                            JsonWriter* out) {
  return ApiError::UnknownOperation("BatchWriteItem is not implemented yet").status();
}

absl::Status BatchGetItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  return ApiError::UnknownOperation("BatchGetItem is not implemented yet").status();
}

}  // namespace globaltable::daemon::api
