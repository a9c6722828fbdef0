// Request parameter helpers. Pure functions except RequestExpressions (one per request).
#include "daemon/api/request.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "daemon/api/api_error.h"
#include "daemon/api/json_codec.h"
#include "storage/value.h"

namespace globaltable::daemon::api {
namespace {

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

std::string LowerCamel(absl::string_view name) {
  std::string s(name);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

absl::Status WrongType(absl::string_view name, absl::string_view expected) {
  return ApiError::Serialization(
             absl::StrCat("Unexpected value type for ", name, ": expected ", expected))
      .status();
}

}  // namespace

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

absl::Status MissingMember(absl::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("1 validation error detected: Value null at '", LowerCamel(name),
                   "' failed to satisfy constraint: Member must not be null"));
}

absl::Status ConstraintViolation(absl::string_view value, absl::string_view name,
                                 absl::string_view constraint) {
  return absl::InvalidArgumentError(absl::StrCat("1 validation error detected: Value '", value,
                                                 "' at '", LowerCamel(name),
                                                 "' failed to satisfy constraint: ", constraint));
}

absl::StatusOr<std::string> RequiredString(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = Member(object, name);
  if (v == nullptr) return MissingMember(name);
  if (!v->IsString()) return WrongType(name, "a string");
  return std::string(View(*v));
}

absl::StatusOr<std::optional<std::string>> OptionalString(const rapidjson::Value& object,
                                                          const char* name) {
  const rapidjson::Value* v = Member(object, name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->IsString()) return WrongType(name, "a string");
  return std::optional<std::string>(std::string(View(*v)));
}

absl::StatusOr<std::optional<int64_t>> OptionalInt(const rapidjson::Value& object,
                                                   const char* name) {
  const rapidjson::Value* v = Member(object, name);
  if (v == nullptr) return std::optional<int64_t>();
  if (!v->IsInt64()) return WrongType(name, "an integer");
  return std::optional<int64_t>(v->GetInt64());
}

absl::StatusOr<bool> OptionalBool(const rapidjson::Value& object, const char* name,
                                  bool default_value) {
  const rapidjson::Value* v = Member(object, name);
  if (v == nullptr) return default_value;
  if (!v->IsBool()) return WrongType(name, "a boolean");
  return v->GetBool();
}

absl::StatusOr<std::string> OptionalEnum(const rapidjson::Value& object, const char* name,
                                         std::initializer_list<absl::string_view> allowed,
                                         absl::string_view fallback) {
  ASSIGN_OR_RETURN(std::optional<std::string> v, OptionalString(object, name));
  if (!v) return std::string(fallback);
  for (absl::string_view a : allowed) {
    if (*v == a) return *v;
  }
  return ConstraintViolation(
      *v, name,
      absl::StrCat("Member must satisfy enum value set: [", absl::StrJoin(allowed, ", "), "]"));
}

absl::Status ValidateTableName(absl::string_view name, absl::string_view member) {
  if (name.size() < 3) {
    return ConstraintViolation(name, member, "Member must have length greater than or equal to 3");
  }
  if (name.size() > 255) {
    return ConstraintViolation(name, member, "Member must have length less than or equal to 255");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return ConstraintViolation(name, member,
                                 "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    }
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::shared_ptr<const proto::TableSchema>> GetTableRefByName(
    const OpContext& ctx, absl::string_view name) {
  RETURN_IF_ERROR(ValidateTableName(name));
  absl::StatusOr<std::shared_ptr<const proto::TableSchema>> schema = ctx.store->GetSchema(name);
  if (schema.status().code() == absl::StatusCode::kNotFound) {
    return ApiError::ResourceNotFound(
               absl::StrCat("Requested resource not found: Table: ", name, " not found"))
        .status();
  }
  return schema;
}

}  // namespace

absl::StatusOr<proto::TableSchema> GetTableByName(const OpContext& ctx, absl::string_view name) {
  ASSIGN_OR_RETURN(std::shared_ptr<const proto::TableSchema> schema, GetTableRefByName(ctx, name));
  return *schema;
}

absl::StatusOr<proto::TableSchema> GetTable(const OpContext& ctx, const rapidjson::Value& request) {
  ASSIGN_OR_RETURN(std::shared_ptr<const proto::TableSchema> schema, GetTableRef(ctx, request));
  return *schema;
}

absl::StatusOr<std::shared_ptr<const proto::TableSchema>> GetTableRef(
    const OpContext& ctx, const rapidjson::Value& request) {
  const rapidjson::Value* v = Member(request, "TableName");
  if (v == nullptr) return MissingMember("TableName");
  if (!v->IsString()) return WrongType("TableName", "a string");
  return GetTableRefByName(ctx, View(*v));
}

absl::Status RejectLegacy(const rapidjson::Value& request) {
  static constexpr std::pair<const char*, const char*> kLegacy[] = {
      {"Expected", "ConditionExpression"},         {"AttributeUpdates", "UpdateExpression"},
      {"KeyConditions", "KeyConditionExpression"}, {"QueryFilter", "FilterExpression"},
      {"ScanFilter", "FilterExpression"},          {"ConditionalOperator", "expressions"}};
  for (const auto& [legacy, modern] : kLegacy) {
    if (Member(request, legacy) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("The legacy parameter ", legacy, " is not supported; use ", modern));
    }
  }
  return absl::OkStatus();
}

proto::Item ItemProjection::Apply(const proto::Item& item) const {
  if (expression_) return expression_->Project(item);
  if (!names_) return item;
  proto::Item out;
  for (const proto::Attribute& a : item.attributes()) {
    for (const std::string& n : *names_) {
      if (a.name() == n) {
        *out.add_attributes() = a;
        break;
      }
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<RequestExpressions>> RequestExpressions::Parse(
    const rapidjson::Value& object) {
  std::unique_ptr<RequestExpressions> e(new RequestExpressions());
  if (const rapidjson::Value* names = Member(object, "ExpressionAttributeNames")) {
    if (!names->IsObject()) return WrongType("ExpressionAttributeNames", "a map");
    if (names->MemberCount() == 0) {
      return absl::InvalidArgumentError("ExpressionAttributeNames must not be empty");
    }
    e->has_names_ = true;
    for (auto it = names->MemberBegin(); it != names->MemberEnd(); ++it) {
      absl::string_view key = View(it->name);
      if (key.size() < 2 || key[0] != '#') {
        return absl::InvalidArgumentError(absl::StrCat(
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"", key, "\""));
      }
      if (!it->value.IsString()) return WrongType("ExpressionAttributeNames", "string values");
      if (it->value.GetStringLength() == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key ", key));
      }
      e->names_[std::string(key)] = std::string(View(it->value));
    }
  }
  if (const rapidjson::Value* values = Member(object, "ExpressionAttributeValues")) {
    if (!values->IsObject()) return WrongType("ExpressionAttributeValues", "a map");
    if (values->MemberCount() == 0) {
      return absl::InvalidArgumentError("ExpressionAttributeValues must not be empty");
    }
    e->has_values_ = true;
    for (auto it = values->MemberBegin(); it != values->MemberEnd(); ++it) {
      absl::string_view key = View(it->name);
      if (key.size() < 2 || key[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"", key, "\""));
      }
      absl::StatusOr<proto::AttributeValue> v = DecodeValue(it->value, key);
      if (!v.ok()) {
        if (v.status().code() != absl::StatusCode::kInvalidArgument) return v.status();
        return absl::InvalidArgumentError(
            absl::StrCat("ExpressionAttributeValues contains invalid value: ", v.status().message(),
                         " for key ", key));
      }
      e->values_[std::string(key)] = std::move(*v);
    }
  }
  e->context_ = std::make_unique<expr::ExpressionContext>(e->has_names_ ? &e->names_ : nullptr,
                                                          e->has_values_ ? &e->values_ : nullptr);
  return e;
}

absl::StatusOr<std::optional<expr::Condition>> RequestExpressions::ParseCondition(
    const rapidjson::Value& object, const char* member, expr::ExpressionKind kind) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(object, member));
  if (!text) return std::optional<expr::Condition>();
  ++expressions_;
  ASSIGN_OR_RETURN(expr::Condition c, expr::Condition::Parse(*text, kind, context_.get()));
  return std::optional<expr::Condition>(std::move(c));
}

absl::StatusOr<ItemProjection> RequestExpressions::ParseProjection(const rapidjson::Value& object) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(object, "ProjectionExpression"));
  const rapidjson::Value* names = Member(object, "AttributesToGet");
  if (text && names != nullptr) {
    return absl::InvalidArgumentError(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: "
        "{ProjectionExpression}");
  }
  if (text) {
    ++expressions_;
    ASSIGN_OR_RETURN(expr::Projection p, expr::Projection::Parse(*text, context_.get()));
    return ItemProjection(std::move(p));
  }
  if (names != nullptr) {
    if (!names->IsArray()) return WrongType("AttributesToGet", "a list");
    if (names->Empty()) {
      return ConstraintViolation("[]", "AttributesToGet",
                                 "Member must have length greater than or equal to 1");
    }
    std::vector<std::string> list;
    for (const rapidjson::Value& n : names->GetArray()) {
      if (!n.IsString()) return WrongType("AttributesToGet", "strings");
      std::string name(View(n));
      for (const std::string& seen : list) {
        if (seen == name) {
          return absl::InvalidArgumentError(absl::StrCat(
              "One or more parameter values were invalid: Duplicate value in attribute name: ",
              name));
        }
      }
      list.push_back(std::move(name));
    }
    return ItemProjection(std::move(list));
  }
  return ItemProjection();
}

