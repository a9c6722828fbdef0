// Stream and consumer setup. Thread-safety: see jetstream_setup.h.
#include "replication/jetstream_setup.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "replication/names.h"
#include "replication/nats_link.h"

namespace globaltable::replication {
namespace {

constexpr jsErrCode kStreamNameInUse = static_cast<jsErrCode>(10058);

// Points cfg at `placement` naming opts.placement_cluster, if set. `placement` must outlive
// the use of cfg.
void Place(const ReplicationOptions& opts, jsPlacement* placement, jsStreamConfig* cfg) {
  if (opts.placement_cluster.empty()) return;
  jsPlacement_Init(placement);
  placement->Cluster = opts.placement_cluster.c_str();
  cfg->Placement = placement;
}

absl::Status AddOrUpdateStream(jsCtx* js, jsStreamConfig* cfg) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js, cfg, nullptr, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return absl::OkStatus();
  }
  if (jerr != kStreamNameInUse) return NatsError(s, absl::StrCat("add stream ", cfg->Name), jerr);
  // Exists: apply changed limits. Retention cannot change (the server refuses that): an outbox
  // made by an older version keeps its interest retention, and says so once.
  s = js_GetStreamInfo(&si, js, cfg->Name, nullptr, &jerr);
  if (s != NATS_OK) return NatsError(s, absl::StrCat("stream info of ", cfg->Name), jerr);
  if (si->Config != nullptr && si->Config->Retention != cfg->Retention) {
    GT_LOG(WARNING) << "stream " << cfg->Name << " keeps the retention it was created with; "
                    << "delete it while its readers are caught up to move it to limits "
                    << "retention (docs/architecture.md, Retention)";
    cfg->Retention = si->Config->Retention;
  }
  jsStreamInfo_Destroy(si);
  si = nullptr;
  s = js_UpdateStream(&si, js, cfg, nullptr, &jerr);
  if (s != NATS_OK) return NatsError(s, absl::StrCat("update stream ", cfg->Name), jerr);
  jsStreamInfo_Destroy(si);
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureOutbox(jsCtx* js, const ReplicationOptions& opts) {
  std::string name = OutboxStream(opts.region_name);
  std::string subject = OutboxWildcard(opts.region_name);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  // Limits retention: a message leaves the outbox by age or size only, never because the
  // server believes every reader acked it. Interest retention lost acknowledged batches
  // when a nats-server killed with -9 came back with consumer state that lagged the deletions
  // it had persisted (docs/reliability.md, "Fault schedules", finding 2).
  cfg.Retention = js_LimitsPolicy;
  cfg.Storage = js_FileStorage;
  cfg.MaxAge = absl::ToInt64Nanoseconds(opts.max_age);
  cfg.MaxBytes = opts.max_bytes;
  // The server refuses a dedupe window longer than the stream's max age.
  cfg.Duplicates = absl::ToInt64Nanoseconds(std::min(opts.duplicates_window, opts.max_age));
  cfg.Discard = js_DiscardOld;
  cfg.MaxMsgSize = static_cast<int32_t>(opts.max_message_bytes);
  jsPlacement placement;
  Place(opts, &placement, &cfg);
  absl::Status st = AddOrUpdateStream(js, &cfg);
  if (!st.ok()) return st;
  for (const PeerRegion& peer : opts.peers) {
    st = EnsureReaderConsumer(js, opts.region_name, peer.name, opts);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status EnsureReaderConsumer(jsCtx* js, absl::string_view origin, absl::string_view reader,
                                  const ReplicationOptions& opts) {
  std::string stream = OutboxStream(origin);
  std::string durable = ConsumerName(reader);
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, js, stream.c_str(), durable.c_str(), nullptr, &jerr);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(ci);
    return absl::OkStatus();
  }
  if (s != NATS_NOT_FOUND) return NatsError(s, absl::StrCat("consumer info ", durable), jerr);
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckWait = absl::ToInt64Nanoseconds(opts.ack_wait);
  cc.MaxDeliver = -1;
  cc.MaxAckPending = opts.max_ack_pending;
  cc.MaxWaiting = 16;
  s = js_AddConsumer(&ci, js, stream.c_str(), &cc, nullptr, &jerr);
  if (s != NATS_OK)
    return NatsError(s, absl::StrCat("add consumer ", durable, " on ", stream), jerr);
  jsConsumerInfo_Destroy(ci);
  return absl::OkStatus();
}

absl::Status EnsureDeadLetter(jsCtx* js, const ReplicationOptions& opts) {
  std::string name = DeadLetterStream(opts.region_name);
  std::string subject = DeadLetterWildcard(opts.region_name);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.MaxAge = absl::ToInt64Nanoseconds(absl::Hours(24 * 7));
  cfg.MaxBytes = int64_t{256} << 20;
  jsPlacement placement;
  Place(opts, &placement, &cfg);
  return AddOrUpdateStream(js, &cfg);
}

absl::StatusOr<uint64_t> LastPublishedSequence(jsCtx* js, absl::string_view region,
                                               uint32_t partition) {
  std::string stream = OutboxStream(region);
  std::string subject = OutboxSubject(region, partition);
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&raw, js, stream.c_str(), subject.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND) return 0;
  if (s != NATS_OK) return NatsError(s, absl::StrCat("last message of ", subject), jerr);
  NatsMsgPtr msg(raw);
  uint64_t last = 0;
  if (!absl::SimpleAtoi(HeaderValue(msg.get(), "Gt-Last-Seq"), &last)) {
    return absl::InternalError(absl::StrCat("last message of ", subject, " has no Gt-Last-Seq"));
  }
  return last;
}

}  // namespace globaltable::replication
