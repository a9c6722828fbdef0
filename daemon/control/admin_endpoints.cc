// Admin API routes for write modes, cut, promotion, drills and status. Thread-safe.
#include "daemon/control/admin_endpoints.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/json_input.h"
#include "common/log.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

ControlResponse Error(int status, absl::string_view message) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return ControlResponse{status, buf.GetString()};
}

int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// Parses `body` as a JSON object; on failure fills *error. Bounded and strict like the
// DynamoDB API's parse (common/json_input.h): admin bodies are small flat objects, so anything
// deeper than kMaxAdminJsonDepth is refused before it is built.
bool ParseObject(absl::string_view body, rapidjson::Document* doc, ControlResponse* error) {
  const JsonInputResult parsed = ParseJsonInput(body, kMaxAdminJsonDepth, doc);
  if (!parsed.ok()) {
    *error = Error(400, AdminJsonError(parsed));
    return false;
  }
  if (!doc->IsObject()) {
    *error = Error(400, "the request body must be a JSON object");
    return false;
  }
  return true;
}

}  // namespace

ControlEndpoints::ControlEndpoints(storage::Store* store, RegionControl* control,
                                   Metrics* metrics, RegionRef self, std::vector<RegionRef> regions,
                                   std::function<std::vector<PeerSummary>()> peers)
    : store_(store),
      control_(control),
      metrics_(metrics),
      self_(std::move(self)),
      regions_(std::move(regions)),
      peers_(std::move(peers)) {}

std::optional<ControlResponse> ControlEndpoints::Handle(absl::string_view method,
                                                        absl::string_view target,
                                                        absl::string_view body) const {
  const size_t q = target.find('?');
  if (q != absl::string_view::npos) target = target.substr(0, q);
  if (target == "/v1/status") {
    if (method != "GET") return Error(405, "use GET");
    return ControlResponse{200, StatusJson()};
  }
  if (target == "/v1/mode") {
    if (method != "POST") return Error(405, "use POST");
    return SetMode(body);
  }
  if (target == "/v1/replication/cut") {
    if (method != "POST") return Error(405, "use POST");
    return SetCut(body);
  }
  if (target == "/v1/replication/skip") {
    if (method != "POST") return Error(405, "use POST");
    return SkipSequences(body);
  }
  if (target == "/v1/drills") {
    if (method == "GET") {
      std::string out = "[";
      bool first = true;
      for (const auto& d : control_->drills()) {
        absl::StrAppend(&out, first ? "" : ",", d);
        first = false;
      }
      return ControlResponse{200, out + "]"};
    }
    if (method != "POST") return Error(405, "use GET or POST");
    return RecordDrill(body);
  }
  if (absl::StartsWith(target, "/v1/tables/") && absl::EndsWith(target, "/primary")) {
    absl::string_view table = target.substr(11, target.size() - 11 - 8);
    if (table.empty() || absl::StrContains(table, '/')) return Error(404, "no such route");
    if (method != "POST") return Error(405, "use POST");
    return SetPrimary(table, body);
  }
  return std::nullopt;
}

ControlResponse ControlEndpoints::SetMode(absl::string_view body) const {
  rapidjson::Document doc;
  ControlResponse err;
  if (!ParseObject(body, &doc, &err)) return err;
  auto it = doc.FindMember("mode");
  if (it == doc.MemberEnd() || !it->value.IsString()) {
    return Error(400, "missing \"mode\": expected active, read_only or fenced");
  }
  absl::StatusOr<WriteMode> mode = ParseWriteMode(it->value.GetString());
  if (!mode.ok()) return Error(400, mode.status().message());
  absl::Status s = control_->SetMode(*mode);
  if (!s.ok()) return Error(HttpStatusOf(s), s.message());
  return ControlResponse{200, StatusJson()};
}

ControlResponse ControlEndpoints::SetCut(absl::string_view body) const {
  rapidjson::Document doc;
  ControlResponse err;
  if (!ParseObject(body, &doc, &err)) return err;
  auto it = doc.FindMember("cut");
  if (it == doc.MemberEnd() || !it->value.IsBool()) {
    return Error(400, "missing \"cut\": expected true or false");
  }
  absl::Status s = control_->SetCut(it->value.GetBool());
  if (!s.ok()) return Error(HttpStatusOf(s), s.message());
  return ControlResponse{200, StatusJson()};
}

