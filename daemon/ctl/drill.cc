// Planned and unplanned failover drills against live regions through their admin APIs.
// Runs on the calling thread.
#include "daemon/ctl/drill.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon::ctl {
namespace {

constexpr uint64_t kHlcLogicalBits = 16;

class Run {
 public:
  Run(const std::vector<RegionEndpoint>& regions, const DrillOptions& options)
      : options_(options), start_(absl::Now()) {
    for (const auto& r : regions) clients_.emplace_back(r);
  }

  void Progress(const std::string& line) const {
    if (options_.progress) {
      options_.progress(absl::StrFormat("[%6.2fs] %s", Elapsed(), line));
    }
  }
  double Elapsed() const { return absl::ToDoubleSeconds(absl::Now() - start_); }

  absl::StatusOr<const AdminClient*> Find(const std::string& name) const {
    for (const auto& c : clients_) {
      if (c.endpoint().name == name) return &c;
    }
    std::vector<std::string> names;
    for (const auto& c : clients_) names.push_back(c.endpoint().name);
    return absl::InvalidArgumentError(absl::StrCat("unknown region \"", name,
                                                   "\"; the deployment has: ",
                                                   absl::StrJoin(names, ", ")));
  }

  const std::vector<AdminClient>& clients() const { return clients_; }
  const DrillOptions& options() const { return options_; }

  // Mutations in `log` (last sequences per partition of `origin`) not yet applied by `peer`.
  static uint64_t Behind(const RegionStatus& peer, uint32_t origin,
                         const std::vector<uint64_t>& log) {
    uint64_t behind = 0;
    auto it = peer.applied.find(origin);
    for (size_t p = 0; p < log.size(); ++p) {
      const uint64_t applied =
          it != peer.applied.end() && p < it->second.size() ? it->second[p] : 0;
      if (log[p] > applied) behind += log[p] - applied;
    }
    return behind;
  }

  // Waits until every region other than `origin` has applied `log` of `origin`. Returns the
  // regions' statuses at the end; kDeadlineExceeded on timeout.
  absl::Status WaitApplied(const AdminClient& origin, const std::vector<uint64_t>& log,
                           const std::set<std::string>& skip) const {
    const absl::Time deadline = absl::Now() + options_.timeout;
    uint64_t last_reported = UINT64_MAX;
    while (true) {
      uint64_t total_behind = 0;
      std::vector<std::string> lagging;
      for (const auto& c : clients_) {
        if (c.endpoint().name == origin.endpoint().name || skip.count(c.endpoint().name)) continue;
        absl::StatusOr<RegionStatus> s = c.Status();
        if (!s.ok()) {
          lagging.push_back(absl::StrCat(c.endpoint().name, " (unreachable)"));
          total_behind += 1;
          continue;
        }
        const uint64_t behind = Behind(*s, origin.endpoint().id, log);
        if (behind > 0) lagging.push_back(absl::StrCat(c.endpoint().name, " ", behind, " behind"));
        total_behind += behind;
      }
      if (total_behind == 0) return absl::OkStatus();
      if (total_behind != last_reported) {
        Progress(absl::StrCat("  waiting for ", origin.endpoint().name, "'s log: ",
                              absl::StrJoin(lagging, ", ")));
        last_reported = total_behind;
      }
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("peers did not apply ", origin.endpoint().name, "'s change log within ",
                         absl::FormatDuration(options_.timeout), ": ",
                         absl::StrJoin(lagging, ", ")));
      }
      absl::SleepFor(options_.poll_interval);
    }
  }

  // Compares every table's digest across the given regions, retrying until all are equal or
  // the timeout passes (writes may still be arriving).
  std::vector<DigestComparison> CompareDigests(const std::vector<std::string>& tables,
                                               bool* all_equal) const {
    const absl::Time deadline = absl::Now() + options_.timeout;
    std::vector<DigestComparison> out;
    while (true) {
      out.clear();
      *all_equal = true;
      for (const auto& table : tables) {
        DigestComparison cmp;
        cmp.table = table;
        std::set<std::string> distinct;
        for (const auto& c : clients_) {
          absl::StatusOr<Digest> d = c.TableDigest(table);
          cmp.regions.push_back(c.endpoint().name);
          cmp.digests.push_back(d.ok() ? d->digest : "unreachable");
          cmp.items.push_back(d.ok() ? d->items : 0);
          distinct.insert(d.ok() ? d->digest : "unreachable:" + c.endpoint().name);
        }
        cmp.equal = distinct.size() == 1;
        *all_equal = *all_equal && cmp.equal;
        out.push_back(std::move(cmp));
      }
      if (*all_equal || absl::Now() > deadline) return out;
      absl::SleepFor(options_.poll_interval * 4);
    }
  }

 private:
  const DrillOptions& options_;
  const absl::Time start_;
  std::vector<AdminClient> clients_;
};

