// Publisher implementation. Thread-safety: see publisher.h.
#include "replication/publisher.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/log.h"
#include "common/proto_wire.h"
#include "common/thread_name.h"
#include "replication/jetstream_setup.h"
#include "replication/names.h"

namespace globaltable::replication {
namespace {

// Partition::recent holds at most this many batches per partition, whatever the rate.
constexpr size_t kMaxRecent = 1 << 16;

std::string SettingName(uint32_t partition) {
  return absl::StrCat("replication.acked.", partition);
}

}  // namespace

Publisher::Publisher(NatsLink* link, storage::Store* store, const ReplicationOptions& opts,
                     clock::HybridClock* clock, Metrics* metrics)
    : link_(link),
      store_(store),
      opts_(opts),
      clock_(clock),
      metrics_(metrics),
      num_partitions_(store->num_partitions()),
      outbox_stream_(OutboxStream(opts.region_name)),
      parts_(num_partitions_),
      setup_backoff_(opts.retry_initial),
      dirty_(num_partitions_, true),
      acked_(num_partitions_, 0),
      first_kept_(num_partitions_, 1) {
  // Where each partition's change log starts (an earlier process may have trimmed it), for
  // the retained-records figure in status.
  for (uint32_t p = 0; p < num_partitions_; ++p) {
    absl::StatusOr<std::vector<proto::Mutation>> first = store_->ReadChangeLog(p, 1, 1, 1);
    if (first.ok() && !first->empty()) parts_[p].first_kept = (*first)[0].sequence();
    first_kept_[p] = parts_[p].first_kept;
  }
}

std::string EncodeMutationBatch(clock::RegionId origin, absl::string_view origin_name,
                                uint32_t partition, uint32_t origin_partitions,
                                absl::Span<const storage::ChangeLogRecord> records,
                                clock::Timestamp sent_hlc) {
  size_t size = 64 + origin_name.size();
  for (const storage::ChangeLogRecord& r : records) size += r.bytes.size() + 8;
  std::string out;
  out.reserve(size);
  proto::MutationBatch head;  // fields 1-5
  head.set_origin_region(origin);
  head.set_origin_name(std::string(origin_name));
  head.set_partition(partition);
  head.set_first_sequence(records.front().sequence);
  head.set_last_sequence(records.back().sequence);
  head.AppendToString(&out);
  static_assert(proto::MutationBatch::kMutationsFieldNumber == 6 &&
                    proto::MutationBatch::kSentHlcFieldNumber == 7 &&
                    proto::MutationBatch::kOriginPartitionsFieldNumber == 8,
                "the records go between the header fields and sent_hlc");
  for (const storage::ChangeLogRecord& r : records) {
    AppendLengthDelimited(proto::MutationBatch::kMutationsFieldNumber, r.bytes, &out);
  }
  proto::MutationBatch tail;  // fields 7-8
  tail.set_sent_hlc(sent_hlc);
  tail.set_origin_partitions(origin_partitions);
  tail.AppendToString(&out);
  return out;
}

Publisher::~Publisher() { Stop(); }

void Publisher::Start() {
  store_->SetCommitListener([this](uint32_t partition, uint64_t) { OnCommit(partition); });
  thread_ = std::thread([this] {
    SetThreadName("gt-publish");
    Run();
  });
}

void Publisher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  waker_.Signal();
  store_->SetCommitListener(nullptr);
  if (thread_.joinable()) thread_.join();
  if (ack_sub_) {
    // The ack callback may be running on nats.c's delivery thread: wait until it has returned
    // for the last time before this object can go away.
    natsSubscription_Unsubscribe(ack_sub_.get());
    if (!ack_sub_done_.WaitForNotificationWithTimeout(absl::Seconds(10))) {
      GT_LOG(WARNING) << "publish ack subscription did not complete";
    }
    ack_sub_.reset();
  }
}

void Publisher::SetPaused(bool paused) {
  absl::MutexLock lock(&mu_);
  paused_ = paused;
  wake_ = true;
  waker_.Signal();
}

