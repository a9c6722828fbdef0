// Version formatting. Thread-safe (pure functions).
#include "clock/version.h"

#include "absl/strings/str_cat.h"

namespace globaltable::clock {

std::string Version::ToString() const { return absl::StrCat(FormatTimestamp(hlc), "@r", region); }

std::string Version::ToJson() const {
  const std::string wall = FormatTimestamp(hlc);
  return absl::StrCat("{\"hlc\":", hlc, ",\"wall\":\"", wall.substr(0, wall.find('+')),
                      "\",\"logical\":", Logical(hlc), ",\"region\":", region, "}");
}

}  // namespace globaltable::clock
