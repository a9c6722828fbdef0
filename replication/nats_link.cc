// NatsLink implementation. Thread-safety: see nats_link.h.
#include "replication/nats_link.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"

namespace globaltable::replication {

absl::Status NatsError(natsStatus s, absl::string_view what, jsErrCode jerr) {
  std::string msg = absl::StrCat(what, ": ", natsStatus_GetText(s));
  if (jerr != 0) absl::StrAppend(&msg, " (jetstream error ", static_cast<int>(jerr), ")");
  switch (s) {
    case NATS_NOT_FOUND:
      return absl::NotFoundError(msg);
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

std::string HeaderValue(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return "";
  return value;
}

void NatsLink::OnConnected(natsConnection*, void*) noexcept {
  // A non-null callback is what makes nats.c connect in the background instead of blocking
  // Create(); users poll connected().
}

void NatsLink::OnDisconnected(natsConnection*, void* closure) noexcept {
  auto* cb = static_cast<Callbacks*>(closure);
  cb->epoch.fetch_add(1, std::memory_order_acq_rel);
  try {
    GT_LOG(WARNING) << "NATS connection " << cb->name << " lost; reconnecting in the background";
  } catch (...) {  // a log line must never take the process down
  }
}

void NatsLink::OnReconnected(natsConnection* nc, void* closure) noexcept {
  auto* cb = static_cast<Callbacks*>(closure);
  try {
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof(url));
    GT_LOG(INFO) << "NATS connection " << cb->name << " back, to " << url;
  } catch (...) {
  }
}

void NatsLink::OnClosed(natsConnection*, void* closure) noexcept {
  static_cast<Callbacks*>(closure)->closed.Notify();
}

absl::StatusOr<std::unique_ptr<NatsLink>> NatsLink::Create(const std::vector<std::string>& urls,
                                                           absl::string_view name,
                                                           absl::Duration reconnect_wait,
                                                           bool send_asap) {
  if (urls.empty()) return absl::InvalidArgumentError("no NATS URLs");
  std::unique_ptr<NatsLink> link(new NatsLink());
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) return NatsError(s, "natsOptions_Create");
  std::vector<const char*> servers;
  for (const auto& u : urls) servers.push_back(u.c_str());
  std::string conn_name(name);
  link->callbacks_->name = conn_name;
  if (s == NATS_OK)
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, conn_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectWait(opts, absl::ToInt64Milliseconds(reconnect_wait));
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(opts, true, &NatsLink::OnConnected, nullptr);
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(opts, &NatsLink::OnDisconnected, link->callbacks_);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &NatsLink::OnClosed, link->callbacks_);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectedCB(opts, &NatsLink::OnReconnected, link->callbacks_);
  // Batches are our flush points: send each message at once instead of waiting for nats.c's
  // 1 ms flusher, which would add most of a millisecond to every hop.
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, send_asap);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 8 << 20);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return NatsError(s, "NATS options");
  }
  s = natsConnection_Connect(&link->conn_, opts);
  natsOptions_Destroy(opts);
  if (s == NATS_NOT_YET_CONNECTED) {
    GT_LOG(WARNING) << "NATS not reachable at " << absl::StrJoin(urls, ",")
                    << "; retrying in the background";
  } else if (s != NATS_OK) {
    return NatsError(s, absl::StrCat("connect to ", absl::StrJoin(urls, ",")));
  }
  return link;
}

NatsLink::~NatsLink() {
  {
    absl::MutexLock lock(&mu_);
    js_.clear();
  }
  if (conn_ == nullptr) {
    delete callbacks_;
    return;
  }
  natsConnection_Close(conn_);
  natsConnection_Destroy(conn_);
  if (callbacks_->closed.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    delete callbacks_;
  } else {
    GT_LOG(WARNING) << "NATS closed callback did not run; leaking its small state";
  }
}

absl::StatusOr<jsCtx*> NatsLink::JetStream(absl::string_view domain) {
  absl::MutexLock lock(&mu_);
  for (auto& [d, js] : js_) {
    if (d == domain) return js.get();
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  std::string dom(domain);
  if (!dom.empty()) jo.Domain = dom.c_str();
  jo.Wait = 2000;
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, conn_, &jo);
  if (s != NATS_OK) return NatsError(s, "JetStream context");
  js_.emplace_back(dom, JsCtxPtr(js));
  return js;
}

std::string NatsLink::NewInbox() {
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return "_INBOX.gt.fallback";
  std::string out(inbox);
  natsInbox_Destroy(inbox);
  return out;
}

}  // namespace globaltable::replication
