// PeerReader: pulling, checking, applying and acknowledging (gaps: peer_reader_gaps.cc).
// Thread-safety: see peer_reader.h.
#include "replication/peer_reader.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "google/protobuf/arena.h"
#include "replication/jetstream_setup.h"
#include "replication/names.h"

namespace globaltable::replication {
namespace {

// The stream sequence from a JetStream ack subject:
//   $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>           (9 tokens)
//   $JS.ACK.<domain>.<acc>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>[...]
uint64_t StreamSeqOf(const char* reply) {
  if (reply == nullptr) return 0;
  std::vector<absl::string_view> t = absl::StrSplit(reply, '.');
  uint64_t seq = 0;
  if (t.size() == 9) {
    (void)absl::SimpleAtoi(t[5], &seq);
  } else if (t.size() >= 11) {
    (void)absl::SimpleAtoi(t[7], &seq);
  }
  return seq;
}

}  // namespace

PeerReader::PeerReader(NatsLink* link, NatsLink* ack_link, storage::Store* store,
                       const ReplicationOptions& opts, PeerRegion peer,
                       clock::PhysicalClock* wall, absl::Duration max_offset, Metrics* metrics)
    : link_(link),
      ack_link_(ack_link != nullptr ? ack_link : link),
      store_(store),
      opts_(opts),
      peer_(std::move(peer)),
      wall_(wall),
      max_offset_(max_offset),
      metrics_(metrics),
      fetcher_(link) {
  check_ctx_.self_id = opts_.region_id;
  check_ctx_.self_name = opts_.region_name;
  check_ctx_.stream_owner = &peer_;
  check_ctx_.peers = &opts_.peers;
  check_ctx_.max_message_bytes = opts_.max_message_bytes;
  next_subject_ = absl::StrCat(ApiPrefix(peer_.js_domain), ".CONSUMER.MSG.NEXT.",
                               OutboxStream(peer_.name), ".", ConsumerName(opts_.region_name));
  request_body_ = absl::StrCat("{\"batch\":", opts_.pull_batch,
                               ",\"expires\":", absl::ToInt64Nanoseconds(opts_.pull_expires), "}");
  skew_backoff_ = opts_.retry_initial;
  retry_backoff_ = opts_.retry_initial;
  gap_backoff_ = opts_.retry_initial;
  setup_backoff_ = opts_.retry_initial;
  status_.region = peer_.name;
  status_.region_id = peer_.id;
  if (metrics_ != nullptr) {
    // Every series a panel or an alert reads exists from start-up, not from its first event.
    for (RejectReason r : {RejectReason::kUndecodable, RejectReason::kOversized,
                           RejectReason::kUnknownRegion, RejectReason::kFromSelf,
                           RejectReason::kWrongStream, RejectReason::kInvalid}) {
      metrics_->RejectedBatches(peer_.name, RejectReasonName(r));
    }
    metrics_->RejectedBatches(peer_.name, "gap");
    metrics_->RejectedBatches(peer_.name, "clock_offset");
    metrics_->DeadLetterBatches(peer_.name);
    metrics_->GapFills(peer_.name);
    metrics_->StalledPartitions(peer_.name);
    metrics_->BlockedPartitions(peer_.name);
    metrics_->AppliedMutations(peer_.name);
    metrics_->AppliedBytes(peer_.name);
  }
}

PeerReader::~PeerReader() { Stop(); }

void PeerReader::Start() {
  thread_ = std::thread([this] {
    SetThreadName("gt-read-" + peer_.name);
    Run();
  });
}

void PeerReader::Stop() {
  stopping_.store(true, std::memory_order_release);
  waker_.Signal();
  if (thread_.joinable()) thread_.join();
}

PeerStatus PeerReader::status() const {
  absl::MutexLock lock(&mu_);
  PeerStatus s = status_;
  s.link_up = s.link_up && link_->connected() && !s.paused;
  uint64_t seen = s.applied_mutations + s.duplicates + s.conflicts;
  s.pending_mutations =
      s.batches_applied > 0 ? s.pending_batches * seen / s.batches_applied : s.pending_batches;
  if (s.pending_batches > 0 && s.last_applied_hlc != 0) {
    double now_ms = static_cast<double>(wall_->NowMillis());
    double hlc_ms = static_cast<double>(clock::PhysicalMillis(s.last_applied_hlc));
    s.lag_seconds = std::max(0.0, (now_ms - hlc_ms) / 1000.0);
  }
  if (!s.link_up && s.last_confirmed_ms != 0) {
    // Nothing is known since the last answer of the peer's JetStream: anything it took since
    // then may be waiting, so the oldest unapplied mutation is at most this old, and may be.
    s.lag_seconds = std::max(
        s.lag_seconds,
        static_cast<double>(static_cast<int64_t>(wall_->NowMillis()) - s.last_confirmed_ms) /
            1000.0);
  }
  return s;
}

bool PeerReader::WaitFor(absl::Duration d) {
  waker_.WaitFor(d);
  return !stopping_.load(std::memory_order_acquire);
}

absl::Duration PeerReader::NextBackoff(absl::Duration* backoff) {
  absl::Duration d = *backoff;
  *backoff = std::min(*backoff * 2, opts_.retry_max);
  return d;
}

void PeerReader::SetError(const std::string& error) {
  absl::MutexLock lock(&mu_);
  status_.last_error = error;
}

void PeerReader::Run() {
  while (!stopping_.load(std::memory_order_acquire)) {
    if (!link_->connected()) {
      {
        absl::MutexLock lock(&mu_);
        status_.link_up = false;
      }
      WaitFor(opts_.retry_initial);
      continue;
    }
    bool paused = paused_.load(std::memory_order_acquire);
    {
      absl::MutexLock lock(&mu_);
      status_.paused = paused;
    }
    if (paused) {
      WaitFor(opts_.retry_initial);
      continue;
    }
    if (link_->epoch() != setup_epoch_) consumer_ready_ = false;
    if (!Setup()) {
      WaitFor(NextBackoff(&setup_backoff_));
      continue;
    }
    setup_backoff_ = opts_.retry_initial;
    absl::Time now = absl::Now();
    if (now < hold_until_) {
      WaitFor(std::min(hold_until_ - now, opts_.retry_max));
      continue;
    }
    if (now - last_refresh_ >= opts_.status_refresh) RefreshStatus();
    PullOnce();
    FillGaps();
    ExpireHeld(absl::Now());
    UpdateStalls(absl::Now());
  }
}

bool PeerReader::Setup() {
  if (!sub_) {
    inbox_ = link_->NewInbox();
    natsSubscription* sub = nullptr;
    natsStatus s = natsConnection_SubscribeSync(&sub, link_->conn(), inbox_.c_str());
    if (s != NATS_OK) {
      SetError(NatsError(s, "subscribe to pull inbox").ToString());
      return false;
    }
    sub_.reset(sub);
    // A second guard on memory besides the single outstanding request.
    natsSubscription_SetPendingLimits(
        sub, opts_.pull_batch * 2 + 16,
        static_cast<int>(std::min<int64_t>(
            INT32_MAX,
            int64_t{opts_.pull_batch} * 2 * static_cast<int64_t>(opts_.max_message_bytes))));
  }
  if (consumer_ready_) return true;
  setup_epoch_ = link_->epoch();
  auto js = link_->JetStream(peer_.js_domain);
  absl::Status st =
      js.ok() ? EnsureReaderConsumer(*js, peer_.name, opts_.region_name, opts_) : js.status();
  if (!st.ok()) {
    absl::MutexLock lock(&mu_);
    status_.link_up = false;
    status_.last_error = st.ToString();
    return false;
  }
  consumer_ready_ = true;
  absl::MutexLock lock(&mu_);
  status_.last_error.clear();
  return true;
}

void PeerReader::PullOnce() {
  natsStatus s =
      natsConnection_PublishRequest(link_->conn(), next_subject_.c_str(), inbox_.c_str(),
                                    request_body_.data(), static_cast<int>(request_body_.size()));
  if (s != NATS_OK) {
    SetError(NatsError(s, "pull request").ToString());
    WaitFor(opts_.retry_initial);
    return;
  }
  absl::Time deadline = absl::Now() + opts_.pull_expires + absl::Seconds(1);
  int received = 0;
  while (received < opts_.pull_batch && !stopping_.load(std::memory_order_acquire)) {
    int64_t wait_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (wait_ms <= 0) break;  // the request is gone (e.g. lost in a disconnect)
    natsMsg* raw = nullptr;
    s = natsSubscription_NextMsg(&raw, sub_.get(), wait_ms);
    if (s == NATS_TIMEOUT) break;
    if (s == NATS_SLOW_CONSUMER) continue;  // dropped messages are redelivered after AckWait
    if (s != NATS_OK) {
      SetError(NatsError(s, "pull inbox").ToString());
      sub_.reset();
      return;
    }
    NatsMsgPtr msg(raw);
    std::string code = HeaderValue(msg.get(), "Status");
    if (!code.empty() && natsMsg_GetDataLength(msg.get()) == 0) {
      if (code == "100") continue;  // idle heartbeat
      if (code == "503") {
        // No responders: the consumer or the peer's JetStream is unreachable (link cut, peer's
        // domain down, consumer deleted). Set it up again after a pause.
        consumer_ready_ = false;
        {
          absl::MutexLock lock(&mu_);
          status_.link_up = false;
          status_.last_error = "no responders for " + next_subject_;
        }
        WaitFor(NextBackoff(&setup_backoff_));
        return;
      }
      // 404 no messages, 408 request expired, 409 request ended by the server.
      last_response_ = absl::Now();
      absl::MutexLock lock(&mu_);
      status_.link_up = true;
      return;
    }
    ++received;
    last_response_ = absl::Now();
    // Take whatever else has already arrived, so consecutive batches can be applied together.
    std::vector<NatsMsgPtr> burst;
    burst.push_back(std::move(msg));
    bool ended = false;
    int queued = 0;
    int queued_bytes = 0;
    natsSubscription_GetPending(sub_.get(), &queued, &queued_bytes);
    while (queued-- > 0 && received < opts_.pull_batch) {
      natsMsg* more = nullptr;
      if (natsSubscription_NextMsg(&more, sub_.get(), 1000) != NATS_OK) break;
      NatsMsgPtr next(more);
      if (natsMsg_GetDataLength(more) == 0 && !HeaderValue(more, "Status").empty()) {
        if (HeaderValue(more, "Status") == "100") continue;
        ended = true;  // 404/408/409 (a 503 cannot follow data of the same request)
        break;
      }
      ++received;
      burst.push_back(std::move(next));
    }
    HandleBurst(std::move(burst));
    if (ended) return;
  }
}

void PeerReader::DrainHeld(uint32_t partition) {
  auto it = held_.find(partition);
  while (it != held_.end() && !it->second.empty()) {
    auto first = it->second.begin();
    if (first->first > store_->AppliedWatermark(peer_.id, partition) + 1) break;
    Held h = std::move(first->second);
    it->second.erase(first);
    --held_count_;
    if (!Apply(std::move(h.msg), &h.batch, h.size, absl::Now())) break;
  }
  if (it != held_.end() && it->second.empty()) held_.erase(it);
}

void PeerReader::ExpireHeld(absl::Time now) {
  for (auto pit = held_.begin(); pit != held_.end();) {
    for (auto it = pit->second.begin(); it != pit->second.end();) {
      if (now - it->second.since < opts_.ack_wait / 2) {
        ++it;
        continue;
      }
      // Held too long: hand it back before its ack wait runs out, so JetStream redelivers it
      // once instead of us holding a message it is about to resend anyway.
      Nak(it->second.msg.get(), opts_.retry_initial);
      it = pit->second.erase(it);
      --held_count_;
    }
    pit = pit->second.empty() ? held_.erase(pit) : std::next(pit);
  }
}

void PeerReader::RecordApplied(const storage::ApplyResult& r, const proto::MutationBatch& batch,
                               size_t size, uint64_t messages) {
  gaps_.erase(batch.partition());
  skew_backoff_ = opts_.retry_initial;
  retry_backoff_ = opts_.retry_initial;
  gap_backoff_ = opts_.retry_initial;
  clock::Timestamp applied_hlc = store_->AppliedHlc(peer_.id);
  if (metrics_ != nullptr) {
    metrics_->AppliedMutations(peer_.name).Increment(static_cast<double>(r.applied));
    metrics_->AppliedBytes(peer_.name).Increment(static_cast<double>(size));
    if (r.applied > 0 && batch.mutations_size() > 0) {
      // Lag: apply time minus the physical time of the newest mutation of the batch.
      double lag_ms = static_cast<double>(wall_->NowMillis()) -
                      static_cast<double>(
                          clock::PhysicalMillis(batch.mutations(batch.mutations_size() - 1).hlc()));
      metrics_->ReplicationLag(peer_.name).Observe(std::max(0.0, lag_ms / 1000.0));
    }
  }
  absl::MutexLock lock(&mu_);
  status_.applied_mutations += r.applied;
  status_.conflicts += r.conflicts;
  status_.duplicates += r.duplicates;
  status_.batches_applied += messages;
  status_.last_applied_hlc = std::max(status_.last_applied_hlc, applied_hlc);
  status_.clock_skew_hold = false;
}

void PeerReader::HandleBurst(std::vector<NatsMsgPtr> msgs) {
  {
    absl::MutexLock lock(&mu_);
    status_.link_up = true;
  }
  absl::Time now = absl::Now();
  // Every batch of the burst is decoded onto one arena: freed in a few blocks at the end
  // instead of attribute by attribute (which cost about 40% of the reader's CPU in a
  // catch-up, glibc's free and protobuf's destructors).
  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = 64 << 10;
  arena_options.max_block_size = 1 << 20;
  google::protobuf::Arena arena(arena_options);
  struct Checked {
    NatsMsgPtr msg;
    proto::MutationBatch* batch;  // on `arena`
    size_t size;
  };
  // Per partition, in arrival order (partitions are independent, so grouping reorders nothing
  // that matters).
  std::map<uint32_t, std::vector<Checked>> by_partition;
  for (NatsMsgPtr& owned : msgs) {
    natsMsg* msg = owned.get();
    if (now < hold_until_) {
      // Held for clock skew or a retry: the rest of this request waits too, unapplied.
      Nak(msg, hold_until_ - now);
      continue;
    }
    size_t size = static_cast<size_t>(natsMsg_GetDataLength(msg));
    auto* batch = google::protobuf::Arena::CreateMessage<proto::MutationBatch>(&arena);
    BatchVerdict v = CheckBatch(natsMsg_GetData(msg), size, check_ctx_, batch);
    if (v.reject) {
      if (DeadLetter(msg, *v.reject, v.detail)) {
        Ack(msg);
      } else {
        Nak(msg, opts_.retry_max);
      }
      continue;
    }
    uint32_t p = batch->partition();
    by_partition[p].push_back(Checked{std::move(owned), batch, size});
  }
  for (auto& entry : by_partition) {
    // Not a structured binding: the lambdas below capture `list`, which C++17 allows only for
    // a variable (GCC accepts the binding, clang does not).
    const uint32_t p = entry.first;
    std::vector<Checked>& list = entry.second;
    size_t k = 0;
    while (k < list.size()) {
      if (absl::Now() < hold_until_) {
        Nak(list[k].msg.get(), hold_until_ - absl::Now());
        ++k;
        continue;
      }
      // A run of consecutive batches that continues the watermark is applied as one batch:
      // one RocksDB write instead of one per message, which is what keeps a reader ahead of a
      // source sending many small batches. Each message is acked after the merged apply.
      size_t e = k + 1;
      while (e < list.size() &&
             list[e].batch->first_sequence() == list[e - 1].batch->last_sequence() + 1) {
        ++e;
      }
      if (e - k >= 2 &&
          list[k].batch->first_sequence() <= store_->AppliedWatermark(peer_.id, p) + 1) {
        // The mutations are lent to the merged batch (swapped within the arena, not copied)
        // and given back if the merged apply fails, for the one-by-one path below.
        auto* merged = google::protobuf::Arena::CreateMessage<proto::MutationBatch>(&arena);
        merged->set_origin_region(list[k].batch->origin_region());
        merged->set_origin_name(list[k].batch->origin_name());
        merged->set_partition(p);
        merged->set_first_sequence(list[k].batch->first_sequence());
        merged->set_sent_hlc(list[k].batch->sent_hlc());
        size_t bytes = 0;
        auto lend = [&] {
          for (size_t i = k; i < e; ++i) {
            for (proto::Mutation& m : *list[i].batch->mutable_mutations()) {
              merged->add_mutations()->Swap(&m);
            }
          }
        };
        auto give_back = [&] {
          int next = 0;
          for (size_t i = k; i < e; ++i) {
            for (proto::Mutation& m : *list[i].batch->mutable_mutations()) {
              m.Swap(merged->mutable_mutations(next++));
            }
          }
        };
        lend();
        for (size_t i = k; i < e; ++i) bytes += list[i].size;
        merged->set_last_sequence(list[e - 1].batch->last_sequence());
        absl::StatusOr<storage::ApplyResult> r = store_->ApplyBatch(*merged);
        if (!r.ok()) give_back();
        if (r.ok()) {
          for (size_t i = k; i < e; ++i) Ack(list[i].msg.get());
          RecordApplied(*r, *merged, bytes, e - k);
          DrainHeld(p);
          k = e;
          continue;
        }
        // Nothing was applied: handle the messages one by one, with all their outcomes.
      }
      if (Apply(std::move(list[k].msg), list[k].batch, list[k].size, absl::Now())) {
        DrainHeld(p);
      }
      ++k;
    }
  }
}

bool PeerReader::Apply(NatsMsgPtr owned, proto::MutationBatch* batch_in, size_t size,
                       absl::Time now) {
  natsMsg* msg = owned.get();
  const proto::MutationBatch& batch = *batch_in;
  absl::StatusOr<storage::ApplyResult> r = store_->ApplyBatch(batch);
  if (r.ok()) {
    Ack(msg);
    RecordApplied(*r, batch, size, 1);
    return true;
  }
  const absl::Status& st = r.status();
  switch (st.code()) {
    case absl::StatusCode::kFailedPrecondition: {
      // A gap: an earlier batch of this partition has not been applied yet (reordered by a
      // republish, or still being redelivered). Never skip it. Hold this one (unacked) in a
      // small bounded buffer and apply it as soon as the gap is filled; when the buffer is
      // full, let JetStream redeliver it later.
      const uint32_t p = batch.partition();
      const uint64_t first = batch.first_sequence();
      if (metrics_ != nullptr) metrics_->RejectedBatches(peer_.name, "gap").Increment();
      uint64_t watermark = store_->AppliedWatermark(peer_.id, p);
      GapSpell& spell = spells_.try_emplace(p, GapSpell{now, now}).first->second;
      spell.last = now;
      spell.refused_first = first;
      GapSince& g = gaps_[p];
      if (g.watermark != watermark || g.since == absl::InfiniteFuture()) {
        g = GapSince{watermark, now};
      }
      bool stuck = now - g.since > opts_.resync_after;
      bool newly_stuck;
      {
        absl::MutexLock lock(&mu_);
        status_.gaps++;
        status_.last_error = st.ToString();
        newly_stuck = stuck && !status_.needs_resync;
        if (stuck) status_.needs_resync = true;
      }
      if (newly_stuck) {
        GT_LOG(ERROR) << "partition " << p << " from " << peer_.name << " is stuck at sequence "
                      << watermark << " for " << absl::FormatDuration(now - g.since)
                      << ": batches start at " << first
                      << " and the missing range never arrived. NEEDS RESYNC.";
      }
      if (held_count_ < MaxHeld()) {
        auto& slot = held_[p];
        auto existing = slot.find(first);
        if (existing != slot.end()) {
          slot.erase(existing);  // a redelivery of a batch we already hold
          --held_count_;
        }
        slot.emplace(first, Held{std::move(owned), batch, size, now});
        ++held_count_;
      } else {
        Nak(msg, NextBackoff(&gap_backoff_));
      }
      return false;
    }
    case absl::StatusCode::kUnavailable: {
      clock::Timestamp max_hlc = 0;
      for (const auto& m : batch.mutations())
        max_hlc = std::max<clock::Timestamp>(max_hlc, m.hlc());
      int64_t skew_ms = static_cast<int64_t>(clock::PhysicalMillis(max_hlc)) -
                        static_cast<int64_t>(wall_->NowMillis());
      if (skew_ms <= absl::ToInt64Milliseconds(max_offset_)) {
        // Not clock skew: the store wants something else first (e.g. the creation of this
        // batch's table, which travels in another region's stream). Retry soon.
        absl::Duration wait = std::min(NextBackoff(&retry_backoff_), absl::Milliseconds(500));
        hold_until_ = now + wait;
        Nak(msg, wait);
        SetError(st.ToString());
        return false;
      }
      absl::Duration hold = NextBackoff(&skew_backoff_);
      hold_until_ = now + hold;
      Nak(msg, hold);
      if (metrics_ != nullptr) {
        metrics_->RejectedBatches(peer_.name, "clock_offset").Increment();
        metrics_->ClockRemoteOffset(peer_.name).Set(static_cast<double>(skew_ms) / 1000.0);
      }
      bool first;
      {
        absl::MutexLock lock(&mu_);
        first = !status_.clock_skew_hold;
        status_.clock_skew_hold = true;
        status_.clock_skew_ms = skew_ms;
        status_.skew_holds++;
        status_.last_error = st.ToString();
      }
      if (first) {
        GT_LOG(WARNING) << "holding batches from " << peer_.name << ": its clock is " << skew_ms
                        << " ms ahead, beyond the max offset (" << st.message() << ")";
      }
      return false;
    }
    case absl::StatusCode::kInvalidArgument:
      if (DeadLetter(msg, RejectReason::kInvalid, std::string(st.message()))) {
        Ack(msg);
      } else {
        Nak(msg, opts_.retry_max);
      }
      return false;
    default:
      GT_LOG(WARNING) << "applying a batch from " << peer_.name << " failed: " << st;
      SetError(st.ToString());
      hold_until_ = now + NextBackoff(&skew_backoff_);
      Nak(msg, hold_until_ - now);
      return false;
  }
}

bool PeerReader::DeadLetter(natsMsg* msg, RejectReason reason, const std::string& detail) {
  const char* reason_name = RejectReasonName(reason);
  uint64_t stream_seq = StreamSeqOf(natsMsg_GetReply(msg));
  GT_LOG(WARNING) << "dead-lettering message " << stream_seq << " from " << OutboxStream(peer_.name)
                  << ": " << reason_name << ": " << detail;
  auto js = link_->JetStream(opts_.js_domain);
  absl::Status st = js.status();
  if (st.ok()) {
    std::string subject = DeadLetterSubject(opts_.region_name, reason_name);
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, natsMsg_GetData(msg),
                                  natsMsg_GetDataLength(msg));
    NatsMsgPtr dl(raw);
    std::string seq = absl::StrCat(stream_seq);
    std::string stream = OutboxStream(peer_.name);
    std::string short_detail = detail.substr(0, 512);
    if (s == NATS_OK) s = natsMsgHeader_Set(dl.get(), "Gt-Reason", reason_name);
    if (s == NATS_OK) s = natsMsgHeader_Set(dl.get(), "Gt-Stream", stream.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(dl.get(), "Gt-Stream-Seq", seq.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(dl.get(), "Gt-Detail", short_detail.c_str());
    jsPubAck* pa = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (s == NATS_OK) s = js_PublishMsg(&pa, *js, dl.get(), nullptr, &jerr);
    jsPubAck_Destroy(pa);
    if (s != NATS_OK) st = NatsError(s, "publish to dead-letter stream", jerr);
  }
  if (st.ok()) {
    // The subject names the partition even when the payload cannot be read.
    const char* subject = natsMsg_GetSubject(msg);
    absl::string_view s = subject != nullptr ? subject : "";
    uint32_t partition = 0;
    if (size_t dot = s.rfind('.'); dot != absl::string_view::npos &&
                                   absl::SimpleAtoi(s.substr(dot + 1), &partition)) {
      Fill& f = fills_[partition];
      f.dead_seq = stream_seq;
      f.dead_why = absl::StrCat(reason_name, ": ", detail.substr(0, 200));
    }
  }
  absl::MutexLock lock(&mu_);
  if (!st.ok()) {
    status_.last_error = st.ToString();
    return false;
  }
  status_.dead_letters[reason_name]++;
  if (metrics_ != nullptr) {
    metrics_->RejectedBatches(peer_.name, reason_name).Increment();
    metrics_->DeadLetterBatches(peer_.name).Increment();
  }
  return true;
}

void PeerReader::Ack(natsMsg* msg) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply != nullptr) natsConnection_PublishString(ack_link_->conn(), reply, "+ACK");
}