void Publisher::OnAckSubDone(void* closure) noexcept {
  static_cast<Publisher*>(closure)->ack_sub_done_.Notify();
}

PublisherStatus Publisher::status() const {
  absl::MutexLock lock(&mu_);
  PublisherStatus s = status_;
  s.unpublished_mutations = 0;
  for (uint32_t p = 0; p < num_partitions_; ++p) {
    uint64_t last = store_->LastSequence(p);
    if (last > acked_[p]) s.unpublished_mutations += last - acked_[p];
    if (last >= first_kept_[p]) s.changelog_mutations += last - first_kept_[p] + 1;
  }
  return s;
}

uint64_t Publisher::AckedSequence(uint32_t partition) const {
  absl::MutexLock lock(&mu_);
  return partition < acked_.size() ? acked_[partition] : 0;
}

void Publisher::OnCommit(uint32_t partition) {
  absl::MutexLock lock(&mu_);
  if (partition < dirty_.size()) dirty_[partition] = true;
  wake_ = true;
  waker_.Signal();
}

void Publisher::OnAck(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  auto* self = static_cast<Publisher*>(closure);
  AckEvent ev{0, false, ""};
  absl::string_view subject = natsMsg_GetSubject(msg);
  size_t dot = subject.rfind('.');
  bool parsed = dot != absl::string_view::npos && absl::SimpleAtoi(subject.substr(dot + 1), &ev.id);
  absl::string_view body(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  const char* status = nullptr;
  if (natsMsgHeader_Get(msg, "Status", &status) == NATS_OK && status != nullptr && body.empty()) {
    ev.error = absl::StrCat("status ", status);  // 503: no stream listens (yet)
  } else if (body.find("\"error\"") != absl::string_view::npos) {
    ev.error = std::string(body.substr(0, 300));
  } else {
    size_t at = body.find("\"seq\":");
    ev.ok = at != absl::string_view::npos;
    if (ev.ok) {
      absl::string_view digits = body.substr(at + 6);
      size_t end = digits.find_first_not_of("0123456789");
      (void)absl::SimpleAtoi(digits.substr(0, end), &ev.stream_seq);
      ev.duplicate = body.find("\"duplicate\":true") != absl::string_view::npos;
    } else {
      ev.error = std::string(body.substr(0, 300));
    }
  }
  natsMsg_Destroy(msg);
  if (!parsed) return;
  absl::MutexLock lock(&self->mu_);
  self->acks_.push_back(std::move(ev));
  self->wake_ = true;
  self->waker_.Signal();
}

bool Publisher::Setup() {
  setup_epoch_ = link_->epoch();
  auto js = link_->JetStream(opts_.js_domain);
  absl::Status st = js.status();
  if (st.ok()) st = EnsureOutbox(*js, opts_);
  if (st.ok()) st = EnsureDeadLetter(*js, opts_);
  if (st.ok() && !ack_sub_) {
    ack_prefix_ = link_->NewInbox() + ".";
    std::string wildcard = ack_prefix_ + "*";
    natsSubscription* sub = nullptr;
    natsStatus s =
        natsConnection_Subscribe(&sub, link_->conn(), wildcard.c_str(), &Publisher::OnAck, this);
    if (s == NATS_OK) {
      ack_sub_.reset(sub);
      natsSubscription_SetOnCompleteCB(sub, &Publisher::OnAckSubDone, this);
      natsSubscription_SetPendingLimits(sub, -1, -1);  // bounded by the in-flight window
    } else {
      st = NatsError(s, "subscribe to publish acks");
    }
  }
  if (st.ok() && !ready_) {
    // First setup of this process: find where each partition resumes.
    for (uint32_t p = 0; p < num_partitions_ && st.ok(); ++p) {
      absl::StatusOr<uint64_t> in_stream = LastPublishedSequence(*js, opts_.region_name, p);
      if (!in_stream.ok()) {
        st = in_stream.status();
        break;
      }
      uint64_t persisted = 0;
      absl::StatusOr<std::optional<std::string>> setting = store_->GetSetting(SettingName(p));
      if (setting.ok() && setting->has_value()) (void)absl::SimpleAtoi(**setting, &persisted);
      uint64_t resume = std::max(*in_stream, persisted);
      uint64_t last = store_->LastSequence(p);
      if (resume > last) {
        GT_LOG(WARNING) << "partition " << p << ": outbox has sequences up to " << resume
                        << " but the change log ends at " << last << "; publishing from "
                        << last + 1;
        resume = last;
      }
      Partition& part = parts_[p];
      part.next = resume + 1;
      part.acked = resume;
      part.persisted = persisted;
      absl::MutexLock lock(&mu_);
      acked_[p] = resume;
    }
  }
  absl::MutexLock lock(&mu_);
  if (!st.ok()) {
    status_.last_error = st.ToString();
    return false;
  }
  status_.ready = true;
  return true;
}

void Publisher::ClearInFlight(Partition* part) {
  for (const InFlight& f : part->inflight) id_partition_.erase(f.id);
  total_inflight_ -= static_cast<int>(part->inflight.size());
  part->inflight.clear();
}

void Publisher::Rewind(uint32_t p, const std::string& why) {
  Partition& part = parts_[p];
  ClearInFlight(&part);
  part.next = part.acked + 1;
  part.dirty_since = absl::InfinitePast();
  absl::MutexLock lock(&mu_);
  status_.publish_failures++;
  status_.last_error = why;
}

void Publisher::Run() {
  absl::Time linger_until = absl::InfiniteFuture();
  while (true) {
    absl::Time now = absl::Now();
    absl::Time deadline = std::min(linger_until, now + absl::Milliseconds(50));
    std::vector<bool> dirty(num_partitions_, false);
    std::vector<AckEvent> acks;
    waker_.WaitFor(deadline - now);
    {
      mu_.Lock();
      if (stop_) {
        mu_.Unlock();
        last_persist_ = absl::InfinitePast();  // a clean stop records its position exactly
        Persist(absl::Now());
        break;
      }
      wake_ = false;
      dirty.swap(dirty_);
      dirty_.assign(num_partitions_, false);
      acks.swap(acks_);
      mu_.Unlock();
    }
    now = absl::Now();
    for (uint32_t p = 0; p < num_partitions_; ++p) {
      if (dirty[p] && parts_[p].dirty_since == absl::InfiniteFuture()) parts_[p].dirty_since = now;
    }
    if (!link_->connected()) {
      linger_until = absl::InfiniteFuture();
      continue;  // wake again within 50 ms
    }
    if (!ready_ || link_->epoch() != setup_epoch_) {
      // (Re)connected: in-flight publishes may have been lost with the old connection.
      for (uint32_t p = 0; p < num_partitions_; ++p) {
        if (!parts_[p].inflight.empty()) Rewind(p, "connection lost with publishes in flight");
      }
      if (!Setup()) {
        waker_.WaitFor(setup_backoff_);
        setup_backoff_ = std::min(setup_backoff_ * 2, opts_.retry_max);
        continue;
      }
      ready_ = true;
      setup_backoff_ = opts_.retry_initial;
      connected_since_ = now;
      for (Partition& part : parts_) part.dirty_since = std::min(part.dirty_since, now);
    }
    // Settle acknowledgements.
    for (const AckEvent& ev : acks) {
      auto it = id_partition_.find(ev.id);
      if (it == id_partition_.end()) continue;  // from before a rewind
      if (ev.ok && !ev.duplicate && ev.stream_seq != 0) {
        if (ev.stream_seq <= stream_high_) {
          if (regressed_seq_ == 0) regressed_seq_ = ev.stream_seq;
        } else {
          stream_high_ = ev.stream_seq;
        }
      }
      for (InFlight& f : parts_[it->second].inflight) {
        if (f.id != ev.id) continue;
        f.state = ev.ok ? InFlight::State::kAcked : InFlight::State::kFailed;
        f.stream_seq = ev.stream_seq;
        if (!ev.ok) {
          GT_LOG(WARNING) << "publish of " << opts_.region_name << " partition " << it->second
                          << " " << f.first << "-" << f.last << " failed: " << ev.error;
        }
      }
    }
    uint64_t batches = 0, mutations = 0, bytes = 0;
    for (uint32_t p = 0; p < num_partitions_; ++p) {
      Partition& part = parts_[p];
      bool failed = false;
      while (!part.inflight.empty()) {
        InFlight& f = part.inflight.front();
        if (f.state == InFlight::State::kPending && now - f.sent > opts_.publish_timeout) {
          f.state = InFlight::State::kFailed;
        }
        if (f.state == InFlight::State::kFailed) {
          failed = true;
          break;
        }
        if (f.state != InFlight::State::kAcked) break;
        part.acked = f.last;
        part.recent.push_back(AckedBatch{f.stream_seq, f.first, now});
        batches++;
        mutations += f.last - f.first + 1;
        bytes += f.bytes;
        id_partition_.erase(f.id);
        --total_inflight_;
        part.inflight.pop_front();
      }
      // Kept for keep_acked_for, and not less than that after a reconnect: batches acknowledged
      // just before a server crash must still be here when the restarted server's first
      // acknowledgements reveal the loss.
      while (!part.recent.empty() &&
             ((now - part.recent.front().at > opts_.keep_acked_for &&
               now - connected_since_ > opts_.keep_acked_for) ||
              part.recent.size() > kMaxRecent)) {
        part.recent.pop_front();
      }
      if (failed) Rewind(p, absl::StrCat("publish of partition ", p, " failed or timed out"));
    }
    {
      absl::MutexLock lock(&mu_);
      status_.batches_published += batches;
      status_.mutations_published += mutations;
      if (metrics_ != nullptr && mutations > 0) {
        metrics_->PublishedMutations().Increment(static_cast<double>(mutations));
        metrics_->PublishedBytes().Increment(static_cast<double>(bytes));
      }
      for (uint32_t p = 0; p < num_partitions_; ++p) acked_[p] = parts_[p].acked;
    }
    if (regressed_seq_ != 0 && !RepairSequenceRegression(regressed_seq_)) {
      linger_until = absl::InfiniteFuture();
      continue;  // retried on the next wake-up (within 50 ms)
    }
    bool paused;
    {
      absl::MutexLock lock(&mu_);
      paused = paused_;
    }
    linger_until = paused ? absl::InfiniteFuture() : Send(now);
    Persist(now);
    Trim(now);
  }
}

absl::Time Publisher::Send(absl::Time now) {
  absl::Time earliest = absl::InfiniteFuture();
  for (uint32_t p = 0; p < num_partitions_; ++p) {
    Partition& part = parts_[p];
    if (part.dirty_since == absl::InfiniteFuture()) continue;
    uint64_t last = store_->LastSequence(p);
    if (part.next > last) {
      part.dirty_since = absl::InfiniteFuture();
      continue;
    }
    uint64_t backlog = last - part.next + 1;
    if (backlog < opts_.max_batch_records && now - part.dirty_since < opts_.linger) {
      earliest = std::min(earliest, part.dirty_since + opts_.linger);
      continue;
    }
    while (part.next <= last && total_inflight_ < opts_.max_inflight &&
           static_cast<int>(part.inflight.size()) < opts_.max_inflight_per_partition) {
      if (!PublishOne(p, last)) break;
    }
    if (part.next > last) part.dirty_since = absl::InfiniteFuture();
    // else: the window is full; an ack wakes us and we continue.
  }
  return earliest;
}

bool Publisher::PublishOne(uint32_t p, uint64_t last_committed) {
  Partition& part = parts_[p];
  absl::StatusOr<std::vector<storage::ChangeLogRecord>> records = store_->ReadChangeLogRecords(
      p, part.next, opts_.max_batch_records, opts_.max_batch_bytes);
  if (!records.ok() || records->empty()) {
    absl::MutexLock lock(&mu_);
    status_.last_error = records.ok()
                             ? absl::StrCat("change log of partition ", p, " has no ", part.next)
                             : records.status().ToString();
    return false;
  }
  const uint64_t first = (*records)[0].sequence;
  if (first != part.next) {
    GT_LOG(ERROR) << "change log of partition " << p << " starts at " << first << ", expected "
                  << part.next << ": peers will report a gap";
  }
  uint64_t last = first - 1;
  size_t count = 0;
  for (const storage::ChangeLogRecord& r : *records) {
    if (r.sequence != last + 1) break;  // never publish a hole inside a batch
    last = r.sequence;
    ++count;
  }
  // The records go into the message as they are stored, not parsed and serialized again.
  const std::string body =
      EncodeMutationBatch(opts_.region_id, opts_.region_name, p, num_partitions_,
                          absl::MakeConstSpan(records->data(), count),
                          clock_ != nullptr ? clock_->Now() : 0);

  uint64_t id = next_id_++;
  std::string subject = OutboxSubject(opts_.region_name, p);
  std::string reply = absl::StrCat(ack_prefix_, id);
  std::string msg_id = BatchMsgId(opts_.region_id, p, first, last);
  if (id_generation_ > 0) absl::StrAppend(&msg_id, "-g", id_generation_);
  std::string first_s = absl::StrCat(first);
  std::string last_s = absl::StrCat(last);
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), reply.c_str(), body.data(),
                                static_cast<int>(body.size()));
  NatsMsgPtr msg(raw);
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "Nats-Msg-Id", msg_id.c_str());
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "Gt-First-Seq", first_s.c_str());
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "Gt-Last-Seq", last_s.c_str());
  if (s == NATS_OK) s = natsConnection_PublishMsg(link_->conn(), msg.get());
  if (s != NATS_OK) {
    absl::MutexLock lock(&mu_);
    status_.last_error = NatsError(s, "publish").ToString();
    return false;
  }
  part.inflight.push_back(InFlight{id, first, last, body.size(), absl::Now(),
                                   InFlight::State::kPending});
  id_partition_[id] = p;
  ++total_inflight_;
  part.next = last + 1;
  (void)last_committed;
  return true;
}

