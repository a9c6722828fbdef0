// JSON rendering of replication status. Thread-safety: pure functions.
#include "replication/status.h"

#include <vector>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace globaltable::replication {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

const char* Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

const char* RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kUndecodable:
      return "decode";
    case RejectReason::kOversized:
      return "oversized";
    case RejectReason::kUnknownRegion:
      return "unknown_region";
    case RejectReason::kFromSelf:
      return "own_region";
    case RejectReason::kWrongStream:
      return "wrong_stream";
    case RejectReason::kInvalid:
      return "invalid";
  }
  return "unknown";
}

std::string StatusToJson(const ReplicationStatus& status) {
  const PublisherStatus& p = status.publisher;
  std::string out = absl::StrCat(
      "{\"region\":", Quote(status.region), ",\"region_id\":", status.region_id,
      ",\"nats_connected\":", Bool(status.nats_connected),
      ",\"publisher\":{\"ready\":", Bool(p.ready), ",\"batches_published\":", p.batches_published,
      ",\"mutations_published\":", p.mutations_published,
      ",\"publish_failures\":", p.publish_failures,
      ",\"unpublished_mutations\":", p.unpublished_mutations,
      ",\"changelog_mutations\":", p.changelog_mutations,
      ",\"trimmed_mutations\":", p.trimmed_mutations, ",\"last_error\":", Quote(p.last_error),
      "},\"peers\":[");
  bool first = true;
  for (const PeerStatus& s : status.peers) {
    if (!first) out += ",";
    first = false;
    char lag[32];
    std::snprintf(lag, sizeof(lag), "%.3f", s.lag_seconds);
    absl::StrAppend(
        &out, "{\"region\":", Quote(s.region), ",\"region_id\":", s.region_id,
        ",\"link_up\":", Bool(s.link_up), ",\"last_applied_hlc\":", s.last_applied_hlc,
        ",\"last_applied\":",
        Quote(s.last_applied_hlc == 0 ? "" : clock::FormatTimestamp(s.last_applied_hlc)),
        ",\"lag_seconds\":", lag, ",\"pending_batches\":", s.pending_batches,
        ",\"pending_mutations\":", s.pending_mutations, ",\"paused\":", Bool(s.paused),
        ",\"applied_mutations\":", s.applied_mutations, ",\"conflicts\":", s.conflicts,
        ",\"duplicates\":", s.duplicates, ",\"batches_applied\":", s.batches_applied,
        ",\"gaps\":", s.gaps, ",\"clock_skew_hold\":", Bool(s.clock_skew_hold),
        ",\"clock_skew_ms\":", s.clock_skew_ms, ",\"skew_holds\":", s.skew_holds,
        ",\"needs_resync\":", Bool(s.needs_resync), ",\"gap_fills\":", s.gap_fills,
        ",\"stalled_partitions\":", s.stalled_partitions);
    std::snprintf(lag, sizeof(lag), "%.3f", s.oldest_gap_seconds);
    absl::StrAppend(&out, ",\"oldest_gap_seconds\":", lag, ",\"blocked\":", Quote(s.blocked),
                    ",\"dead_letters\":{");
    bool first_reason = true;
    for (const auto& [reason, n] : s.dead_letters) {
      if (!first_reason) out += ",";
      first_reason = false;
      absl::StrAppend(&out, Quote(reason), ":", n);
    }
    absl::StrAppend(&out, "},\"last_error\":", Quote(s.last_error), "}");
  }
  out += "]}";
  return out;
}

std::string PeerNote(const PeerStatus& s) {
  std::vector<std::string> notes;
  if (s.needs_resync) notes.push_back("RESYNC REQUIRED");
  if (!s.blocked.empty()) notes.push_back(absl::StrCat("BLOCKED: ", s.blocked));
  if (s.stalled_partitions > 0) {
    notes.push_back(absl::StrCat("STALLED: ", s.stalled_partitions, " partition",
                                 s.stalled_partitions == 1 ? "" : "s", " behind a gap for ",
                                 static_cast<int64_t>(s.oldest_gap_seconds), "s"));
  }
  if (s.clock_skew_hold) {
    notes.push_back(absl::StrCat("CLOCK HOLD: source ", s.clock_skew_ms,
                                 " ms ahead, beyond the max offset"));
  }
  uint64_t dead = 0;
  for (const auto& [reason, n] : s.dead_letters) dead += n;
  if (dead > 0) notes.push_back(absl::StrCat(dead, " dead-lettered"));
  return absl::StrJoin(notes, "; ");
}

}  // namespace globaltable::replication
