// [[carrier]] protocol = "http": presets filled in, overrides, and every problem reported at
// the line of the key that causes it (docs/http.md).
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

class HttpConfigTest : public ::testing::Test {
 protected:
  HttpConfigTest() { EXPECT_TRUE(WriteTextFile(dir_.File("rest.secret"), "s3cret\n", 0600)); }

  // Lines 1-2 [keys]; the carrier starts at line 3.
  std::variant<Config, ConfigError> Load(const std::string& carrier) {
    const std::string path = dir_.File("c.toml");
    EXPECT_TRUE(WriteTextFile(path, "[keys]\nfile = \"k.toml\"\n" + carrier, 0644));
    return LoadConfig(path);
  }
  std::string ErrorOf(const std::string& carrier) {
    auto r = Load(carrier);
    if (auto* e = std::get_if<ConfigError>(&r)) return e->ToString();
    return "";
  }
  std::string At(int line, int column, const std::string& what) const {
    return dir_.File("c.toml") + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
           what;
  }

  static constexpr const char* kForm =
      "[[carrier]]\n"                                   // 3
      "name = \"rest\"\n"                               // 4
      "protocol = \"http\"\n"                           // 5
      "preset = \"messages-form\"\n"                    // 6
      "url = \"https://api.example.net/Messages.json\"\n"  // 7
      "username = \"AC1\"\n"                            // 8
      "secret_file = \"rest.secret\"\n";                // 9

  TempDir dir_{"sd-http-config"};
};

TEST_F(HttpConfigTest, APresetNeedsOnlyUrlAndCredentials) {
  auto r = Load(kForm);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const CarrierConfig& cc = std::get<Config>(r).carriers.at(0);
  EXPECT_EQ(cc.protocol, "http");
  const http::HttpCarrierOptions& o = cc.http;
  EXPECT_EQ(o.name, "rest");
  EXPECT_EQ(o.request.url, "https://api.example.net/Messages.json");
  EXPECT_EQ(o.request.auth, http::AuthScheme::kBasic);
  EXPECT_EQ(o.request.username, "AC1");
  EXPECT_EQ(o.request.secret, "s3cret");
  EXPECT_EQ(o.request.body_format, http::BodyFormat::kForm);
  ASSERT_EQ(o.request.fields.size(), 4u);
  EXPECT_EQ(o.request.fields[0].name, "To");
  EXPECT_EQ(o.response.id_pointer, "/sid");
  EXPECT_EQ(o.window, 64u);
  EXPECT_EQ(cc.max_unsettled, 64);
  EXPECT_EQ(o.client.max_host_connections, 8);
  EXPECT_TRUE(o.client.http2);
}

TEST_F(HttpConfigTest, OwnKeysOverrideThePreset) {
  auto r = Load(std::string(kForm) +
                "window = 8\ntps = 50\nidempotency_header = \"Idempotency-Key\"\n"
                "callback_url = \"https://gw.example.org/v1/receipts/rest\"\n"
                "[carrier.fields]\nStatusCallback = \"\"\nMessagingServiceSid = \"MG1\"\n"
                "[carrier.headers]\nX-Account = \"a-1\"\n"
                "[carrier.response]\nerror_code_pointer = \"/error/code\"\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const http::HttpCarrierOptions& o = std::get<Config>(r).carriers.at(0).http;
  EXPECT_EQ(o.window, 8u);
  EXPECT_DOUBLE_EQ(o.rate.tps, 50);
  EXPECT_EQ(o.request.idempotency_header, "Idempotency-Key");
  std::vector<std::string> names;
  for (const auto& f : o.request.fields) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"To", "From", "Body", "MessagingServiceSid"}));
  ASSERT_EQ(o.request.headers.size(), 1u);
  EXPECT_EQ(o.request.headers[0].second, "a-1");
  EXPECT_EQ(o.response.error_code_pointer, "/error/code");
  EXPECT_EQ(o.response.id_pointer, "/sid") << "kept from the preset";
}

