// RegionControl: write gate, persisted modes, cut flag and drill history. Thread-safe.
#include "daemon/control/region_control.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon {
namespace {

constexpr char kModeSetting[] = "control.write_mode";
constexpr char kCutSetting[] = "control.cut";
constexpr char kDrillsSetting[] = "control.drills";

std::string DrillsToJson(const std::deque<std::string>& drills) {
  std::string out = "[";
  for (size_t i = 0; i < drills.size(); ++i) {
    if (i > 0) out += ",";
    out += drills[i];
  }
  return out + "]";
}

}  // namespace

absl::string_view WriteModeName(WriteMode mode) {
  switch (mode) {
    case WriteMode::kActive:
      return "active";
    case WriteMode::kReadOnly:
      return "read_only";
    case WriteMode::kFenced:
      return "fenced";
  }
  return "active";
}

std::string AdminJsonError(const JsonInputResult& parsed) {
  switch (parsed.error) {
    case JsonInputError::kInvalidUtf8:
      return absl::StrCat("the request body is not valid UTF-8 (at offset ", parsed.offset, ")");
    case JsonInputError::kTooDeep:
      return absl::StrCat("the request body nests deeper than ", kMaxAdminJsonDepth, " levels");
    case JsonInputError::kMalformed:
    case JsonInputError::kNone:
      break;
  }
  return absl::StrCat("the request body is not JSON (at offset ", parsed.offset, ": ",
                      parsed.message, ")");
}

absl::StatusOr<WriteMode> ParseWriteMode(absl::string_view name) {
  if (name == "active") return WriteMode::kActive;
  if (name == "read_only") return WriteMode::kReadOnly;
  if (name == "fenced") return WriteMode::kFenced;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown write mode \"", name, "\": expected active, read_only or fenced"));
}

RegionControl::WriteTicket& RegionControl::WriteTicket::operator=(WriteTicket&& other) noexcept {
  if (this != &other) {
    if (control_ != nullptr) control_->EndWrite();
    control_ = other.control_;
    other.control_ = nullptr;
  }
  return *this;
}

RegionControl::WriteTicket::~WriteTicket() {
  if (control_ != nullptr) control_->EndWrite();
}

absl::StatusOr<std::unique_ptr<RegionControl>> RegionControl::Create(storage::Store* store,
                                                                     Metrics* metrics,
                                                                     std::string region_name) {
  std::unique_ptr<RegionControl> control(new RegionControl(store, metrics, std::move(region_name)));
  RETURN_IF_ERROR(control->Load());
  return control;
}

absl::Status RegionControl::Load() {
  ASSIGN_OR_RETURN(std::optional<std::string> saved, store_->GetSetting(kModeSetting));
  if (saved.has_value()) {
    ASSIGN_OR_RETURN(WriteMode m, ParseWriteMode(*saved));
    mode_.store(m);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> cut, store_->GetSetting(kCutSetting));
  cut_.store(cut.has_value() && *cut == "true");
  ASSIGN_OR_RETURN(std::optional<std::string> drills, store_->GetSetting(kDrillsSetting));
  if (drills.has_value()) {
    rapidjson::Document doc;
    // The saved list holds reports that passed RecordDrill's parse: one level deeper.
    if (ParseJsonInput(*drills, kMaxAdminJsonDepth + 1, &doc).ok() && doc.IsArray()) {
      absl::MutexLock lock(&mu_);
      for (const auto& d : doc.GetArray()) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        d.Accept(w);
        drills_.push_back(buf.GetString());
      }
    }
  }
  if (metrics_ != nullptr) metrics_->SetWriteMode(WriteModeName(mode()));
  if (mode() != WriteMode::kActive || cut_.load()) {
    GT_LOG(WARNING) << "region " << region_name_ << " starts " << WriteModeName(mode())
                    << (cut_.load() ? ", cut off from replication" : "")
                    << " (persisted by an earlier globaltablectl command)";
  }
  return absl::OkStatus();
}