ControlResponse ControlEndpoints::SkipSequences(absl::string_view body) const {
  rapidjson::Document doc;
  ControlResponse err;
  if (!ParseObject(body, &doc, &err)) return err;
  auto source = doc.FindMember("source");
  auto partition = doc.FindMember("partition");
  auto through = doc.FindMember("through");
  if (source == doc.MemberEnd() || !source->value.IsString() ||
      partition == doc.MemberEnd() || !partition->value.IsUint() ||
      through == doc.MemberEnd() || !through->value.IsUint64()) {
    return Error(400,
                 "expected {\"source\": REGION, \"partition\": N, \"through\": SEQUENCE}");
  }
  const std::string name = source->value.GetString();
  auto region = std::find_if(regions_.begin(), regions_.end(),
                             [&](const RegionRef& r) { return r.name == name; });
  if (region == regions_.end() || region->id == self_.id) {
    return Error(400, absl::StrCat("\"", name, "\" is not another region of the deployment"));
  }
  const uint32_t p = partition->value.GetUint();
  const uint64_t last = through->value.GetUint64();
  absl::StatusOr<uint64_t> before = store_->SkipSequences(region->id, p, last);
  if (!before.ok()) return Error(HttpStatusOf(before.status()), before.status().message());
  GT_LOG(WARNING) << "operator skipped sequences " << *before + 1 << "-" << last << " of "
                  << name << " partition " << p << ": those mutations are missing from "
                  << self_.name << " until it is resynced";
  return ControlResponse{
      200, absl::StrCat("{\"source\":\"", name, "\",\"partition\":", p,
                        ",\"skipped_from\":", *before + 1, ",\"through\":", last, "}")};
}

ControlResponse ControlEndpoints::SetPrimary(absl::string_view table,
                                             absl::string_view body) const {
  rapidjson::Document doc;
  ControlResponse err;
  if (!ParseObject(body, &doc, &err)) return err;
  auto it = doc.FindMember("region");
  if (it == doc.MemberEnd() || !it->value.IsString()) {
    return Error(400, "missing \"region\": a region name, or \"\" for active-active");
  }
  const std::string region = it->value.GetString();
  if (!region.empty()) {
    bool known = false;
    for (const auto& r : regions_) known = known || r.name == region;
    if (!known && region != self_.name) {
      return Error(404, absl::StrCat("unknown region \"", region, "\""));
    }
  }
  absl::StatusOr<proto::TableSchema> schema = store_->DescribeTable(table);
  if (!schema.ok()) return Error(HttpStatusOf(schema.status()), schema.status().message());
  const std::string before = schema->primary_region();
  schema->set_primary_region(region);
  absl::StatusOr<proto::TableSchema> updated = store_->UpdateTable(*schema);
  if (!updated.ok()) return Error(HttpStatusOf(updated.status()), updated.status().message());
  GT_LOG(WARNING) << "table " << table << " primary region "
                  << (before.empty() ? "(active-active)" : before) << " -> "
                  << (region.empty() ? "(active-active)" : region);
  if (metrics_ != nullptr) {
    metrics_->SetTableRole(table, region.empty()             ? "active_active"
                                  : region == self_.name ? "primary"
                                                         : "secondary");
  }
  return ControlResponse{200, StatusJson()};
}

ControlResponse ControlEndpoints::RecordDrill(absl::string_view body) const {
  absl::Status s = control_->RecordDrill(body);
  if (!s.ok()) return Error(HttpStatusOf(s), s.message());
  return ControlResponse{200, "{}"};
}

