// Checks the C++ implementation against tests/vectors/jobs.json, which an independent
// Python implementation of docs/jobs.md generated: same signing input, same signature, same
// verdict. A producer in any language can run the same vectors.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/crypto/openssl_mac.h"
#include "core/decision.h"
#include "core/envelope.h"
#include "core/hex.h"

namespace sd {
namespace {

nlohmann::json LoadVectors() {
  std::ifstream in(std::string(SD_VECTORS_DIR) + "/jobs.json");
  return nlohmann::json::parse(in);
}

// One entry field: the string, or <name>_hex when it is not UTF-8; false when the entry lacks
// the field.
bool EntryField(const nlohmann::json& entry, const std::string& name, std::string* out) {
  if (entry.contains(name)) {
    *out = entry[name].get<std::string>();
    return true;
  }
  if (entry.contains(name + "_hex")) {
    *out = *HexDecode(entry[name + "_hex"].get<std::string>());
    return true;
  }
  return false;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(Vectors, EveryVectorGetsItsExpectedVerdict) {
  const nlohmann::json doc = LoadVectors();
  KeyRing keys;
  for (const auto& k : doc["keys"]) {
    ASSERT_TRUE(keys.Add(SigningKey{k["id"], *HexDecode(k["secret_hex"].get<std::string>())}));
  }
  DecisionConfig cfg;
  cfg.max_future_skew_ms = doc["policy"]["max_future_skew_ms"];
  cfg.max_validity_ms = doc["policy"]["max_validity_ms"];
  cfg.max_segments = doc["policy"]["max_segments"];
  OpenSslMac mac;
  ASSERT_GE(doc["vectors"].size(), 60u);
  int admitted = 0;
  for (const auto& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    cfg.stream = v["stream"];
    StreamEntry e;
    e.entry_id = "1-0";
    // The entry as the Redis adapter hands it over: each of the four fields once, nothing else.
    const auto& entry = v["entry"];
    e.fields_ok = EntryField(entry, "v", &e.version) & EntryField(entry, "kid", &e.key_id) &
                  EntryField(entry, "job", &e.job) & EntryField(entry, "sig", &e.sig) &
                  !v.contains("extra_fields");
    ManualClock clock(v["now_ms"]);
    Decision d = Decide(e, keys, mac, clock, cfg);
    const std::string got = d.result.ok() ? "admitted" : std::string(ReasonName(d.result.error().reason));
    EXPECT_EQ(got, v["expected"].get<std::string>()) << (d.result.ok() ? "" : d.result.error().detail);
    if (v.contains("detail") && !d.result.ok()) {
      EXPECT_EQ(d.result.error().detail, v["detail"].get<std::string>());
    }
    if (v.contains("segments") && d.result.ok()) {
      EXPECT_EQ(d.result->text.segments, v["segments"].get<int>());
    }
    if (v["expected"] == "admitted") {
      ++admitted;
      // Our signing input and signature agree byte for byte with the independent ones.
      EXPECT_EQ(HexEncode(SigningInput("sd1", e.key_id, cfg.stream, e.job)), v["signing_input_hex"]);
      const SigningKey* key = keys.Find(e.key_id);
      EXPECT_EQ(SignJob(mac, key->secret, e.key_id, cfg.stream, e.job), Lower(e.sig));
      // And our encoder produces the same canonical bytes from the same fields.
      const auto& f = v["job_fields"];
      if (f.is_null()) continue;
      Job j;
      j.id = f["id"];
      j.created_ms = f["created"];
      j.expires_ms = f["expires"];
      j.destination = f["to"];
      j.sender = f["from"];
      j.text = f["text"];
      const std::string kind = f["kind"];
      j.kind = kind == "otp" ? JobKind::kOtp : kind == "marketing" ? JobKind::kMarketing : JobKind::kTransactional;
      if (f.contains("ref")) j.client_ref = f["ref"];
      EXPECT_EQ(HexEncode(EncodeJob(j)), v["entry"]["job_hex"]);
    }
  }
  EXPECT_GE(admitted, 6);
}

}  // namespace
}  // namespace sd
