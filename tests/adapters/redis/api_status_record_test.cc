// The HTTPS API's status record format (adapters/redis/api_status_record.h): fields round
// trip with any bytes, a later value of a name replaces the earlier one in place, and damaged
// records read as far as they are whole.
#include "adapters/redis/api_status_record.h"

#include <gtest/gtest.h>

#include <string>

namespace sd::redis {
namespace {

TEST(ApiStatusRecord, FieldsRoundTripWithAnyBytesAndTheLatestValueWins) {
  std::string record;
  AppendStatusField(record, "fam", "acme");
  AppendStatusField(record, "status", "queued");
  AppendStatusField(record, "detail", std::string("a:1:b\0;\xff", 8));
  AppendStatusField(record, "reason", "");
  AppendStatusField(record, "status", "submitted");
  EXPECT_EQ(record.substr(0, 24), "fam:4:acmestatus:6:queue");
  ApiStatus out;
  ASSERT_TRUE(DecodeStatusRecord(record, out));
  const ApiStatus expected{{"fam", "acme"},
                           {"status", "submitted"},
                           {"detail", std::string("a:1:b\0;\xff", 8)},
                           {"reason", ""}};
  EXPECT_EQ(out, expected);
  ApiStatus empty;
  EXPECT_TRUE(DecodeStatusRecord("", empty));
  EXPECT_TRUE(empty.empty());
}

TEST(ApiStatusRecord, ADamagedRecordReadsAsFarAsItIsWhole) {
  for (const std::string bad :
       {"fam:4:acmestatus:9:queued", "fam:4:acmestatus", "fam:4:acmes:x:1",
        "fam:4:acmes::", "fam:4:acmes:-1:", "fam:4:acmes:99999999999999999999:"}) {
    ApiStatus out;
    EXPECT_FALSE(DecodeStatusRecord(bad, out)) << bad;
    const ApiStatus whole{{"fam", "acme"}};
    EXPECT_EQ(out, whole) << bad;
  }
}

}  // namespace
}  // namespace sd::redis
