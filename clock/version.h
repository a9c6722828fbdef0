// Version: the total order of item versions across regions.
//
// A version is (hlc, origin region id). Versions compare by hlc first, then region id; since no
// two regions share an id, two distinct writes never tie. The zero Version is smaller than any
// real version and means "no version".
//
//   Version v{clock.Now(), kMyRegion};
//   if (incoming > stored) keep(incoming);
//   GT_LOG(INFO) << v.ToString();   // "2026-11-24T11:38:55.123Z+5@r2"
//
// Thread-safety: a plain value type.
#ifndef GLOBALTABLE_CLOCK_VERSION_H_
#define GLOBALTABLE_CLOCK_VERSION_H_

#include <cstdint>
#include <string>
#include <tuple>

#include "clock/hlc.h"

namespace globaltable::clock {

using RegionId = uint32_t;

struct Version {
  Timestamp hlc = 0;
  RegionId region = 0;

  bool IsZero() const { return hlc == 0 && region == 0; }
  // Human-readable: "<FormatTimestamp(hlc)>@r<region>".
  std::string ToString() const;
  // A JSON object: {"hlc":N,"wall":"...","logical":N,"region":N}.
  std::string ToJson() const;

  friend bool operator==(const Version& a, const Version& b) {
    return a.hlc == b.hlc && a.region == b.region;
  }
  friend bool operator!=(const Version& a, const Version& b) { return !(a == b); }
  friend bool operator<(const Version& a, const Version& b) {
    return std::tie(a.hlc, a.region) < std::tie(b.hlc, b.region);
  }
  friend bool operator>(const Version& a, const Version& b) { return b < a; }
  friend bool operator<=(const Version& a, const Version& b) { return !(b < a); }
  friend bool operator>=(const Version& a, const Version& b) { return !(a < b); }
};

}  // namespace globaltable::clock

#endif  // GLOBALTABLE_CLOCK_VERSION_H_
