// Table operations: CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable,
// UpdateTimeToLive, DescribeTimeToLive, TagResource, UntagResource, ListTagsOfResource,
// DescribeLimits, DescribeContinuousBackups.
// Thread-safety: see operations.h.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clock/hlc.h"
#include "common/status_macros.h"
#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"

namespace globaltable::daemon::api {
namespace {

constexpr int64_t kMaxCapacityUnits = 40000;

absl::string_view ScalarName(proto::ScalarType t) {
  switch (t) {
    case proto::S:
      return "S";
    case proto::N:
      return "N";
    case proto::B:
      return "B";
    default:
      return "";
  }
}

void WriteKeyElement(JsonWriter* out, const std::string& name, const char* key_type) {
  out->StartObject();
  out->Key("AttributeName");
  WriteString(out, name);
  out->Key("KeyType");
  out->String(key_type);
  out->EndObject();
}

std::string TableId(const proto::TableSchema& schema) {
  // A stable UUID-shaped id: the incarnation (created_hlc, created_region) is unique.
  char id[64];
  uint64_t h = schema.created_hlc();
  std::snprintf(id, sizeof(id), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(h >> 32),
                static_cast<unsigned>((h >> 16) & 0xFFFF), static_cast<unsigned>(h & 0xFFFF),
                static_cast<unsigned>(schema.created_region() & 0xFFFF),
                static_cast<unsigned long long>(schema.created_region()));
  return id;
}

// The TableDescription object of DynamoDB.
void WriteTableDescription(const OpContext& ctx, const proto::TableSchema& schema,
                           absl::string_view status, const storage::TableStats& stats,
                           JsonWriter* out) {
  double created = static_cast<double>(clock::PhysicalMillis(schema.created_hlc())) / 1000.0;
  out->StartObject();
  out->Key("AttributeDefinitions");
  out->StartArray();
  for (const proto::KeyElement& a : schema.attribute_definitions()) {
    out->StartObject();
    out->Key("AttributeName");
    WriteString(out, a.name());
    out->Key("AttributeType");
    WriteString(out, ScalarName(a.type()));
    out->EndObject();
  }
  out->EndArray();
  out->Key("TableName");
  WriteString(out, schema.name());
  out->Key("KeySchema");
  out->StartArray();
  WriteKeyElement(out, schema.partition_key().name(), "HASH");
  if (!schema.sort_key().name().empty()) WriteKeyElement(out, schema.sort_key().name(), "RANGE");
  out->EndArray();
  out->Key("TableStatus");
  WriteString(out, status);
  out->Key("CreationDateTime");
  out->Double(created);
  out->Key("ProvisionedThroughput");
  out->StartObject();
  out->Key("NumberOfDecreasesToday");
  out->Int(0);
  out->Key("ReadCapacityUnits");
  out->Int64(schema.read_capacity_units());
  out->Key("WriteCapacityUnits");
  out->Int64(schema.write_capacity_units());
  out->EndObject();
  out->Key("TableSizeBytes");
  out->Uint64(stats.live_bytes);
  out->Key("ItemCount");
  out->Uint64(stats.live_items);
  out->Key("TableArn");
  WriteString(out, absl::StrCat("arn:aws:dynamodb:", ctx.region_name, ":", ctx.account_id,
                                ":table/", schema.name()));
  out->Key("TableId");
  WriteString(out, TableId(schema));
  out->Key("BillingModeSummary");
  out->StartObject();
  out->Key("BillingMode");
  WriteString(out, schema.billing_mode());
  if (schema.billing_mode() == "PAY_PER_REQUEST") {
    out->Key("LastUpdateToPayPerRequestDateTime");
    out->Double(created);
  }
  out->EndObject();
  if (ctx.replica_regions.size() > 1) {
    out->Key("GlobalTableVersion");
    out->String("2019.11.21");
    out->Key("Replicas");
    out->StartArray();
    for (const std::string& region : ctx.replica_regions) {
      if (region == ctx.region_name) continue;
      out->StartObject();
      out->Key("RegionName");
      WriteString(out, region);
      out->Key("ReplicaStatus");
      out->String("ACTIVE");
      out->EndObject();
    }
    out->EndArray();
  }
  out->EndObject();
}

storage::TableStats StatsOrZero(const OpContext& ctx, absl::string_view table) {
  absl::StatusOr<storage::TableStats> stats = ctx.store->GetTableStats(table);
  return stats.ok() ? *stats : storage::TableStats();
}

// Billing mode and throughput of CreateTable / UpdateTable into `schema`.
absl::Status ApplyThroughput(const rapidjson::Value& request, const std::string& billing_mode,
                             proto::TableSchema* schema) {
  const rapidjson::Value* pt = Member(request, "ProvisionedThroughput");
  if (billing_mode == "PAY_PER_REQUEST") {
    if (pt != nullptr) {
      return absl::InvalidArgumentError(
          "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
          "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    }
    schema->set_read_capacity_units(0);
    schema->set_write_capacity_units(0);
  } else if (pt != nullptr) {
    ASSIGN_OR_RETURN(std::optional<int64_t> rcu, OptionalInt(*pt, "ReadCapacityUnits"));
    ASSIGN_OR_RETURN(std::optional<int64_t> wcu, OptionalInt(*pt, "WriteCapacityUnits"));
    if (!rcu) return MissingMember("provisionedThroughput.readCapacityUnits");
    if (!wcu) return MissingMember("provisionedThroughput.writeCapacityUnits");
    for (auto [v, name] : {std::pair{*rcu, "provisionedThroughput.readCapacityUnits"},
                           std::pair{*wcu, "provisionedThroughput.writeCapacityUnits"}}) {
      if (v < 1) {
        return ConstraintViolation(absl::StrCat(v), name,
                                   "Member must have value greater than or equal to 1");
      }
      if (v > kMaxCapacityUnits) {
        return absl::InvalidArgumentError(absl::StrCat(
            "One or more parameter values were invalid: Capacity units may not exceed ",
            kMaxCapacityUnits));
      }
    }
    schema->set_read_capacity_units(*rcu);
    schema->set_write_capacity_units(*wcu);
  } else if (schema->billing_mode() != "PROVISIONED") {
    return absl::InvalidArgumentError(
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
        "must both be specified when BillingMode is PROVISIONED");
  }
  schema->set_billing_mode(billing_mode);
  return absl::OkStatus();
}

constexpr int kMaxTags = 50;

// DynamoDB's tag rules: key 1-128 characters, value 0-256, at most 50 per table.
absl::Status ValidateTag(const proto::Tag& tag) {
  if (tag.key().empty() || tag.key().size() > 128) {
    return ConstraintViolation(tag.key(), "tags.member.key",
                               "Member must have length between 1 and 128");
  }
  if (tag.value().size() > 256) {
    return ConstraintViolation(tag.value(), "tags.member.value",
                               "Member must have length less than or equal to 256");
  }
  if (absl::StartsWith(tag.key(), "aws:")) {
    return absl::InvalidArgumentError("Tag keys starting with 'aws:' are reserved");
  }
  return absl::OkStatus();
}

// `tags` (a JSON list of {Key, Value}) set over `schema`'s, kept sorted by key.
absl::Status MergeTags(const rapidjson::Value& tags, proto::TableSchema* schema) {
  if (!tags.IsArray()) return ApiError::Serialization("Tags must be a list").status();
  std::map<std::string, std::string> merged;
  for (const proto::Tag& t : schema->tags()) merged[t.key()] = t.value();
  for (const rapidjson::Value& t : tags.GetArray()) {
    proto::Tag tag;
    ASSIGN_OR_RETURN(std::string key, RequiredString(t, "Key"));
    ASSIGN_OR_RETURN(std::string value, RequiredString(t, "Value"));
    tag.set_key(key);
    tag.set_value(value);
    RETURN_IF_ERROR(ValidateTag(tag));
    merged[key] = value;
  }
  if (merged.size() > kMaxTags) {
    return absl::InvalidArgumentError(absl::StrCat(
        "The number of tags on the resource would exceed the limit of ", kMaxTags));
  }
  schema->clear_tags();
  for (const auto& [key, value] : merged) {
    proto::Tag* t = schema->add_tags();
    t->set_key(key);
    t->set_value(value);
  }
  return absl::OkStatus();
}

// The table a ResourceArn names: arn:aws:dynamodb:<region>:<account>:table/<name>, for a
// region of this deployment.
absl::StatusOr<proto::TableSchema> TableOfArn(const OpContext& ctx, const rapidjson::Value& request) {
  ASSIGN_OR_RETURN(std::string arn, RequiredString(request, "ResourceArn"));
  std::vector<std::string> parts = absl::StrSplit(arn, absl::MaxSplits(':', 5));
  const bool known_region =
      parts.size() == 6 &&
      (parts[3] == ctx.region_name ||
       std::find(ctx.replica_regions.begin(), ctx.replica_regions.end(), parts[3]) !=
           ctx.replica_regions.end());
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "dynamodb" ||
      !absl::StartsWith(parts[5], "table/") || !known_region) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid TableArn: ", arn));
  }
  return GetTableByName(ctx, parts[5].substr(6));
}

absl::StatusOr<proto::TableSchema> ParseCreateTable(const rapidjson::Value& request) {
  proto::TableSchema schema;
  ASSIGN_OR_RETURN(std::string name, RequiredString(request, "TableName"));
  RETURN_IF_ERROR(ValidateTableName(name));
  schema.set_name(name);
  for (const char* unsupported : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    if (Member(request, unsupported) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(unsupported, " are not supported by this server"));
    }
  }

