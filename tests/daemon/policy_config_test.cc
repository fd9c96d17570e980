// The policy sections of the configuration ([keys] sources, [policy], [content], [[limits]])
// and building the policy from them (daemon/lib/policy_loader.h): values, defaults, and
// problems located as "file:line:column: problem".
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "daemon/lib/config.h"
#include "daemon/lib/policy_loader.h"
#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

constexpr const char* kCarrier =
    "[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = 2775\nsystem_id = \"sim\"\n"
    "password_file = \"smpp.pw\"\n";

class PolicyConfigTest : public ::testing::Test {
 protected:
  PolicyConfigTest() {
    EXPECT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "secret1\n", 0600));
    EXPECT_TRUE(WriteTextFile(dir_.File("k.toml"),
                              "[[key]]\nid = \"a.v1\"\nsecret = \"" + std::string(64, 'a') + "\"\n",
                              0600));
  }
  std::variant<Config, ConfigError> Load(const std::string& text) {
    const std::string path = dir_.File("c.toml");
    EXPECT_TRUE(WriteTextFile(path, text, 0644));
    return LoadConfig(path);
  }
  std::string ErrorOf(const std::string& text) {
    auto r = Load(text);
    if (auto* e = std::get_if<ConfigError>(&r)) return e->ToString();
    return "";
  }
  std::string P(const std::string& rest) const { return dir_.File("c.toml") + ":" + rest; }

  TempDir dir_{"sd-policy-config-test"};
};