void PeerReader::Nak(natsMsg* msg, absl::Duration delay) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply == nullptr) return;
  std::string body = absl::StrCat("-NAK {\"delay\":", absl::ToInt64Nanoseconds(delay), "}");
  natsConnection_PublishString(ack_link_->conn(), reply, body.c_str());
}

void PeerReader::RefreshStatus() {
  last_refresh_ = absl::Now();
  auto js = link_->JetStream(peer_.js_domain);
  std::string stream = OutboxStream(peer_.name);
  std::string durable = ConsumerName(opts_.region_name);
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto unreachable = [&](const absl::Status& st) {
    // The peer's JetStream does not answer: the link is down, whatever the last pull said.
    absl::MutexLock lock(&mu_);
    status_.link_up = false;
    status_.last_error = st.ToString();
  };
  if (!js.ok()) return unreachable(js.status());
  // Stream first, then consumer: the ack floor only grows, so comparing an older first sequence
  // with a newer floor never reports a loss that did not happen.
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, *js, stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return unreachable(NatsError(s, "stream info of " + stream, jerr));
  uint64_t first_seq = si->State.FirstSeq;
  jsStreamInfo_Destroy(si);
  jsConsumerInfo* ci = nullptr;
  s = js_GetConsumerInfo(&ci, *js, stream.c_str(), durable.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return unreachable(NatsError(s, "consumer info of " + durable, jerr));
  uint64_t pending =
      ci->NumPending + static_cast<uint64_t>(std::max<int64_t>(0, ci->NumAckPending));
  uint64_t ack_floor = ci->AckFloor.Stream;
  int64_t last_ack_ns = ci->AckFloor.Last;
  uint64_t delivered = ci->Delivered.Stream;
  jsConsumerInfo_Destroy(ci);
  ack_floor_ = std::max(ack_floor_, ack_floor);
  // Interest retention never deletes a message this consumer has not acked; only the age or
  // size limit can. The ack floor alone is not proof: after a server crash the floor persisted
  // on disk can lag deletions that did persist (and the server then reports no last-ack time).
  // So a loss is reported only when the consumer never received anything, or its last ack is
  // older than the outbox's max age. Losses to the size limit show up as stuck gaps instead.
  int64_t now_ns = absl::ToUnixNanos(absl::Now());
  bool inactive =
      delivered == 0 ||
      (last_ack_ns != 0 && now_ns - last_ack_ns > absl::ToInt64Nanoseconds(opts_.max_age));
  bool lost = first_seq > ack_floor + 1 && inactive;
  bool newly_lost;
  {
    absl::MutexLock lock(&mu_);
    status_.pending_batches = pending;
    status_.retention_checks++;
    status_.last_confirmed_ms = static_cast<int64_t>(wall_->NowMillis());
    newly_lost = lost && !status_.needs_resync;
    if (lost) status_.needs_resync = true;
  }
  if (newly_lost) {
    GT_LOG(ERROR) << "region " << opts_.region_name << " fell behind the retention of " << stream
                  << ": first sequence " << first_seq << ", acknowledged up to " << ack_floor
                  << "; mutations were dropped before they were applied here. NEEDS RESYNC.";
  }
}

}  // namespace globaltable::replication