  if (const rapidjson::Value* tags = Member(request, "Tags"); tags != nullptr) {
    RETURN_IF_ERROR(MergeTags(*tags, &schema));
  }
  const rapidjson::Value* defs = Member(request, "AttributeDefinitions");
  if (defs == nullptr) return MissingMember("AttributeDefinitions");
  if (!defs->IsArray())
    return ApiError::Serialization("AttributeDefinitions must be a list").status();
  std::set<std::string> defined;
  for (const rapidjson::Value& d : defs->GetArray()) {
    ASSIGN_OR_RETURN(std::string attr, RequiredString(d, "AttributeName"));
    ASSIGN_OR_RETURN(std::string type, RequiredString(d, "AttributeType"));
    if (attr.empty() || attr.size() > 255) {
      return ConstraintViolation(attr, "attributeDefinitions.member.attributeName",
                                 "Member must have length between 1 and 255");
    }
    proto::KeyElement* e = schema.add_attribute_definitions();
    e->set_name(attr);
    if (type == "S") {
      e->set_type(proto::S);
    } else if (type == "N") {
      e->set_type(proto::N);
    } else if (type == "B") {
      e->set_type(proto::B);
    } else {
      return ConstraintViolation(type, "attributeDefinitions.member.attributeType",
                                 "Member must satisfy enum value set: [B, N, S]");
    }
    if (!defined.insert(attr).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("Cannot have two attributes with the same name: ", attr));
    }
  }

