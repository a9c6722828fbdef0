// RocksDbLog: RocksDB's info log lines as daemon log records. Thread-safe.
#include "storage/rocksdb_log.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "common/log.h"

namespace globaltable::storage {

void RocksDbLog::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void RocksDbLog::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
  char buf[1024];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(buf, sizeof(buf), format, copy);
  va_end(copy);
  if (n < 0) return;
  std::string line(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
    GT_LOG(ERROR) << "rocksdb: " << line;
  } else if (level >= rocksdb::InfoLogLevel::WARN_LEVEL) {
    GT_LOG(WARNING) << "rocksdb: " << line;
  } else {
    GT_LOG(INFO) << "rocksdb: " << line;
  }
}

}  // namespace globaltable::storage
