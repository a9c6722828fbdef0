#include "common/thread_name.h"

#include <pthread.h>

#include <string>

namespace globaltable {

void SetThreadName(std::string_view name) {
  std::string cut(name.substr(0, 15));  // the kernel's limit, without the terminating NUL
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace globaltable
