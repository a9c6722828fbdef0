// Micro-benchmarks of the per-request value paths: number parsing, comparison and arithmetic,
// key encoding, item canonicalization and validation. Single-threaded; prints figures only.
//
//   build/bin/values_bench --benchmark_min_time=0.2
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "storage/key_codec.h"
#include "storage/number.h"
#include "storage/value.h"

namespace globaltable::storage {
namespace {

const std::vector<std::string>& NumberTexts() {
  static const auto* const kTexts = new std::vector<std::string>{
      "0",          "1",         "42",      "-17",    "3.14159",
      "1234567890", "-0.000123", "1.5E+10", "99.990", "12345678901234567890.123456789012345678"};
  return *kTexts;
}

void BM_NormalizeNumber(benchmark::State& state) {
  const auto& texts = NumberTexts();
  size_t i = 0;
  for (auto _ : state) {
    auto n = NormalizeNumber(texts[i++ % texts.size()]);
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_NormalizeNumber);

void BM_CompareNumbers(benchmark::State& state) {
  std::vector<std::string> n;
  for (const std::string& t : NumberTexts()) n.push_back(*NormalizeNumber(t));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(CompareNumbers(n[i % n.size()], n[(i + 3) % n.size()]));
    ++i;
  }
}
BENCHMARK(BM_CompareNumbers);

void BM_AddNumbers(benchmark::State& state) {
  std::vector<std::string> n;
  for (const std::string& t : NumberTexts()) n.push_back(*NormalizeNumber(t));
  size_t i = 0;
  for (auto _ : state) {
    auto sum = AddNumbers(n[i % n.size()], n[(i + 3) % n.size()]);
    benchmark::DoNotOptimize(sum);
    ++i;
  }
}
BENCHMARK(BM_AddNumbers);

void BM_AppendOrderedNumber(benchmark::State& state) {
  std::vector<std::string> n;
  for (const std::string& t : NumberTexts()) n.push_back(*NormalizeNumber(t));
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    AppendOrderedNumber(n[i++ % n.size()], &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_AppendOrderedNumber);

proto::TableSchema Schema() {
  proto::TableSchema s;
  s.mutable_partition_key()->set_name("pk");
  s.mutable_partition_key()->set_type(proto::S);
  s.mutable_sort_key()->set_name("sk");
  s.mutable_sort_key()->set_type(proto::N);
  return s;
}

// A typical small item: key, a few scalars, a set and a nested map.
proto::Item SampleItem(int i) {
  proto::Item item;
  auto add = [&](const std::string& name) {
    proto::Attribute* a = item.add_attributes();
    a->set_name(name);
    return a->mutable_value();
  };
  add("pk")->set_s(absl::StrCat("customer#", i));
  add("sk")->set_n(absl::StrCat(i % 1000, ".50"));
  add("name")->set_s("Jane Doe");
  add("balance")->set_n("1234.5600");
  add("active")->set_bool_value(true);
  proto::StringSet* tags = add("tags")->mutable_ss();
  for (const char* t : {"vip", "eu", "beta"}) tags->add_values(t);
  proto::MapValue* address = add("address")->mutable_m();
  for (const char* f : {"zip", "city", "street"}) {
    proto::Attribute* e = address->add_entries();
    e->set_name(f);
    e->mutable_value()->set_s("somewhere 12");
  }
  return item;
}

void BM_CanonicalizeAndValidateItem(benchmark::State& state) {
  const proto::TableSchema schema = Schema();
  const proto::Item raw = SampleItem(7);
  for (auto _ : state) {
    proto::Item item = raw;
    benchmark::DoNotOptimize(CanonicalizeItem(&item));
    benchmark::DoNotOptimize(ValidateItemForWrite(schema, item));
  }
}
BENCHMARK(BM_CanonicalizeAndValidateItem);

void BM_CopyItemOnly(benchmark::State& state) {  // baseline for the benchmark above
  const proto::Item raw = SampleItem(7);
  for (auto _ : state) {
    proto::Item item = raw;
    benchmark::DoNotOptimize(item);
  }
}
BENCHMARK(BM_CopyItemOnly);

void BM_ExtractAndEncodeKey(benchmark::State& state) {
  const proto::TableSchema schema = Schema();
  proto::Item item = SampleItem(7);
  (void)CanonicalizeItem(&item);
  for (auto _ : state) {
    auto key = ExtractKey(schema, item);
    std::string encoded = EncodeKeySuffix(schema, *key);
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_ExtractAndEncodeKey);

void BM_DecodeKeySuffix(benchmark::State& state) {
  const proto::TableSchema schema = Schema();
  proto::Item item = SampleItem(7);
  (void)CanonicalizeItem(&item);
  const std::string encoded = EncodeKeySuffix(schema, *ExtractKey(schema, item));
  for (auto _ : state) {
    auto key = DecodeKeySuffix(schema, encoded);
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_DecodeKeySuffix);

void BM_ItemSize(benchmark::State& state) {
  proto::Item item = SampleItem(7);
  (void)CanonicalizeItem(&item);
  for (auto _ : state) benchmark::DoNotOptimize(ItemSize(item));
}
BENCHMARK(BM_ItemSize);

}  // namespace
}  // namespace globaltable::storage

BENCHMARK_MAIN();
