// The DynamoDB operations, one function each, grouped by family in
// table_operations.cc, item_operations.cc, batch_operations.cc and query_operations.cc.
// Internal to daemon/api: the dispatcher (api.cc) is their only caller.
//
// Each operation reads a parsed request object and writes the complete response object to
// `out`; on error it returns a Status (see api_error.h) and whatever it wrote is discarded.
// A failed operation changes nothing in the store.
//
// Thread-safety: operations are called concurrently from worker threads; OpContext is shared
// and read-only.
#ifndef GLOBALTABLE_DAEMON_API_OPERATIONS_H_
#define GLOBALTABLE_DAEMON_API_OPERATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "clock/version.h"
#include "daemon/api/json_codec.h"
#include "rapidjson/document.h"
#include "daemon/control/region_control.h"
#include "storage/store.h"

namespace globaltable::daemon::api {

struct OpContext {
  storage::Store* store = nullptr;
  std::string region_name;
  clock::RegionId region_id = 1;
  std::string account_id = "000000000000";
  std::vector<std::string> replica_regions;  // every region of the deployment, this one included
  // Write modes and single-primary tables; nullptr admits every write (tests, tools).
  RegionControl* control = nullptr;
};

// Admits a write to `schema`'s table under the region's write mode and the table's primary
// region (kFailedPrecondition -> WriteRejectedException). Hold the ticket until the write
// returns: fencing waits for admitted writes to commit.
inline absl::StatusOr<RegionControl::WriteTicket> AdmitWrite(const OpContext& ctx,
                                                             const proto::TableSchema& schema) {
  if (ctx.control == nullptr) return RegionControl::WriteTicket();
  return ctx.control->BeginWrite(schema);
}

// The same for CreateTable, DeleteTable and UpdateTable.
inline absl::Status AdmitTableChange(const OpContext& ctx) {
  return ctx.control == nullptr ? absl::OkStatus() : ctx.control->CheckTableChange();
}

using Operation = absl::Status (*)(const OpContext& ctx, const rapidjson::Value& request,
                                   JsonWriter* out);

absl::Status CreateTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status DescribeTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status ListTables(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status DeleteTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status UpdateTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);

absl::Status PutItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status GetItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status UpdateItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status DeleteItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);

absl::Status BatchWriteItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status BatchGetItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);

absl::Status Query(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status Scan(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_OPERATIONS_H_