std::vector<std::string> TableNames(const RegionStatus& s) {
  std::vector<std::string> names;
  for (const auto& t : s.tables) names.push_back(t.name);
  return names;
}

void ReportDigests(const Run& run, const std::vector<DigestComparison>& digests) {
  for (const auto& d : digests) {
    run.Progress(absl::StrCat("  ", d.table, ": ", d.equal ? "digests equal " : "DIGESTS DIFFER ",
                              d.digests.empty() ? "" : d.digests[0].substr(0, 16), " (",
                              d.items.empty() ? 0 : d.items[0], " items)"));
  }
}

void RecordEverywhere(const Run& run, DrillReport* report) {
  const std::string json = report->ToJson();
  for (const auto& c : run.clients()) {
    absl::Status s = c.RecordDrill(json);
    if (!s.ok()) report->notes.push_back(absl::StrCat("not recorded in ", c.endpoint().name, ": ",
                                                      s.message()));
  }
}

}  // namespace

absl::StatusOr<DrillReport> RunPlannedDrill(const std::vector<RegionEndpoint>& regions,
                                            const std::string& from, const std::string& to,
                                            const DrillOptions& options) {
  Run run(regions, options);
  ASSIGN_OR_RETURN(const AdminClient* a, run.Find(from));
  ASSIGN_OR_RETURN(const AdminClient* b, run.Find(to));
  if (a == b) return absl::InvalidArgumentError("--from and --to name the same region");
  DrillReport report;
  report.kind = "planned";
  report.from = from;
  report.to = to;
  report.started_unix = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  for (const auto& c : run.clients()) {
    ASSIGN_OR_RETURN(RegionStatus s, c.Status());
    if (s.cut) {
      return absl::FailedPreconditionError(
          absl::StrCat(c.endpoint().name, " is cut off from replication; heal it first"));
    }
  }

  run.Progress(absl::StrCat("fencing ", from, " (writes rejected, change log drains)"));
  const absl::Time fence_time = absl::Now();
  ASSIGN_OR_RETURN(RegionStatus fenced, a->SetMode("fenced"));
  uint64_t fence_total = 0;
  for (uint64_t s : fenced.changelog) fence_total += s;
  run.Progress(fenced.changelog.size() == 1
                   ? absl::StrCat("fenced ", from, " at change-log position ", fence_total)
                   : absl::StrCat("fenced ", from, " at change-log position ", fence_total,
                                  " (sum over ", fenced.changelog.size(), " partitions)"));

  run.Progress("draining: waiting until every peer has applied " + from + "'s change log");
  absl::Status drained = run.WaitApplied(*a, fenced.changelog, {});
  report.drain_seconds = absl::ToDoubleSeconds(absl::Now() - fence_time);
  if (!drained.ok()) {
    report.notes.push_back(std::string(drained.message()));
  } else {
    run.Progress(absl::StrFormat("drained in %.3fs", report.drain_seconds));
  }

  // RPO: what A acknowledged that some peer has not applied.
  for (const auto& c : run.clients()) {
    if (&c == a) continue;
    absl::StatusOr<RegionStatus> s = c.Status();
    if (s.ok()) report.rpo_mutations += Run::Behind(*s, a->endpoint().id, fenced.changelog);
  }

  run.Progress("comparing table digests in every region");
  bool equal = false;
  report.digests = run.CompareDigests(TableNames(fenced), &equal);
  ReportDigests(run, report.digests);
  report.converged = drained.ok() && equal;

  if (report.converged) {
    for (const auto& t : fenced.tables) {
      if (t.primary_region != from) continue;
      run.Progress(absl::StrCat("promoting ", to, " as primary of ", t.name));
      absl::Status s = b->SetPrimary(t.name, to);
      if (!s.ok()) {
        report.notes.push_back(std::string(s.message()));
        continue;
      }
      report.promoted_tables.push_back(t.name);
    }
  } else {
    report.notes.push_back("not promoting: the peers did not converge with " + from);
  }
  run.Progress(absl::StrCat("unfencing ", from));
  absl::StatusOr<RegionStatus> unfenced = a->SetMode("active");
  if (!unfenced.ok()) report.notes.push_back(std::string(unfenced.status().message()));
  report.rto_seconds = absl::ToDoubleSeconds(absl::Now() - fence_time);
  report.success = report.converged && report.rpo_mutations == 0 && unfenced.ok();
  report.ended_unix = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  RecordEverywhere(run, &report);
  return report;
}

