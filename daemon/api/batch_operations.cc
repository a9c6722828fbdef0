// Batch operations: BatchWriteItem (up to 25 puts and deletes) and BatchGetItem (up to 100
// keys, 16 MB per response).
//
// The whole request is validated before anything is written or read, so a malformed batch
// changes nothing. Each table's members are written as one store commit. Members not written
// because the region's write path is saturated (ApiOptions::max_pending_writes) or because the
// store failed them come back in
// UnprocessedItems, exactly as they were sent, and keys past the 16 MB response limit in
// UnprocessedKeys, for the client to resend, as DynamoDB does. A batch of which nothing could be
// written is an error (ProvisionedThroughputExceededException under load).
// Thread-safety: see operations.h.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "storage/key_codec.h"
#include "storage/value.h"

namespace globaltable::daemon::api {
namespace {

constexpr size_t kMaxWrites = 25;
constexpr size_t kMaxKeys = 100;
constexpr size_t kMaxResponseBytes = 16 << 20;

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

absl::Status Duplicates() {
  return absl::InvalidArgumentError("Provided list of item keys contains duplicates");
}

absl::StatusOr<const rapidjson::Value*> RequestItems(const rapidjson::Value& request,
                                                     absl::string_view op) {
  const rapidjson::Value* items = Member(request, "RequestItems");
  if (items == nullptr) return MissingMember("RequestItems");
  if (!items->IsObject()) {
    return ApiError::Serialization("RequestItems must be a map").status();
  }
  if (items->MemberCount() == 0) {
    return ConstraintViolation("{}", "requestItems",
                               "Member must have length greater than or equal to 1");
  }
  return items;
}

struct WriteRequest {
  const proto::TableSchema* schema;
  const rapidjson::Value* json;  // the original request entry, echoed in UnprocessedItems
  proto::Item key;
  std::optional<proto::Item> item;  // set for a put
};

struct GetTableRequest {
  proto::TableSchema schema;
  const rapidjson::Value* json;
  std::unique_ptr<RequestExpressions> exprs;
  ItemProjection projection;
  bool consistent = false;
  std::vector<proto::Item> keys;
};

// Writes the table entry of UnprocessedKeys: the original entry with only `keys` left.
void WriteUnprocessedKeys(const GetTableRequest& t, size_t first_unprocessed, JsonWriter* out) {
  out->StartObject();
  for (auto it = t.json->MemberBegin(); it != t.json->MemberEnd(); ++it) {
    if (View(it->name) == "Keys") continue;
    WriteString(out, View(it->name));
    it->value.Accept(*out);
  }
  out->Key("Keys");
  out->StartArray();
  for (size_t i = first_unprocessed; i < t.keys.size(); ++i) EncodeItem(t.keys[i], out);
  out->EndArray();
  out->EndObject();
}

}  // namespace

absl::Status BatchWriteItem(const OpContext& ctx, const rapidjson::Value& request,
                            JsonWriter* out) {
  ASSIGN_OR_RETURN(const rapidjson::Value* items, RequestItems(request, "BatchWriteItem"));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));
  std::map<std::string, proto::TableSchema> schemas;
  std::vector<WriteRequest> writes;
  for (auto t = items->MemberBegin(); t != items->MemberEnd(); ++t) {
    std::string table(View(t->name));
    ASSIGN_OR_RETURN(proto::TableSchema schema, GetTableByName(ctx, table));
    const proto::TableSchema* s = &(schemas[table] = std::move(schema));
    if (!t->value.IsArray() || t->value.Empty()) {
      return ConstraintViolation("[]", "requestItems.member",
                                 "Member must have length greater than or equal to 1");
    }
    std::set<std::string> seen;
    for (const rapidjson::Value& entry : t->value.GetArray()) {
      if (writes.size() == kMaxWrites) {
        return ConstraintViolation(
            "{...}", "requestItems",
            "Map value must satisfy constraint: [Member must have length less than or equal to "
            "25, Member must have length greater than or equal to 1]");
      }
      const rapidjson::Value* put = Member(entry, "PutRequest");
      const rapidjson::Value* del = Member(entry, "DeleteRequest");
      if ((put == nullptr) == (del == nullptr)) {
        return absl::InvalidArgumentError(
            "Each WriteRequest must contain exactly one of PutRequest or DeleteRequest");
      }
      WriteRequest w{s, &entry, {}, std::nullopt};
      if (put != nullptr) {
        const rapidjson::Value* item_json = Member(*put, "Item");
        if (item_json == nullptr) return MissingMember("requestItems.member.putRequest.item");
        ASSIGN_OR_RETURN(proto::Item item, DecodeItem(*item_json, "Item"));
        RETURN_IF_ERROR(storage::ValidateItemForWrite(*s, item));
        ASSIGN_OR_RETURN(w.key, storage::ExtractKey(*s, item));
        w.item = std::move(item);
      } else {
        const rapidjson::Value* key_json = Member(*del, "Key");
        if (key_json == nullptr) return MissingMember("requestItems.member.deleteRequest.key");
        ASSIGN_OR_RETURN(w.key, DecodeItem(*key_json, "Key"));
        RETURN_IF_ERROR(storage::ValidateKey(*s, w.key));
      }
      if (!seen.insert(storage::EncodeKeySuffix(*s, w.key)).second) return Duplicates();
      writes.push_back(std::move(w));
    }
  }

  // Every table must admit the writes before anything is written, so a refused batch changes
  // nothing. One ticket is held across the writes (fencing waits for it); the others are only
  // checks, because a second reader ticket on one thread could deadlock behind a waiting fence.
  for (auto it = std::next(schemas.begin()); it != schemas.end(); ++it) {
    RETURN_IF_ERROR(AdmitWrite(ctx, it->second).status());
  }
  ASSIGN_OR_RETURN(RegionControl::WriteTicket ticket, AdmitWrite(ctx, schemas.begin()->second));
  std::map<std::string, double> units;
  std::map<std::string, std::vector<const rapidjson::Value*>> unprocessed;
  size_t written = 0;
  absl::Status first_failure;
  // Each table's members are written as one store commit (Store::WriteMany: one WAL write for
  // the lot). A table's commit starts only while the region's write path has room (WriteLoad);
  // otherwise its members go back to the client, as DynamoDB returns the members it throttled.
  std::map<std::string, std::vector<WriteRequest*>> by_table;
  for (WriteRequest& w : writes) by_table[w.schema->name()].push_back(&w);
  for (const auto& [table, members] : by_table) {
    WriteLoad::Slot load;
    if (ctx.write_load != nullptr && !(load = ctx.write_load->TryStart())) {
      for (const WriteRequest* w : members) unprocessed[table].push_back(w->json);
      continue;
    }
    std::vector<storage::WriteOp> ops;
    ops.reserve(members.size());
    for (WriteRequest* w : members) {
      storage::WriteOp op;
      op.key = w->key;
      // WriteMany runs each decision once, so the item moves into it; a member that goes back
      // to the client is answered from its JSON, not from the item.
      op.decide = [w](const proto::Item* current) -> absl::StatusOr<storage::WriteDecision> {
        if (w->item) return storage::WriteDecision::Put(std::move(*w->item));
        // A tombstone even when no item is here: a put this region has not seen yet may be
        // on its way, and must lose to this later delete (last-writer-wins).
        return storage::WriteDecision::Delete();
      };
      ops.push_back(std::move(op));
    }
    absl::StatusOr<std::vector<storage::WriteResult>> results = ctx.store->WriteMany(table, ops);
    if (!results.ok()) {
      // Not applied: the client retries them, as with DynamoDB's throttled batch members.
      GT_LOG(WARNING) << "BatchWriteItem: " << table << ": " << results.status();
      if (first_failure.ok()) first_failure = results.status();
      for (const WriteRequest* w : members) unprocessed[table].push_back(w->json);
      continue;
    }
    for (const storage::WriteResult& result : *results) {
      ++written;
      size_t old_size = result.old_item ? storage::ItemSize(*result.old_item) : 0;
      size_t new_size = result.new_item ? storage::ItemSize(*result.new_item) : 0;
      units[table] += WriteUnits(std::max(old_size, new_size));
    }
  }

  if (written == 0) {
    // DynamoDB: "If none of the items can be processed due to insufficient provisioned
    // throughput on all of the tables in the request, then BatchWriteItem returns a
    // ProvisionedThroughputExceededException." A store failure is reported as itself.
    if (!first_failure.ok()) return first_failure;
    return ApiError::ProvisionedThroughputExceeded(
               "Throughput exceeds the current capacity of this region's write path: none of "
               "the batch's items could be processed. Retry the request with exponential "
               "backoff.")
        .status();
  }
  out->StartObject();
  out->Key("UnprocessedItems");
  out->StartObject();
  for (const auto& [table, entries] : unprocessed) {
    WriteString(out, table);
    out->StartArray();
    for (const rapidjson::Value* e : entries) e->Accept(*out);
    out->EndArray();
  }
  out->EndObject();
  WriteConsumedCapacityList(capacity, units, /*is_write=*/true, out);
  out->EndObject();
  return absl::OkStatus();
}

