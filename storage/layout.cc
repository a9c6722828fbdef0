// On-disk key layout and stable hashing (grammar in layout.h). Pure functions.
#include "storage/layout.h"

#include <cstring>

namespace globaltable::storage::layout {

void AppendU32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void AppendU64(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

std::string EncodeU32(uint32_t v) {
  std::string out;
  AppendU32(v, &out);
  return out;
}

std::string EncodeU64(uint64_t v) {
  std::string out;
  AppendU64(v, &out);
  return out;
}

bool DecodeU32(absl::string_view in, uint32_t* v) {
  if (in.size() < 4) return false;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<uint8_t>(in[i]);
  *v = r;
  return true;
}

bool DecodeU64(absl::string_view in, uint64_t* v) {
  if (in.size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>(in[i]);
  *v = r;
  return true;
}

std::string TablePrefix(uint32_t table_id) { return EncodeU32(table_id); }

std::string ItemKey(uint32_t table_id, absl::string_view key_suffix) {
  std::string key = EncodeU32(table_id);
  key.append(key_suffix.data(), key_suffix.size());
  return key;
}

std::string ChangeLogKey(uint32_t partition, uint64_t sequence) {
  std::string key = EncodeU32(partition);
  AppendU64(sequence, &key);
  return key;
}

bool DecodeChangeLogSequence(absl::string_view key, uint64_t* sequence) {
  return key.size() == 12 && DecodeU64(key.substr(4), sequence);
}

std::string CatalogKey(absl::string_view table_name) {
  std::string key = kCatalogPrefix;
  key.append(table_name.data(), table_name.size());
  return key;
}

std::string WatermarkKey(uint32_t origin, uint32_t partition) {
  std::string key = kWatermarkPrefix;
  AppendU32(origin, &key);
  AppendU32(partition, &key);
  return key;
}

std::string AppliedHlcKey(uint32_t origin) {
  std::string key = kAppliedHlcPrefix;
  AppendU32(origin, &key);
  return key;
}

std::string TableStatsKey(uint32_t table_id) {
  std::string key = kTableStatsPrefix;
  AppendU32(table_id, &key);
  return key;
}

std::string EncodeTableStats(uint64_t live_items, uint64_t tombstones, uint64_t live_bytes) {
  std::string out;
  out.reserve(24);
  AppendU64(live_items, &out);
  AppendU64(tombstones, &out);
  AppendU64(live_bytes, &out);
  return out;
}

bool DecodeTableStats(absl::string_view in, uint64_t* live_items, uint64_t* tombstones,
                      uint64_t* live_bytes) {
  return in.size() == 24 && DecodeU64(in, live_items) && DecodeU64(in.substr(8), tombstones) &&
         DecodeU64(in.substr(16), live_bytes);
}

std::string SettingKey(absl::string_view name) {
  std::string key = kSettingPrefix;
  key.append(name.data(), name.size());
  return key;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    const auto last = static_cast<uint8_t>(s.back());
    if (last != 0xFF) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t Hash64(absl::string_view data, uint64_t seed) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  uint64_t h = Mix64(seed ^ (data.size() * kMul));
  size_t i = 0;
  // Words are read little-endian byte by byte, so the result does not depend on the host.
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t w = 0;
    for (int b = 7; b >= 0; --b) w = (w << 8) | static_cast<uint8_t>(data[i + b]);
    h = (h ^ Mix64(w)) * kMul;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  for (size_t b = data.size(); b > i; --b) tail = (tail << 8) | static_cast<uint8_t>(data[b - 1]);
  h = (h ^ Mix64(tail ^ 0xff51afd7ed558ccdULL)) * kMul;
  return Mix64(h);
}

}  // namespace globaltable::storage::layout
