// globaltablectl: the operator's command line for a globaltable deployment.
//
//   globaltablectl --config deploy.yaml status [--json]
//   globaltablectl --config deploy.yaml fence|unfence|read-only REGION
//   globaltablectl --config deploy.yaml promote TABLE REGION
//   globaltablectl --config deploy.yaml digest TABLE
//   globaltablectl --config deploy.yaml skip REGION SOURCE PARTITION SEQUENCE
//   globaltablectl --config deploy.yaml drill planned --from A --to B [--json] [--timeout S]
//   globaltablectl --config deploy.yaml drill unplanned --region A [--promote B]
//                                                      [--outage S] [--json] [--timeout S]
//
// Exit codes: 0 success, 1 the operation or drill failed, 2 usage or configuration error,
// 3 a region could not be reached.
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "daemon/config.h"
#include "daemon/ctl/admin_client.h"
#include "daemon/ctl/drill.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon::ctl {
namespace {

constexpr char kUsage[] =
    "usage: globaltablectl --config FILE COMMAND\n"
    "commands:\n"
    "  status [--json]                     regions, write modes, replication lag, conflicts, drills\n"
    "  fence REGION                        reject writes in REGION and stop it publishing\n"
    "  unfence REGION                      make REGION writable again\n"
    "  read-only REGION                    reject writes in REGION, keep replicating\n"
    "  promote TABLE REGION                make REGION the single primary of TABLE\n"
    "                                      (REGION \"-\" returns TABLE to active-active)\n"
    "  digest TABLE                        compare TABLE's digest in every region\n"
    "  skip REGION SOURCE PARTITION SEQ    in REGION, move past SOURCE's PARTITION records up\n"
    "                                      to SEQ that cannot be applied (status says BLOCKED);\n"
    "                                      they stay missing in REGION until it is resynced\n"
    "  drill planned --from A --to B       fence A, drain, prove with digests, promote B\n"
    "  drill unplanned --region A          cut A off, promote a survivor, heal, converge\n"
    "        [--promote B] [--outage SECONDS]\n"
    "drill options: --json (report as JSON), --timeout SECONDS (each waiting step, default 120)\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "globaltablectl: %s\n%s", message.c_str(), kUsage);
  return 2;
}

std::vector<RegionEndpoint> Endpoints(const DeploymentConfig& d) {
  std::vector<RegionEndpoint> out;
  for (const auto& r : d.regions) out.push_back(RegionEndpoint{r.name, r.id, r.api, r.admin});
  return out;
}

