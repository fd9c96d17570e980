#pragma once
// A Dispatcher with two fake carriers, "primary" and "backup", and two routes (+4915: primary
// then backup; +4917: backup only), for the route, failover and runtime-control tests.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "core/clock.h"
#include "core/key_record.h"
#include "core/router.h"
#include "daemon/lib/dispatcher.h"
#include "tests/daemon/dispatcher_fakes.h"

namespace sd::testing_fakes {

class RoutesAudit final : public AuditSink {
 public:
  void Emit(AuditEvent e) override { events.push_back(std::move(e)); }
  std::vector<AuditEvent> events;
};

class DispatcherRoutesTest : public ::testing::Test {
 protected:
  DispatcherRoutesTest() : clock_(kNow) {
    primary_.name_ = "primary";
    backup_.name_ = "backup";
    DispatcherOptions opts;
    opts.decision.stream = kStream;
    opts.max_inflight = 64;
    std::vector<DispatchCarrier> carriers{{&primary_, [this] { return primary_up_; }},
                                          {&backup_, [this] { return backup_up_; }}};
    dispatcher_ = std::make_unique<Dispatcher>(store_, std::move(carriers), mac_, clock_, opts);
    dispatcher_->SetAuditSink(&audit_);
    KeyRecord rec;
    rec.id = "k.v1";
    rec.secret = kSecret;
    registry_ = rec;
    SetRegistry(false);
    RouteSpec to_primary;  // +4915: primary, then backup
    to_primary.prefixes = {"+4915"};
    to_primary.carriers = {"primary", "backup"};
    RouteSpec to_backup;  // +4917: backup only
    to_backup.prefixes = {"+4917"};
    to_backup.carriers = {"backup"};
    RouteError err;
    auto router = Router::Build({"primary", "backup"}, {to_primary, to_backup}, &err);
    EXPECT_NE(router, nullptr) << err.message;
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      PolicyParts p = cur.parts();
      p.router = router;
      return p;
    });
    dispatcher_->Start();
  }
  void SetRegistry(bool revoked) {
    KeyRecord rec = registry_;
    rec.revoked = revoked;
    rec.revoked_at_ms = revoked ? kNow : 0;
    auto snap = KeyRegistrySnapshot::Build(revoked ? 2 : 1, {rec});
    ASSERT_TRUE(snap.ok()) << snap.error().detail;
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      PolicyParts p = cur.parts();
      p.registry_keys = snap.value();
      return p;
    });
  }
  StreamEntry Entry(const std::string& job_id, const std::string& to) {
    return SignedEntry(mac_, ++seq_, job_id, to, kSecret, kNow + 60'000);
  }
  void Deliver(std::vector<StreamEntry> entries) {
    store_.handler(std::move(entries));
    store_.Flush();
  }

  OpenSslMac mac_;
  ManualClock clock_;
  FakeStore store_;
  FakeCarrier primary_;
  FakeCarrier backup_;
  bool primary_up_ = true;
  bool backup_up_ = true;
  RoutesAudit audit_;
  KeyRecord registry_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int seq_ = 0;
};

}  // namespace sd::testing_fakes
