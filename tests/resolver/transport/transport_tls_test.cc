// Tests of the TLS building blocks and small transport pieces: client
// identity precedence, SPKI pins against the openssl command line, context
// errors, connection admission thresholds and the SERVFAIL builder.
#include <openssl/pem.h>

#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/strip.h"
#include "common/str_cat.h"
#include "resolver/transport/connection_limiter.h"
#include "resolver/transport/forwarding_handler.h"
#include "resolver/transport/tls_context.h"
#include "tests/resolver/transport/test_dns.h"
#include "tests/resolver/transport/test_pki.h"

namespace ztgate::resolver::transport {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;
using testing::TestPki;

X509Ptr LoadCertificate(const std::string& path) {
  FILE* file = fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509Ptr cert(PEM_read_X509(file, nullptr, nullptr, nullptr));
  fclose(file);
  return cert;
}

class TlsContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    absl::StatusOr<TestPki> pki = testing::GenerateTestPki(dir_->path());
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new TestPki(*pki);
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }

  static TempDir* dir_;
  static TestPki* pki_;
};

TempDir* TlsContextTest::dir_ = nullptr;
TestPki* TlsContextTest::pki_ = nullptr;

TEST_F(TlsContextTest, IdentityPrefersUriSan) {
  X509Ptr cert = LoadCertificate(pki_->client_spiffe.certificate);
  ASSERT_NE(cert, nullptr);
  const ClientIdentity identity = ExtractIdentity(cert.get());
  EXPECT_EQ(identity.kind, IdentityKind::kUri);
  EXPECT_EQ(identity.name, "spiffe://corp.lab/laptop-a");
  EXPECT_THAT(identity.fingerprint, StartsWith("sha256:"));
  EXPECT_EQ(identity.fingerprint.size(), 7u + 64u);
}

TEST_F(TlsContextTest, IdentityFallsBackToCommonName) {
  X509Ptr cert = LoadCertificate(pki_->client_cn.certificate);
  ASSERT_NE(cert, nullptr);
  const ClientIdentity identity = ExtractIdentity(cert.get());
  EXPECT_EQ(identity.kind, IdentityKind::kCommonName);
  EXPECT_EQ(identity.name, "laptop-b");
}

TEST_F(TlsContextTest, IdentityUsesDnsSanBeforeCommonName) {
  X509Ptr cert = LoadCertificate(pki_->server.certificate);
  ASSERT_NE(cert, nullptr);
  const ClientIdentity identity = ExtractIdentity(cert.get());
  EXPECT_EQ(identity.kind, IdentityKind::kDns);
  EXPECT_EQ(identity.name, "dot.lab");
}

TEST_F(TlsContextTest, FingerprintMatchesOpensslCli) {
  X509Ptr cert = LoadCertificate(pki_->client_cn.certificate);
  ASSERT_NE(cert, nullptr);
  absl::StatusOr<std::string> cli = testing::RunCommand(
      StrCat("openssl x509 -in ", pki_->client_cn.certificate, " -noout -fingerprint -sha256"));
  ASSERT_TRUE(cli.ok()) << cli.status();
  // "sha256 Fingerprint=AB:CD:...": strip the label, colons and case.
  std::string hex = cli->substr(cli->find('=') + 1);
  std::string expected = "sha256:";
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c))) expected.push_back(static_cast<char>(std::tolower(c)));
  }
  EXPECT_EQ(ExtractIdentity(cert.get()).fingerprint, expected);
}

TEST_F(TlsContextTest, SpkiPinMatchesOpensslCli) {
  X509Ptr cert = LoadCertificate(pki_->server.certificate);
  ASSERT_NE(cert, nullptr);
  // The RFC 7858 pin recipe: DER SPKI, SHA-256, base64.
  absl::StatusOr<std::string> cli = testing::RunCommand(
      StrCat("openssl x509 -in ", pki_->server.certificate,
             " -noout -pubkey | openssl pkey -pubin -outform der"
             " | openssl dgst -sha256 -binary | openssl base64 -A"));
  ASSERT_TRUE(cli.ok()) << cli.status();
  EXPECT_EQ(SpkiSha256Base64(cert.get()), *cli);
}

TEST_F(TlsContextTest, ServerContextBuildsWithMtls) {
  ServerTlsConfig config{pki_->server.certificate, pki_->server.key, pki_->ca_certificate, true};
  absl::StatusOr<SslCtxPtr> ctx = BuildServerContext(config);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx->get()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->get()), TLS1_2_VERSION);
}

TEST_F(TlsContextTest, MissingCertificateNamesFile) {
  ServerTlsConfig config{dir_->File("missing.crt"), pki_->server.key, "", false};
  absl::StatusOr<SslCtxPtr> ctx = BuildServerContext(config);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ctx.status().message(), HasSubstr("missing.crt"));
  // The OpenSSL reason is part of the message, and the queue is empty.
  EXPECT_THAT(ctx.status().message(), HasSubstr("No such file"));
  EXPECT_EQ(DrainOpenSslErrors(), "");
}