  const rapidjson::Value* keys = Member(request, "KeySchema");
  if (keys == nullptr) return MissingMember("KeySchema");
  if (!keys->IsArray()) return ApiError::Serialization("KeySchema must be a list").status();
  if (keys->Empty() || keys->Size() > 2) {
    return ConstraintViolation("[]", "keySchema",
                               keys->Empty() ? "Member must have length greater than or equal to 1"
                                             : "Member must have length less than or equal to 2");
  }
  std::vector<std::string> key_names;
  for (rapidjson::SizeType i = 0; i < keys->Size(); ++i) {
    const rapidjson::Value& k = (*keys)[i];
    ASSIGN_OR_RETURN(std::string attr, RequiredString(k, "AttributeName"));
    ASSIGN_OR_RETURN(std::string type, RequiredString(k, "KeyType"));
    if (type != "HASH" && type != "RANGE") {
      return ConstraintViolation(type, "keySchema.member.keyType",
                                 "Member must satisfy enum value set: [HASH, RANGE]");
    }
    if (i == 0 && type != "HASH") {
      return absl::InvalidArgumentError(
          "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    }
    if (i == 1 && type != "RANGE") {
      return absl::InvalidArgumentError(
          "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    }
    if (i == 1 && attr == key_names[0]) {
      return absl::InvalidArgumentError(
          "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    }
    key_names.push_back(attr);
  }
  for (const std::string& k : key_names) {
    if (defined.count(k) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "One or more parameter values were invalid: Some index key attributes are not defined "
          "in AttributeDefinitions. Keys: [",
          absl::StrJoin(key_names, ", "), "], AttributeDefinitions: [",
          absl::StrJoin(defined, ", "), "]"));
    }
  }
  if (defined.size() != key_names.size()) {
    return absl::InvalidArgumentError(
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions");
  }
  for (const proto::KeyElement& e : schema.attribute_definitions()) {
    if (e.name() == key_names[0]) *schema.mutable_partition_key() = e;
    if (key_names.size() > 1 && e.name() == key_names[1]) *schema.mutable_sort_key() = e;
  }
  // Keep the definitions in key order so every region describes the table the same way.
  schema.clear_attribute_definitions();
  *schema.add_attribute_definitions() = schema.partition_key();
  if (key_names.size() > 1) *schema.add_attribute_definitions() = schema.sort_key();

  ASSIGN_OR_RETURN(
      std::string billing,
      OptionalEnum(request, "BillingMode", {"PROVISIONED", "PAY_PER_REQUEST"}, "PROVISIONED"));
  RETURN_IF_ERROR(ApplyThroughput(request, billing, &schema));
  return schema;
}

}  // namespace

absl::Status CreateTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, ParseCreateTable(request));
  RETURN_IF_ERROR(AdmitTableChange(ctx));
  absl::StatusOr<proto::TableSchema> created = ctx.store->CreateTable(schema);
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    return ApiError::ResourceInUse(absl::StrCat("Table already exists: ", schema.name())).status();
  }
  RETURN_IF_ERROR(created.status());
  out->StartObject();
  out->Key("TableDescription");
  WriteTableDescription(ctx, *created, "ACTIVE", storage::TableStats(), out);
  out->EndObject();
  return absl::OkStatus();
}

absl::Status DescribeTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, GetTable(ctx, request));
  out->StartObject();
  out->Key("Table");
  WriteTableDescription(ctx, schema, "ACTIVE", StatsOrZero(ctx, schema.name()), out);
  out->EndObject();
  return absl::OkStatus();
}