std::string ControlEndpoints::StatusJson() const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("region");
  w.String(self_.name.c_str());
  w.Key("region_id");
  w.Uint(self_.id);
  w.Key("mode");
  const absl::string_view mode = WriteModeName(control_->mode());
  w.String(mode.data(), static_cast<rapidjson::SizeType>(mode.size()));
  w.Key("cut");
  w.Bool(control_->cut());
  // Whether the store takes writes (a full disk makes it read-only until space is freed).
  const storage::StorageHealth health = store_->health();
  w.Key("storage");
  w.StartObject();
  w.Key("writable");
  w.Bool(health.writable);
  w.Key("disk_full");
  w.Bool(health.disk_full);
  w.Key("reason");
  w.String(health.reason.c_str(), static_cast<rapidjson::SizeType>(health.reason.size()));
  w.Key("read_only_since_unix");
  w.Double(health.writable ? 0 : absl::ToDoubleSeconds(health.since - absl::UnixEpoch()));
  w.Key("disk_full_errors");
  w.Uint64(health.disk_full_errors);
  w.EndObject();

  w.Key("tables");
  w.StartArray();
  for (const std::string& name : store_->ListTables()) {
    absl::StatusOr<proto::TableSchema> schema = store_->DescribeTable(name);
    if (!schema.ok()) continue;
    absl::StatusOr<storage::TableStats> stats = store_->GetTableStats(name);
    w.StartObject();
    w.Key("name");
    w.String(name.c_str());
    w.Key("primary_region");
    w.String(schema->primary_region().c_str());
    w.Key("items");
    w.Uint64(stats.ok() ? stats->live_items : 0);
    w.Key("tombstones");
    w.Uint64(stats.ok() ? stats->tombstones : 0);
    w.EndObject();
  }
  w.EndArray();

  // This region's change log: last sequence per partition, and the newest local write's HLC.
  w.Key("changelog");
  w.StartArray();
  uint64_t last_local_hlc = 0;
  for (uint32_t p = 0; p < store_->num_partitions(); ++p) {
    const uint64_t last = store_->LastSequence(p);
    w.Uint64(last);
    if (last == 0) continue;
    // The newest write among the last records; an idle partition's tail is heartbeats (one a
    // second), which say nothing about writes. Past the window, the newest record stands in.
    constexpr uint64_t kWindow = 64;
    absl::StatusOr<std::vector<proto::Mutation>> tail = store_->ReadChangeLog(
        p, last > kWindow ? last - kWindow + 1 : 1, kWindow, 1 << 20);
    if (!tail.ok() || tail->empty()) continue;
    uint64_t newest = tail->back().hlc();
    for (auto it = tail->rbegin(); it != tail->rend(); ++it) {
      if (it->kind() != proto::Mutation::HEARTBEAT) {
        newest = it->hlc();
        break;
      }
    }
    last_local_hlc = std::max(last_local_hlc, newest);
  }
  w.EndArray();
  w.Key("last_local_hlc");
  w.Uint64(last_local_hlc);
  if (tombstone_horizon_) {
    w.Key("tombstone_horizon_age_s");
    w.Double(tombstone_horizon_());
  }

  // What this region has applied from every other region, per partition.
  w.Key("applied");
  w.StartObject();
  for (const auto& r : regions_) {
    if (r.id == self_.id) continue;
    const std::string key = std::to_string(r.id);
    w.Key(key.c_str());
    w.StartArray();
    // Watermarks are per partition of the origin's change log; the origin's partition count
    // is its own setting, so report every partition that has data (up to 256).
    std::vector<uint64_t> marks;
    for (uint32_t p = 0; p < 256; ++p) marks.push_back(store_->AppliedWatermark(r.id, p));
    while (marks.size() > store_->num_partitions() && marks.back() == 0) marks.pop_back();
    for (uint64_t m : marks) w.Uint64(m);
    w.EndArray();
  }
  w.EndObject();
  w.Key("applied_hlc");
  w.StartObject();
  for (const auto& r : regions_) {
    if (r.id == self_.id) continue;
    const std::string key = std::to_string(r.id);
    w.Key(key.c_str());
    w.Uint64(store_->AppliedHlc(r.id));
  }
  w.EndObject();

  w.Key("replication");
  w.StartArray();
  if (peers_) {
    for (const PeerSummary& p : peers_()) {
      w.StartObject();
      w.Key("source_region");
      w.String(p.source_region.c_str());
      w.Key("source_id");
      w.Uint(p.source_id);
      w.Key("link_up");
      w.Bool(p.link_up);
      w.Key("lag_seconds");
      w.Double(p.lag_seconds);
      w.Key("pending");
      w.Uint64(p.pending);
      w.Key("applied");
      w.Uint64(p.applied);
      w.Key("conflicts");
      w.Uint64(p.conflicts);
      w.Key("resync_required");
      w.Bool(p.resync_required);
      w.Key("note");
      w.String(p.note.c_str());
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("conflicts_total");
  w.Uint64(store_->stats().conflicts);

  w.Key("drills");
  w.StartArray();
  for (const std::string& d : control_->drills()) {
    rapidjson::Document doc;
    if (ParseJsonInput(d, kMaxAdminJsonDepth, &doc).ok()) doc.Accept(w);
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

}  // namespace globaltable::daemon
