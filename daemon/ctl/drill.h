// Failover drills: rehearse a planned or unplanned failover against a live deployment and
// report what an SRE needs (RTO, RPO, drain and convergence times, digests compared).
//
//   DrillOptions opts;
//   opts.progress = [](const std::string& line) { std::cerr << line << "\n"; };
//   ASSIGN_OR_RETURN(DrillReport r, RunPlannedDrill(regions, "us-east-1", "eu-west-1", opts));
//   std::cout << r.ToText();       // or r.ToJson()
//
// Planned (--from A --to B): fence A (the reply marks A's change-log fence point), wait until
// every peer has applied A's change log up to it, prove it by comparing table digests in every
// region, then move single-primary tables whose primary is A to B, and unfence A (an
// active-active table needs no promotion: clients move by DNS weights). RTO is the time from
// the fence to the end of promotion; RPO is what A had acknowledged and no peer had applied when
// the drill ended, expected 0.
//
// Unplanned (--region A): cut A off from replication both ways while writes continue, count the
// writes at risk (A's change-log records no peer had applied at the cut: acknowledged writes, and
// the HEARTBEAT records an idle partition gets once a second, so an idle A can show one per
// partition when the cut lands within a heartbeat's delivery), promote a survivor for
// A's single-primary tables, hold the outage, heal, and measure the time until every region has
// applied every other region's change log up to the heal point; then compare digests (retried
// until equal or the timeout, since writes may still be arriving).
//
// Every drill ends by recording its report in every reachable region (history and metrics).
// Thread-safety: a drill runs on the calling thread; progress is called on that thread.
#ifndef GLOBALTABLE_DAEMON_CTL_DRILL_H_
#define GLOBALTABLE_DAEMON_CTL_DRILL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/ctl/admin_client.h"

namespace globaltable::daemon::ctl {

struct DrillOptions {
  absl::Duration timeout = absl::Seconds(120);  // for each waiting step
  absl::Duration outage = absl::Seconds(5);     // unplanned: how long the cut lasts
  absl::Duration poll_interval = absl::Milliseconds(50);
  std::string promote;                          // unplanned: survivor to promote ("" = first)
  std::function<void(const std::string&)> progress;
};

struct DigestComparison {
  std::string table;
  std::vector<std::string> regions;   // same order as digests
  std::vector<std::string> digests;
  std::vector<uint64_t> items;
  bool equal = false;
};

struct DrillReport {
  std::string kind;                   // planned | unplanned
  std::string from;                   // planned: A; unplanned: the region cut off
  std::string to;                     // promoted region
  bool success = false;
  bool converged = false;
  double rto_seconds = 0;
  uint64_t rpo_mutations = 0;
  double rpo_seconds = 0;
  double drain_seconds = 0;           // planned
  double converge_seconds = 0;        // unplanned: heal -> caught up
  uint64_t writes_at_risk = 0;        // unplanned
  uint64_t conflicts_resolved = 0;    // unplanned: conflicts counted across regions
  std::vector<std::string> promoted_tables;
  std::vector<DigestComparison> digests;
  std::vector<std::string> notes;     // what went wrong or was skipped
  double started_unix = 0;
  double ended_unix = 0;

  std::string ToText() const;
  std::string ToJson() const;
};

absl::StatusOr<DrillReport> RunPlannedDrill(const std::vector<RegionEndpoint>& regions,
                                            const std::string& from, const std::string& to,
                                            const DrillOptions& options);

absl::StatusOr<DrillReport> RunUnplannedDrill(const std::vector<RegionEndpoint>& regions,
                                              const std::string& region,
                                              const DrillOptions& options);

}  // namespace globaltable::daemon::ctl

#endif  // GLOBALTABLE_DAEMON_CTL_DRILL_H_