absl::StatusOr<DrillReport> RunUnplannedDrill(const std::vector<RegionEndpoint>& regions,
                                              const std::string& region,
                                              const DrillOptions& options) {
  Run run(regions, options);
  ASSIGN_OR_RETURN(const AdminClient* a, run.Find(region));
  const AdminClient* survivor = nullptr;
  if (!options.promote.empty()) {
    ASSIGN_OR_RETURN(survivor, run.Find(options.promote));
    if (survivor == a) return absl::InvalidArgumentError("cannot promote the region being cut off");
  } else {
    for (const auto& c : run.clients()) {
      if (&c != a) {
        survivor = &c;
        break;
      }
    }
  }
  if (survivor == nullptr) return absl::InvalidArgumentError("the deployment has one region");
  DrillReport report;
  report.kind = "unplanned";
  report.from = region;
  report.to = survivor->endpoint().name;
  report.started_unix = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());

  uint64_t conflicts_before = 0;
  for (const auto& c : run.clients()) {
    ASSIGN_OR_RETURN(RegionStatus s, c.Status());
    conflicts_before += s.conflicts_total;
  }

  run.Progress(absl::StrCat("cutting ", region, " off from replication (both ways)"));
  const absl::Time cut_time = absl::Now();
  ASSIGN_OR_RETURN(RegionStatus at_cut, a->SetCut(true));
  // Writes at risk: acknowledged in A and applied by no peer at the cut.
  std::vector<uint64_t> best(at_cut.changelog.size(), 0);
  uint64_t best_hlc = 0;
  for (const auto& c : run.clients()) {
    if (&c == a) continue;
    ASSIGN_OR_RETURN(RegionStatus s, c.Status());
    auto it = s.applied.find(a->endpoint().id);
    if (it != s.applied.end()) {
      for (size_t p = 0; p < best.size() && p < it->second.size(); ++p) {
        best[p] = std::max(best[p], it->second[p]);
      }
    }
    auto h = s.applied_hlc.find(a->endpoint().id);
    if (h != s.applied_hlc.end()) best_hlc = std::max(best_hlc, h->second);
  }
  for (size_t p = 0; p < best.size(); ++p) {
    if (at_cut.changelog[p] > best[p]) report.writes_at_risk += at_cut.changelog[p] - best[p];
  }
  report.rpo_mutations = report.writes_at_risk;
  if (report.writes_at_risk > 0 && at_cut.last_local_hlc > best_hlc) {
    report.rpo_seconds =
        static_cast<double>((at_cut.last_local_hlc >> kHlcLogicalBits) -
                            (best_hlc >> kHlcLogicalBits)) /
        1000.0;
  }
  run.Progress(absl::StrFormat("%d writes acknowledged in %s were not replicated at the cut "
                               "(%.3fs of writes at risk)",
                               report.writes_at_risk, region, report.rpo_seconds));

  for (const auto& t : at_cut.tables) {
    if (t.primary_region != region) continue;
    run.Progress(absl::StrCat("promoting ", report.to, " as primary of ", t.name));
    absl::Status s = survivor->SetPrimary(t.name, report.to);
    if (s.ok()) {
      report.promoted_tables.push_back(t.name);
    } else {
      report.notes.push_back(std::string(s.message()));
    }
  }
  report.rto_seconds = absl::ToDoubleSeconds(absl::Now() - cut_time);

  run.Progress(absl::StrCat("outage: holding the cut for ", absl::FormatDuration(options.outage),
                            " while writes continue"));
  absl::SleepFor(options.outage);

  run.Progress(absl::StrCat("healing ", region));
  const absl::Time heal_time = absl::Now();
  ASSIGN_OR_RETURN(RegionStatus healed, a->SetCut(false));
  // Converged: every region has applied every other region's log up to the heal point.
  bool caught_up = true;
  for (const auto& origin : run.clients()) {
    absl::StatusOr<RegionStatus> s = &origin == a ? healed : origin.Status();
    if (!s.ok()) {
      report.notes.push_back(std::string(s.status().message()));
      caught_up = false;
      continue;
    }
    absl::Status w = run.WaitApplied(origin, s->changelog, {});
    if (!w.ok()) {
      report.notes.push_back(std::string(w.message()));
      caught_up = false;
    }
  }
  report.converge_seconds = absl::ToDoubleSeconds(absl::Now() - heal_time);
  run.Progress(absl::StrFormat("caught up %.3fs after healing", report.converge_seconds));

  run.Progress("comparing table digests in every region");
  bool equal = false;
  report.digests = run.CompareDigests(TableNames(healed), &equal);
  ReportDigests(run, report.digests);
  report.converged = caught_up && equal;

  uint64_t conflicts_after = 0;
  for (const auto& c : run.clients()) {
    absl::StatusOr<RegionStatus> s = c.Status();
    if (s.ok()) conflicts_after += s->conflicts_total;
  }
  report.conflicts_resolved = conflicts_after > conflicts_before ? conflicts_after - conflicts_before
                                                                 : 0;
  report.success = report.converged;
  report.ended_unix = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  RecordEverywhere(run, &report);
  return report;
}

