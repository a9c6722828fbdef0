// Query and Scan. Thread-safety: see operations.h.
#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"

namespace globaltable::daemon::api {

absl::Status Query(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  return ApiError::UnknownOperation("Query is not implemented yet").status();
}

absl::Status Scan(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  return ApiError::UnknownOperation("Scan is not implemented yet").status();
}

}  // namespace globaltable::daemon::api