int Status(const std::vector<RegionEndpoint>& regions, bool json) {
  int rc = 0;
  std::vector<std::pair<RegionEndpoint, absl::StatusOr<RegionStatus>>> all;
  for (const auto& r : regions) all.emplace_back(r, AdminClient(r).Status());
  if (json) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto str = [&w](const char* key, const std::string& v) {
      w.Key(key);
      w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    };
    w.StartArray();
    for (const auto& [ep, s] : all) {
      w.StartObject();
      str("region", ep.name);
      w.Key("reachable");
      w.Bool(s.ok());
      if (!s.ok()) {
        rc = 3;
        str("error", std::string(s.status().message()));
        w.EndObject();
        continue;
      }
      str("mode", s->mode);
      w.Key("cut");
      w.Bool(s->cut);
      w.Key("conflicts_total");
      w.Uint64(s->conflicts_total);
      w.Key("tombstone_horizon_age_s");
      w.Double(s->tombstone_horizon_age_s);
      w.Key("storage");
      w.StartObject();
      w.Key("writable");
      w.Bool(s->storage.writable);
      w.Key("disk_full");
      w.Bool(s->storage.disk_full);
      str("reason", s->storage.reason);
      w.Key("disk_full_errors");
      w.Uint64(s->storage.disk_full_errors);
      w.EndObject();
      w.Key("peers");
      w.StartArray();
      for (const PeerStatus& p : s->peers) {
        w.StartObject();
        str("source_region", p.source_region);
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
        str("note", p.note);
        w.EndObject();
      }
      w.EndArray();
      // Each drill is the region's own JSON record, passed through as it is.
      w.Key("drills");
      w.StartArray();
      for (const std::string& d : s->drills) {
        w.RawValue(d.c_str(), d.size(), rapidjson::kObjectType);
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    std::cout << buf.GetString() << "\n";
    return rc;
  }
  std::cout << absl::StrFormat("%-16s %5s  %-10s %-5s %10s %11s %8s  %-22s %s\n", "REGION", "ID",
                               "MODE", "CUT", "CONFLICTS", "TOMBSTONES", "HORIZON", "NOTE",
                               "TABLES");
  for (const auto& [ep, s] : all) {
    if (!s.ok()) {
      rc = 3;
      std::cout << absl::StrFormat("%-16s %5d  %-10s %s\n", ep.name, ep.id, "UNREACHABLE",
                                   s.status().message());
      continue;
    }
    std::vector<std::string> tables;
    for (const auto& t : s->tables) {
      tables.push_back(t.primary_region.empty()
                           ? absl::StrCat(t.name, " (", t.items, ")")
                           : absl::StrCat(t.name, " (", t.items, ", primary ", t.primary_region,
                                          ")"));
    }
    uint64_t tombstones = 0;
    for (const auto& t : s->tables) tombstones += t.tombstones;
    // How far back tombstones are kept for other regions: the purge horizon's age.
    const std::string horizon = s->tombstone_horizon_age_s < 0
                                    ? "unknown"
                                    : absl::StrFormat("%.0fs", s->tombstone_horizon_age_s);
    // A store that refuses writes: why, in a word (the reason is in --json and the log).
    const std::string note = s->storage.writable    ? "-"
                             : s->storage.disk_full ? std::string("DISK FULL: READ-ONLY")
                                                    : std::string("STORAGE FAILED: RESTART");
    std::cout << absl::StrFormat("%-16s %5d  %-10s %-5s %10d %11d %8s  %-22s %s\n", ep.name, ep.id,
                                 s->mode, s->cut ? "yes" : "no", s->conflicts_total, tombstones,
                                 horizon, note, tables.empty() ? "-" : absl::StrJoin(tables, ", "));
    if (!s->storage.writable) {
      std::cout << "  " << ep.name << ": " << s->storage.reason << "\n";
    }
  }
  std::cout << "\nREPLICATION (source -> region)\n";
  std::cout << absl::StrFormat("  %-32s %-5s %10s %10s %12s %10s  %s\n", "LINK", "UP", "LAG",
                               "PENDING", "APPLIED", "CONFLICTS", "NOTE");
  for (const auto& [ep, s] : all) {
    if (!s.ok()) continue;
    for (const auto& p : s->peers) {
      std::cout << absl::StrFormat(
          "  %-32s %-5s %9.3fs %10d %12d %10d  %s\n",
          absl::StrCat(p.source_region, " -> ", ep.name), p.link_up ? "yes" : "NO",
          p.lag_seconds, p.pending, p.applied, p.conflicts,
          !p.note.empty() ? p.note : (p.resync_required ? "RESYNC REQUIRED" : ""));
    }
  }
  bool header = false;
  for (const auto& [ep, s] : all) {
    if (!s.ok()) continue;
    for (const auto& d : s->drills) {
      rapidjson::Document doc;
      doc.Parse(d.c_str());
      if (doc.HasParseError() || !doc.IsObject()) continue;
      if (!header) {
        std::cout << "\nDRILL HISTORY (recorded in " << ep.name << ", newest first)\n";
        header = true;
      }
      auto get = [&](const char* k) -> std::string {
        auto it = doc.FindMember(k);
        if (it == doc.MemberEnd()) return "";
        if (it->value.IsString()) return it->value.GetString();
        if (it->value.IsBool()) return it->value.GetBool() ? "true" : "false";
        if (it->value.IsNumber()) return absl::StrFormat("%.3f", it->value.GetDouble());
        return "";
      };
      double ended = 0;
      (void)absl::SimpleAtod(get("ended_unix"), &ended);
      std::cout << absl::StrFormat(
          "  %s  %-9s %-28s %-4s RTO %ss  RPO %s mutations\n",
          absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(static_cast<int64_t>(ended)),
                           absl::UTCTimeZone()),
          get("kind"), absl::StrCat(get("from"), " -> ", get("to")),
          get("success") == "true" ? "PASS" : "FAIL", get("rto_seconds"), get("rpo_mutations"));
    }
    if (header) break;  // every region records the same history
  }
  return rc;
}