absl::Status ListTables(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(std::optional<int64_t> limit, OptionalInt(request, "Limit"));
  if (limit && (*limit < 1 || *limit > 100)) {
    return ConstraintViolation(absl::StrCat(*limit), "limit",
                               *limit < 1 ? "Member must have value greater than or equal to 1"
                                          : "Member must have value less than or equal to 100");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> start,
                   OptionalString(request, "ExclusiveStartTableName"));
  if (start) RETURN_IF_ERROR(ValidateTableName(*start, "exclusiveStartTableName"));
  size_t max = static_cast<size_t>(limit.value_or(100));
  std::vector<std::string> names = ctx.store->ListTables();
  out->StartObject();
  out->Key("TableNames");
  out->StartArray();
  size_t written = 0;
  std::string last;
  bool more = false;
  for (const std::string& name : names) {
    if (start && name <= *start) continue;
    if (written == max) {
      more = true;
      break;
    }
    WriteString(out, name);
    last = name;
    ++written;
  }
  out->EndArray();
  if (more) {
    out->Key("LastEvaluatedTableName");
    WriteString(out, last);
  }
  out->EndObject();
  return absl::OkStatus();
}

absl::Status DeleteTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, GetTable(ctx, request));
  RETURN_IF_ERROR(AdmitTableChange(ctx));
  storage::TableStats stats = StatsOrZero(ctx, schema.name());
  absl::Status s = ctx.store->DeleteTable(schema.name());
  if (s.code() == absl::StatusCode::kNotFound) {
    return ApiError::ResourceNotFound(
               absl::StrCat("Requested resource not found: Table: ", schema.name(), " not found"))
        .status();
  }
  RETURN_IF_ERROR(s);
  out->StartObject();
  out->Key("TableDescription");
  WriteTableDescription(ctx, schema, "DELETING", stats, out);
  out->EndObject();
  return absl::OkStatus();
}

