// Api: request parsing, dispatch through the operation table, errors to JSON, metrics.
// Thread-safety: Handle runs concurrently; the table and cached metric references are immutable
// after construction.
#include "daemon/api/api.h"

#include <chrono>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json_input.h"
#include "common/log.h"
#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"

namespace globaltable::daemon::api {
namespace {

constexpr absl::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr char kContentType[] = "application/x-amz-json-1.0";

struct OperationEntry {
  Operation run;
  prometheus::Counter* ok = nullptr;
  prometheus::Histogram* duration = nullptr;
};

// Where an operation runs (HttpServerOptions::run_inline): on the I/O thread that read it when
// it neither waits on locks nor on a commit's fsync, otherwise on a worker.
enum class Runs {
  kWorker,
  kShortRead,         // a point read or a catalog read: inline, and cheap enough to say so
  kInline,            // a bounded read (Query pages are bounded by Limit and 1 MB)
  kInlineUnlessSync,  // a single-item write: inline unless every commit waits for an fsync
};

struct OperationInfo {
  Operation run;
  Runs runs;
};

const std::map<std::string, OperationInfo, std::less<>>& OperationTable() {
  static const auto* table = new std::map<std::string, OperationInfo, std::less<>>{
      {"CreateTable", {&CreateTable, Runs::kWorker}},
      {"DescribeTable", {&DescribeTable, Runs::kShortRead}},
      {"ListTables", {&ListTables, Runs::kShortRead}},
      {"DeleteTable", {&DeleteTable, Runs::kWorker}},
      {"UpdateTable", {&UpdateTable, Runs::kWorker}},
      {"UpdateTimeToLive", {&UpdateTimeToLive, Runs::kWorker}},
      {"DescribeTimeToLive", {&DescribeTimeToLive, Runs::kWorker}},
      {"TagResource", {&TagResource, Runs::kWorker}},
      {"UntagResource", {&UntagResource, Runs::kWorker}},
      {"ListTagsOfResource", {&ListTagsOfResource, Runs::kWorker}},
      {"DescribeLimits", {&DescribeLimits, Runs::kWorker}},
      {"DescribeContinuousBackups", {&DescribeContinuousBackups, Runs::kWorker}},
      {"PutItem", {&PutItem, Runs::kInlineUnlessSync}},
      {"GetItem", {&GetItem, Runs::kShortRead}},
      {"UpdateItem", {&UpdateItem, Runs::kInlineUnlessSync}},
      {"DeleteItem", {&DeleteItem, Runs::kInlineUnlessSync}},
      {"BatchWriteItem", {&BatchWriteItem, Runs::kWorker}},
      {"BatchGetItem", {&BatchGetItem, Runs::kWorker}},
      {"TransactWriteItems", {&TransactWriteItems, Runs::kWorker}},
      {"TransactGetItems", {&TransactGetItems, Runs::kWorker}},
      {"Query", {&Query, Runs::kInline}},
      {"Scan", {&Scan, Runs::kWorker}},
  };
  return *table;
}

// The table's entry for a request's X-Amz-Target, or nullptr.
const OperationInfo* InfoFor(const HttpRequest& request) {
  absl::string_view target = request.amz_target;
  if (!absl::ConsumePrefix(&target, kTargetPrefix)) return nullptr;
  auto it = OperationTable().find(target);
  return it == OperationTable().end() ? nullptr : &it->second;
}

HttpResponse ErrorResponse(const ApiError& e) {
  return HttpResponse{e.http_status(), kContentType, e.ToJson()};
}

// How deep a request body's arrays and objects may nest. The deepest valid request is an
// attribute value at DynamoDB's 32 levels (two JSON levels per level: {"M":{"name":...}})
// inside a TransactWriteItems or BatchWriteItem envelope, about 72 levels; the JSON codec
// enforces the 32 levels exactly. Deeper bodies are refused while parsing, before the
// document grows, with the same error DynamoDB gives for too deep a value.
constexpr int kMaxRequestJsonDepth = 100;

absl::Status ParseErrorStatus(const JsonInputResult& parsed) {
  switch (parsed.error) {
    case JsonInputError::kInvalidUtf8:
      // DynamoDB's front end answers a body it cannot decode as UTF-8 text with a 400
      // SerializationException (what SDK users see when a body's bytes are not the UTF-8 its
      // JSON promises); nothing is read from such a body, so nothing is written.
      return ApiError::Serialization(
                 absl::StrCat("Invalid UTF-8 in the request body at offset ", parsed.offset))
          .status();
    case JsonInputError::kTooDeep:
      return ApiError::Validation("Nesting Levels have exceeded supported limits").status();
    case JsonInputError::kMalformed:
    case JsonInputError::kNone:
      break;
  }
  return ApiError::Serialization(
             absl::StrCat("Malformed JSON at offset ", parsed.offset, ": ", parsed.message))
      .status();
}

}  // namespace

struct Api::Impl {
  explicit Impl(int max_pending_writes) : write_load(max_pending_writes) {}
  WriteLoad write_load;
  TransactionTokens transaction_tokens;
  OpContext ctx;
  Metrics* metrics;
  std::map<std::string, OperationEntry, std::less<>> operations;
};

Api::Api(storage::Store* store, ApiOptions options, Metrics* metrics)
    : impl_(new Impl(options.max_pending_writes)) {
  impl_->ctx.store = store;
  impl_->ctx.write_load = &impl_->write_load;
  impl_->ctx.transaction_tokens = &impl_->transaction_tokens;
  impl_->ctx.region_name = options.region_name;
  impl_->ctx.region_id = options.region_id;
  impl_->ctx.replica_regions = options.replica_regions;
  impl_->ctx.control = options.control;
  impl_->metrics = metrics;
  for (const auto& [name, info] : OperationTable()) {
    OperationEntry entry{info.run};
    if (metrics != nullptr) {
      entry.ok = &metrics->ApiRequests(name, "ok");
      entry.duration = &metrics->ApiRequestDuration(name);
    }
    impl_->operations.emplace(name, entry);
  }
}

Api::~Api() = default;

HttpResponse Api::Shed() {
  if (impl_->metrics != nullptr) impl_->metrics->ApiShedRequests().Increment();
  return ErrorResponse(ApiError::Throttling(
      "Rate of requests exceeds the allowed throughput: too many requests in flight"));
}

HttpResponse Api::TooLarge(size_t max_body_bytes) {
  // AWS's common error for a request entity over the service's limit (HTTP 413), which is what
  // DynamoDB answers to a request over its 16 MB request size limit.
  return ErrorResponse(ApiError(
      "RequestEntityTooLargeException",
      absl::StrCat("Request size exceeds the maximum of ", max_body_bytes, " bytes"), 413));
}

bool Api::IsShortRead(const HttpRequest& request) {
  const OperationInfo* info = InfoFor(request);
  return info != nullptr && info->runs == Runs::kShortRead;
}

bool Api::RunsInline(const HttpRequest& request, bool store_syncs) {
  const OperationInfo* info = InfoFor(request);
  if (info == nullptr) return false;
  switch (info->runs) {
    case Runs::kShortRead:
    case Runs::kInline:
      return true;
    case Runs::kInlineUnlessSync:
      return !store_syncs;
    case Runs::kWorker:
      return false;
  }
  return false;
}

HttpResponse Api::Handle(const HttpRequest& request) {
  if (request.method == "GET" && (request.target == "/" || request.target.empty())) {
    // What DynamoDB answers to a health probe on its endpoint.
    return HttpResponse{200, "text/plain", absl::StrCat("healthy: ", impl_->ctx.region_name, "\n")};
  }
  if (request.method != "POST") {
    return ErrorResponse(ApiError("MethodNotAllowedException", "Only POST is supported", 405));
  }
  absl::string_view target = request.amz_target;
  if (target.empty()) {
    return ErrorResponse(ApiError::UnknownOperation("Missing X-Amz-Target header"));
  }
  if (!absl::StartsWith(target, kTargetPrefix)) {
    return ErrorResponse(ApiError::UnknownOperation());
  }
  auto op = impl_->operations.find(target.substr(kTargetPrefix.size()));
  if (op == impl_->operations.end()) return ErrorResponse(ApiError::UnknownOperation());
  const std::string& name = op->first;
  OperationEntry& entry = op->second;

  auto start = std::chrono::steady_clock::now();
  // The parsed request lives in buffers on this stack frame: an ordinary request is parsed
  // without a single heap allocation (RapidJSON's default allocator takes a 64 KB chunk per
  // document). Larger requests spill into heap chunks.
  char value_buffer[16 << 10];
  char parse_buffer[4 << 10];
  rapidjson::MemoryPoolAllocator<> value_allocator(value_buffer, sizeof(value_buffer));
  rapidjson::MemoryPoolAllocator<> parse_allocator(parse_buffer, sizeof(parse_buffer));
  rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                             rapidjson::MemoryPoolAllocator<>>
      doc(&value_allocator, 1024, &parse_allocator);
  absl::Status status;
  rapidjson::StringBuffer buffer(nullptr, 1024);
  const JsonInputResult parsed =
      ParseJsonInput(request.body, kMaxRequestJsonDepth, &doc, &parse_allocator);
  if (!parsed.ok()) {
    status = ParseErrorStatus(parsed);
  } else if (!doc.IsObject()) {
    status = ApiError::Serialization("Start of structure or map found where not expected").status();
  } else {
    JsonWriter writer(buffer);
    try {
      status = entry.run(impl_->ctx, doc, &writer);
    } catch (const std::exception& e) {
      status = ApiError::Internal(e.what()).status();
    }
  }
  HttpResponse response;
  if (status.ok()) {
    response = HttpResponse{200, kContentType, std::string(buffer.GetString(), buffer.GetSize())};
    if (entry.ok != nullptr) entry.ok->Increment();
  } else {
    ApiError e = ApiError::FromStatus(status);
    // A 503 (the store refusing writes on a full disk) is a state the store reports itself,
    // rate-limited; one line per refused request would flood the log while it lasts.
    if (e.http_status() >= 500 && e.http_status() != 503) {
      GT_LOG(ERROR) << name << ": " << status;
    }
    response = ErrorResponse(e);
    if (impl_->metrics != nullptr) impl_->metrics->ApiRequests(name, e.type()).Increment();
  }
  if (entry.duration != nullptr) {
    entry.duration->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return response;
}

}  // namespace globaltable::daemon::api
