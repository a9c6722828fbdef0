// RocksDbLog: RocksDB's info log written to the daemon's log (common/log.h) instead of a LOG
// file in the store's directory. Internal to storage/.
//
// Why: the LOG file sits on the data disk. When that disk fills, RocksDB's first failed append
// to it marks its WritableFileWriter failed, and its next log line (the SstFileManager logs one
// every 5 s while waiting for space) trips an assertion on reuse after an error
// (`sync_without_flush_called_`, file/writable_file_writer.h; Debian's librocksdb keeps
// assertions): the whole daemon aborted on a full disk. Lines that never touch the data disk
// cannot do that, and they land where operators already look.
//
//   rocksdb::DBOptions o;
//   o.info_log = std::make_shared<RocksDbLog>(rocksdb::InfoLogLevel::WARN_LEVEL);
//
// Thread-safety: RocksDB calls it from any thread; each line is one GT_LOG record.
#ifndef GLOBALTABLE_STORAGE_ROCKSDB_LOG_H_
#define GLOBALTABLE_STORAGE_ROCKSDB_LOG_H_

#include <cstdarg>

#include "rocksdb/env.h"

namespace globaltable::storage {

class RocksDbLog final : public rocksdb::Logger {
 public:
  explicit RocksDbLog(rocksdb::InfoLogLevel level) : rocksdb::Logger(level) {}

  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
};

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_ROCKSDB_LOG_H_
