// ClassifySubmitStatus: which submit_sm_resp statuses are retried, paced or final.
#include "adapters/smpp/submit_status.h"

#include <gtest/gtest.h>

#include <vector>

#include "adapters/smpp/pdu.h"

namespace sd::smpp {
namespace {

TEST(SubmitStatus, OkIsAccepted) {
  EXPECT_EQ(ClassifySubmitStatus(status::kOk), SubmitStatusClass::kAccepted);
}

TEST(SubmitStatus, ThrottledAndQueueFullArePacedNotBackedOff) {
  EXPECT_EQ(ClassifySubmitStatus(0x58), SubmitStatusClass::kThrottled);
  EXPECT_EQ(ClassifySubmitStatus(0x14), SubmitStatusClass::kThrottled);
}

TEST(SubmitStatus, SystemErrorAndReceiverTemporaryAppErrorAreTemporary) {
  EXPECT_EQ(ClassifySubmitStatus(0x08), SubmitStatusClass::kTemporary);
  EXPECT_EQ(ClassifySubmitStatus(0x64), SubmitStatusClass::kTemporary);
}

TEST(SubmitStatus, EverythingElseIsPermanentIncludingSubmitFail) {
  for (uint32_t st : {0x01u, 0x04u, 0x0Au, 0x0Bu, 0x45u, 0x65u, 0x66u, 0xC0u, 0xFEu, 0xFFu, 0x400u,
                      0xFFFFFFFFu}) {
    EXPECT_EQ(ClassifySubmitStatus(st), SubmitStatusClass::kPermanent) << std::hex << st;
  }
}

TEST(SubmitStatus, OperatorListMakesMoreStatusesTemporaryButNeverOkOrThrottling) {
  const std::vector<uint32_t> extra{0x45, 0x400, 0x00, 0x58};
  EXPECT_EQ(ClassifySubmitStatus(0x45, extra), SubmitStatusClass::kTemporary);
  EXPECT_EQ(ClassifySubmitStatus(0x400, extra), SubmitStatusClass::kTemporary);
  EXPECT_EQ(ClassifySubmitStatus(0x0B, extra), SubmitStatusClass::kPermanent);
  EXPECT_EQ(ClassifySubmitStatus(0x00, extra), SubmitStatusClass::kAccepted);
  EXPECT_EQ(ClassifySubmitStatus(0x58, extra), SubmitStatusClass::kThrottled);
}

}  // namespace
}  // namespace sd::smpp