int SetMode(const std::vector<RegionEndpoint>& regions, const std::string& region,
            const std::string& mode) {
  for (const auto& r : regions) {
    if (r.name != region) continue;
    absl::StatusOr<RegionStatus> s = AdminClient(r).SetMode(mode);
    if (!s.ok()) {
      std::fprintf(stderr, "globaltablectl: %s\n", std::string(s.status().message()).c_str());
      return s.status().code() == absl::StatusCode::kUnavailable ? 3 : 1;
    }
    std::printf("%s is now %s\n", region.c_str(), s->mode.c_str());
    return 0;
  }
  return UsageError(absl::StrCat("unknown region \"", region, "\""));
}

int Promote(const std::vector<RegionEndpoint>& regions, const std::string& table,
            const std::string& region) {
  const std::string target = region == "-" ? "" : region;
  const RegionEndpoint* via = nullptr;
  for (const auto& r : regions) {
    if (r.name == region) via = &r;
  }
  if (region != "-" && via == nullptr) {
    return UsageError(absl::StrCat("unknown region \"", region, "\""));
  }
  if (via == nullptr) via = &regions.front();
  absl::Status s = AdminClient(*via).SetPrimary(table, target);
  if (!s.ok()) {
    std::fprintf(stderr, "globaltablectl: %s\n", std::string(s.message()).c_str());
    return s.code() == absl::StatusCode::kUnavailable ? 3 : 1;
  }
  if (target.empty()) {
    std::printf("%s is active-active\n", table.c_str());
  } else {
    std::printf("%s is now the primary of %s\n", region.c_str(), table.c_str());
  }
  return 0;
}

int Skip(const std::vector<RegionEndpoint>& regions, const std::vector<std::string>& params) {
  if (params.size() != 4) return UsageError("skip needs REGION SOURCE PARTITION SEQUENCE");
  const RegionEndpoint* in = nullptr;
  for (const auto& r : regions) {
    if (r.name == params[0]) in = &r;
  }
  if (in == nullptr) return UsageError(absl::StrCat("unknown region \"", params[0], "\""));
  uint32_t partition = 0;
  uint64_t through = 0;
  if (!absl::SimpleAtoi(params[2], &partition)) {
    return UsageError(absl::StrCat("PARTITION \"", params[2], "\" is not a number"));
  }
  if (!absl::SimpleAtoi(params[3], &through) || through == 0) {
    return UsageError(absl::StrCat("SEQUENCE \"", params[3], "\" is not a positive number"));
  }
  absl::StatusOr<std::string> r = AdminClient(*in).SkipSequences(params[1], partition, through);
  if (!r.ok()) {
    std::fprintf(stderr, "globaltablectl: %s\n", std::string(r.status().message()).c_str());
    return r.status().code() == absl::StatusCode::kUnavailable ? 3 : 1;
  }
  std::printf("%s: %s partition %u now continues after sequence %llu (%s)\n", in->name.c_str(),
              params[1].c_str(), partition, static_cast<unsigned long long>(through), r->c_str());
  return 0;
}

int CompareDigest(const std::vector<RegionEndpoint>& regions, const std::string& table) {
  std::map<std::string, int> distinct;
  int rc = 0;
  for (const auto& r : regions) {
    absl::StatusOr<Digest> d = AdminClient(r).TableDigest(table);
    if (!d.ok()) {
      std::printf("%-16s %s\n", r.name.c_str(), std::string(d.status().message()).c_str());
      rc = 3;
      continue;
    }
    distinct[d->digest]++;
    std::printf("%-16s %s  %llu items  %llu tombstones\n", r.name.c_str(), d->digest.c_str(),
                static_cast<unsigned long long>(d->items),
                static_cast<unsigned long long>(d->tombstones));
  }
  if (rc == 0) {
    std::printf(distinct.size() == 1 ? "equal\n" : "DIFFERENT\n");
    if (distinct.size() != 1) rc = 1;
  }
  return rc;
}

