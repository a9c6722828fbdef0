// Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
//
// Writes go through Store::Write with a decision function that evaluates the condition (and
// applies the update) on the current item under the store's per-key lock, so the check and the
// write are atomic; a refused condition or a failed update writes nothing.
// Thread-safety: see operations.h.
#include "common/status_macros.h"
#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "storage/value.h"

namespace globaltable::daemon::api {
namespace {

absl::StatusOr<proto::Item> RequiredItem(const rapidjson::Value& request, const char* member) {
  const rapidjson::Value* v = Member(request, member);
  if (v == nullptr) return MissingMember(member);
  return DecodeItem(*v, member);
}

// The key of an item operation, validated against the schema.
absl::StatusOr<proto::Item> RequiredKey(const rapidjson::Value& request,
                                        const proto::TableSchema& schema) {
  ASSIGN_OR_RETURN(proto::Item key, RequiredItem(request, "Key"));
  RETURN_IF_ERROR(storage::ValidateKey(schema, key));
  return key;
}

size_t SizeOf(const std::optional<proto::Item>& item) {
  return item ? storage::ItemSize(*item) : 0;
}

void FinishWrite(const std::string& table, CapacityMode capacity, ReturnValues rv,
                 const storage::WriteResult& result, const expr::Update* update, JsonWriter* out) {
  out->StartObject();
  WriteReturnValues(rv, result.old_item, result.new_item, update, out);
  if (capacity != CapacityMode::kNone) {
    WriteConsumedCapacity(capacity, table,
                          WriteUnits(std::max(SizeOf(result.old_item), SizeOf(result.new_item))),
                          /*is_write=*/true, out);
  }
  out->EndObject();
}

// What the three single-item writes share once their request is parsed: admission, the write
// under the key's lock with the condition checked first, and the answer. `decide` makes the
// write from the current item once the condition held; the store runs it once.
template <typename Decide>
absl::Status RunItemWrite(const OpContext& ctx, const proto::TableSchema& schema,
                          const proto::Item& key, const std::optional<expr::Condition>& condition,
                          bool return_old, ReturnValues rv, CapacityMode capacity,
                          const expr::Update* update, Decide decide, JsonWriter* out) {
  ASSIGN_OR_RETURN(RegionControl::WriteTicket ticket, AdmitWrite(ctx, schema));
  WriteLoad::Slot load = StartWrite(ctx);
  ASSIGN_OR_RETURN(
      storage::WriteResult result,
      ctx.store->Write(schema.name(), key,
                       [&](const proto::Item* current) -> absl::StatusOr<storage::WriteDecision> {
                         RETURN_IF_ERROR(CheckCondition(condition, current, return_old));
                         return decide(current);
                       }));
  FinishWrite(schema.name(), capacity, rv, result, update, out);
  return absl::OkStatus();
}

}  // namespace

absl::Status PutItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  RETURN_IF_ERROR(RejectLegacy(request));
  ASSIGN_OR_RETURN(std::shared_ptr<const proto::TableSchema> table, GetTableRef(ctx, request));
  const proto::TableSchema& schema = *table;
  ASSIGN_OR_RETURN(proto::Item item, RequiredItem(request, "Item"));
  RETURN_IF_ERROR(storage::ValidateItemForWrite(schema, item));
  ASSIGN_OR_RETURN(proto::Item key, storage::ExtractKey(schema, item));
  ASSIGN_OR_RETURN(auto exprs, RequestExpressions::Parse(request));
  ASSIGN_OR_RETURN(auto condition, exprs->ParseCondition(request, "ConditionExpression",
                                                         expr::ExpressionKind::kCondition));
  RETURN_IF_ERROR(exprs->Finish());
  ASSIGN_OR_RETURN(ReturnValues rv, ParseReturnValues(request, /*allowed_all=*/false));
  ASSIGN_OR_RETURN(bool return_old, ParseReturnOldOnConditionFailure(request));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));

  return RunItemWrite(
      ctx, schema, key, condition, return_old, rv, capacity, nullptr,
      [&](const proto::Item*) -> absl::StatusOr<storage::WriteDecision> {
        // The store runs the decision once: the item is not needed after.
        return storage::WriteDecision::Put(std::move(item));
      },
      out);
}

