// AdminClient: HTTP calls plus JSON decoding (RapidJSON). Thread-safe (no shared state).
#include "daemon/ctl/admin_client.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/ctl/http_client.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon::ctl {
namespace {

uint64_t U64(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsNumber()) return 0;
  if (it->value.IsUint64()) return it->value.GetUint64();
  const double d = it->value.GetDouble();
  return d > 0 ? static_cast<uint64_t>(d) : 0;
}

double Double(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : 0.0;
}

std::string Str(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool Bool(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::vector<uint64_t> U64Array(const rapidjson::Value& v) {
  std::vector<uint64_t> out;
  if (!v.IsArray()) return out;
  for (const auto& e : v.GetArray()) out.push_back(e.IsUint64() ? e.GetUint64() : 0);
  return out;
}

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

std::string JsonString(absl::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buf.GetString();
}

}  // namespace

absl::StatusOr<RegionStatus> ParseRegionStatus(absl::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError("status reply is not a JSON object");
  }
  RegionStatus s;
  s.region = Str(doc, "region");
  s.region_id = static_cast<uint32_t>(U64(doc, "region_id"));
  s.mode = Str(doc, "mode");
  s.cut = Bool(doc, "cut");
  s.conflicts_total = U64(doc, "conflicts_total");
  s.last_local_hlc = U64(doc, "last_local_hlc");
  if (auto it = doc.FindMember("tombstone_horizon_age_s");
      it != doc.MemberEnd() && it->value.IsNumber()) {
    s.tombstone_horizon_age_s = it->value.GetDouble();
  }
  if (auto it = doc.FindMember("storage"); it != doc.MemberEnd() && it->value.IsObject()) {
    const auto& st = it->value;
    if (auto w = st.FindMember("writable"); w != st.MemberEnd() && w->value.IsBool()) {
      s.storage.writable = w->value.GetBool();
    }
    s.storage.disk_full = Bool(st, "disk_full");
    s.storage.reason = Str(st, "reason");
    s.storage.read_only_since_unix = Double(st, "read_only_since_unix");
    s.storage.disk_full_errors = U64(st, "disk_full_errors");
  }
  if (auto it = doc.FindMember("changelog"); it != doc.MemberEnd()) {
    s.changelog = U64Array(it->value);
  }
  if (auto it = doc.FindMember("tables"); it != doc.MemberEnd() && it->value.IsArray()) {
    for (const auto& t : it->value.GetArray()) {
      s.tables.push_back(TableStatus{Str(t, "name"), Str(t, "primary_region"), U64(t, "items"),
                                     U64(t, "tombstones")});
    }
  }
  if (auto it = doc.FindMember("applied"); it != doc.MemberEnd() && it->value.IsObject()) {
    for (const auto& m : it->value.GetObject()) {
      s.applied[static_cast<uint32_t>(std::stoul(m.name.GetString()))] = U64Array(m.value);
    }
  }
  if (auto it = doc.FindMember("applied_hlc"); it != doc.MemberEnd() && it->value.IsObject()) {
    for (const auto& m : it->value.GetObject()) {
      s.applied_hlc[static_cast<uint32_t>(std::stoul(m.name.GetString()))] =
          m.value.IsUint64() ? m.value.GetUint64() : 0;
    }
  }
  if (auto it = doc.FindMember("replication"); it != doc.MemberEnd() && it->value.IsArray()) {
    for (const auto& p : it->value.GetArray()) {
      PeerStatus peer;
      peer.source_region = Str(p, "source_region");
      peer.source_id = static_cast<uint32_t>(U64(p, "source_id"));
      peer.link_up = Bool(p, "link_up");
      peer.lag_seconds = Double(p, "lag_seconds");
      peer.pending = U64(p, "pending");
      peer.applied = U64(p, "applied");
      peer.conflicts = U64(p, "conflicts");
      peer.resync_required = Bool(p, "resync_required");
      peer.note = Str(p, "note");
      s.peers.push_back(peer);
    }
  }
  if (auto it = doc.FindMember("drills"); it != doc.MemberEnd() && it->value.IsArray()) {
    for (const auto& d : it->value.GetArray()) s.drills.push_back(ToJson(d));
  }
  return s;
}

absl::StatusOr<std::string> AdminClient::Call(absl::string_view method, const std::string& target,
                                              absl::string_view body) const {
  ASSIGN_OR_RETURN(HttpResponse r, HttpCall(endpoint_.admin, method, target, body));
  if (r.status < 200 || r.status >= 300) {
    return absl::InternalError(absl::StrCat(endpoint_.name, ": ", method, " ", target,
                                            " returned HTTP ", r.status, ": ", r.body));
  }
  return std::move(r.body);
}

absl::StatusOr<RegionStatus> AdminClient::Status() const {
  ASSIGN_OR_RETURN(std::string body, Call("GET", "/v1/status", ""));
  return ParseRegionStatus(body);
}

absl::StatusOr<RegionStatus> AdminClient::SetMode(absl::string_view mode) const {
  ASSIGN_OR_RETURN(std::string body,
                   Call("POST", "/v1/mode", absl::StrCat("{\"mode\":", JsonString(mode), "}")));
  return ParseRegionStatus(body);
}

absl::StatusOr<RegionStatus> AdminClient::SetCut(bool cut) const {
  ASSIGN_OR_RETURN(std::string body, Call("POST", "/v1/replication/cut",
                                          cut ? "{\"cut\":true}" : "{\"cut\":false}"));
  return ParseRegionStatus(body);
}

absl::Status AdminClient::SetPrimary(absl::string_view table, absl::string_view region) const {
  return Call("POST", absl::StrCat("/v1/tables/", table, "/primary"),
              absl::StrCat("{\"region\":", JsonString(region), "}"))
      .status();
}

absl::StatusOr<std::string> AdminClient::SkipSequences(absl::string_view source,
                                                      uint32_t partition,
                                                      uint64_t through) const {
  return Call("POST", "/v1/replication/skip",
              absl::StrCat("{\"source\":", JsonString(source), ",\"partition\":", partition,
                           ",\"through\":", through, "}"));
}

absl::StatusOr<Digest> AdminClient::TableDigest(absl::string_view table) const {
  ASSIGN_OR_RETURN(std::string body, Call("GET", absl::StrCat("/v1/tables/", table, "/digest"), ""));
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(endpoint_.name, ": digest reply is not JSON"));
  }
  return Digest{Str(doc, "table"), U64(doc, "items"), U64(doc, "tombstones"), Str(doc, "digest")};
}

absl::Status AdminClient::RecordDrill(absl::string_view report_json) const {
  return Call("POST", "/v1/drills", report_json).status();
}

}  // namespace globaltable::daemon::ctl
