// Names the calling thread (Linux: at most 15 characters, longer names are cut) so that
// `top -H`, `ps -L` and profilers show which part of the daemon a thread belongs to:
//
//   SetThreadName("gt-pub");
//
// Thread-safety: names only the calling thread.
#ifndef GLOBALTABLE_COMMON_THREAD_NAME_H_
#define GLOBALTABLE_COMMON_THREAD_NAME_H_

#include <string_view>

namespace globaltable {

void SetThreadName(std::string_view name);

}  // namespace globaltable

#endif  // GLOBALTABLE_COMMON_THREAD_NAME_H_
