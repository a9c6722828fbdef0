// libFuzzer target: every expression kind (daemon/expr/expressions.h), parsed and evaluated.
// The input is a request body in DynamoDB JSON with any of ConditionExpression,
// FilterExpression, UpdateExpression, ProjectionExpression, KeyConditionExpression,
// ExpressionAttributeNames, ExpressionAttributeValues and Item. Each expression is parsed
// against a table keyed by pk (S) and sk (N), then evaluated against a generated item holding
// every type (and against the request's Item and no item): conditions evaluate without error,
// an update that fails leaves the item unchanged and one that succeeds leaves it canonical,
// projections and key conditions do not crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/json_input.h"
#include "daemon/api/json_codec.h"
#include "daemon/expr/expressions.h"
#include "storage/value.h"

namespace {

namespace api = globaltable::daemon::api;
namespace expr = globaltable::daemon::expr;
namespace proto = globaltable::proto;
namespace storage = globaltable::storage;

void Check(bool ok) {
  if (!ok) std::abort();
}

proto::TableSchema Schema() {
  proto::TableSchema schema;
  schema.set_name("fuzz");
  schema.mutable_partition_key()->set_name("pk");
  schema.mutable_partition_key()->set_type(proto::S);
  schema.mutable_sort_key()->set_name("sk");
  schema.mutable_sort_key()->set_type(proto::N);
  return schema;
}

proto::AttributeValue Value(const char* json) {
  rapidjson::Document doc;
  Check(globaltable::ParseJsonInput(json, 64, &doc).ok());
  absl::StatusOr<proto::AttributeValue> v = api::DecodeValue(doc, "value");
  Check(v.ok());
  return *v;
}

// An item with every type, nested maps and lists included.
proto::Item GeneratedItem() {
  proto::Item item;
  storage::SetAttribute(&item, "pk", Value(R"({"S":"user#1"})"));
  storage::SetAttribute(&item, "sk", Value(R"({"N":"42"})"));
  storage::SetAttribute(&item, "s", Value(R"({"S":"hello world"})"));
  storage::SetAttribute(&item, "n", Value(R"({"N":"-1.5e10"})"));
  storage::SetAttribute(&item, "b", Value(R"({"B":"AAEC/w=="})"));
  storage::SetAttribute(&item, "ss", Value(R"({"SS":["a","b","c"]})"));
  storage::SetAttribute(&item, "ns", Value(R"({"NS":["1","2.5","-3"]})"));
  storage::SetAttribute(&item, "bs", Value(R"({"BS":["AA==","AQ=="]})"));
  storage::SetAttribute(&item, "t", Value(R"({"BOOL":true})"));
  storage::SetAttribute(&item, "z", Value(R"({"NULL":true})"));
  storage::SetAttribute(&item, "l", Value(R"({"L":[{"N":"1"},{"S":"x"},{"L":[{"M":{"a":{"N":"2"}}}]}]})"));
  storage::SetAttribute(
      &item, "m",
      Value(R"({"M":{"a":{"N":"1"},"b":{"M":{"c":{"L":[{"S":"d"},{"SS":["e"]}]}}},"e":{"S":""}}})"));
  return item;
}

const std::string* Member(const rapidjson::Document& doc, const char* name, std::string* out) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || !it->value.IsString()) return nullptr;
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const proto::TableSchema schema = Schema();
  static const proto::Item generated = GeneratedItem();

  rapidjson::Document doc;
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  if (!globaltable::ParseJsonInput(body, 100, &doc).ok() || !doc.IsObject()) return 0;

  expr::ExpressionContext::NameMap names;
  expr::ExpressionContext::ValueMap values;
  bool has_names = false, has_values = false;
  if (auto it = doc.FindMember("ExpressionAttributeNames");
      it != doc.MemberEnd() && it->value.IsObject()) {
    has_names = true;
    for (const auto& m : it->value.GetObject()) {
      if (!m.value.IsString()) return 0;
      names[std::string(m.name.GetString(), m.name.GetStringLength())] =
          std::string(m.value.GetString(), m.value.GetStringLength());
    }
  }
  if (auto it = doc.FindMember("ExpressionAttributeValues"); it != doc.MemberEnd()) {
    absl::StatusOr<proto::Item> decoded = api::DecodeItem(it->value, "ExpressionAttributeValues");
    if (!decoded.ok()) return 0;
    has_values = true;
    for (const proto::Attribute& a : decoded->attributes()) values[a.name()] = a.value();
  }
  std::vector<proto::Item> items = {generated};
  if (auto it = doc.FindMember("Item"); it != doc.MemberEnd()) {
    absl::StatusOr<proto::Item> decoded = api::DecodeItem(it->value, "Item");
    if (decoded.ok()) items.push_back(*decoded);
  }

  expr::ExpressionContext ctx(has_names ? &names : nullptr, has_values ? &values : nullptr);
  if (!ctx.CheckMaps().ok()) return 0;
  std::string text;
  for (auto [member, kind] : {std::pair{"ConditionExpression", expr::ExpressionKind::kCondition},
                              std::pair{"FilterExpression", expr::ExpressionKind::kFilter}}) {
    if (!Member(doc, member, &text)) continue;
    absl::StatusOr<expr::Condition> cond = expr::Condition::Parse(text, kind, &ctx);
    if (!cond.ok()) continue;
    Check(cond->Evaluate(nullptr).ok());
    for (const proto::Item& item : items) {
      const std::string before = item.SerializeAsString();
      Check(cond->Evaluate(&item).ok());
      Check(item.SerializeAsString() == before);
    }
  }
  if (Member(doc, "UpdateExpression", &text)) {
    absl::StatusOr<expr::Update> update = expr::Update::Parse(text, schema, &ctx);
    if (update.ok()) {
      for (const proto::Item& item : items) {
        for (bool exists : {true, false}) {
          proto::Item next = item;
          const absl::Status s = update->Apply(&next, exists);
          if (!s.ok()) {
            Check(next.SerializeAsString() == item.SerializeAsString());
            continue;
          }
          proto::Item canonical = next;
          if (storage::CanonicalizeItem(&canonical).ok()) {
            Check(canonical.SerializeAsString() == next.SerializeAsString());
          }
          update->ProjectUpdated(item);
          update->ProjectUpdated(next);
        }
      }
    }
  }
  if (Member(doc, "ProjectionExpression", &text)) {
    absl::StatusOr<expr::Projection> projection = expr::Projection::Parse(text, &ctx);
    if (projection.ok()) {
      for (const proto::Item& item : items) {
        proto::Item projected = projection->Project(item);
        proto::Item canonical = projected;
        Check(storage::CanonicalizeItem(&canonical).ok());
        Check(canonical.SerializeAsString() == projected.SerializeAsString());
      }
    }
  }
  if (Member(doc, "KeyConditionExpression", &text)) {
    (void)expr::KeyCondition::Parse(text, schema, &ctx);
  }
  (void)ctx.CheckAllUsed();
  return 0;
}
