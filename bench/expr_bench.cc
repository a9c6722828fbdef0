// Micro-benchmarks of DynamoDB expressions: parsing (per request) and evaluation (per item, e.g.
// a Scan's FilterExpression), on a typical 12-attribute item.
// Run: build/bin/expr_bench. Thread-safety: single-threaded benchmark bodies.
#include <string>

#include "benchmark/benchmark.h"
#include "daemon/expr/expressions.h"

namespace globaltable::daemon::expr {
namespace {

proto::AttributeValue S(std::string s) {
  proto::AttributeValue v;
  v.set_s(std::move(s));
  return v;
}
proto::AttributeValue N(std::string n) {
  proto::AttributeValue v;
  v.set_n(std::move(n));
  return v;
}

// Attributes a..l (sorted), one of them a map and one a list.
proto::Item MakeItem() {
  proto::Item item;
  for (char c = 'a'; c <= 'l'; ++c) {
    proto::Attribute* a = item.add_attributes();
    a->set_name(std::string(1, c));
    if (c == 'f') {
      proto::Attribute* e = a->mutable_value()->mutable_m()->add_entries();
      e->set_name("count");
      *e->mutable_value() = N("41");
    } else if (c == 'g') {
      for (int i = 0; i < 5; ++i) *a->mutable_value()->mutable_l()->add_values() = S("tag");
    } else {
      *a->mutable_value() = S(std::string(20, c));
    }
  }
  return item;
}

const ExpressionContext::ValueMap& Values() {
  static const auto* values = new ExpressionContext::ValueMap{
      {":v", S("eeeeeeeeeeeeeeeeeeee")}, {":n", N("10")}, {":one", N("1")}, {":p", S("aaa")}};
  return *values;
}

constexpr char kCondition[] =
    "attribute_exists(a) AND (e = :v OR f.#c > :n) AND size(g) < :n AND begins_with(a, :p)";
constexpr char kUpdate[] = "SET f.#c = f.#c + :one, h = :v REMOVE i";

void BM_ParseCondition(benchmark::State& state) {
  ExpressionContext::NameMap names{{"#c", "count"}};
  for (auto _ : state) {
    ExpressionContext context(&names, &Values());
    benchmark::DoNotOptimize(Condition::Parse(kCondition, ExpressionKind::kCondition, &context));
  }
}
BENCHMARK(BM_ParseCondition);

void BM_EvaluateCondition(benchmark::State& state) {
  ExpressionContext::NameMap names{{"#c", "count"}};
  ExpressionContext context(&names, &Values());
  Condition condition = *Condition::Parse(kCondition, ExpressionKind::kCondition, &context);
  const proto::Item item = MakeItem();
  for (auto _ : state) benchmark::DoNotOptimize(condition.Evaluate(&item));
}
BENCHMARK(BM_EvaluateCondition);

void BM_ApplyUpdate(benchmark::State& state) {
  ExpressionContext::NameMap names{{"#c", "count"}};
  ExpressionContext context(&names, &Values());
  proto::TableSchema schema;
  schema.mutable_partition_key()->set_name("pk");
  Update update = *Update::Parse(kUpdate, schema, &context);
  const proto::Item item = MakeItem();
  for (auto _ : state) {
    proto::Item copy = item;
    benchmark::DoNotOptimize(update.Apply(&copy));
  }
}
BENCHMARK(BM_ApplyUpdate);

void BM_Project(benchmark::State& state) {
  ExpressionContext::NameMap names{{"#c", "count"}};
  ExpressionContext context(&names, nullptr);
  Projection projection = *Projection::Parse("a, f.#c, g[1], l", &context);
  const proto::Item item = MakeItem();
  for (auto _ : state) benchmark::DoNotOptimize(projection.Project(item));
}
BENCHMARK(BM_Project);

}  // namespace
}  // namespace globaltable::daemon::expr

BENCHMARK_MAIN();
