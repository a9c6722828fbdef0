// NatsServer: a real nats-server with JetStream for integration tests, on a free loopback port,
// storing under a temporary directory, killed by pid.
//
//   ASSIGN_OR_RETURN(auto server, NatsServer::Start());
//   opts.nats_urls = {server->url()};
//   server->Kill();       // kill -9, like a crash
//   server->Restart();    // same port and store directory
//
// Thread-safety: not thread-safe; one owner.
#ifndef GLOBALTABLE_REPLICATION_TESTING_NATS_SERVER_H_
#define GLOBALTABLE_REPLICATION_TESTING_NATS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace globaltable::replication::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// A fresh directory under $TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& prefix);

class NatsServer {
 public:
  // port 0: pick a free one.
  static absl::StatusOr<std::unique_ptr<NatsServer>> Start(int port = 0);
  ~NatsServer();

  std::string url() const;
  int port() const { return port_; }
  bool running() const { return pid_ > 0; }
  void Kill();             // SIGKILL and reap
  absl::Status Restart();  // start again on the same port and store

 private:
  NatsServer() = default;
  absl::Status Spawn();

  int port_ = 0;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace globaltable::replication::testing

#endif  // GLOBALTABLE_REPLICATION_TESTING_NATS_SERVER_H_
