// TransactionTokens: the ClientRequestTokens of TransactWriteItems, as DynamoDB keeps them.
//
// A token that completed a transaction in the last `window` (10 minutes) makes a repeat of the
// same request answer what the first call answered, without running it again; a repeat with
// other parameters is refused (IdempotentParameterMismatchException), and a repeat while the
// first call is still running too (TransactionInProgressException). A transaction that failed
// or was cancelled does not keep its token: a retry runs. Tokens live in memory in the region
// that ran the transaction (a restart forgets them; other regions never see them).
//
//   switch (tokens.Begin(token, fingerprint, absl::Now(), &saved)) { ... }
//   ... run the transaction ...
//   tokens.Finish(token, ok ? std::optional(response) : std::nullopt, absl::Now());
//
// Thread-safe.
#ifndef GLOBALTABLE_DAEMON_API_TRANSACTION_TOKENS_H_
#define GLOBALTABLE_DAEMON_API_TRANSACTION_TOKENS_H_

#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace globaltable::daemon::api {

class TransactionTokens {
 public:
  enum class Outcome { kNew, kReplay, kMismatch, kInProgress };

  explicit TransactionTokens(absl::Duration window = absl::Minutes(10),
                             size_t max_tokens = 100000)
      : window_(window), max_tokens_(max_tokens) {}

  // Claims `token` for a request identified by `fingerprint`. kNew: run it, then Finish.
  // kReplay: `*response` is the first call's answer.
  Outcome Begin(const std::string& token, const std::string& fingerprint, absl::Time now,
                std::string* response) {
    absl::MutexLock lock(&mu_);
    Expire(now);
    auto it = tokens_.find(token);
    if (it != tokens_.end()) {
      if (it->second.fingerprint != fingerprint) return Outcome::kMismatch;
      if (!it->second.response) return Outcome::kInProgress;
      *response = *it->second.response;
      return Outcome::kReplay;
    }
    tokens_[token] = Entry{fingerprint, std::nullopt};
    return Outcome::kNew;
  }

  // After a kNew: keeps the answer of a transaction that succeeded for `window`, or forgets
  // the token of one that did not (nullopt).
  void Finish(const std::string& token, std::optional<std::string> response, absl::Time now) {
    absl::MutexLock lock(&mu_);
    if (!response) {
      tokens_.erase(token);
      return;
    }
    auto it = tokens_.find(token);
    if (it == tokens_.end()) return;
    it->second.response = std::move(response);
    order_.emplace_back(now + window_, token);
    // Bounded: the oldest completed tokens go first when too many are kept.
    while (order_.size() > max_tokens_) {
      tokens_.erase(order_.front().second);
      order_.pop_front();
    }
  }

  size_t size() const {
    absl::MutexLock lock(&mu_);
    return tokens_.size();
  }

 private:
  struct Entry {
    std::string fingerprint;
    std::optional<std::string> response;  // nullopt while the first call runs
  };

  void Expire(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!order_.empty() && order_.front().first <= now) {
      tokens_.erase(order_.front().second);
      order_.pop_front();
    }
  }

  const absl::Duration window_;
  const size_t max_tokens_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> tokens_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<absl::Time, std::string>> order_ ABSL_GUARDED_BY(mu_);  // by expiry
};

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_TRANSACTION_TOKENS_H_