bool Publisher::RepairSequenceRegression(uint64_t seen) {
  const uint64_t high = stream_high_;
  const std::string outbox = OutboxStream(opts_.region_name);
  auto js = link_->JetStream(opts_.js_domain);
  natsStatus s = js.ok() ? NATS_OK : NATS_ERR;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // The purge that moves the next sequence past `high` also drops every message below it, so
  // it is done only when no peer's consumer still needs one of those below `seen` (all of
  // them acknowledged up to seen - 1). A peer that is further behind keeps its backlog; the
  // batches published again then still reach it (their new sequences are above its floor),
  // and a peer whose floor is past the reused sequences reports the gap (needs_resync).
  bool purge = true;
  for (const PeerRegion& peer : opts_.peers) {
    if (s != NATS_OK) break;
    jsConsumerInfo* ci = nullptr;
    const std::string durable = ConsumerName(peer.name);
    natsStatus cs = js_GetConsumerInfo(&ci, *js, outbox.c_str(), durable.c_str(), nullptr, &jerr);
    if (cs == NATS_NOT_FOUND) continue;  // created later, from the stream's first message
    if (cs != NATS_OK) {
      s = cs;
      break;
    }
    if (ci->AckFloor.Stream + 1 < seen) purge = false;
    jsConsumerInfo_Destroy(ci);
  }
  if (s == NATS_OK && purge) {
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Purge.Sequence = high + 1;  // drops what is below; the next message gets high + 1
    s = js_PurgeStream(*js, outbox.c_str(), &o, &jerr);
  }
  if (s != NATS_OK) {
    absl::MutexLock lock(&mu_);
    status_.last_error = NatsError(s, "moving the outbox past its lost sequences", jerr).ToString();
    return false;
  }
  GT_LOG(ERROR) << "outbox " << outbox << " acknowledged sequence " << seen
                << " after it had reached " << high
                << ": nats-server lost acknowledged messages and reuses their sequences. "
                << (purge ? absl::StrCat("Moved the stream to sequence ", high + 1, ".")
                          : std::string("A peer is still reading older messages: the stream is "
                                        "left as it is."));
  ++id_generation_;
  regressed_seq_ = 0;
  uint64_t republished = 0;
  for (uint32_t p = 0; p < num_partitions_; ++p) {
    Partition& part = parts_[p];
    ClearInFlight(&part);
    uint64_t from = part.acked + 1;
    while (!part.recent.empty() && part.recent.back().stream_seq >= seen) {
      from = std::min(from, part.recent.back().first);
      part.recent.pop_back();
    }
    // Acknowledgements arrive in publish order per partition, but a lost batch may sit behind
    // one that was kept: any other entry at or above `seen` goes too.
    for (const AckedBatch& b : part.recent) {
      if (b.stream_seq >= seen) from = std::min(from, b.first);
    }
    republished += part.acked + 1 - from;
    part.acked = from - 1;
    part.next = from;
    part.dirty_since = absl::InfinitePast();
  }
  GT_LOG(ERROR) << "publishing again " << republished << " mutations acknowledged at outbox"
                << " sequences " << seen << ".." << high << " or later";
  {
    absl::MutexLock lock(&mu_);
    status_.publish_failures++;
    status_.last_error = absl::StrCat("outbox sequence went back from ", high, " to ", seen,
                                      "; republished the lost batches");
    for (uint32_t p = 0; p < num_partitions_; ++p) acked_[p] = parts_[p].acked;
  }
  // The lowered positions are persisted now, so neither a trim nor a restart goes past them.
  last_persist_ = absl::InfinitePast();
  Persist(absl::Now());
  return true;
}

