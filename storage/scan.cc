// StoreImpl::Scan: Query (one partition key, optional sort key condition, either direction)
// and Scan (a whole table or one parallel-scan segment) as one bounded RocksDB iteration.
// Thread-safe: iterators read an implicit snapshot taken when they are created.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "common/status_macros.h"
#include "storage/key_codec.h"
#include "storage/layout.h"
#include "storage/store_impl.h"
#include "storage/value.h"

namespace globaltable::storage {
namespace {

bool HasScalarType(const proto::AttributeValue& v, proto::ScalarType type) {
  switch (type) {
    case proto::S:
      return v.value_case() == proto::AttributeValue::kS && !v.s().empty();
    case proto::N:
      return v.value_case() == proto::AttributeValue::kN;
    case proto::B:
      return v.value_case() == proto::AttributeValue::kB && !v.b().empty();
    default:
      return false;
  }
}

// A key value from a request, normalized (numbers) and checked against the declared type.
absl::StatusOr<proto::AttributeValue> KeyValue(const proto::AttributeValue& value,
                                               const proto::KeyElement& element) {
  proto::AttributeValue v = value;
  RETURN_IF_ERROR(CanonicalizeValue(&v));
  if (!HasScalarType(v, element.type())) {
    return absl::InvalidArgumentError(absl::StrCat("Query condition value for key ", element.name(),
                                                   " does not match the schema (want a non-empty ",
                                                   proto::ScalarType_Name(element.type()), ")"));
  }
  return v;
}

std::string Successor(std::string key) {
  key.push_back('\0');  // the smallest key greater than `key`
  return key;
}

// Computes [lower, upper) for the spec. Bounds are full item keys.
absl::Status ScanBounds(const ScanSpec& spec, const CatalogEntry& table, std::string* lower,
                        std::string* upper) {
  const proto::TableSchema& schema = table.schema;
  const bool has_sort_key = schema.has_sort_key() && !schema.sort_key().name().empty();
  if (spec.total_segments == 0 || spec.segment >= spec.total_segments) {
    return absl::InvalidArgumentError("Segment must be less than TotalSegments");
  }
  std::string partition_prefix;
  if (spec.partition_key.has_value()) {
    if (spec.total_segments != 1) {
      return absl::InvalidArgumentError("a Query cannot have scan segments");
    }
    ASSIGN_OR_RETURN(proto::AttributeValue pk,
                     KeyValue(*spec.partition_key, schema.partition_key()));
    partition_prefix = layout::ItemKey(table.table_id, EncodePartitionPrefix(schema, pk));
    *lower = partition_prefix;
    *upper = layout::PrefixSuccessor(partition_prefix);
    const SortKeyCondition& cond = spec.sort_key;
    if (cond.op != SortKeyCondition::Op::kNone) {
      if (!has_sort_key) {
        return absl::InvalidArgumentError("the table has no sort key to put a condition on");
      }
      ASSIGN_OR_RETURN(proto::AttributeValue v, KeyValue(cond.value, schema.sort_key()));
      std::string bound = partition_prefix;
      AppendSortKeyBytes(schema, v, &bound);
      switch (cond.op) {
        case SortKeyCondition::Op::kEq:
          *lower = bound;
          *upper = Successor(bound);
          break;
        case SortKeyCondition::Op::kLt:
          *upper = bound;
          break;
        case SortKeyCondition::Op::kLe:
          *upper = Successor(bound);
          break;
        case SortKeyCondition::Op::kGt:
          *lower = Successor(bound);
          break;
        case SortKeyCondition::Op::kGe:
          *lower = bound;
          break;
        case SortKeyCondition::Op::kBetween: {
          ASSIGN_OR_RETURN(proto::AttributeValue v2, KeyValue(cond.value2, schema.sort_key()));
          std::string high = partition_prefix;
          AppendSortKeyBytes(schema, v2, &high);
          if (high < bound) {
            return absl::InvalidArgumentError(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to "
                "be greater than or equal to lower bound");
          }
          *lower = bound;
          *upper = Successor(high);
          break;
        }
        case SortKeyCondition::Op::kBeginsWith:
          if (schema.sort_key().type() == proto::N) {
            return absl::InvalidArgumentError(
                "Invalid KeyConditionExpression: begins_with is not supported for a number "
                "sort key");
          }
          *lower = bound;
          *upper = layout::PrefixSuccessor(bound);
          break;
        case SortKeyCondition::Op::kNone:
          break;
      }
    }
  } else {
    if (spec.sort_key.op != SortKeyCondition::Op::kNone) {
      return absl::InvalidArgumentError("a sort key condition needs a partition key");
    }
    *lower = layout::ItemKey(table.table_id, SegmentStart(spec.segment, spec.total_segments));
    *upper =
        spec.segment + 1 < spec.total_segments
            ? layout::ItemKey(table.table_id, SegmentStart(spec.segment + 1, spec.total_segments))
            : layout::TablePrefix(table.table_id + 1);
  }

  if (spec.exclusive_start_key.has_value()) {
    absl::StatusOr<proto::Item> start = CanonicalKey(schema, *spec.exclusive_start_key);
    if (!start.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("The provided starting key is invalid: ", start.status().message()));
    }
    const std::string key = layout::ItemKey(table.table_id, EncodeKeySuffix(schema, *start));
    if (!partition_prefix.empty() &&
        absl::string_view(key).substr(0, partition_prefix.size()) != partition_prefix) {
      return absl::InvalidArgumentError(
          "The provided starting key does not match the query's partition key");
    }
    if (spec.forward || !spec.partition_key.has_value()) {
      *lower = std::max(*lower, Successor(key));
    } else {
      *upper = std::min(*upper, key);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status StoreImpl::Scan(const ScanSpec& spec, const ScanVisitor& visit) const {
  std::shared_ptr<const CatalogEntry> table = catalog_.FindLive(spec.table);
  if (table == nullptr) {
    return absl::NotFoundError(absl::StrCat("Requested resource not found: Table: ", spec.table));
  }
  std::string lower, upper;
  RETURN_IF_ERROR(ScanBounds(spec, *table, &lower, &upper));
  if (lower >= upper) return absl::OkStatus();

  const rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
  const bool backward = spec.partition_key.has_value() && !spec.forward;
  // Items are parsed into an arena: a heap-allocated message frees and reallocates every
  // sub-message and string on each parse (proto3's Clear deletes sub-messages), which cost
  // more than the parse itself. The arena is reset now and then to bound its memory; the
  // visitor only borrows each item for its call.
  char initial_block[8 << 10];
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = initial_block;
  arena_options.initial_block_size = sizeof(initial_block);
  google::protobuf::Arena arena(arena_options);
  for (backward ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
       backward ? it->Prev() : it->Next()) {
    if (arena.SpaceUsed() > (256 << 10)) arena.Reset();
    auto* stored = google::protobuf::Arena::CreateMessage<proto::StoredItem>(&arena);
    if (!stored->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("bad stored item");
    }
    if (stored->tombstone()) continue;
    if (!visit(stored->item(), ItemSize(stored->item()))) break;
  }
  return FromRocks(it->status(), "scanning items");
}

}  // namespace globaltable::storage