absl::Status BatchGetItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(const rapidjson::Value* items, RequestItems(request, "BatchGetItem"));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));
  std::vector<GetTableRequest> tables;
  size_t total_keys = 0;
  for (auto t = items->MemberBegin(); t != items->MemberEnd(); ++t) {
    GetTableRequest g;
    ASSIGN_OR_RETURN(g.schema, GetTableByName(ctx, View(t->name)));
    g.json = &t->value;
    if (!t->value.IsObject()) {
      return ApiError::Serialization("RequestItems entries must be maps").status();
    }
    const rapidjson::Value* keys = Member(t->value, "Keys");
    if (keys == nullptr) return MissingMember("requestItems.member.keys");
    if (!keys->IsArray() || keys->Empty()) {
      return ConstraintViolation("[]", "requestItems.member.keys",
                                 "Member must have length greater than or equal to 1");
    }
    ASSIGN_OR_RETURN(g.exprs, RequestExpressions::Parse(t->value));
    ASSIGN_OR_RETURN(g.projection, g.exprs->ParseProjection(t->value));
    RETURN_IF_ERROR(g.exprs->Finish());
    ASSIGN_OR_RETURN(g.consistent, OptionalBool(t->value, "ConsistentRead", false));
    std::set<std::string> seen;
    for (const rapidjson::Value& k : keys->GetArray()) {
      if (++total_keys > kMaxKeys) {
        return absl::InvalidArgumentError("Too many items requested for the BatchGetItem call");
      }
      ASSIGN_OR_RETURN(proto::Item key, DecodeItem(k, "Key"));
      RETURN_IF_ERROR(storage::ValidateKey(g.schema, key));
      if (!seen.insert(storage::EncodeKeySuffix(g.schema, key)).second) return Duplicates();
      g.keys.push_back(std::move(key));
    }
    tables.push_back(std::move(g));
  }

  std::map<std::string, double> units;
  size_t response_bytes = 0;
  std::vector<std::pair<const GetTableRequest*, size_t>> unprocessed;  // table, first key left
  out->StartObject();
  out->Key("Responses");
  out->StartObject();
  for (const GetTableRequest& t : tables) {
    const std::string& table = t.schema.name();
    WriteString(out, table);
    out->StartArray();
    for (size_t i = 0; i < t.keys.size(); ++i) {
      if (response_bytes >= kMaxResponseBytes) {
        unprocessed.emplace_back(&t, i);
        break;
      }
      ASSIGN_OR_RETURN(std::optional<proto::Item> item, ctx.store->GetItem(table, t.keys[i]));
      size_t size = item ? storage::ItemSize(*item) : 0;
      units[table] += ReadUnits(size, t.consistent);
      if (!item) continue;
      proto::Item projected = t.projection.all() ? std::move(*item) : t.projection.Apply(*item);
      response_bytes += t.projection.all() ? size : storage::ItemSize(projected);
      EncodeItem(projected, out);
    }
    out->EndArray();
  }
  out->EndObject();
  out->Key("UnprocessedKeys");
  out->StartObject();
  for (const auto& [t, first] : unprocessed) {
    WriteString(out, t->schema.name());
    WriteUnprocessedKeys(*t, first, out);
  }
  out->EndObject();
  WriteConsumedCapacityList(capacity, units, /*is_write=*/false, out);
  out->EndObject();
  return absl::OkStatus();
}

}  // namespace globaltable::daemon::api