int Drill(const std::vector<RegionEndpoint>& regions, const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("drill needs 'planned' or 'unplanned'");
  std::map<std::string, std::string> opts;
  bool json = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--json") {
      json = true;
    } else if (args[i].rfind("--", 0) == 0 && i + 1 < args.size()) {
      opts[args[i].substr(2)] = args[i + 1];
      ++i;
    } else {
      return UsageError(absl::StrCat("unexpected argument \"", args[i], "\""));
    }
  }
  DrillOptions options;
  options.progress = [](const std::string& line) { std::cerr << line << std::endl; };
  for (const auto& [key, value] : opts) {
    double seconds = 0;
    if (key == "timeout" || key == "outage") {
      if (!absl::SimpleAtod(value, &seconds) || seconds < 0) {
        return UsageError(absl::StrCat("--", key, " needs a number of seconds, got \"", value, "\""));
      }
      (key == "timeout" ? options.timeout : options.outage) = absl::Seconds(seconds);
    } else if (key == "promote") {
      options.promote = value;
    } else if (key != "from" && key != "to" && key != "region") {
      return UsageError(absl::StrCat("unknown drill option --", key));
    }
  }
  absl::StatusOr<DrillReport> report;
  if (args[0] == "planned") {
    if (!opts.count("from") || !opts.count("to")) {
      return UsageError("drill planned needs --from REGION --to REGION");
    }
    report = RunPlannedDrill(regions, opts["from"], opts["to"], options);
  } else if (args[0] == "unplanned") {
    if (!opts.count("region")) return UsageError("drill unplanned needs --region REGION");
    report = RunUnplannedDrill(regions, opts["region"], options);
  } else {
    return UsageError(absl::StrCat("unknown drill \"", args[0], "\""));
  }
  if (!report.ok()) {
    std::fprintf(stderr, "globaltablectl: drill failed: %s\n",
                 std::string(report.status().message()).c_str());
    return report.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::cout << (json ? report->ToJson() + "\n" : report->ToText());
  return report->success ? 0 : 1;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--version") {
      std::printf("globaltablectl 0.1.0\n");
      return 0;
    }
    if (args[i] == "--help" || args[i] == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      config_path = args[i].substr(9);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (config_path.empty()) return UsageError("--config FILE is required");
  if (rest.empty()) return UsageError("no command given");
  absl::StatusOr<DeploymentConfig> deployment = LoadDeploymentFile(config_path);
  if (!deployment.ok()) {
    std::fprintf(stderr, "globaltablectl: %s\n",
                 std::string(deployment.status().message()).c_str());
    return 2;
  }
  const std::vector<RegionEndpoint> regions = Endpoints(*deployment);
  const std::string& cmd = rest[0];
  const std::vector<std::string> params(rest.begin() + 1, rest.end());
  if (cmd == "status") {
    if (params.size() > 1 || (params.size() == 1 && params[0] != "--json")) {
      return UsageError("status takes only --json");
    }
    return Status(regions, !params.empty());
  }
  if (cmd == "fence" || cmd == "unfence" || cmd == "read-only") {
    if (params.size() != 1) return UsageError(cmd + " needs exactly one REGION");
    return SetMode(regions, params[0],
                   cmd == "fence" ? "fenced" : cmd == "unfence" ? "active" : "read_only");
  }
  if (cmd == "promote") {
    if (params.size() != 2) return UsageError("promote needs TABLE REGION");
    return Promote(regions, params[0], params[1]);
  }
  if (cmd == "digest") {
    if (params.size() != 1) return UsageError("digest needs TABLE");
    return CompareDigest(regions, params[0]);
  }
  if (cmd == "drill") return Drill(regions, params);
  if (cmd == "skip") return Skip(regions, params);
  return UsageError(absl::StrCat("unknown command \"", cmd, "\""));
}

}  // namespace
}  // namespace globaltable::daemon::ctl

int main(int argc, char** argv) { return globaltable::daemon::ctl::Main(argc, argv); }
