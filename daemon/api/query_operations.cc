// Query and Scan: key conditions, filters, projections, Select, Limit, pagination with the 1 MB
// page limit, ScanIndexForward and parallel scan segments.
//
// As in DynamoDB, Limit and the 1 MB page limit count items *read* (before the filter), and
// LastEvaluatedKey is the key of the last item read whenever the page stopped early.
// Thread-safety: see operations.h.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "storage/value.h"

namespace globaltable::daemon::api {
namespace {

constexpr size_t kPageBytes = 1 << 20;

enum class Select { kAll, kSpecific, kCount };

struct ReadRequest {
  std::shared_ptr<const proto::TableSchema> table;
  std::unique_ptr<RequestExpressions> exprs;
  std::optional<expr::Condition> filter;
  ItemProjection projection;
  Select select = Select::kAll;
  std::optional<int64_t> limit;
  std::optional<proto::Item> exclusive_start_key;
  bool consistent = false;
  CapacityMode capacity = CapacityMode::kNone;
};

// The parameters Query and Scan share. Expressions are parsed but not Finish()ed: Query adds
// its key condition first.
absl::StatusOr<ReadRequest> ParseReadRequest(const OpContext& ctx,
                                             const rapidjson::Value& request) {
  RETURN_IF_ERROR(RejectLegacy(request));
  ReadRequest r;
  ASSIGN_OR_RETURN(r.table, GetTableRef(ctx, request));
  ASSIGN_OR_RETURN(std::optional<std::string> index, OptionalString(request, "IndexName"));
  if (index) {
    return absl::InvalidArgumentError(
        absl::StrCat("The table does not have the specified index: ", *index));
  }
  ASSIGN_OR_RETURN(r.exprs, RequestExpressions::Parse(request));
  ASSIGN_OR_RETURN(r.filter, r.exprs->ParseCondition(request, "FilterExpression",
                                                     expr::ExpressionKind::kFilter));
  ASSIGN_OR_RETURN(r.projection, r.exprs->ParseProjection(request));
  ASSIGN_OR_RETURN(
      std::string select,
      OptionalEnum(request, "Select",
                   {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"},
                   r.projection.all() ? "ALL_ATTRIBUTES" : "SPECIFIC_ATTRIBUTES"));
  const char* projection_name =
      Member(request, "ProjectionExpression") ? "ProjectionExpression" : "AttributesToGet";
  if (select == "ALL_PROJECTED_ATTRIBUTES") {
    return absl::InvalidArgumentError(
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  } else if (select == "SPECIFIC_ATTRIBUTES") {
    if (r.projection.all()) {
      return absl::InvalidArgumentError(
          "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
          "SPECIFIC_ATTRIBUTES");
    }
    r.select = Select::kSpecific;
  } else if (!r.projection.all()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Cannot specify the ", projection_name, " when choosing to get ", select));
  } else {
    r.select = select == "COUNT" ? Select::kCount : Select::kAll;
  }
  ASSIGN_OR_RETURN(r.limit, OptionalInt(request, "Limit"));
  if (r.limit && *r.limit < 1) {
    return ConstraintViolation(absl::StrCat(*r.limit), "limit",
                               "Member must have value greater than or equal to 1");
  }
  if (const rapidjson::Value* esk = Member(request, "ExclusiveStartKey")) {
    absl::StatusOr<proto::Item> key = DecodeItem(*esk, "ExclusiveStartKey");
    absl::Status valid = key.ok() ? storage::ValidateKey(*r.table, *key) : key.status();
    if (!valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("The provided starting key is invalid: ", valid.message()));
    }
    r.exclusive_start_key = std::move(*key);
  }
  ASSIGN_OR_RETURN(r.consistent, OptionalBool(request, "ConsistentRead", false));
  ASSIGN_OR_RETURN(r.capacity, ParseCapacityMode(request));
  return r;
}

// Runs the read and writes the whole response.
absl::Status RunRead(const OpContext& ctx, const ReadRequest& r, const storage::ScanSpec& spec,
                     JsonWriter* out) {
  absl::Status error;
  int64_t scanned = 0;
  int64_t count = 0;
  size_t bytes = 0;
  bool stopped = false;
  std::optional<proto::Item> last;
  out->StartObject();
  if (r.select != Select::kCount) {
    out->Key("Items");
    out->StartArray();
  }
  RETURN_IF_ERROR(ctx.store->Scan(spec, [&](const proto::Item& item, size_t item_size) {
    ++scanned;
    bytes += item_size;
    bool keep = true;
    if (r.filter) {
      absl::StatusOr<bool> holds = r.filter->Evaluate(&item);
      if (!holds.ok()) {
        error = holds.status();
        return false;
      }
      keep = *holds;
    }
    if (keep) {
      ++count;
      if (r.select != Select::kCount) {
        // Not `all() ? item : Apply(item)`: that expression is a copy of the item.
        if (r.projection.all()) {
          EncodeItem(item, out);
        } else {
          EncodeItem(r.projection.Apply(item), out);
        }
      }
    }
    if ((r.limit && scanned >= *r.limit) || bytes >= kPageBytes) {
      stopped = true;
      absl::StatusOr<proto::Item> key = storage::ExtractKey(*r.table, item);
      if (!key.ok()) {
        error = key.status();
      } else {
        last = std::move(*key);
      }
      return false;
    }
    return true;
  }));
  RETURN_IF_ERROR(error);
  if (r.select != Select::kCount) out->EndArray();
  out->Key("Count");
  out->Int64(count);
  out->Key("ScannedCount");
  out->Int64(scanned);
  if (stopped && last) {
    out->Key("LastEvaluatedKey");
    EncodeItem(*last, out);
  }
  WriteConsumedCapacity(r.capacity, r.table->name(), ReadUnits(bytes, r.consistent),
                        /*is_write=*/false, out);
  out->EndObject();
  return absl::OkStatus();
}

}  // namespace

absl::Status Query(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(ReadRequest r, ParseReadRequest(ctx, request));
  ASSIGN_OR_RETURN(std::optional<expr::KeyCondition> key_condition,
                   r.exprs->ParseKeyCondition(request, *r.table));
  if (!key_condition) {
    return absl::InvalidArgumentError(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.");
  }
  RETURN_IF_ERROR(r.exprs->Finish());
  if (r.filter) {
    for (const std::string& a : r.filter->attributes()) {
      if (a == r.table->partition_key().name() || a == r.table->sort_key().name()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Filter Expression can only contain non-primary key attributes: Primary key "
            "attribute: ",
            a));
      }
    }
  }
  storage::ScanSpec spec;
  spec.table = r.table->name();
  spec.partition_key = key_condition->partition_key;
  spec.sort_key = key_condition->sort_key;
  ASSIGN_OR_RETURN(spec.forward, OptionalBool(request, "ScanIndexForward", true));
  if (r.exclusive_start_key) {
    const proto::AttributeValue* pk =
        storage::FindAttribute(*r.exclusive_start_key, r.table->partition_key().name());
    if (pk == nullptr || !storage::ValuesEqual(*pk, key_condition->partition_key)) {
      return absl::InvalidArgumentError(
          "The provided starting key is outside query boundaries based on provided conditions");
    }
  }
  spec.exclusive_start_key = r.exclusive_start_key;
  return RunRead(ctx, r, spec, out);
}

absl::Status Scan(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(ReadRequest r, ParseReadRequest(ctx, request));
  RETURN_IF_ERROR(r.exprs->Finish());
  ASSIGN_OR_RETURN(std::optional<int64_t> segment, OptionalInt(request, "Segment"));
  ASSIGN_OR_RETURN(std::optional<int64_t> total, OptionalInt(request, "TotalSegments"));
  storage::ScanSpec spec;
  spec.table = r.table->name();
  if (segment || total) {
    if (!total) {
      return absl::InvalidArgumentError(
          "The TotalSegments parameter is required but was not present in the request when "
          "Segment parameter is present");
    }
    if (!segment) {
      return absl::InvalidArgumentError(
          "The Segment parameter is required but was not present in the request when parameter "
          "TotalSegments is present");
    }
    if (*total < 1 || *total > 1000000) {
      return ConstraintViolation(absl::StrCat(*total), "totalSegments",
                                 *total < 1 ? "Member must have value greater than or equal to 1"
                                            : "Member must have value less than or equal to "
                                              "1000000");
    }
    if (*segment < 0) {
      return ConstraintViolation(absl::StrCat(*segment), "segment",
                                 "Member must have value greater than or equal to 0");
    }
    if (*segment >= *total) {
      return absl::InvalidArgumentError(absl::StrCat(
          "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
          "Segment: ",
          *segment, " is not less than TotalSegments: ", *total));
    }
    spec.segment = static_cast<uint32_t>(*segment);
    spec.total_segments = static_cast<uint32_t>(*total);
  }
  spec.exclusive_start_key = r.exclusive_start_key;
  return RunRead(ctx, r, spec, out);
}

}  // namespace globaltable::daemon::api
