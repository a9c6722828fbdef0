// The DynamoDB operations, one function each, grouped by family in
// table_operations.cc, item_operations.cc, batch_operations.cc and query_operations.cc.
// Internal to daemon/api: the dispatcher (api.cc) is their only caller.
//
// Each operation reads a parsed request object and writes the complete response object to
// `out`; on error it returns a Status (see api_error.h) and whatever it wrote is discarded.
// A failed operation changes nothing in the store.
//
// Thread-safety: operations are called concurrently from worker threads; OpContext is shared
// and read-only.
#ifndef GLOBALTABLE_DAEMON_API_OPERATIONS_H_
#define GLOBALTABLE_DAEMON_API_OPERATIONS_H_

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "clock/version.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/transaction_tokens.h"
#include "rapidjson/document.h"
#include "daemon/control/region_control.h"
#include "storage/store.h"

namespace globaltable::daemon::api {

// Counts the store writes the API has started and not finished (waiting for their group
// commit or in it): the API's share of the store's writer queue. BatchWriteItem writes a member
// only while fewer than `limit` are in progress and returns the others in UnprocessedItems, so
// batches yield to a saturated write path and their clients back off and resend.
// Thread-safe.
class WriteLoad {
 public:
  // One write in progress, until destroyed. Empty when TryStart refused.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(std::atomic<int>* count) : count_(count) {}
    Slot(Slot&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
    Slot& operator=(Slot&& other) noexcept {
      std::swap(count_, other.count_);
      return *this;
    }
    ~Slot() {
      if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_acq_rel);
    }
    explicit operator bool() const { return count_ != nullptr; }

   private:
    std::atomic<int>* count_ = nullptr;
  };

  // `limit` 0: no bound.
  explicit WriteLoad(int limit) : limit_(limit) {}

  // Counts a write that is not refused for load (single-item writes).
  Slot Start() {
    count_.fetch_add(1, std::memory_order_acq_rel);
    return Slot(&count_);
  }
  // Counts a write if fewer than `limit` are in progress; else an empty Slot.
  Slot TryStart() {
    int before = count_.fetch_add(1, std::memory_order_acq_rel);
    if (limit_ > 0 && before >= limit_) {
      count_.fetch_sub(1, std::memory_order_acq_rel);
      return Slot();
    }
    return Slot(&count_);
  }
  int in_progress() const { return count_.load(std::memory_order_relaxed); }

 private:
  const int limit_;
  std::atomic<int> count_{0};
};

struct OpContext {
  storage::Store* store = nullptr;
  std::string region_name;
  clock::RegionId region_id = 1;
  std::string account_id = "000000000000";
  std::vector<std::string> replica_regions;  // every region of the deployment, this one included
  // Write modes and single-primary tables; nullptr admits every write (tests, tools).
  RegionControl* control = nullptr;
  // Store writes in progress; nullptr counts nothing and bounds nothing (tests, tools).
  WriteLoad* write_load = nullptr;
  // TransactWriteItems' ClientRequestTokens; nullptr: tokens are not remembered.
  TransactionTokens* transaction_tokens = nullptr;
};

// Counts one store write in `ctx.write_load` until the returned slot is destroyed.
inline WriteLoad::Slot StartWrite(const OpContext& ctx) {
  return ctx.write_load == nullptr ? WriteLoad::Slot() : ctx.write_load->Start();
}

// Admits a write to `schema`'s table under the region's write mode and the table's primary
// region (kFailedPrecondition -> WriteRejectedException). Hold the ticket until the write
// returns: fencing waits for admitted writes to commit.
inline absl::StatusOr<RegionControl::WriteTicket> AdmitWrite(const OpContext& ctx,
                                                             const proto::TableSchema& schema) {
  if (ctx.control == nullptr) return RegionControl::WriteTicket();
  return ctx.control->BeginWrite(schema);
}

// The same for CreateTable, DeleteTable and UpdateTable.
inline absl::Status AdmitTableChange(const OpContext& ctx) {
  return ctx.control == nullptr ? absl::OkStatus() : ctx.control->CheckTableChange();
}

using Operation = absl::Status (*)(const OpContext& ctx, const rapidjson::Value& request,
                                   JsonWriter* out);

absl::Status CreateTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status DescribeTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status ListTables(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status DeleteTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status UpdateTable(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status UpdateTimeToLive(const OpContext& ctx, const rapidjson::Value& request,
                              JsonWriter* out);
absl::Status TagResource(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status UntagResource(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status ListTagsOfResource(const OpContext& ctx, const rapidjson::Value& request,
                                JsonWriter* out);
absl::Status DescribeLimits(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status DescribeContinuousBackups(const OpContext& ctx, const rapidjson::Value& request,
                                       JsonWriter* out);
absl::Status DescribeTimeToLive(const OpContext& ctx, const rapidjson::Value& request,
                                JsonWriter* out);

absl::Status PutItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status GetItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status UpdateItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status DeleteItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);

absl::Status BatchWriteItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status BatchGetItem(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);

absl::Status TransactWriteItems(const OpContext& ctx, const rapidjson::Value& request,
                                JsonWriter* out);
absl::Status TransactGetItems(const OpContext& ctx, const rapidjson::Value& request,
                              JsonWriter* out);

absl::Status Query(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);
absl::Status Scan(const OpContext& ctx, const rapidjson::Value& request, JsonWriter* out);

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_OPERATIONS_H_