TEST_F(TlsContextTest, MismatchedKeyIsRejected) {
  ServerTlsConfig config{pki_->server.certificate, pki_->server_reloaded.key, "", false};
  absl::StatusOr<SslCtxPtr> ctx = BuildServerContext(config);
  ASSERT_FALSE(ctx.ok());
  // OpenSSL checks the pair when it loads the key and names the mismatch.
  EXPECT_THAT(std::string(ctx.status().message()), HasSubstr("loading key"));
  EXPECT_THAT(std::string(ctx.status().message()), HasSubstr("mismatch"));
}

TEST_F(TlsContextTest, UpstreamContextNeedsReadableCaFile) {
  UpstreamConfig upstream;
  upstream.endpoint = *ParseEndpoint("127.0.0.1:853");
  upstream.tls_name = "upstream.lab";
  upstream.ca_file = dir_->File("missing-ca.crt");
  absl::StatusOr<SslCtxPtr> ctx = BuildUpstreamContext(upstream);
  ASSERT_FALSE(ctx.ok());
  EXPECT_THAT(ctx.status().message(), HasSubstr("missing-ca.crt"));
  EXPECT_THAT(ctx.status().message(), HasSubstr("127.0.0.1:853"));
}

TEST(ConnectionLimiterTest, PerClientLimitBothSides) {
  ConnectionLimiter limiter(/*max_total=*/10, /*max_per_client=*/2);
  const IpAddress a = *IpAddress::Parse("198.18.0.1");
  const IpAddress b = *IpAddress::Parse("2001:db8::1");
  EXPECT_EQ(limiter.TryAdmit(a), ConnectionLimiter::Admission::kAdmitted);
  EXPECT_EQ(limiter.TryAdmit(a), ConnectionLimiter::Admission::kAdmitted);
  EXPECT_EQ(limiter.TryAdmit(a), ConnectionLimiter::Admission::kClientLimit);
  EXPECT_EQ(limiter.TryAdmit(b), ConnectionLimiter::Admission::kAdmitted);
  limiter.Release(a);
  EXPECT_EQ(limiter.CountFor(a), 1u);
  EXPECT_EQ(limiter.TryAdmit(a), ConnectionLimiter::Admission::kAdmitted);
  EXPECT_EQ(limiter.total(), 3u);
}

TEST(ConnectionLimiterTest, TotalLimitBothSides) {
  ConnectionLimiter limiter(/*max_total=*/2, /*max_per_client=*/5);
  EXPECT_EQ(limiter.TryAdmit(*IpAddress::Parse("198.18.0.1")),
            ConnectionLimiter::Admission::kAdmitted);
  EXPECT_EQ(limiter.TryAdmit(*IpAddress::Parse("198.18.0.2")),
            ConnectionLimiter::Admission::kAdmitted);
  EXPECT_EQ(limiter.TryAdmit(*IpAddress::Parse("198.18.0.3")),
            ConnectionLimiter::Admission::kTotalLimit);
  limiter.Release(*IpAddress::Parse("198.18.0.2"));
  EXPECT_EQ(limiter.TryAdmit(*IpAddress::Parse("198.18.0.3")),
            ConnectionLimiter::Admission::kAdmitted);
  // Releasing an address without connections changes nothing.
  limiter.Release(*IpAddress::Parse("198.18.0.9"));
  EXPECT_EQ(limiter.total(), 2u);
}

TEST(BuildServfailTest, CarriesEdeWhenQueryHasOpt) {
  const std::string query = testing::BuildQuery(0x1234, "host1.corp.lab", testing::kTypeA);
  const std::string response = BuildServfail(query, 22);
  std::optional<testing::ParsedResponse> parsed = testing::ParseResponse(response);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, 0x1234);
  EXPECT_EQ(parsed->rcode, 2);
  EXPECT_EQ(parsed->question_type, testing::kTypeA);
  EXPECT_EQ(parsed->extended_error, 22);
  EXPECT_EQ(static_cast<uint8_t>(response[2]) & 0x80, 0x80);  // QR.
  EXPECT_EQ(static_cast<uint8_t>(response[2]) & 0x01, 0x01);  // RD copied.
}

TEST(BuildServfailTest, NoOptWithoutEdns) {
  std::string query = testing::BuildQuery(7, "host1.corp.lab", testing::kTypeA);
  query.resize(query.size() - 11);  // Drop the OPT record.
  query[11] = 0;
  std::optional<testing::ParsedResponse> parsed =
      testing::ParseResponse(BuildServfail(query, 23));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->rcode, 2);
  EXPECT_FALSE(parsed->extended_error.has_value());
}

TEST(BuildServfailTest, UnreadableQuestionGivesNothing) {
  std::string query = testing::BuildQuery(7, "host1.corp.lab", testing::kTypeA);
  query.resize(14);
  EXPECT_EQ(BuildServfail(query, 23), "");
}

TEST(ExtendedErrorTest, TimeoutAndNetworkDiffer) {
  EXPECT_EQ(ExtendedErrorFor(absl::DeadlineExceededError("slow")), 22);
  EXPECT_EQ(ExtendedErrorFor(absl::UnavailableError("refused")), 23);
}

}  // namespace
}  // namespace ztgate::resolver::transport
