// NatsLink: one NATS connection that never gives up, plus the small nats.c helpers the
// replication code shares (RAII handles, status conversion, JetStream contexts per domain).
//
// The connection retries forever: Create() succeeds even when no server is reachable (nats.c's
// retry-on-failed-connect), and a lost connection is re-established with MaxReconnect = -1.
// epoch() increases on every disconnect, so users can tell that requests in flight were lost.
//
//   ASSIGN_OR_RETURN(auto link, NatsLink::Create({"nats://127.0.0.1:4222"}, "us-east-1"));
//   if (link->connected()) natsConnection_PublishMsg(link->conn(), msg);
//
// Thread-safety: all methods are thread-safe (nats.c connections are). The callbacks nats.c
// calls only update atomics.
#ifndef GLOBALTABLE_REPLICATION_NATS_LINK_H_
#define GLOBALTABLE_REPLICATION_NATS_LINK_H_

#include <nats/nats.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace globaltable::replication {

struct NatsMsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using NatsMsgPtr = std::unique_ptr<natsMsg, NatsMsgDeleter>;
struct NatsSubDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using NatsSubPtr = std::unique_ptr<natsSubscription, NatsSubDeleter>;
struct JsCtxDeleter {
  void operator()(jsCtx* j) const { jsCtx_Destroy(j); }
};
using JsCtxPtr = std::unique_ptr<jsCtx, JsCtxDeleter>;

// kUnavailable for connection-level failures, kNotFound, kInternal otherwise; names `what`.
absl::Status NatsError(natsStatus s, absl::string_view what,
                       jsErrCode jerr = static_cast<jsErrCode>(0));

// The value of header `key`, or "" when absent.
std::string HeaderValue(natsMsg* msg, const char* key);

class NatsLink {
 public:
  // `send_asap`: every publish is written to the socket at once (one system call each: for
  // batches and requests, whose latency matters). Otherwise nats.c's flusher thread writes
  // what accumulated about every millisecond (for acknowledgements: many publishes, one write).
  static absl::StatusOr<std::unique_ptr<NatsLink>> Create(const std::vector<std::string>& urls,
                                                          absl::string_view name,
                                                          absl::Duration reconnect_wait,
                                                          bool send_asap = true);
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  natsConnection* conn() const { return conn_; }
  bool connected() const { return natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED; }
  // Increments on every disconnect.
  uint64_t epoch() const { return callbacks_->epoch.load(std::memory_order_acquire); }
  // A JetStream context for `domain` ("" = default), created on first use, owned by the link.
  absl::StatusOr<jsCtx*> JetStream(absl::string_view domain);
  // A new unique inbox subject.
  std::string NewInbox();

 private:
  NatsLink() = default;
  // What nats.c's callback thread touches. It can run after natsConnection_Close() returns, so
  // the destructor waits for the closed callback before freeing this.
  struct Callbacks {
    std::atomic<uint64_t> epoch{0};
    absl::Notification closed;
    std::string name;  // the connection's, for the log lines on loss and return
  };
  static void OnConnected(natsConnection* nc, void* closure) noexcept;
  static void OnDisconnected(natsConnection* nc, void* closure) noexcept;
  static void OnClosed(natsConnection* nc, void* closure) noexcept;
  static void OnReconnected(natsConnection* nc, void* closure) noexcept;

  natsConnection* conn_ = nullptr;
  Callbacks* callbacks_ = new Callbacks();
  absl::Mutex mu_;
  std::vector<std::pair<std::string, JsCtxPtr>> js_ ABSL_GUARDED_BY(mu_);
};

}  // namespace globaltable::replication

#endif  // GLOBALTABLE_REPLICATION_NATS_LINK_H_
