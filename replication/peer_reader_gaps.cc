// PeerReader, closing gaps: reading the batches that close a partition's gap straight from the
// peer's outbox, and reporting partitions that stay stalled behind a gap or blocked by a record
// that cannot be applied (docs/architecture.md, "Closing a gap"). Runs on the reader's thread,
// like the rest of PeerReader; thread-safety: see peer_reader.h.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "replication/names.h"
#include "replication/peer_reader.h"

namespace globaltable::replication {
namespace {
// A partition that refused no batch as a gap for this long has caught up.
constexpr absl::Duration kGapQuiet = absl::Seconds(2);
}  // namespace

void PeerReader::FillGaps() {
  if (held_.empty() && spells_.empty()) return;
  absl::Time now = absl::Now();
  std::vector<uint32_t> parts;
  for (const auto& [p, h] : held_) {
    if (!h.empty()) parts.push_back(p);
  }
  for (const auto& [p, spell] : spells_) {
    if (now - spell.last < kGapQuiet) parts.push_back(p);
  }
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  bool floor_read = false;
  for (uint32_t p : parts) {
    if (stopping_.load(std::memory_order_acquire) || absl::Now() < hold_until_) return;
    Fill& f = fills_[p];
    uint64_t w = store_->AppliedWatermark(peer_.id, p);
    if (now - f.last < opts_.fill_interval && w == f.watermark_at_last) continue;
    if (!floor_read) {
      // Every message at or below the consumer's ack floor was acknowledged, so applied (or
      // set aside as a dead letter): what closes a gap lies above it.
      auto js = link_->JetStream(peer_.js_domain);
      if (!js.ok()) return;
      jsConsumerInfo* ci = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = js_GetConsumerInfo(&ci, *js, OutboxStream(peer_.name).c_str(),
                                        ConsumerName(opts_.region_name).c_str(), nullptr, &jerr);
      if (s != NATS_OK) return;
      ack_floor_ = std::max(ack_floor_, ci->AckFloor.Stream);
      jsConsumerInfo_Destroy(ci);
      floor_read = true;
    }
    f.last = now;
    FillGap(p);
    f.watermark_at_last = store_->AppliedWatermark(peer_.id, p);
  }
}

bool PeerReader::FillGap(uint32_t p) {
  const uint64_t start_watermark = store_->AppliedWatermark(peer_.id, p);
  Fill& f = fills_[p];
  // Where the gap ends: the last batch refused as a gap, or the first one held.
  uint64_t target = 0;
  if (auto s = spells_.find(p); s != spells_.end()) target = s->second.refused_first;
  if (auto h = held_.find(p); h != held_.end() && !h->second.empty()) {
    target = std::max(target, h->second.begin()->first);
  }
  const std::string stream = OutboxStream(peer_.name);
  const std::string subject = OutboxSubject(peer_.name, p);
  uint64_t from = std::max(ack_floor_ + 1, f.cursor);
  bool cursor_moves = true;  // false once a message was passed over that a later fill may need
  uint64_t blocker_seq = 0;
  std::string blocker_why;
  for (int i = 0; i < opts_.fill_max_messages; ++i) {
    if (stopping_.load(std::memory_order_acquire)) break;
    DrainHeld(p);
    uint64_t w = store_->AppliedWatermark(peer_.id, p);
    if (w + 1 >= target) break;
    absl::StatusOr<std::optional<StreamMessage>> got =
        fetcher_.NextBySubject(peer_.js_domain, stream, subject, from);
    if (!got.ok()) {
      SetError(got.status().ToString());
      break;
    }
    if (!got->has_value()) break;  // nothing more in the outbox for this partition
    StreamMessage& m = **got;
    from = m.sequence + 1;
    proto::MutationBatch batch;
    BatchVerdict v = CheckBatch(m.data.data(), m.data.size(), check_ctx_, &batch);
    if (v.reject || batch.partition() != p) {
      // The consumer delivers the same message and sets it aside; remember it in case it is
      // what holds the partition back.
      if (blocker_seq == 0) {
        blocker_seq = m.sequence;
        blocker_why = v.reject ? absl::StrCat(RejectReasonName(*v.reject), ": ", v.detail)
                               : absl::StrCat("batch of partition ", batch.partition());
      }
      cursor_moves = false;
      continue;
    }
    if (batch.last_sequence() <= w) {
      if (cursor_moves) f.cursor = from;
      continue;
    }
    if (batch.first_sequence() > w + 1) {
      // Not the continuation: the range before it is further on (republished) or gone.
      cursor_moves = false;
      continue;
    }
    absl::StatusOr<storage::ApplyResult> r = store_->ApplyBatch(batch);
    if (!r.ok()) break;  // the consumer meets the same batch and handles its outcome
    if (cursor_moves) f.cursor = from;
    blocker_seq = 0;
    RecordApplied(*r, batch, m.data.size(), 1);
    {
      absl::MutexLock lock(&mu_);
      status_.gap_fills++;
    }
    if (metrics_ != nullptr) metrics_->GapFills(peer_.name).Increment();
  }
  DrainHeld(p);
  const uint64_t w = store_->AppliedWatermark(peer_.id, p);
  if (w + 1 >= target || w > start_watermark) {
    f.dead_seq = 0;
    if (f.reported_blocked) {
      GT_LOG(INFO) << "partition " << p << " from " << peer_.name << " moves again at sequence "
                   << w;
      f.reported_blocked = false;
      SetBlocked();
    }
    return w > start_watermark;
  }
  if (blocker_seq == 0 && f.dead_seq != 0) {
    // Set aside (and acknowledged) before: below the ack floor, so the walk did not see it.
    blocker_seq = f.dead_seq;
    blocker_why = f.dead_why;
  }
  if (blocker_seq != 0 && !f.reported_blocked) {
    f.reported_blocked = true;
    f.blocked = absl::StrCat("partition ", p, " stops at sequence ", w, ": message ",
                             blocker_seq, " of ", stream, " cannot be applied (", blocker_why,
                             ")");
    GT_LOG(ERROR) << "replication from " << peer_.name << " is blocked: " << f.blocked
                  << ". It is kept in " << DeadLetterStream(opts_.region_name)
                  << "; later records of the partition wait behind it.";
    SetBlocked();
  }
  return false;
}

void PeerReader::SetBlocked() {
  std::string blocked;
  double count = 0;
  for (const auto& [p, f] : fills_) {
    if (!f.reported_blocked) continue;
    ++count;
    if (!blocked.empty()) blocked += "; ";
    blocked += f.blocked;
  }
  if (metrics_ != nullptr) metrics_->BlockedPartitions(peer_.name).Set(count);
  absl::MutexLock lock(&mu_);
  status_.blocked = blocked;
}

void PeerReader::UpdateStalls(absl::Time now) {
  uint32_t stalled = 0;
  double oldest = 0;
  for (auto it = spells_.begin(); it != spells_.end();) {
    const uint32_t p = it->first;
    GapSpell& spell = it->second;
    auto h = held_.find(p);
    bool holding = h != held_.end() && !h->second.empty();
    if (now - spell.last >= kGapQuiet && !holding) {
      if (spell.reported) {
        GT_LOG(INFO) << "partition " << p << " from " << peer_.name << " caught up after "
                     << absl::FormatDuration(absl::Trunc(now - spell.first, absl::Seconds(1)))
                     << " behind a gap";
      }
      it = spells_.erase(it);
      continue;
    }
    oldest = std::max(oldest, absl::ToDoubleSeconds(now - spell.first));
    if (now - spell.first >= opts_.stall_after) {
      ++stalled;
      if (!spell.reported) {
        spell.reported = true;
        GT_LOG(WARNING) << "partition " << p << " from " << peer_.name
                        << " is stalled: it has refused batches beyond a gap for "
                        << absl::FormatDuration(absl::Trunc(now - spell.first, absl::Seconds(1)))
                        << " (applied up to " << store_->AppliedWatermark(peer_.id, p)
                        << ", last refused batch starts at " << spell.refused_first << ")";
      }
    }
    ++it;
  }
  if (metrics_ != nullptr) {
    metrics_->StalledPartitions(peer_.name).Set(static_cast<double>(stalled));
  }
  absl::MutexLock lock(&mu_);
  status_.stalled_partitions = stalled;
  status_.oldest_gap_seconds = oldest;
}

}  // namespace globaltable::replication