TEST_F(PolicyConfigTest, DefaultsAndKeyFileBuildAPolicy) {
  auto r = Load(std::string("[keys]\nfile = \"k.toml\"\n") + kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_EQ(c.policy.max_segments, 10);
  EXPECT_TRUE(c.policy.number_check);
  EXPECT_TRUE(c.policy.mobile_required);
  EXPECT_TRUE(c.policy.high_risk_prefixes.empty());
  EXPECT_EQ(c.policy.number_cache_entries, 65536);
  EXPECT_TRUE(c.content.rules_file.empty());
  EXPECT_TRUE(c.limits.empty());
  EXPECT_TRUE(c.keys_registry.empty());
  auto parts = BuildPolicyParts(c, nullptr, SipKey{1, 2});
  ASSERT_TRUE(std::holds_alternative<PolicyParts>(parts));
  const PolicyParts& p = std::get<PolicyParts>(parts);
  EXPECT_EQ(p.file_keys->size(), 1u);
  EXPECT_NE(p.numbers, nullptr);
  EXPECT_EQ(p.content, nullptr);
  EXPECT_EQ(p.limits, nullptr);
  EXPECT_EQ(p.decision.max_segments, 10);
}

TEST_F(PolicyConfigTest, EveryPolicyKey) {
  ASSERT_TRUE(WriteTextFile(dir_.File("rules.toml"),
                            "[[rule]]\nid = \"x\"\naction = \"reject\"\nkeywords = [\"bad\"]\n",
                            0644));
  auto r = Load(std::string("[keys]\nfile = \"k.toml\"\n") +
                "[policy]\nmax_segments = 4\nnumber_check = true\nmobile_required = false\n"
                "high_risk_prefixes = [\"+882\", \"+37360\"]\nnumber_cache_entries = 1024\n"
                "[content]\nrules_file = \"rules.toml\"\n"
                "[[limits]]\nname = \"per_prefix\"\nscope = \"destination_prefix\"\n"
                "prefix_drop_digits = 3\nrate = 20\nperiod_ms = 3600000\nburst = 5\n"
                "action = \"reject\"\ncapacity = 1024\non_full = \"admit\"\n"
                "[[limits]]\nname = \"per_key\"\nscope = \"key\"\nrate = 200\nburst = 400\n"
                "action = \"defer\"\n" +
                kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_EQ(c.policy.max_segments, 4);
  EXPECT_FALSE(c.policy.mobile_required);
  EXPECT_EQ(c.policy.high_risk_prefixes, (std::vector<std::string>{"+882", "+37360"}));
  EXPECT_EQ(c.policy.number_cache_entries, 1024);
  EXPECT_EQ(c.content.rules_file, dir_.File("rules.toml"));
  ASSERT_EQ(c.limits.size(), 2u);
  EXPECT_EQ(c.limits[0].scope, LimitScope::kDestinationPrefix);
  EXPECT_EQ(c.limits[0].prefix_drop_digits, 3);
  EXPECT_EQ(c.limits[0].rate.count, 20);
  EXPECT_EQ(c.limits[0].rate.period_ms, 3'600'000);
  EXPECT_EQ(c.limits[0].on_full, FullPolicy::kFailOpen);
  EXPECT_EQ(c.limits[1].action, LimitAction::kDefer);
  EXPECT_EQ(c.limits[1].rate.period_ms, 1000);

  auto parts = BuildPolicyParts(c, nullptr, SipKey{1, 2});
  ASSERT_TRUE(std::holds_alternative<PolicyParts>(parts));
  auto snap = PolicySnapshot::Make(std::get<PolicyParts>(std::move(parts)));
  ASSERT_NE(snap->parts().content, nullptr);
  ASSERT_NE(snap->parts().limits, nullptr);
  EXPECT_EQ(snap->parts().limits->size(), 2u);
  // A reload with the previous snapshot keeps the buckets of unchanged limits.
  auto again = BuildPolicyParts(c, snap.get(), SipKey{1, 2});
  ASSERT_TRUE(std::holds_alternative<PolicyParts>(again));
  EXPECT_EQ(std::get<PolicyParts>(again).limits->StateOf("per_key"),
            snap->parts().limits->StateOf("per_key"));
  // ... and the number checker with its warm cache while its options are the same.
  EXPECT_EQ(std::get<PolicyParts>(again).numbers, snap->parts().numbers);
  Config changed = c;
  changed.policy.mobile_required = true;
  auto third = BuildPolicyParts(changed, snap.get(), SipKey{1, 2});
  ASSERT_TRUE(std::holds_alternative<PolicyParts>(third));
  EXPECT_NE(std::get<PolicyParts>(third).numbers, snap->parts().numbers);
}

TEST_F(PolicyConfigTest, ProblemsAreLocated) {
  const std::string keys = "[keys]\nfile = \"k.toml\"\n";
  EXPECT_EQ(ErrorOf(keys + "[policy]\nmax_segments = 0\n" + kCarrier),
            P("4:16: policy.max_segments = 0 is out of range [1, 255]"));
  EXPECT_EQ(ErrorOf(keys + "[policy]\nmobile_required = \"yes\"\n" + kCarrier),
            P("4:19: policy.mobile_required must be true or false"));
  EXPECT_EQ(ErrorOf(keys + "[policy]\nhigh_risk_prefixes = [\"+882\", \"882x\"]\n" + kCarrier),
            P("4:31: policy.high_risk_prefixes: '882x' must be '+' and 1 to 15 digits"));
  EXPECT_EQ(ErrorOf(keys + "[content]\nrulesfile = \"x\"\n" + kCarrier),
            P("4:1: unknown key 'rulesfile' in [content]"));
  EXPECT_EQ(ErrorOf(keys + "[[limits]]\nname = \"a\"\nscope = \"planet\"\nrate = 1\n" + kCarrier),
            P("5:9: limits[0].scope must be one of key, destination, destination_prefix, sender, "
              "carrier"));
  EXPECT_EQ(ErrorOf(keys + "[[limits]]\nname = \"a\"\nscope = \"destination_prefix\"\nrate = 1\n" +
                    kCarrier),
            P("3:1: [limits[0]] is missing required key 'prefix_drop_digits'"));
  EXPECT_EQ(
      ErrorOf(keys + "[[limits]]\nname = \"a\"\nrate = 1\n[[limits]]\nname = \"a\"\nrate = 1\n" +
              kCarrier)
              .find("duplicate name") != std::string::npos,
      true);
  EXPECT_EQ(ErrorOf(keys + "[limits]\nname = \"a\"\n" + kCarrier),
            P("3:1: limits must be an array of tables: write [[limits]]"));
}

TEST_F(PolicyConfigTest, FleetWideLimits) {
  const std::string keys = "[keys]\nfile = \"k.toml\"\n";
  auto r = Load(keys +
                "[[limits]]\nname = \"fleet_key\"\nrate = 200\nburst = 400\n"
                "reach = \"global\"\nlease_units = 25\nlease_ms = 500\n"
                "[[limits]]\nname = \"carrier_tps\"\nscope = \"carrier\"\nrate = 50\n"
                "burst = 50\nreach = \"global\"\n" +
                kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  ASSERT_EQ(c.limits.size(), 2u);
  EXPECT_EQ(c.limits[0].reach, LimitReach::kGlobal);
  EXPECT_EQ(c.limits[0].lease_units, 25);
  EXPECT_EQ(c.limits[0].lease_ms, 500);
  EXPECT_EQ(LeaseUnitsOf(c.limits[1]), 5);  // the default: 100 ms of the rate
  EXPECT_EQ(c.limits[1].lease_ms, 1000);
  // The problems name the file's line and the limit.
  EXPECT_EQ(ErrorOf(keys + "[[limits]]\nname = \"a\"\nrate = 1\nreach = \"fleet\"\n" + kCarrier),
            P("6:9: limits[0].reach must be one of local, global"));
  EXPECT_EQ(ErrorOf(keys +
                    "[[limits]]\nname = \"a\"\nrate = 10\nburst = 4\nreach = \"global\"\n"
                    "lease_units = 5\n" +
                    kCarrier),
            P("3:1: limits[0] 'a': lease_units must be 1..burst"));
  EXPECT_EQ(ErrorOf(keys + "[[limits]]\nname = \"a\"\nrate = 1\nlease_units = 5\n" + kCarrier),
            P("6:1: unknown key 'lease_units' in [limits[0]]"));
}

TEST_F(PolicyConfigTest, KeySources) {
  EXPECT_EQ(ErrorOf(std::string("[keys]\n") + kCarrier),
            P("1:1: [keys] is missing required key 'file' (or registry = \"redis\")"));
  EXPECT_EQ(ErrorOf(std::string("[keys]\nregistry = \"etcd\"\n") + kCarrier),
            P("2:12: keys.registry must be one of redis"));
  EXPECT_EQ(ErrorOf(std::string("[keys]\nfile = \"k.toml\"\nmaster_key_file = \"m\"\n") + kCarrier),
            P("3:19: keys.master_key_* is only used with registry = \"redis\""));
  unsetenv("SMSDISPATCH_MASTER_KEY_FILE");
  auto r = Load(std::string("[keys]\nregistry = \"redis\"\n") + kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  EXPECT_EQ(std::get<Config>(r).master_key_credential, "sd-master");
  EXPECT_TRUE(std::get<Config>(r).keys_file.empty());
  r = Load(std::string("[keys]\nregistry = \"redis\"\nmaster_key_file = \"m.key\"\n") + kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_EQ(std::get<Config>(r).master_key_file, dir_.File("m.key"));
  setenv("SMSDISPATCH_MASTER_KEY_FILE", "/run/x/master.key", 1);
  r = Load(std::string("[keys]\nregistry = \"redis\"\n") + kCarrier);
  unsetenv("SMSDISPATCH_MASTER_KEY_FILE");
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_EQ(std::get<Config>(r).master_key_file, "/run/x/master.key");
  // The key itself in the environment (EnvironmentFile=), below a named file in precedence.
  setenv("SMSDISPATCH_MASTER_KEY", "00", 1);
  r = Load(std::string("[keys]\nregistry = \"redis\"\n") + kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_TRUE(std::get<Config>(r).master_key_from_environment);
  EXPECT_TRUE(std::get<Config>(r).master_key_credential.empty());
  r = Load(std::string("[keys]\nregistry = \"redis\"\nmaster_key_file = \"m.key\"\n") + kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_FALSE(std::get<Config>(r).master_key_from_environment);
  unsetenv("SMSDISPATCH_MASTER_KEY");
}

TEST_F(PolicyConfigTest, ABadRulesFileNamesItsLine) {
  ASSERT_TRUE(
      WriteTextFile(dir_.File("rules.toml"), "[[rule]]\nid = \"x\"\naction = \"zap\"\n", 0644));
  auto r = Load(std::string("[keys]\nfile = \"k.toml\"\n[content]\nrules_file = \"rules.toml\"\n") +
                kCarrier);
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  auto parts = BuildPolicyParts(std::get<Config>(r), nullptr, SipKey{1, 2});
  ASSERT_TRUE(std::holds_alternative<ConfigError>(parts));
  const std::string e = std::get<ConfigError>(parts).ToString();
  EXPECT_EQ(e.rfind(dir_.File("rules.toml") + ":3:", 0), 0u) << e;
}

// Routes are part of the policy; the carriers they name are fixed at start-up.
TEST_F(PolicyConfigTest, RoutesAreBuiltIntoThePolicyAndMayNameAnyCarrierOfTheFile) {
  const std::string keys = "[keys]\nfile = \"k.toml\"\n";
  auto start = Load(keys + kCarrier);  // one carrier, no [[route]]: the implicit default
  ASSERT_TRUE(std::holds_alternative<Config>(start));
  auto parts = BuildPolicyParts(std::get<Config>(start), nullptr, SipKey{1, 2});
  ASSERT_TRUE(std::holds_alternative<PolicyParts>(parts));
  const auto& router = std::get<PolicyParts>(parts).router;
  ASSERT_NE(router, nullptr);
  RouteChoice choice;
  ASSERT_TRUE(router->Find("+4915112345678", "", JobKind::kOtp, &choice));
  EXPECT_EQ(router->CarrierName(choice.carriers[0]), "sim");

  // A second carrier and routes naming it (a reload may add carriers: the daemon gives the
  // dispatcher the new one on the same loop turn, and maps router indices by name).
  const std::string second =
      "[[carrier]]\nname = \"b\"\nhost = \"127.0.0.1\"\nport = 2776\nsystem_id = \"sim\"\n"
      "password_file = \"smpp.pw\"\n";
  auto grown = Load(keys + kCarrier + second +
                    "[[route]]\nprefixes = [\"+49\"]\ncarriers = [\"b\", \"sim\"]\n"
                    "[[route]]\ncarriers = [\"sim\"]\n");
  ASSERT_TRUE(std::holds_alternative<Config>(grown)) << std::get<ConfigError>(grown).ToString();
  auto ok = BuildPolicyParts(std::get<Config>(grown), nullptr, SipKey{1, 2});
  ASSERT_TRUE(std::holds_alternative<PolicyParts>(ok));
  ASSERT_TRUE(std::get<PolicyParts>(ok).router->Find("+4915112345678", "", JobKind::kOtp, &choice));
  EXPECT_EQ(choice.count, 2);
  EXPECT_EQ(std::get<PolicyParts>(ok).router->CarrierName(choice.carriers[0]), "b");
  // A route naming a carrier the file does not have is refused at its line (so a reload
  // keeps the old policy and carriers).
  auto bad = Load(keys + kCarrier + "[[route]]\ncarriers = [\"zz\"]\n");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(bad));
  EXPECT_EQ(std::get<ConfigError>(bad).ToString(),
            P("10:13: route[0].carriers: no [[carrier]] is named 'zz'"));
}

}  // namespace
}  // namespace sd