absl::Status UpdateTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, GetTable(ctx, request));
  for (const char* unsupported :
       {"GlobalSecondaryIndexUpdates", "ReplicaUpdates", "AttributeDefinitions"}) {
    if (Member(request, unsupported) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(unsupported, " is not supported by this server"));
    }
  }
  const rapidjson::Value* pt = Member(request, "ProvisionedThroughput");
  ASSIGN_OR_RETURN(std::optional<std::string> billing, OptionalString(request, "BillingMode"));
  bool other = Member(request, "StreamSpecification") != nullptr ||
               Member(request, "SSESpecification") != nullptr ||
               Member(request, "TableClass") != nullptr;
  if (!billing && pt == nullptr) {
    if (other) {
      // Accepted and ignored: streams, encryption and table classes have no meaning here.
    } else {
      return absl::InvalidArgumentError(
          "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
          "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
    }
  }
  if (billing || pt != nullptr) {
    ASSIGN_OR_RETURN(std::string mode,
                     OptionalEnum(request, "BillingMode", {"PROVISIONED", "PAY_PER_REQUEST"},
                                  schema.billing_mode()));
    proto::TableSchema updated = schema;
    if (mode == "PROVISIONED" && schema.billing_mode() != "PROVISIONED" && pt == nullptr) {
      updated.set_billing_mode("");  // switching to PROVISIONED needs the throughput
    }
    RETURN_IF_ERROR(ApplyThroughput(request, mode, &updated));
    if (pt != nullptr && !billing &&
        updated.read_capacity_units() == schema.read_capacity_units() &&
        updated.write_capacity_units() == schema.write_capacity_units()) {
      return absl::InvalidArgumentError(
          "The provisioned throughput for the table will not change. The requested value equals "
          "the current value. Current ReadCapacityUnits provisioned for the table: " +
          absl::StrCat(schema.read_capacity_units()) +
          ". Requested ReadCapacityUnits: " + absl::StrCat(updated.read_capacity_units()) +
          ". Current WriteCapacityUnits provisioned for the table: " +
          absl::StrCat(schema.write_capacity_units()) +
          ". Requested WriteCapacityUnits: " + absl::StrCat(updated.write_capacity_units()) +
          ". Refer to the Amazon DynamoDB Developer Guide for current limits and how to request "
          "higher limits.");
    }
    RETURN_IF_ERROR(AdmitTableChange(ctx));
    ASSIGN_OR_RETURN(schema, ctx.store->UpdateTable(updated));
  }
  out->StartObject();
  out->Key("TableDescription");
  WriteTableDescription(ctx, schema, "ACTIVE", StatsOrZero(ctx, schema.name()), out);
  out->EndObject();
  return absl::OkStatus();
}

// Time to Live: the attribute is part of the table's schema, so the setting replicates with
// it (UPDATE_TABLE) and every region expires items (daemon/ttl_expirer.h).
absl::Status UpdateTimeToLive(const OpContext& ctx, const rapidjson::Value& request,
                              JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, GetTable(ctx, request));
  const rapidjson::Value* spec = Member(request, "TimeToLiveSpecification");
  if (spec == nullptr) return MissingMember("timeToLiveSpecification");
  if (!spec->IsObject()) {
    return absl::InvalidArgumentError(
        "1 validation error detected: Value at 'timeToLiveSpecification' failed to satisfy "
        "constraint: Member must be a structure");
  }
  if (Member(*spec, "Enabled") == nullptr) {
    return MissingMember("timeToLiveSpecification.enabled");
  }
  ASSIGN_OR_RETURN(bool enabled, OptionalBool(*spec, "Enabled", false));
  ASSIGN_OR_RETURN(std::string attribute, RequiredString(*spec, "AttributeName"));
  if (attribute.empty() || attribute.size() > 255) {
    return ConstraintViolation(attribute, "timeToLiveSpecification.attributeName",
                               attribute.empty()
                                   ? "Member must have length greater than or equal to 1"
                                   : "Member must have length less than or equal to 255");
  }
  const std::string& current = schema.ttl_attribute();
  if (enabled && !current.empty()) {
    return absl::InvalidArgumentError(
        current == attribute
            ? "TimeToLive is already enabled"
            : absl::StrCat("TimeToLive is active on a different AttributeName: current "
                           "AttributeName is ",
                           current));
  }
  if (!enabled && current.empty()) {
    return absl::InvalidArgumentError("TimeToLive is already disabled");
  }
  if (!enabled && current != attribute) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TimeToLive is active on a different AttributeName: current AttributeName is ", current));
  }
  RETURN_IF_ERROR(AdmitTableChange(ctx));
  proto::TableSchema updated = schema;
  updated.set_ttl_attribute(enabled ? attribute : std::string());
  RETURN_IF_ERROR(ctx.store->UpdateTable(updated).status());
  out->StartObject();
  out->Key("TimeToLiveSpecification");
  out->StartObject();
  out->Key("Enabled");
  out->Bool(enabled);
  out->Key("AttributeName");
  WriteString(out, attribute);
  out->EndObject();
  out->EndObject();
  return absl::OkStatus();
}