absl::Status GetItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(std::shared_ptr<const proto::TableSchema> table, GetTableRef(ctx, request));
  const proto::TableSchema& schema = *table;
  ASSIGN_OR_RETURN(proto::Item key, RequiredKey(request, schema));
  ASSIGN_OR_RETURN(auto exprs, RequestExpressions::Parse(request));
  ASSIGN_OR_RETURN(ItemProjection projection, exprs->ParseProjection(request));
  RETURN_IF_ERROR(exprs->Finish());
  ASSIGN_OR_RETURN(bool consistent, OptionalBool(request, "ConsistentRead", false));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));

  ASSIGN_OR_RETURN(std::optional<proto::Item> item, ctx.store->GetItem(schema.name(), key));
  out->StartObject();
  if (item) {
    out->Key("Item");
    // Not `all() ? *item : Apply(*item)`: that expression is a copy of the item.
    if (projection.all()) {
      EncodeItem(*item, out);
    } else {
      EncodeItem(projection.Apply(*item), out);
    }
  }
  if (capacity != CapacityMode::kNone) {
    WriteConsumedCapacity(capacity, schema.name(), ReadUnits(SizeOf(item), consistent),
                          /*is_write=*/false, out);
  }
  out->EndObject();
  return absl::OkStatus();
}

absl::Status UpdateItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  RETURN_IF_ERROR(RejectLegacy(request));
  ASSIGN_OR_RETURN(std::shared_ptr<const proto::TableSchema> table, GetTableRef(ctx, request));
  const proto::TableSchema& schema = *table;
  ASSIGN_OR_RETURN(proto::Item key, RequiredKey(request, schema));
  ASSIGN_OR_RETURN(auto exprs, RequestExpressions::Parse(request));
  ASSIGN_OR_RETURN(auto update, exprs->ParseUpdate(request, schema));
  ASSIGN_OR_RETURN(auto condition, exprs->ParseCondition(request, "ConditionExpression",
                                                         expr::ExpressionKind::kCondition));
  RETURN_IF_ERROR(exprs->Finish());
  ASSIGN_OR_RETURN(ReturnValues rv, ParseReturnValues(request, /*allowed_all=*/true));
  ASSIGN_OR_RETURN(bool return_old, ParseReturnOldOnConditionFailure(request));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));

  return RunItemWrite(
      ctx, schema, key, condition, return_old, rv, capacity, update ? &*update : nullptr,
      [&](const proto::Item* current) -> absl::StatusOr<storage::WriteDecision> {
        ASSIGN_OR_RETURN(proto::Item next, UpdatedItem(schema, key, update, current));
        return storage::WriteDecision::Put(std::move(next));
      },
      out);
}

absl::Status DeleteItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  RETURN_IF_ERROR(RejectLegacy(request));
  ASSIGN_OR_RETURN(std::shared_ptr<const proto::TableSchema> table, GetTableRef(ctx, request));
  const proto::TableSchema& schema = *table;
  ASSIGN_OR_RETURN(proto::Item key, RequiredKey(request, schema));
  ASSIGN_OR_RETURN(auto exprs, RequestExpressions::Parse(request));
  ASSIGN_OR_RETURN(auto condition, exprs->ParseCondition(request, "ConditionExpression",
                                                         expr::ExpressionKind::kCondition));
  RETURN_IF_ERROR(exprs->Finish());
  ASSIGN_OR_RETURN(ReturnValues rv, ParseReturnValues(request, /*allowed_all=*/false));
  ASSIGN_OR_RETURN(bool return_old, ParseReturnOldOnConditionFailure(request));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));

  return RunItemWrite(
      ctx, schema, key, condition, return_old, rv, capacity, nullptr,
      [](const proto::Item* current) -> absl::StatusOr<storage::WriteDecision> {
        // A tombstone even when no item is here: a put this region has not seen yet may be
        // on its way, and must lose to this later delete (last-writer-wins).
        return storage::WriteDecision::Delete();
      },
      out);
}

}  // namespace globaltable::daemon::api
