// DynamoDB's capacity-unit arithmetic and the ConsumedCapacity response member.
//
// Reads: one unit per 4 KB (rounded up) of item data read, at least one unit; eventually
// consistent reads cost half. Writes: one unit per 1 KB (rounded up) of the larger of the item
// before and after the write, at least one unit. Query and Scan round the sum of all items read
// (before any filter), not each item.
//
//   CapacityMode mode = ...ParseCapacityMode(request)...;
//   double units = ReadUnits(ItemSize(item), consistent);   // 8 KB eventually consistent -> 1.0
//   WriteConsumedCapacity(mode, "orders", units, /*is_write=*/false, out);
//
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_DAEMON_API_CAPACITY_H_
#define GLOBALTABLE_DAEMON_API_CAPACITY_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/api/json_codec.h"
#include "rapidjson/document.h"

namespace globaltable::daemon::api {

enum class CapacityMode { kNone, kTotal, kIndexes };

// ReturnConsumedCapacity: NONE (default), TOTAL or INDEXES.
absl::StatusOr<CapacityMode> ParseCapacityMode(const rapidjson::Value& request);

double ReadUnits(uint64_t bytes, bool consistent);
double WriteUnits(uint64_t bytes);

// Writes "ConsumedCapacity": {...} for one table (nothing for kNone).
void WriteConsumedCapacity(CapacityMode mode, const std::string& table, double units, bool is_write,
                           JsonWriter* out);
// Batch operations: "ConsumedCapacity": [{...}, ...], one entry per table.
void WriteConsumedCapacityList(CapacityMode mode, const std::map<std::string, double>& units,
                               bool is_write, JsonWriter* out);

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_CAPACITY_H_