absl::Status DescribeTimeToLive(const OpContext& ctx, const rapidjson::Value& request,
                                JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, GetTable(ctx, request));
  out->StartObject();
  out->Key("TimeToLiveDescription");
  out->StartObject();
  out->Key("TimeToLiveStatus");
  out->String(schema.ttl_attribute().empty() ? "DISABLED" : "ENABLED");
  if (!schema.ttl_attribute().empty()) {
    out->Key("AttributeName");
    WriteString(out, schema.ttl_attribute());
  }
  out->EndObject();
  out->EndObject();
  return absl::OkStatus();
}

absl::Status TagResource(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, TableOfArn(ctx, request));
  const rapidjson::Value* tags = Member(request, "Tags");
  if (tags == nullptr) return MissingMember("Tags");
  RETURN_IF_ERROR(MergeTags(*tags, &schema));
  RETURN_IF_ERROR(AdmitTableChange(ctx));
  RETURN_IF_ERROR(ctx.store->UpdateTable(schema).status());
  out->StartObject();
  out->EndObject();
  return absl::OkStatus();
}

absl::Status UntagResource(const OpContext& ctx, const rapidjson::Value& request,
                           JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, TableOfArn(ctx, request));
  const rapidjson::Value* keys = Member(request, "TagKeys");
  if (keys == nullptr) return MissingMember("TagKeys");
  if (!keys->IsArray()) return ApiError::Serialization("TagKeys must be a list").status();
  std::set<std::string> drop;
  for (const rapidjson::Value& k : keys->GetArray()) {
    if (!k.IsString()) return ApiError::Serialization("TagKeys must be strings").status();
    drop.insert(std::string(k.GetString(), k.GetStringLength()));
  }
  proto::TableSchema updated = schema;
  updated.clear_tags();
  for (const proto::Tag& t : schema.tags()) {
    if (drop.count(t.key()) == 0) *updated.add_tags() = t;
  }
  if (updated.tags_size() != schema.tags_size()) {
    RETURN_IF_ERROR(AdmitTableChange(ctx));
    RETURN_IF_ERROR(ctx.store->UpdateTable(updated).status());
  }
  out->StartObject();
  out->EndObject();
  return absl::OkStatus();
}

absl::Status ListTagsOfResource(const OpContext& ctx, const rapidjson::Value& request,
                                JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, TableOfArn(ctx, request));
  out->StartObject();
  out->Key("Tags");
  out->StartArray();
  for (const proto::Tag& t : schema.tags()) {
    out->StartObject();
    out->Key("Key");
    WriteString(out, t.key());
    out->Key("Value");
    WriteString(out, t.value());
    out->EndObject();
  }
  out->EndArray();
  out->EndObject();
  return absl::OkStatus();
}

// What DynamoDB answers by default (the limits on provisioned capacity this server checks).
absl::Status DescribeLimits(const OpContext&, const rapidjson::Value&, JsonWriter* out) {
  out->StartObject();
  for (const char* key : {"AccountMaxReadCapacityUnits", "AccountMaxWriteCapacityUnits"}) {
    out->Key(key);
    out->Int64(80000);
  }
  for (const char* key : {"TableMaxReadCapacityUnits", "TableMaxWriteCapacityUnits"}) {
    out->Key(key);
    out->Int64(kMaxCapacityUnits);
  }
  out->EndObject();
  return absl::OkStatus();
}

// Point-in-time recovery does not exist here: every table says so (tools read this status).
absl::Status DescribeContinuousBackups(const OpContext& ctx, const rapidjson::Value& request,
                                       JsonWriter* out) {
  ASSIGN_OR_RETURN(proto::TableSchema schema, GetTable(ctx, request));
  out->StartObject();
  out->Key("ContinuousBackupsDescription");
  out->StartObject();
  out->Key("ContinuousBackupsStatus");
  out->String("DISABLED");
  out->Key("PointInTimeRecoveryDescription");
  out->StartObject();
  out->Key("PointInTimeRecoveryStatus");
  out->String("DISABLED");
  out->EndObject();
  out->EndObject();
  out->EndObject();
  return absl::OkStatus();
}

}  // namespace globaltable::daemon::api
