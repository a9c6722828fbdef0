// Tests for CheckBatch: every rejection reason, and a valid batch passing.
#include "replication/batch_check.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "replication/replicator.h"

namespace globaltable::replication {
namespace {

class BatchCheckTest : public ::testing::Test {
 protected:
  BatchCheckTest() {
    peers_ = {{"eu", 2, ""}, {"ap", 3, ""}};
    ctx_.self_id = 1;
    ctx_.self_name = "us";
    ctx_.stream_owner = &peers_[0];
    ctx_.peers = &peers_;
    ctx_.max_message_bytes = 4096;
  }

  static proto::MutationBatch Valid(uint32_t origin = 2, const std::string& name = "eu") {
    proto::MutationBatch b;
    b.set_origin_region(origin);
    b.set_origin_name(name);
    b.set_partition(5);
    b.set_first_sequence(10);
    b.set_last_sequence(12);
    for (uint64_t s = 10; s <= 12; ++s) {
      proto::Mutation* m = b.add_mutations();
      m->set_kind(proto::Mutation::PUT);
      m->set_sequence(s);
      m->set_origin_region(origin);
      m->set_hlc(s << 16);
    }
    return b;
  }

  BatchVerdict Check(const proto::MutationBatch& b) {
    std::string data = b.SerializeAsString();
    return CheckBatch(data.data(), data.size(), ctx_, &parsed_);
  }

  std::vector<PeerRegion> peers_;
  BatchCheckContext ctx_;
  proto::MutationBatch parsed_;
};

TEST_F(BatchCheckTest, ValidBatchPasses) {
  BatchVerdict v = Check(Valid());
  ASSERT_FALSE(v.reject) << v.detail;
  EXPECT_EQ(parsed_.mutations_size(), 3);
  EXPECT_EQ(parsed_.first_sequence(), 10u);
}

TEST_F(BatchCheckTest, UndecodableIsRejected) {
  std::string junk = "\xff\xff\xff\xff not a protobuf";
  BatchVerdict v = CheckBatch(junk.data(), junk.size(), ctx_, &parsed_);
  ASSERT_TRUE(v.reject);
  EXPECT_EQ(*v.reject, RejectReason::kUndecodable);
}

TEST_F(BatchCheckTest, OversizedIsRejectedBeforeParsing) {
  std::string big(5000, 'x');
  BatchVerdict v = CheckBatch(big.data(), big.size(), ctx_, &parsed_);
  ASSERT_TRUE(v.reject);
  EXPECT_EQ(*v.reject, RejectReason::kOversized);
}

TEST_F(BatchCheckTest, FromSelfIsRejected) {
  BatchVerdict v = Check(Valid(1, "us"));
  ASSERT_TRUE(v.reject);
  EXPECT_EQ(*v.reject, RejectReason::kFromSelf);
  // The name alone is enough to be refused.
  v = Check(Valid(2, "us"));
  ASSERT_TRUE(v.reject);
  EXPECT_EQ(*v.reject, RejectReason::kFromSelf);
}

TEST_F(BatchCheckTest, UnknownRegionIsRejected) {
  BatchVerdict v = Check(Valid(99, "zz"));
  ASSERT_TRUE(v.reject);
  EXPECT_EQ(*v.reject, RejectReason::kUnknownRegion);
  // A known id with another region's name is forged too.
  v = Check(Valid(2, "ap"));
  ASSERT_TRUE(v.reject);
  EXPECT_EQ(*v.reject, RejectReason::kUnknownRegion);
}

TEST_F(BatchCheckTest, OriginMustOwnTheStream) {
  BatchVerdict v = Check(Valid(3, "ap"));  // a genuine peer, but on eu's outbox
  ASSERT_TRUE(v.reject);
  EXPECT_EQ(*v.reject, RejectReason::kWrongStream);
}

TEST_F(BatchCheckTest, RangeMustMatchMutations) {
  proto::MutationBatch b = Valid();
  b.set_last_sequence(13);
  EXPECT_EQ(*Check(b).reject, RejectReason::kInvalid);
  b = Valid();
  b.mutable_mutations(1)->set_sequence(20);
  EXPECT_EQ(*Check(b).reject, RejectReason::kInvalid);
  b = Valid();
  b.mutable_mutations(2)->set_origin_region(3);
  EXPECT_EQ(*Check(b).reject, RejectReason::kInvalid);
  b = Valid();
  b.mutable_mutations(0)->set_kind(proto::Mutation::KIND_UNSPECIFIED);
  EXPECT_EQ(*Check(b).reject, RejectReason::kInvalid);
  b = Valid();
  b.set_first_sequence(0);
  EXPECT_EQ(*Check(b).reject, RejectReason::kInvalid);
}

TEST(ValidateOptionsTest, RejectsBadDeployments) {
  ReplicationOptions o;
  o.region_name = "us-east-1";
  o.region_id = 1;
  o.peers = {{"eu-west-1", 2, ""}};
  EXPECT_TRUE(ValidateOptions(o).ok());

  ReplicationOptions bad = o;
  bad.region_name = "us.east";  // a '.' would split NATS subjects
  EXPECT_EQ(ValidateOptions(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.peers.push_back({"ap", 2, ""});
  EXPECT_NE(ValidateOptions(bad).message().find("id 2 appears twice"), absl::string_view::npos);
  bad = o;
  bad.peers.push_back({"us-east-1", 7, ""});
  EXPECT_NE(ValidateOptions(bad).message().find("appears twice"), absl::string_view::npos);
  bad = o;
  bad.region_id = 0;
  EXPECT_FALSE(ValidateOptions(bad).ok());
  bad = o;
  bad.max_batch_bytes = bad.max_message_bytes;
  EXPECT_FALSE(ValidateOptions(bad).ok());
}

}  // namespace
}  // namespace globaltable::replication
