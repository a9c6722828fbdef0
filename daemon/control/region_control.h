// RegionControl: the region's write mode, single-primary checks, replication cut, and drill
// history — the state behind `globaltablectl fence/unfence/promote/drill`.
//
// Write modes:
//   active     writes accepted (subject to single-primary tables' primary region)
//   read_only  writes rejected, reads served, replication continues both ways
//   fenced     as read_only; SetMode returns only after writes in flight have committed, so the
//              change log's last sequences at that moment are the fence point, and the
//              publisher must publish nothing past it (PublishingAllowed()).
// Modes and drill history persist in the store's settings and survive restarts; every change
// is logged and reflected in the metrics (globaltable_write_mode).
//
//   ASSIGN_OR_RETURN(auto control, RegionControl::Create(store, metrics, "us-east-1"));
//   ASSIGN_OR_RETURN(RegionControl::WriteTicket ticket, control->BeginWrite(schema));
//   ... store->Write(...) ...          // ticket released at scope exit
//
// Thread-safety: all methods are thread-safe. BeginWrite is lock-free on the hot path except
// for a shared (reader) lock; SetMode takes the writer side to wait for writes in flight.
#ifndef GLOBALTABLE_DAEMON_CONTROL_REGION_CONTROL_H_
#define GLOBALTABLE_DAEMON_CONTROL_REGION_CONTROL_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/json_input.h"
#include "common/metrics.h"
#include "proto/globaltable.pb.h"
#include "storage/store.h"

namespace globaltable::daemon {

enum class WriteMode { kActive, kReadOnly, kFenced };

absl::string_view WriteModeName(WriteMode mode);  // "active", "read_only", "fenced"
absl::StatusOr<WriteMode> ParseWriteMode(absl::string_view name);

// How deep an admin request body (a drill report included) may nest. Bodies are small flat
// objects; deeper ones are refused while parsing (common/json_input.h), before they are built.
inline constexpr int kMaxAdminJsonDepth = 64;
// The admin API's wording of a body that did not parse.
std::string AdminJsonError(const JsonInputResult& parsed);

class RegionControl {
 public:
  // A write admitted by BeginWrite; SetMode waits for outstanding tickets. Move-only.
  class WriteTicket {
   public:
    WriteTicket() = default;
    WriteTicket(WriteTicket&& other) noexcept : control_(other.control_) { other.control_ = nullptr; }
    WriteTicket& operator=(WriteTicket&& other) noexcept;
    ~WriteTicket();

   private:
    friend class RegionControl;
    explicit WriteTicket(RegionControl* control) : control_(control) {}
    RegionControl* control_ = nullptr;
  };

  // `store` and `metrics` (may be null) must outlive the control.
  static absl::StatusOr<std::unique_ptr<RegionControl>> Create(storage::Store* store,
                                                               Metrics* metrics,
                                                               std::string region_name);

  // Admits a write to `schema`'s table, or kFailedPrecondition naming why not: the region is
  // read-only or fenced, or the table is single-primary with another primary.
  absl::StatusOr<WriteTicket> BeginWrite(const proto::TableSchema& schema);
  // The same check for table-level changes (CreateTable, DeleteTable, UpdateTable).
  absl::Status CheckTableChange() const;

  WriteMode mode() const { return mode_.load(std::memory_order_acquire); }
  // Persists and applies `mode`; when leaving `active`, returns after writes in flight finish.
  absl::Status SetMode(WriteMode mode);
  bool PublishingAllowed() const { return mode() != WriteMode::kFenced && !cut(); }

  // Cut off from replication both ways (unplanned drills). Persisted. The hook (set by the
  // daemon) pauses or resumes the publisher and consumers.
  bool cut() const { return cut_.load(std::memory_order_acquire); }
  absl::Status SetCut(bool cut);
  void SetCutHook(std::function<void(bool cut)> hook);

  // A check every write and table change must also pass (the daemon's: the region's clock
  // against its peers'); its error is returned as it is. Set once, before writes are served.
  void SetWriteGuard(std::function<absl::Status()> guard) { write_guard_ = std::move(guard); }

  // Drill history: reports (JSON objects) newest first, at most kMaxDrills, persisted.
  static constexpr size_t kMaxDrills = 20;
  absl::Status RecordDrill(absl::string_view report_json);
  std::deque<std::string> drills() const;

  const std::string& region_name() const { return region_name_; }

 private:
  RegionControl(storage::Store* store, Metrics* metrics, std::string region_name)
      : store_(store), metrics_(metrics), region_name_(std::move(region_name)) {}
  absl::Status Load();
  void EndWrite();

  storage::Store* const store_;
  Metrics* const metrics_;
  const std::string region_name_;
  std::atomic<WriteMode> mode_{WriteMode::kActive};
  std::atomic<bool> cut_{false};

  // Writers hold the gate shared from admission to commit; SetMode takes it exclusively to
  // wait for them.
  absl::Mutex gate_;
  mutable absl::Mutex mu_;  // serializes SetMode/SetCut/RecordDrill and guards the fields below
  std::function<void(bool)> cut_hook_ ABSL_GUARDED_BY(mu_);
  std::function<absl::Status()> write_guard_;  // set before serving, then only read
  std::deque<std::string> drills_ ABSL_GUARDED_BY(mu_);
};

}  // namespace globaltable::daemon

#endif  // GLOBALTABLE_DAEMON_CONTROL_REGION_CONTROL_H_