TEST_F(HttpConfigTest, PlainHttpOnlyToLoopback) {
  std::string c = kForm;
  c.replace(c.find("https://api.example.net"), 23, "http://api.example.net");
  EXPECT_EQ(ErrorOf(c), At(7, 7, "carrier.url must be https:// (plain http:// only to 127.0.0.1, "
                                 "localhost or [::1]): TLS on every hop that leaves the host"));
  c = kForm;
  c.replace(c.find("https://api.example.net"), 23, "http://127.0.0.1:8080");
  EXPECT_EQ(ErrorOf(c), "");
  c = kForm;
  c.replace(c.find("https://api.example.net"), 23, "http://127.0.0.1.evil.example");
  EXPECT_NE(ErrorOf(c), "");
}

TEST_F(HttpConfigTest, ProblemsNameTheirLine) {
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[carrier.fields]\nBody = \"{txt}\"\n"),
            At(10, 1, "carrier 'rest': field \"Body\": unknown placeholder {txt}"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "system_id = \"x\"\n"),
            At(10, 1, "unknown key 'system_id' in [carrier]"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[carrier.response]\nid_pointer = \"sid\"\n"),
            At(11, 14, "carrier.response.id_pointer must be a JSON pointer (RFC 6901), starting "
                       "with '/'"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[carrier.tls]\nca_file = \"missing.pem\"\n"),
            At(11, 11, "carrier.tls.ca_file: " + dir_.File("missing.pem") +
                           " is not a readable file"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "secret = \"inline\"\n"),
            At(10, 10, "carrier.secret is not allowed inline; use secret_file or secret_env"));
}

TEST_F(HttpConfigTest, CredentialsAreRequiredWhereTheSchemeNeedsThem) {
  std::string c = kForm;
  c.erase(c.find("username"), std::string("username = \"AC1\"\n").size());
  EXPECT_EQ(ErrorOf(c), At(3, 1, "carrier 'rest': auth = \"basic\" needs username"));
  c = kForm;
  c.replace(c.find("secret_file = \"rest.secret\""), 27, "secret_env = \"SD_UNSET_SECRET_X\"");
  EXPECT_EQ(ErrorOf(c), At(9, 14, "carrier.secret_env: environment variable SD_UNSET_SECRET_X is "
                                  "not set or empty"));
  EXPECT_EQ(ErrorOf("[[carrier]]\nname = \"c\"\nprotocol = \"http\"\n"
                    "url = \"https://x.example/sms\"\n[carrier.response]\nid_pointer = \"/id\"\n"),
            At(3, 1, "carrier 'c': no body fields (set preset or [carrier.fields])"));
}

