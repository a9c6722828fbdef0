// Transactions: TransactWriteItems and TransactGetItems.
//
// TransactWriteItems: up to 100 actions (ConditionCheck, Put, Update, Delete) on distinct items
// of one or more tables, all or nothing. Store::WriteTransaction evaluates every action's
// decision under all of the items' key locks and commits them in one commit group (one
// WriteBatch), or writes nothing; a refused condition cancels the transaction with
// TransactionCanceledException and one CancellationReason per action, as DynamoDB does.
// Like DynamoDB global tables, the transaction is atomic in the region that ran it; other
// regions receive its writes as ordinary replicated mutations.
//
// TransactGetItems: up to 100 Gets read from one consistent view of the store
// (Store::GetItems), so they never see part of a transaction.
//
// ClientRequestToken makes a retry within 10 minutes answer what the first call answered
// without running again (TransactionTokens, in memory in this region).
// Thread-safety: see operations.h.
#include <map>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "storage/key_codec.h"
#include "storage/value.h"

namespace globaltable::daemon::api {
namespace {

constexpr size_t kMaxTransactionItems = 100;
constexpr size_t kMaxTransactionBytes = 4 << 20;

enum class ActionKind { kConditionCheck, kPut, kUpdate, kDelete };

// One parsed TransactWriteItems action; `exprs` owns what `condition` and `update` refer to.
struct WriteAction {
  ActionKind kind;
  std::shared_ptr<const proto::TableSchema> table;
  proto::Item key;
  proto::Item item;  // kPut
  std::unique_ptr<RequestExpressions> exprs;
  std::optional<expr::Condition> condition;
  std::optional<expr::Update> update;
  bool return_old = false;
  // Why the decision refused, when it did (a CancellationReason).
  std::optional<ApiError> failure;
};

absl::Status CheckItemCount(const rapidjson::Value* items, const char* member) {
  if (items == nullptr) return MissingMember(member);
  if (!items->IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat("1 validation error detected: Value at '",
                                                   member, "' failed to satisfy constraint: "
                                                           "Member must be a list"));
  }
  const size_t n = items->Size();
  if (n == 0 || n > kMaxTransactionItems) {
    return ConstraintViolation(
        absl::StrCat("[", n, " items]"), member,
        n == 0 ? "Member must have length greater than or equal to 1"
               : "Member must have length less than or equal to 100");
  }
  return absl::OkStatus();
}

// The one member of `entry` naming its action (ConditionCheck/Put/Update/Delete, or Get).
absl::StatusOr<std::pair<std::string, const rapidjson::Value*>> OnlyAction(
    const rapidjson::Value& entry, std::initializer_list<const char*> kinds) {
  if (!entry.IsObject()) return absl::InvalidArgumentError("Each transaction item must be a map");
  std::pair<std::string, const rapidjson::Value*> found{"", nullptr};
  for (const char* kind : kinds) {
    const rapidjson::Value* v = Member(entry, kind);
    if (v == nullptr) continue;
    if (found.second != nullptr) {
      return absl::InvalidArgumentError(
          "TransactItems can only contain one of Check, Put, Update or Delete");
    }
    if (!v->IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat(kind, " must be a map"));
    }
    found = {kind, v};
  }
  if (found.second == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid Request: TransactItems must contain one of ",
                     absl::StrJoin(kinds, ", ")));
  }
  return found;
}

