// The on-disk layout of the store: keys of the three column families, fixed-width integer
// coding, and the stable 64-bit hash used for partitions and digests. Internal to storage/.
//
// Grammar (all integers big-endian, so that memcmp order is numeric order):
//
//   items CF       key   := table_id:u32 key_suffix            (key_suffix: storage/key_codec.h)
//                  value := proto::StoredItem
//   changelog CF   key   := partition:u32 sequence:u64
//                  value := proto::Mutation
//   meta CF        key   := "clock"                       value := hlc:u64
//                           "store/region_id"             value := region:u32
//                           "store/num_partitions"        value := n:u32
//                           "store/next_table_id"         value := id:u32
//                           "catalog/" table_name         value := catalog entry (catalog.h)
//                           "wm/" origin:u32 partition:u32   value := sequence:u64
//                           "ahlc/" origin:u32            value := hlc:u64
//                           "setting/" name               value := bytes
//                           "stats/" table_id:u32         value := live_items:u64 tombstones:u64
//                                                                   live_bytes:u64 (rewritten by
//                                                                   every commit that changes them)
//
// Table ids are local to a store (assigned at CreateTable, never reused), so an item key never
// leaves the region: replication and digests use the key_suffix only.
//
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_STORAGE_LAYOUT_H_
#define GLOBALTABLE_STORAGE_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace globaltable::storage::layout {

inline constexpr char kItemsFamily[] = "items";
inline constexpr char kChangeLogFamily[] = "changelog";
inline constexpr char kMetaFamily[] = "meta";

inline constexpr char kClockKey[] = "clock";
inline constexpr char kRegionIdKey[] = "store/region_id";
inline constexpr char kNumPartitionsKey[] = "store/num_partitions";
inline constexpr char kNextTableIdKey[] = "store/next_table_id";
inline constexpr char kCatalogPrefix[] = "catalog/";
inline constexpr char kWatermarkPrefix[] = "wm/";
inline constexpr char kAppliedHlcPrefix[] = "ahlc/";
inline constexpr char kSettingPrefix[] = "setting/";
inline constexpr char kTableStatsPrefix[] = "stats/";

void AppendU32(uint32_t v, std::string* out);
void AppendU64(uint64_t v, std::string* out);
std::string EncodeU32(uint32_t v);
std::string EncodeU64(uint64_t v);
// Read a big-endian integer from the front of `in`; false when `in` is too short.
bool DecodeU32(absl::string_view in, uint32_t* v);
bool DecodeU64(absl::string_view in, uint64_t* v);

// table_id: the prefix of every item of one table.
std::string TablePrefix(uint32_t table_id);
std::string ItemKey(uint32_t table_id, absl::string_view key_suffix);
std::string ChangeLogKey(uint32_t partition, uint64_t sequence);
// The sequence of a ChangeLogKey; false when `key` is not one.
bool DecodeChangeLogSequence(absl::string_view key, uint64_t* sequence);
std::string CatalogKey(absl::string_view table_name);
std::string WatermarkKey(uint32_t origin, uint32_t partition);
std::string AppliedHlcKey(uint32_t origin);
std::string SettingKey(absl::string_view name);
std::string TableStatsKey(uint32_t table_id);
// A table's counters.
std::string EncodeTableStats(uint64_t live_items, uint64_t tombstones, uint64_t live_bytes);
bool DecodeTableStats(absl::string_view in, uint64_t* live_items, uint64_t* tombstones,
                      uint64_t* live_bytes);

// The smallest string greater than every string that starts with `prefix`; "" (meaning "no
// upper bound") when `prefix` is empty or all 0xFF.
std::string PrefixSuccessor(absl::string_view prefix);

// A stable 64-bit hash (same in every region and release): 8-byte words mixed with
// multiply-xorshift steps, finished with the SplitMix64 finalizer. Not cryptographic.
uint64_t Hash64(absl::string_view data, uint64_t seed);
// SplitMix64's finalizer: a bijective mix of one word.
uint64_t Mix64(uint64_t x);

}  // namespace globaltable::storage::layout

#endif  // GLOBALTABLE_STORAGE_LAYOUT_H_
