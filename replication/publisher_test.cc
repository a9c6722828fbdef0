// Tests for EncodeMutationBatch: the publisher's message body, built from change-log records
// as stored, must be exactly the serialization of the equivalent MutationBatch (readers parse
// it; duplicates and digests compare bytes).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/globaltable.pb.h"
#include "replication/publisher.h"

namespace globaltable::replication {
namespace {

proto::Mutation Record(uint64_t sequence, bool tombstone) {
  proto::Mutation m;
  m.set_kind(tombstone ? proto::Mutation::DELETE : proto::Mutation::PUT);
  m.set_table("orders");
  m.set_table_created_hlc(7 << 16);
  m.set_table_created_region(1);
  m.set_partition_key("\x01pk");
  proto::Attribute* a = m.mutable_item()->add_attributes();
  a->set_name("pk");
  a->mutable_value()->set_s("k" + std::to_string(sequence));
  if (!tombstone) {
    proto::Attribute* b = m.mutable_item()->add_attributes();
    b->set_name("v");
    b->mutable_value()->set_s(std::string(300, 'x'));  // lengths over 127: two-byte varints
  }
  m.set_hlc((100 + sequence) << 16);
  m.set_origin_region(1);
  m.set_sequence(sequence);
  return m;
}

TEST(EncodeMutationBatchTest, EqualsSerializingTheParsedBatch) {
  for (clock::Timestamp sent_hlc : {clock::Timestamp{0}, clock::Timestamp{123456789} << 16}) {
    std::vector<storage::ChangeLogRecord> records;
    proto::MutationBatch want;
    want.set_origin_region(1);
    want.set_origin_name("us-east-1");
    want.set_partition(3);
    want.set_first_sequence(41);
    want.set_last_sequence(44);
    for (uint64_t s = 41; s <= 44; ++s) {
      proto::Mutation m = Record(s, s == 43);
      records.push_back({s, m.SerializeAsString()});
      *want.add_mutations() = m;
    }
    want.set_sent_hlc(sent_hlc);
    want.set_origin_partitions(16);
    const std::string got = EncodeMutationBatch(1, "us-east-1", 3, 16, records, sent_hlc);
    EXPECT_EQ(got, want.SerializeAsString());
    proto::MutationBatch parsed;
    ASSERT_TRUE(parsed.ParseFromString(got));
    EXPECT_EQ(parsed.mutations_size(), 4);
    EXPECT_EQ(parsed.mutations(2).kind(), proto::Mutation::DELETE);
  }
}

TEST(EncodeMutationBatchTest, OneRecord) {
  proto::Mutation m = Record(1, false);
  std::vector<storage::ChangeLogRecord> records = {{1, m.SerializeAsString()}};
  proto::MutationBatch want;
  want.set_origin_region(2);
  want.set_origin_name("eu");
  want.set_first_sequence(1);
  want.set_last_sequence(1);
  *want.add_mutations() = m;
  want.set_sent_hlc(5);
  want.set_origin_partitions(1);
  EXPECT_EQ(EncodeMutationBatch(2, "eu", 0, 1, records, 5), want.SerializeAsString());
}

}  // namespace
}  // namespace globaltable::replication