absl::StatusOr<std::optional<expr::Update>> RequestExpressions::ParseUpdate(
    const rapidjson::Value& object, const proto::TableSchema& schema) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(object, "UpdateExpression"));
  if (!text) return std::optional<expr::Update>();
  ++expressions_;
  ASSIGN_OR_RETURN(expr::Update u, expr::Update::Parse(*text, schema, context_.get()));
  return std::optional<expr::Update>(std::move(u));
}

absl::StatusOr<std::optional<expr::KeyCondition>> RequestExpressions::ParseKeyCondition(
    const rapidjson::Value& object, const proto::TableSchema& schema) {
  ASSIGN_OR_RETURN(std::optional<std::string> text,
                   OptionalString(object, "KeyConditionExpression"));
  if (!text) return std::optional<expr::KeyCondition>();
  ++expressions_;
  ASSIGN_OR_RETURN(expr::KeyCondition k, expr::KeyCondition::Parse(*text, schema, context_.get()));
  return std::optional<expr::KeyCondition>(std::move(k));
}

absl::Status RequestExpressions::Finish() const {
  if (expressions_ == 0) {
    if (has_names_) {
      return absl::InvalidArgumentError(
          "ExpressionAttributeNames can only be specified when using expressions");
    }
    if (has_values_) {
      return absl::InvalidArgumentError(
          "ExpressionAttributeValues can only be specified when using expressions");
    }
    return absl::OkStatus();
  }
  return context_->CheckAllUsed();
}

