// Test helpers for storage/ tests: a temporary directory removed at the end, value and item
// builders, and a fixture-free way to open a store on a manual clock. Test-only.
//
//   TempDir dir;                                  // under $TMPDIR, removed by the destructor
//   proto::Item item = MakeItem({{"pk", S("a")}, {"n", N("3")}});
//
// Thread-safety: the builders are pure; TempDir is not shared between threads.
#ifndef GLOBALTABLE_STORAGE_STORE_TESTING_H_
#define GLOBALTABLE_STORAGE_STORE_TESTING_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "proto/globaltable.pb.h"
#include "storage/value.h"

namespace globaltable::storage::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/gt_store_test_XXXXXX";
    char* made = mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline proto::AttributeValue S(std::string v) {
  proto::AttributeValue a;
  a.set_s(std::move(v));
  return a;
}
inline proto::AttributeValue N(std::string v) {
  proto::AttributeValue a;
  a.set_n(std::move(v));
  return a;
}
inline proto::AttributeValue B(std::string v) {
  proto::AttributeValue a;
  a.set_b(std::move(v));
  return a;
}

// An item with the given attributes, canonicalized (sorted by name).
inline proto::Item MakeItem(
    const std::vector<std::pair<std::string, proto::AttributeValue>>& attrs) {
  proto::Item item;
  for (const auto& [name, value] : attrs) {
    proto::Attribute* a = item.add_attributes();
    a->set_name(name);
    *a->mutable_value() = value;
  }
  (void)CanonicalizeItem(&item);
  return item;
}

inline proto::TableSchema MakeSchema(const std::string& name, proto::ScalarType pk_type,
                                     proto::ScalarType sk_type = proto::SCALAR_TYPE_UNSPECIFIED) {
  proto::TableSchema schema;
  schema.set_name(name);
  schema.mutable_partition_key()->set_name("pk");
  schema.mutable_partition_key()->set_type(pk_type);
  if (sk_type != proto::SCALAR_TYPE_UNSPECIFIED) {
    schema.mutable_sort_key()->set_name("sk");
    schema.mutable_sort_key()->set_type(sk_type);
  }
  schema.set_billing_mode("PAY_PER_REQUEST");
  return schema;
}

}  // namespace globaltable::storage::testing

#endif  // GLOBALTABLE_STORAGE_STORE_TESTING_H_