absl::StatusOr<WriteAction> ParseWriteAction(const OpContext& ctx, const rapidjson::Value& entry) {
  ASSIGN_OR_RETURN(auto named, OnlyAction(entry, {"ConditionCheck", "Put", "Update", "Delete"}));
  const rapidjson::Value& a = *named.second;
  WriteAction action;
  action.kind = named.first == "ConditionCheck" ? ActionKind::kConditionCheck
                : named.first == "Put"          ? ActionKind::kPut
                : named.first == "Update"       ? ActionKind::kUpdate
                                                : ActionKind::kDelete;
  ASSIGN_OR_RETURN(action.table, GetTableRef(ctx, a));
  const proto::TableSchema& schema = *action.table;
  if (action.kind == ActionKind::kPut) {
    const rapidjson::Value* item = Member(a, "Item");
    if (item == nullptr) return MissingMember("Item");
    ASSIGN_OR_RETURN(action.item, DecodeItem(*item, "Item"));
    RETURN_IF_ERROR(storage::ValidateItemForWrite(schema, action.item));
    ASSIGN_OR_RETURN(action.key, storage::ExtractKey(schema, action.item));
  } else {
    const rapidjson::Value* key = Member(a, "Key");
    if (key == nullptr) return MissingMember("Key");
    ASSIGN_OR_RETURN(action.key, DecodeItem(*key, "Key"));
    RETURN_IF_ERROR(storage::ValidateKey(schema, action.key));
  }
  ASSIGN_OR_RETURN(action.exprs, RequestExpressions::Parse(a));
  if (action.kind == ActionKind::kUpdate) {
    ASSIGN_OR_RETURN(action.update, action.exprs->ParseUpdate(a, schema));
    if (!action.update) return MissingMember("UpdateExpression");
  }
  ASSIGN_OR_RETURN(action.condition,
                   action.exprs->ParseCondition(a, "ConditionExpression",
                                                expr::ExpressionKind::kCondition));
  if (action.kind == ActionKind::kConditionCheck && !action.condition) {
    return MissingMember("ConditionExpression");
  }
  RETURN_IF_ERROR(action.exprs->Finish());
  ASSIGN_OR_RETURN(action.return_old, ParseReturnOldOnConditionFailure(a));
  return action;
}

// The decision of one action on the current item; a refusal is recorded in the action (for the
// cancellation reasons) and returned as an error, which cancels the whole transaction.
absl::StatusOr<storage::WriteDecision> Decide(WriteAction* action, const proto::Item* current) {
  if (absl::Status s = CheckCondition(action->condition, current, action->return_old); !s.ok()) {
    action->failure = ApiError::FromStatus(s);
    return s;
  }
  switch (action->kind) {
    case ActionKind::kConditionCheck:
      return storage::WriteDecision::Noop();
    case ActionKind::kPut:
      return storage::WriteDecision::Put(std::move(action->item));
    case ActionKind::kDelete:
      // A tombstone even when no item is here: a put this region has not seen yet may be
      // on its way, and must lose to this later delete (last-writer-wins).
      return storage::WriteDecision::Delete();
    case ActionKind::kUpdate: {
      absl::StatusOr<proto::Item> next =
          UpdatedItem(*action->table, action->key, action->update, current);
      if (!next.ok()) {
        action->failure = ApiError::FromStatus(next.status());
        return next.status();
      }
      return storage::WriteDecision::Put(*std::move(next));
    }
  }
  return absl::InternalError("unknown action");
}

// DynamoDB's reason codes: ConditionalCheckFailed, ValidationError, None.
std::string ReasonCode(const std::optional<ApiError>& failure) {
  if (!failure) return "None";
  if (failure->type() == "ConditionalCheckFailedException") return "ConditionalCheckFailed";
  if (failure->type() == "ValidationException") return "ValidationError";
  return failure->type();
}

ApiError Cancelled(const std::vector<WriteAction>& actions) {
  std::vector<std::string> codes;
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const WriteAction& a : actions) {
    const std::string code = ReasonCode(a.failure);
    codes.push_back(code);
    w.StartObject();
    w.Key("Code");
    WriteString(&w, code);
    if (a.failure) {
      w.Key("Message");
      WriteString(&w, a.failure->message());
      if (!a.failure->item_json().empty()) {
        w.Key("Item");
        w.RawValue(a.failure->item_json().data(), a.failure->item_json().size(),
                   rapidjson::kObjectType);
      }
    }
    w.EndObject();
  }
  w.EndArray();
  return ApiError::TransactionCanceled(
             absl::StrCat("Transaction cancelled, please refer cancellation reasons for specific "
                          "reasons [",
                          absl::StrJoin(codes, ", "), "]"))
      .WithCancellationReasons(std::string(buffer.GetString(), buffer.GetSize()));
}

