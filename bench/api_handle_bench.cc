// api_handle_bench: the DynamoDB API's per-request cost without HTTP, for profiling and for
// before/after comparisons under callgrind (instruction counts do not depend on the machine's
// other tenants).
//
// Opens a store in a fresh temporary directory, creates the table of bench/api_bench.cc (string
// partition key "pk", numeric sort key "sk"), loads --keys items of about --item-bytes through
// Api::Handle, then calls Api::Handle --requests times with the same request bodies api_bench
// sends (PutItem overwrites existing keys, GetItem reads existing keys, Query reads one
// partition key with Limit 10), from one thread. Prints the wall time per request.
//
//   api_handle_bench --op put --requests 20000
//   valgrind --tool=callgrind --toggle-collect='*MeasuredHandle*' build/bin/api_handle_bench
//       --op get --requests 2000
//
// Only the measured calls are counted by --toggle-collect, so setup (open, load) stays out of
// the figure.
// Thread-safety: single-threaded.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "clock/hlc.h"
#include "common/metrics.h"
#include "daemon/api/api.h"
#include "storage/store.h"

namespace {

using globaltable::daemon::HttpRequest;
using globaltable::daemon::HttpResponse;

struct Options {
  std::string op = "put";  // put | get | query
  int requests = 20000;
  int keys = 10000;
  int item_bytes = 200;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: api_handle_bench [--op put|get|query] [--requests N] [--keys K]\n"
               "                        [--item-bytes B]\n");
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (a == "--op") {
      o.op = next();
    } else if (a == "--requests") {
      o.requests = std::atoi(next().c_str());
    } else if (a == "--keys") {
      o.keys = std::atoi(next().c_str());
    } else if (a == "--item-bytes") {
      o.item_bytes = std::atoi(next().c_str());
    } else {
      Usage();
    }
  }
  if (o.op != "put" && o.op != "get" && o.op != "query") Usage();
  if (o.requests < 1 || o.keys < 10) Usage();
  return o;
}

std::string Key(int k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", k);
  return buf;
}

// The bodies of bench/api_bench.cc's BuildRequest, without the HTTP framing.
std::string Body(const Options& o, const std::string& op, int k) {
  std::string pk = Key(k % (o.keys / 10));
  std::string sk = std::to_string(k);
  std::string key = "{\"pk\":{\"S\":\"" + pk + "\"},\"sk\":{\"N\":\"" + sk + "\"}";
  if (op == "put") {
    int payload = std::max(1, o.item_bytes - static_cast<int>(pk.size() + sk.size()) - 6);
    return "{\"TableName\":\"bench\",\"Item\":" + key + ",\"v\":{\"S\":\"" +
           std::string(static_cast<size_t>(payload), 'x') + "\"}}}";
  }
  if (op == "get") return "{\"TableName\":\"bench\",\"Key\":" + key + "}}";
  return "{\"TableName\":\"bench\",\"KeyConditionExpression\":\"pk = :p\",\"Limit\":10,"
         "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"" + pk + "\"}}}";
}

HttpRequest Request(const std::string& operation, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.amz_target = "DynamoDB_20120810." + operation;
  r.body = std::move(body);
  return r;
}

// The measured call, apart so that callgrind can count it alone (--toggle-collect).
__attribute__((noinline)) HttpResponse MeasuredHandle(globaltable::daemon::api::Api& api,
                                                      const HttpRequest& request) {
  return api.Handle(request);
}

void MustSucceed(const HttpResponse& r, const char* what) {
  if (r.status != 200) {
    std::fprintf(stderr, "%s failed: %d %s\n", what, r.status, r.body.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace gt = globaltable;
  const Options o = ParseOptions(argc, argv);
  // As in globaltabled: no deadlock detection on the request path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  char dir_template[] = "/tmp/api_handle_bench.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = dir_template;
  int rc = 0;
  {
    gt::clock::HybridClock hlc(gt::clock::SystemClock::Default());
    gt::storage::StoreOptions store_options;
    store_options.dir = dir + "/store";
    auto store = gt::storage::Store::Open(store_options, &hlc);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    gt::Metrics metrics("local");
    gt::daemon::api::Api api(store->get(), gt::daemon::api::ApiOptions(), &metrics);
    MustSucceed(api.Handle(Request(
                    "CreateTable",
                    "{\"TableName\":\"bench\",\"BillingMode\":\"PAY_PER_REQUEST\","
                    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                    "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"KeySchema\":["
                    "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                    "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]}")),
                "CreateTable");
    for (int k = 0; k < o.keys; ++k) {
      MustSucceed(api.Handle(Request("PutItem", Body(o, "put", k))), "load");
    }

    const std::string operation = o.op == "put" ? "PutItem" : o.op == "get" ? "GetItem" : "Query";
    std::vector<HttpRequest> requests;
    requests.reserve(static_cast<size_t>(o.keys));
    for (int k = 0; k < o.keys; ++k) requests.push_back(Request(operation, Body(o, o.op, k)));

    size_t pick = 0;
    size_t response_bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.requests; ++i) {
      pick = (pick + 104729) % requests.size();
      HttpResponse r = MeasuredHandle(api, requests[pick]);
      if (r.status != 200) {
        std::fprintf(stderr, "%s failed: %d %s\n", operation.c_str(), r.status, r.body.c_str());
        rc = 1;
        break;
      }
      response_bytes += r.body.size();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("op=%s requests=%d us_per_request=%.2f response_bytes_per_request=%.0f\n",
                operation.c_str(), o.requests, seconds * 1e6 / o.requests,
                static_cast<double>(response_bytes) / o.requests);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
