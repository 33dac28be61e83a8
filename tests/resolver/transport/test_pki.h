// Certificates generated at test run time with the openssl command line:
// a test CA, ECDSA P-256 server certificates, mTLS client certificates and
// a client certificate from an untrusted CA. Nothing is committed; every
// file lives in the test's temporary directory.
#ifndef ZTGATE_TESTS_RESOLVER_TRANSPORT_TEST_PKI_H_
#define ZTGATE_TESTS_RESOLVER_TRANSPORT_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace ztgate::resolver::transport::testing {

// A temporary directory removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

struct CertificateFiles {
  std::string certificate;
  std::string key;
};

struct TestPki {
  std::string ca_certificate;
  // CN dot.lab; SAN DNS dot.lab, DNS upstream.lab, IP 127.0.0.1.
  CertificateFiles server;
  // Another key and certificate for the same names (CN dot-reloaded.lab).
  CertificateFiles server_reloaded;
  // SAN URI spiffe://corp.lab/laptop-a, CN ignored-cn.
  CertificateFiles client_spiffe;
  // CN laptop-b only, no SAN.
  CertificateFiles client_cn;
  // CN laptop-c, issued by a CA the server does not trust.
  CertificateFiles client_untrusted;
};

// Generates every file of TestPki in `dir`.
absl::StatusOr<TestPki> GenerateTestPki(const std::string& dir);

// Runs a shell command; the error carries its exit status and output.
absl::StatusOr<std::string> RunCommand(const std::string& command);

}  // namespace ztgate::resolver::transport::testing

#endif  // ZTGATE_TESTS_RESOLVER_TRANSPORT_TEST_PKI_H_