absl::StatusOr<ReturnValues> ParseReturnValues(const rapidjson::Value& request, bool allowed_all) {
  ASSIGN_OR_RETURN(
      std::string rv,
      OptionalEnum(request, "ReturnValues",
                   {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}, "NONE"));
  if (rv == "NONE") return ReturnValues::kNone;
  if (rv == "ALL_OLD") return ReturnValues::kAllOld;
  if (!allowed_all) {
    return absl::InvalidArgumentError("ReturnValues can only be ALL_OLD or NONE");
  }
  if (rv == "ALL_NEW") return ReturnValues::kAllNew;
  if (rv == "UPDATED_OLD") return ReturnValues::kUpdatedOld;
  return ReturnValues::kUpdatedNew;
}

absl::Status CheckCondition(const std::optional<expr::Condition>& condition,
                            const proto::Item* current, bool return_old) {
  if (!condition) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool holds, condition->Evaluate(current));
  if (holds) return absl::OkStatus();
  ApiError e = ApiError::ConditionalCheckFailed();
  if (return_old && current != nullptr) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    EncodeItem(*current, &w);
    e = e.WithItem(std::string(buffer.GetString(), buffer.GetSize()));
  }
  return e.status();
}

absl::StatusOr<proto::Item> UpdatedItem(const proto::TableSchema& schema, const proto::Item& key,
                                        const std::optional<expr::Update>& update,
                                        const proto::Item* current) {
  // A missing item is upserted from its key. The evaluator must know it is missing: DynamoDB
  // ignores REMOVE of a nested path then, while SET of a nested path still needs its parent.
  proto::Item next = current != nullptr ? *current : key;
  if (update) {
    RETURN_IF_ERROR(update->Apply(&next, /*item_exists=*/current != nullptr));
    // A value 32 levels deep set at a path 32 levels deep would nest 64 levels.
    RETURN_IF_ERROR(storage::CheckNesting(next));
  }
  RETURN_IF_ERROR(storage::ValidateItemForWrite(schema, next));
  return next;
}

absl::StatusOr<bool> ParseReturnOldOnConditionFailure(const rapidjson::Value& request) {
  ASSIGN_OR_RETURN(std::string v, OptionalEnum(request, "ReturnValuesOnConditionCheckFailure",
                                               {"ALL_OLD", "NONE"}, "NONE"));
  return v == "ALL_OLD";
}

void WriteReturnValues(ReturnValues rv, const std::optional<proto::Item>& old_item,
                       const std::optional<proto::Item>& new_item, const expr::Update* update,
                       JsonWriter* out) {
  std::optional<proto::Item> attributes;
  switch (rv) {
    case ReturnValues::kNone:
      return;
    case ReturnValues::kAllOld:
      attributes = old_item;
      break;
    case ReturnValues::kAllNew:
      attributes = new_item;
      break;
    case ReturnValues::kUpdatedOld:
      if (old_item && update != nullptr) attributes = update->ProjectUpdated(*old_item);
      break;
    case ReturnValues::kUpdatedNew:
      if (new_item && update != nullptr) attributes = update->ProjectUpdated(*new_item);
      break;
  }
  if (!attributes || attributes->attributes_size() == 0) return;
  out->Key("Attributes");
  EncodeItem(*attributes, out);
}

}  // namespace globaltable::daemon::api
