// store_crash_writer: the child process of store_crash_test. Opens a store, then writes in a
// loop from two threads and reports every acknowledged write on stdout, one line each:
//   "P <key> <value>"   a put of <key> returned OK
//   "D <key>"           a delete of <key> returned OK
// It never stops by itself: the test kills it with SIGKILL at a random moment.
//
// Usage: store_crash_writer <dir> <round>
// Thread-safety: the two writer threads share the store; each report is one write(2).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "storage/store.h"
#include "storage/value.h"

namespace globaltable::storage {
namespace {

proto::AttributeValue S(std::string v) {
  proto::AttributeValue a;
  a.set_s(std::move(v));
  return a;
}

proto::Item Item(const std::string& key, const std::string& value) {
  proto::Item item;
  auto* k = item.add_attributes();
  k->set_name("pk");
  *k->mutable_value() = S(key);
  if (!value.empty()) {
    auto* v = item.add_attributes();
    v->set_name("v");
    *v->mutable_value() = S(value);
  }
  return item;
}

void Report(const std::string& line) {
  const std::string out = line + "\n";
  // One write per line: the pipe never sees half a line (writes below PIPE_BUF are atomic).
  if (write(STDOUT_FILENO, out.data(), out.size()) != static_cast<ssize_t>(out.size())) _exit(3);
}

void Fail(const absl::Status& s) {
  std::fprintf(stderr, "store_crash_writer: %s\n", s.ToString().c_str());
  _exit(2);
}

void WriteLoop(Store* store, const std::string& prefix) {
  for (uint64_t i = 0;; ++i) {
    const std::string key = prefix + "-" + std::to_string(i);
    const std::string value = "v" + std::to_string(i * 7919);
    absl::StatusOr<WriteResult> w = store->Write(
        "crash", Item(key, ""), [&](const proto::Item*) -> absl::StatusOr<WriteDecision> {
          return WriteDecision::Put(Item(key, value));
        });
    if (!w.ok()) Fail(w.status());
    Report("P " + key + " " + value);
    if (i % 4 == 0) {
      // A put then a delete of a key of its own, so tombstones are checked too.
      const std::string gone = "d" + key;
      w = store->Write("crash", Item(gone, ""),
                       [&](const proto::Item*) -> absl::StatusOr<WriteDecision> {
                         return WriteDecision::Put(Item(gone, "x"));
                       });
      if (!w.ok()) Fail(w.status());
      w = store->Write("crash", Item(gone, ""),
                       [](const proto::Item*) -> absl::StatusOr<WriteDecision> {
                         return WriteDecision::Delete();
                       });
      if (!w.ok()) Fail(w.status());
      Report("D " + gone);
    }
  }
}

int Main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: store_crash_writer <dir> <round>\n");
    return 1;
  }
  clock::HybridClock hlc(clock::SystemClock::Default());
  StoreOptions options;
  options.dir = argv[1];
  options.num_partitions = 4;
  options.block_cache_bytes = 8 << 20;
  options.write_buffer_bytes = 256 << 10;  // small: flushes happen while the writer runs
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options, &hlc);
  if (!store.ok()) Fail(store.status());
  if (!(*store)->DescribeTable("crash").ok()) {
    proto::TableSchema schema;
    schema.set_name("crash");
    schema.mutable_partition_key()->set_name("pk");
    schema.mutable_partition_key()->set_type(proto::S);
    absl::StatusOr<proto::TableSchema> created = (*store)->CreateTable(schema);
    if (!created.ok()) Fail(created.status());
  }
  Report("ready");
  const std::string round = argv[2];
  std::thread other([&] { WriteLoop(store->get(), "r" + round + "a"); });
  WriteLoop(store->get(), "r" + round + "b");
  other.join();
  return 0;
}

}  // namespace
}  // namespace globaltable::storage

int main(int argc, char** argv) { return globaltable::storage::Main(argc, argv); }