absl::StatusOr<RegionControl::WriteTicket> RegionControl::BeginWrite(
    const proto::TableSchema& schema) {
  if (write_guard_) {
    absl::Status guard = write_guard_();
    if (!guard.ok()) return guard;
  }
  gate_.ReaderLock();
  const WriteMode m = mode();
  if (m != WriteMode::kActive) {
    gate_.ReaderUnlock();
    if (m == WriteMode::kFenced) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Region ", region_name_,
          " is fenced for failover: it serves reads but rejects writes; write to another region"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "Region ", region_name_, " is read-only: it serves reads but rejects writes"));
  }
  if (!schema.primary_region().empty() && schema.primary_region() != region_name_) {
    gate_.ReaderUnlock();
    return absl::FailedPreconditionError(
        absl::StrCat("Table ", schema.name(), " is single-primary and its primary region is ",
                     schema.primary_region(), ": write to ", schema.primary_region()));
  }
  return WriteTicket(this);
}

absl::Status RegionControl::CheckTableChange() const {
  if (write_guard_) {
    absl::Status guard = write_guard_();
    if (!guard.ok()) return guard;
  }
  const WriteMode m = mode();
  if (m == WriteMode::kActive) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("Region ", region_name_, " is ",
                                                    m == WriteMode::kFenced ? "fenced" : "read-only",
                                                    ": table changes are rejected"));
}

void RegionControl::EndWrite() { gate_.ReaderUnlock(); }

absl::Status RegionControl::SetMode(WriteMode mode) {
  absl::MutexLock lock(&mu_);
  const WriteMode before = this->mode();
  RETURN_IF_ERROR(store_->PutSetting(kModeSetting, WriteModeName(mode)));
  mode_.store(mode, std::memory_order_release);
  // Wait for writes admitted under the old mode; new ones now see the new mode.
  gate_.Lock();
  gate_.Unlock();
  if (metrics_ != nullptr) metrics_->SetWriteMode(WriteModeName(mode));
  if (before != mode) {
    GT_LOG(WARNING) << "region " << region_name_ << " write mode " << WriteModeName(before)
                    << " -> " << WriteModeName(mode);
  }
  return absl::OkStatus();
}

absl::Status RegionControl::SetCut(bool cut) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(store_->PutSetting(kCutSetting, cut ? "true" : "false"));
  const bool before = cut_.exchange(cut);
  if (cut_hook_) cut_hook_(cut);
  if (before != cut) {
    GT_LOG(WARNING) << "region " << region_name_
                    << (cut ? " cut off from replication (publishing and consuming paused)"
                            : " reconnected to replication");
  }
  return absl::OkStatus();
}

void RegionControl::SetCutHook(std::function<void(bool)> hook) {
  absl::MutexLock lock(&mu_);
  cut_hook_ = std::move(hook);
  if (cut_hook_) cut_hook_(cut_.load());
}

absl::Status RegionControl::RecordDrill(absl::string_view report_json) {
  rapidjson::Document doc;
  const JsonInputResult parsed = ParseJsonInput(report_json, kMaxAdminJsonDepth, &doc);
  if (!parsed.ok()) return absl::InvalidArgumentError(AdminJsonError(parsed));
  if (!doc.IsObject()) {
    return absl::InvalidArgumentError("a drill report must be a JSON object");
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  absl::MutexLock lock(&mu_);
  std::deque<std::string> next = drills_;
  next.push_front(buf.GetString());
  while (next.size() > kMaxDrills) next.pop_back();
  RETURN_IF_ERROR(store_->PutSetting(kDrillsSetting, DrillsToJson(next)));
  drills_ = std::move(next);
  if (metrics_ != nullptr) {
    auto num = [&](const char* k) {
      auto it = doc.FindMember(k);
      return it != doc.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : 0.0;
    };
    auto kind = doc.FindMember("kind");
    auto success = doc.FindMember("success");
    metrics_->RecordDrill(kind != doc.MemberEnd() && kind->value.IsString()
                              ? kind->value.GetString()
                              : "unknown",
                          success != doc.MemberEnd() && success->value.IsBool() &&
                              success->value.GetBool(),
                          num("rto_seconds"), num("rpo_mutations"), num("rpo_seconds"),
                          num("ended_unix"));
  }
  GT_LOG(INFO) << "recorded drill: " << buf.GetString();
  return absl::OkStatus();
}

std::deque<std::string> RegionControl::drills() const {
  absl::MutexLock lock(&mu_);
  return drills_;
}

}  // namespace globaltable::daemon
