// libFuzzer target: the deployment YAML (daemon/config.h). Any text is either a validated
// configuration or a clear error; nothing may crash, throw or hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view yaml(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<globaltable::daemon::DeploymentConfig> config =
      globaltable::daemon::ParseDeployment(yaml, "fuzz.yaml");
  if (config.ok()) {
    if (config->regions.empty()) std::abort();
  } else if (config.status().message().empty()) {
    std::abort();
  }
  return 0;
}
