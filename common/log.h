// A small leveled logger writing one line per record to stderr.
//
//   GT_LOG(INFO) << "opened store at " << dir;
//   GT_LOG(WARNING) << "batch rejected: " << status;
//
// Each line is "<UTC time> <LEVEL> <file>:<line>] message". The record is built in a local
// stream and written with one write(2), so lines from different threads never interleave.
// Thread-safety: safe from any thread. The minimum level is process-wide (SetMinLogLevel).
#ifndef GLOBALTABLE_COMMON_LOG_H_
#define GLOBALTABLE_COMMON_LOG_H_

#include <sstream>

namespace globaltable {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Records below `level` are dropped. Default: kInfo.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace globaltable

#define GT_LOG_LEVEL_DEBUG ::globaltable::LogLevel::kDebug
#define GT_LOG_LEVEL_INFO ::globaltable::LogLevel::kInfo
#define GT_LOG_LEVEL_WARNING ::globaltable::LogLevel::kWarning
#define GT_LOG_LEVEL_ERROR ::globaltable::LogLevel::kError

#define GT_LOG(level)                                              \
  if (GT_LOG_LEVEL_##level < ::globaltable::MinLogLevel()) {       \
  } else                                                           \
    ::globaltable::LogMessage(GT_LOG_LEVEL_##level, __FILE__, __LINE__).stream()

#endif  // GLOBALTABLE_COMMON_LOG_H_