TEST_F(HttpConfigTest, ACustomCarrierIsConfiguredFieldByField) {
  auto r = Load(
      "[[carrier]]\nname = \"c\"\nprotocol = \"http\"\nurl = \"https://x.example/sms\"\n"
      "body = \"json\"\nauth = \"bearer\"\nsecret_file = \"rest.secret\"\n"
      "[carrier.fields]\nto = \"{to}\"\nmessage = \"{text}\"\n"
      "[carrier.response]\nid_pointer = \"/id\"\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const http::HttpCarrierOptions& o = std::get<Config>(r).carriers.at(0).http;
  EXPECT_EQ(o.request.body_format, http::BodyFormat::kJson);
  EXPECT_EQ(o.request.auth, http::AuthScheme::kBearer);
  EXPECT_EQ(o.request.fields.size(), 2u);
}

TEST_F(HttpConfigTest, WebhooksTakeThePresetsSchemeAndShapeAndNeedAListener) {
  ASSERT_TRUE(WriteTextFile(dir_.File("hook.secret"), "hook-secret\n", 0600));
  const std::string webhook = std::string(kForm) +
                              "callback_url = \"https://gw.example.org/v1/receipts/rest\"\n"  // 10
                              "[carrier.webhook]\n"                                           // 11
                              "secret_files = [\"hook.secret\"]\n"                           // 12
                              "allow_ips = [\"203.0.113.0/24\"]\n";                          // 13
  EXPECT_EQ(ErrorOf(webhook), At(11, 1, "carrier 'rest' has [carrier.webhook] but there is no "
                                        "[listener] to receive it on"));
  auto r = Load(webhook + "[listener]\nlisten = \"127.0.0.1:8443\"\nplain = true\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  EXPECT_TRUE(c.listener.enabled);
  EXPECT_EQ(c.listener.server.port, 8443);
  const CarrierConfig& cc = c.carriers.at(0);
  ASSERT_TRUE(cc.webhook);
  EXPECT_EQ(cc.webhook_config.auth.scheme, http::WebhookScheme::kFormHmacSha1);
  EXPECT_EQ(cc.webhook_config.auth.header, "x-twilio-signature");
  EXPECT_EQ(cc.webhook_config.auth.signed_url, "https://gw.example.org/v1/receipts/rest");
  EXPECT_EQ(cc.webhook_config.auth.secrets, std::vector<std::string>{"hook-secret"});
  EXPECT_EQ(cc.webhook_config.allow_ips.size(), 1u);
  EXPECT_EQ(cc.webhook_config.shape.id_field, "MessageSid");
  // Replies: the preset's form fields, posted to the signed URL's /v1/inbound/ twin.
  EXPECT_TRUE(cc.webhook_config.inbound.enabled());
  EXPECT_EQ(cc.webhook_config.inbound.text_field, "Body");
  EXPECT_EQ(cc.webhook_config.inbound_url, "https://gw.example.org/v1/inbound/rest");
  const std::string listener = "[listener]\nlisten = \"127.0.0.1:8443\"\nplain = true\n";
  auto own = Load(webhook +
                  "[carrier.inbound]\nformat = \"json\"\nfrom_field = \"/from\"\n"
                  "url = \"https://gw.example.org/replies/rest\"\n" +
                  listener);
  ASSERT_TRUE(std::holds_alternative<Config>(own)) << std::get<ConfigError>(own).ToString();
  const auto& in = std::get<Config>(own).carriers.at(0).webhook_config;
  EXPECT_EQ(in.inbound.format, http::BodyFormat::kJson);
  EXPECT_EQ(in.inbound.from_field, "/from");
  EXPECT_EQ(in.inbound.to_field, "To") << "the preset's, where not overridden";
  EXPECT_EQ(in.inbound_url, "https://gw.example.org/replies/rest");
  auto off = Load(webhook + "[carrier.inbound]\nenabled = false\n" + listener);
  ASSERT_TRUE(std::holds_alternative<Config>(off)) << std::get<ConfigError>(off).ToString();
  EXPECT_FALSE(std::get<Config>(off).carriers.at(0).webhook_config.inbound.enabled());
  EXPECT_NE(
      ErrorOf(webhook + "[carrier.inbound]\nbody_field = \"x\"\n" + listener).find("body_field"),
      std::string::npos);
}

TEST_F(HttpConfigTest, ListenerAndWebhookProblemsNameTheirLine) {
  ASSERT_TRUE(WriteTextFile(dir_.File("hook.secret"), "not-base64!\n", 0600));
  const std::string listener = "[listener]\nlisten = \"127.0.0.1:8443\"\nplain = true\n";
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[carrier.webhook]\nscheme = \"standard-webhooks\"\n"
                    "secret_files = [\"hook.secret\"]\n" + listener),
            At(12, 16, "carrier.webhook.secret_files: hook.secret does not hold a whsec_<base64> "
                       "secret (Standard Webhooks)"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[carrier.webhook]\nsecret_files = [\"hook.secret\"]\n"
                    "allow_ips = [\"10.0.0.0/33\"]\nurl = \"https://x.example/r\"\n" + listener),
            At(12, 13, "carrier.webhook.allow_ips: '10.0.0.0/33' is not an IPv4 or IPv6 address "
                       "or range"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[listener]\nlisten = \"0.0.0.0:8443\"\nplain = true\n"),
            At(12, 9, "listener.plain = true is allowed only on a loopback address (127.0.0.0/8 "
                      "or ::1): TLS on every hop that leaves the host"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[listener]\nlisten = \"0.0.0.0:8443\"\n"),
            At(10, 1, "[listener] needs tls_cert_file and tls_key_file (or plain = true on "
                      "loopback)"));
  EXPECT_EQ(ErrorOf(std::string(kForm) + "[listener]\nlisten = \"localhost\"\nplain = true\n"),
            At(11, 10, "listener.listen must be \"address:port\" (IPv6 as \"[::1]:8443\")"));
}

}  // namespace
}  // namespace sd