absl::StatusOr<std::optional<std::string>> ClientRequestToken(const rapidjson::Value& request) {
  ASSIGN_OR_RETURN(std::optional<std::string> token, OptionalString(request, "ClientRequestToken"));
  if (token && (token->empty() || token->size() > 36)) {
    return ConstraintViolation(*token, "clientRequestToken",
                               token->empty() ? "Member must have length greater than or equal to 1"
                                              : "Member must have length less than or equal to 36");
  }
  return token;
}

// What makes two requests with one token "the same": their actions, as JSON.
std::string Fingerprint(const rapidjson::Value& items) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  items.Accept(w);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Writes the answer of a TransactWriteItems that succeeded.
std::string SuccessResponse(CapacityMode capacity, const std::vector<WriteAction>& actions,
                            const std::vector<storage::WriteResult>& results) {
  rapidjson::StringBuffer buffer;
  JsonWriter out(buffer);
  out.StartObject();
  if (capacity != CapacityMode::kNone) {
    // Every action of a transaction, condition checks included, costs two write units per KB
    // (DynamoDB's rule for transactional writes).
    std::map<std::string, double> units;
    for (size_t i = 0; i < actions.size(); ++i) {
      const storage::WriteResult& r = results[i];
      const size_t size = std::max(r.old_item ? storage::ItemSize(*r.old_item) : 0,
                                   r.new_item ? storage::ItemSize(*r.new_item) : 0);
      units[actions[i].table->name()] += 2 * WriteUnits(size);
    }
    WriteConsumedCapacityList(capacity, units, /*is_write=*/true, &out);
  }
  out.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Admits, runs and answers a parsed transaction (the answer's JSON, or why it failed).
absl::StatusOr<std::string> RunTransaction(const OpContext& ctx, CapacityMode capacity,
                                           std::vector<WriteAction>* actions) {
  std::vector<RegionControl::WriteTicket> tickets;
  for (const WriteAction& a : *actions) {
    if (a.kind == ActionKind::kConditionCheck) continue;
    ASSIGN_OR_RETURN(RegionControl::WriteTicket t, AdmitWrite(ctx, *a.table));
    tickets.push_back(std::move(t));
  }
  WriteLoad::Slot load = StartWrite(ctx);
  std::vector<storage::TransactionWrite> writes;
  writes.reserve(actions->size());
  for (WriteAction& a : *actions) {
    WriteAction* action = &a;
    writes.push_back({a.table->name(), a.key,
                      [action](const proto::Item* current) { return Decide(action, current); }});
  }
  absl::StatusOr<std::vector<storage::WriteResult>> results =
      ctx.store->WriteTransaction(writes);
  if (!results.ok()) {
    for (const WriteAction& a : *actions) {
      if (a.failure) return Cancelled(*actions).status();
    }
    return results.status();
  }
  return SuccessResponse(capacity, *actions, *results);
}

}  // namespace

absl::Status TransactWriteItems(const OpContext& ctx, const rapidjson::Value& request,
                                JsonWriter* out) {
  const rapidjson::Value* entries = Member(request, "TransactItems");
  RETURN_IF_ERROR(CheckItemCount(entries, "transactItems"));
  ASSIGN_OR_RETURN(std::optional<std::string> token, ClientRequestToken(request));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));
  std::vector<WriteAction> actions;
  actions.reserve(entries->Size());
  std::set<std::pair<std::string, std::string>> items;
  size_t bytes = 0;
  for (const rapidjson::Value& entry : entries->GetArray()) {
    ASSIGN_OR_RETURN(WriteAction action, ParseWriteAction(ctx, entry));
    const std::string encoded = storage::EncodeKeySuffix(*action.table, action.key);
    if (!items.insert({action.table->name(), encoded}).second) {
      return absl::InvalidArgumentError(
          "Transaction request cannot include multiple operations on one item");
    }
    bytes += storage::ItemSize(action.kind == ActionKind::kPut ? action.item : action.key);
    actions.push_back(std::move(action));
  }
  if (bytes > kMaxTransactionBytes) {
    return absl::InvalidArgumentError(
        "Transaction request cannot be larger than 4 MB");
  }

  TransactionTokens* tokens = token ? ctx.transaction_tokens : nullptr;
  if (tokens != nullptr) {
    std::string saved;
    switch (tokens->Begin(*token, Fingerprint(*entries), absl::Now(), &saved)) {
      case TransactionTokens::Outcome::kReplay:
        out->RawValue(saved.data(), saved.size(), rapidjson::kObjectType);
        return absl::OkStatus();
      case TransactionTokens::Outcome::kMismatch:
        return ApiError("IdempotentParameterMismatchException",
                        "The request uses the same client token as a previous, but non-identical "
                        "request.")
            .status();
      case TransactionTokens::Outcome::kInProgress:
        return ApiError("TransactionInProgressException",
                        "The transaction with the given request token is already in progress.")
            .status();
      case TransactionTokens::Outcome::kNew:
        break;
    }
  }
  absl::StatusOr<std::string> response = RunTransaction(ctx, capacity, &actions);
  if (tokens != nullptr) {
    tokens->Finish(*token,
                   response.ok() ? std::optional<std::string>(*response) : std::nullopt,
                   absl::Now());
  }
  if (!response.ok()) return response.status();
  out->RawValue(response->data(), response->size(), rapidjson::kObjectType);
  return absl::OkStatus();
}