std::string DrillReport::ToText() const {
  std::string out;
  absl::StrAppend(&out, kind == "planned" ? "Planned failover drill: " : "Unplanned failover drill: ",
                  kind == "planned" ? from + " -> " + to : from + " lost, " + to + " promoted",
                  "\n");
  absl::StrAppendFormat(&out, "  result             %s\n", success ? "PASS" : "FAIL");
  absl::StrAppendFormat(&out, "  RTO                %.3f s\n", rto_seconds);
  absl::StrAppendFormat(&out, "  RPO                %d mutations, %.3f s\n", rpo_mutations,
                        rpo_seconds);
  if (kind == "planned") {
    absl::StrAppendFormat(&out, "  drain time         %.3f s\n", drain_seconds);
  } else {
    absl::StrAppendFormat(&out, "  writes at risk     %d\n", writes_at_risk);
    absl::StrAppendFormat(&out, "  conflicts resolved %d\n", conflicts_resolved);
    absl::StrAppendFormat(&out, "  time to converge   %.3f s\n", converge_seconds);
  }
  absl::StrAppendFormat(&out, "  converged          %s\n", converged ? "yes" : "no");
  absl::StrAppendFormat(&out, "  promoted tables    %s\n",
                        promoted_tables.empty() ? "(none: active-active)"
                                                : absl::StrJoin(promoted_tables, ", "));
  if (!digests.empty()) absl::StrAppend(&out, "  digests\n");
  for (const auto& d : digests) {
    absl::StrAppendFormat(&out, "    %-16s %s\n", d.table, d.equal ? "equal" : "DIFFER");
    for (size_t i = 0; i < d.regions.size(); ++i) {
      absl::StrAppendFormat(&out, "      %-16s %s  %d items\n", d.regions[i], d.digests[i],
                            d.items[i]);
    }
  }
  for (const auto& n : notes) absl::StrAppend(&out, "  note: ", n, "\n");
  return out;
}

std::string DrillReport::ToJson() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  str("kind", kind);
  str("from", from);
  str("to", to);
  w.Key("success");
  w.Bool(success);
  w.Key("converged");
  w.Bool(converged);
  w.Key("rto_seconds");
  w.Double(rto_seconds);
  w.Key("rpo_mutations");
  w.Uint64(rpo_mutations);
  w.Key("rpo_seconds");
  w.Double(rpo_seconds);
  w.Key("drain_seconds");
  w.Double(drain_seconds);
  w.Key("converge_seconds");
  w.Double(converge_seconds);
  w.Key("writes_at_risk");
  w.Uint64(writes_at_risk);
  w.Key("conflicts_resolved");
  w.Uint64(conflicts_resolved);
  w.Key("started_unix");
  w.Double(started_unix);
  w.Key("ended_unix");
  w.Double(ended_unix);
  w.Key("promoted_tables");
  w.StartArray();
  for (const auto& t : promoted_tables) w.String(t.c_str());
  w.EndArray();
  w.Key("digests");
  w.StartArray();
  for (const auto& d : digests) {
    w.StartObject();
    str("table", d.table);
    w.Key("equal");
    w.Bool(d.equal);
    w.Key("regions");
    w.StartObject();
    for (size_t i = 0; i < d.regions.size(); ++i) {
      w.Key(d.regions[i].c_str());
      w.StartObject();
      str("digest", d.digests[i]);
      w.Key("items");
      w.Uint64(d.items[i]);
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Key("notes");
  w.StartArray();
  for (const auto& n : notes) w.String(n.c_str());
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

}  // namespace globaltable::daemon::ctl
