// Capacity-unit arithmetic. Pure functions; thread-safe.
#include "daemon/api/capacity.h"

#include "common/status_macros.h"
#include "daemon/api/request.h"

namespace globaltable::daemon::api {
namespace {

constexpr uint64_t kReadUnitBytes = 4096;
constexpr uint64_t kWriteUnitBytes = 1024;

void WriteEntry(CapacityMode mode, const std::string& table, double units, bool is_write,
                JsonWriter* out) {
  out->StartObject();
  out->Key("TableName");
  WriteString(out, table);
  out->Key("CapacityUnits");
  out->Double(units);
  out->Key(is_write ? "WriteCapacityUnits" : "ReadCapacityUnits");
  out->Double(units);
  if (mode == CapacityMode::kIndexes) {
    out->Key("Table");
    out->StartObject();
    out->Key("CapacityUnits");
    out->Double(units);
    out->Key(is_write ? "WriteCapacityUnits" : "ReadCapacityUnits");
    out->Double(units);
    out->EndObject();
  }
  out->EndObject();
}

}  // namespace

absl::StatusOr<CapacityMode> ParseCapacityMode(const rapidjson::Value& request) {
  ASSIGN_OR_RETURN(std::string mode, OptionalEnum(request, "ReturnConsumedCapacity",
                                                  {"INDEXES", "TOTAL", "NONE"}, "NONE"));
  if (mode == "TOTAL") return CapacityMode::kTotal;
  if (mode == "INDEXES") return CapacityMode::kIndexes;
  return CapacityMode::kNone;
}

double ReadUnits(uint64_t bytes, bool consistent) {
  uint64_t units = (bytes + kReadUnitBytes - 1) / kReadUnitBytes;
  if (units == 0) units = 1;
  return consistent ? static_cast<double>(units) : static_cast<double>(units) / 2;
}

double WriteUnits(uint64_t bytes) {
  uint64_t units = (bytes + kWriteUnitBytes - 1) / kWriteUnitBytes;
  return static_cast<double>(units == 0 ? 1 : units);
}

void WriteConsumedCapacity(CapacityMode mode, const std::string& table, double units, bool is_write,
                           JsonWriter* out) {
  if (mode == CapacityMode::kNone) return;
  out->Key("ConsumedCapacity");
  WriteEntry(mode, table, units, is_write, out);
}

void WriteConsumedCapacityList(CapacityMode mode, const std::map<std::string, double>& units,
                               bool is_write, JsonWriter* out) {
  if (mode == CapacityMode::kNone) return;
  out->Key("ConsumedCapacity");
  out->StartArray();
  for (const auto& [table, u] : units) WriteEntry(mode, table, u, is_write, out);
  out->EndArray();
}

}  // namespace globaltable::daemon::api