void Publisher::Persist(absl::Time now) {
  if (now - last_persist_ < opts_.watermark_persist_interval) return;
  last_persist_ = now;
  for (uint32_t p = 0; p < num_partitions_; ++p) {
    Partition& part = parts_[p];
    if (part.acked == part.persisted) continue;
    absl::Status st = store_->PutSetting(SettingName(p), absl::StrCat(part.acked));
    if (!st.ok()) {
      absl::MutexLock lock(&mu_);
      status_.last_error = st.ToString();
      return;
    }
    part.persisted = part.acked;
  }
}

void Publisher::Trim(absl::Time now) {
  if (now - last_trim_ < opts_.trim_interval) return;
  last_trim_ = now;
  uint64_t trimmed = 0;
  for (uint32_t p = 0; p < num_partitions_; ++p) {
    Partition& part = parts_[p];
    // Only what a restart would not publish again: the persisted watermark, which is written
    // (WAL order) before this trim, so no recovery can see the trim without the watermark.
    uint64_t below = part.persisted + 1;
    // Nor what was acknowledged within keep_acked_for: nats-server may still lose it.
    if (!part.recent.empty()) below = std::min(below, part.recent.front().first);
    if (below <= part.first_kept || below - part.first_kept < opts_.trim_min_records) continue;
    const uint64_t last = store_->LastSequence(p);
    absl::Status st = store_->TrimChangeLog(p, below);
    if (!st.ok()) {
      absl::MutexLock lock(&mu_);
      status_.last_error = st.ToString();
      return;
    }
    // The store keeps the partition's last record; `last` may understate it by the commits
    // since, which only makes first_kept low by one until the next trim.
    const uint64_t first_kept = std::max(part.first_kept, std::min(below, last));
    trimmed += first_kept - part.first_kept;
    part.first_kept = first_kept;
  }
  if (trimmed == 0) return;
  absl::MutexLock lock(&mu_);
  status_.trimmed_mutations += trimmed;
  for (uint32_t p = 0; p < num_partitions_; ++p) first_kept_[p] = parts_[p].first_kept;
}

}  // namespace globaltable::replication