absl::Status TransactGetItems(const OpContext& ctx, const rapidjson::Value& request,
                              JsonWriter* out) {
  const rapidjson::Value* entries = Member(request, "TransactItems");
  RETURN_IF_ERROR(CheckItemCount(entries, "transactItems"));
  ASSIGN_OR_RETURN(CapacityMode capacity, ParseCapacityMode(request));
  struct GetAction {
    std::shared_ptr<const proto::TableSchema> table;
    proto::Item key;
    std::unique_ptr<RequestExpressions> exprs;
    ItemProjection projection;
  };
  std::vector<GetAction> gets;
  std::vector<storage::ItemRef> refs;
  for (const rapidjson::Value& entry : entries->GetArray()) {
    ASSIGN_OR_RETURN(auto named, OnlyAction(entry, {"Get"}));
    const rapidjson::Value& a = *named.second;
    GetAction g;
    ASSIGN_OR_RETURN(g.table, GetTableRef(ctx, a));
    const rapidjson::Value* key = Member(a, "Key");
    if (key == nullptr) return MissingMember("Key");
    ASSIGN_OR_RETURN(g.key, DecodeItem(*key, "Key"));
    RETURN_IF_ERROR(storage::ValidateKey(*g.table, g.key));
    ASSIGN_OR_RETURN(g.exprs, RequestExpressions::Parse(a));
    ASSIGN_OR_RETURN(g.projection, g.exprs->ParseProjection(a));
    RETURN_IF_ERROR(g.exprs->Finish());
    refs.push_back({g.table->name(), g.key});
    gets.push_back(std::move(g));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<proto::Item>> items, ctx.store->GetItems(refs));
  out->StartObject();
  out->Key("Responses");
  out->StartArray();
  std::map<std::string, double> units;
  for (size_t i = 0; i < gets.size(); ++i) {
    out->StartObject();
    if (items[i]) {
      out->Key("Item");
      if (gets[i].projection.all()) {
        EncodeItem(*items[i], out);
      } else {
        EncodeItem(gets[i].projection.Apply(*items[i]), out);
      }
    }
    out->EndObject();
    // Transactional reads cost two read units per 4 KB (DynamoDB's rule).
    units[gets[i].table->name()] +=
        2 * ReadUnits(items[i] ? storage::ItemSize(*items[i]) : 0, /*consistent=*/true);
  }
  out->EndArray();
  if (capacity != CapacityMode::kNone) {
    WriteConsumedCapacityList(capacity, units, /*is_write=*/false, out);
  }
  out->EndObject();
  return absl::OkStatus();
}

}  // namespace globaltable::daemon::api
