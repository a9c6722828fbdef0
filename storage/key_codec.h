// Order-preserving encoding of item keys for the items column family.
//
// Grammar (all integers big-endian):
//   item_key        := table_id:u32 key_suffix
//   key_suffix      := pk_hash:u32 pk_component [sk_component]
//   pk_component    := escaped(pk_bytes) 0x00 0x01      (prefix-free)
//   escaped(bytes)  := each 0x00 byte written as 0x00 0xFF, other bytes as themselves
//   sk_component    := sk_bytes (last component: written raw)
//   pk_bytes/sk_bytes by scalar type:
//     S  -> the UTF-8 bytes
//     B  -> the raw bytes
//     N  -> AppendOrderedNumber() of the normalized number (storage/number.h)
//   pk_hash         := KeyHash(partition key value)
//
// Properties: within one (table, partition key), memcmp order of encoded keys equals DynamoDB's
// sort-key order (S and B bytewise, N numerically). Across partition keys, order follows
// pk_hash, which is what Scan returns and what parallel scan segments split (segment i of T owns
// pk_hash in [i * 2^32 / T, (i + 1) * 2^32 / T)).
//
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_STORAGE_KEY_CODEC_H_
#define GLOBALTABLE_STORAGE_KEY_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/globaltable.pb.h"

namespace globaltable::storage {

// Stable 32-bit hash of a canonical partition key value (same in every region and release):
// a fixed function of a type tag ('S', 'N', 'B') and the value's bytes (for N, the normalized
// text). Never change it: hashes order the items column family and split parallel scans.
uint32_t KeyHash(const proto::AttributeValue& partition_key);

// key_suffix for `key` (must hold the table's key attributes; see ValidateKey). `key` may be
// the whole item; a missing or mistyped key attribute encodes as empty bytes (never crashes).
std::string EncodeKeySuffix(const proto::TableSchema& schema, const proto::Item& key);

// pk_hash pk_component: the prefix shared by every item of one partition key.
std::string EncodePartitionPrefix(const proto::TableSchema& schema,
                                  const proto::AttributeValue& partition_key);

// Appends sk_bytes for a sort key value of the schema's sort key type.
void AppendSortKeyBytes(const proto::TableSchema& schema, const proto::AttributeValue& sort_key,
                        std::string* out);

// Decodes a key_suffix back into the key attributes, as a canonical Item (attributes sorted by
// name, so FindAttribute works on it). kDataLoss when the bytes are not a valid key_suffix for
// this schema (bad escape, bad number, hash mismatch, trailing bytes).
absl::StatusOr<proto::Item> DecodeKeySuffix(const proto::TableSchema& schema,
                                            absl::string_view suffix);

// Start of the pk_hash range of parallel-scan segment `segment` of `total`, as 4 big-endian
// bytes; the end of segment i is the start of segment i + 1 (or the end of the table).
// Returns "" when total == 0 or segment >= total.
std::string SegmentStart(uint32_t segment, uint32_t total);

// The parallel-scan segment of `total` that owns `pk_hash` (consistent with SegmentStart).
uint32_t SegmentOfHash(uint32_t pk_hash, uint32_t total);

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_KEY_CODEC_H_
