// Test certificates from the openssl command line; see test_pki.h.
#include "tests/resolver/transport/test_pki.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/str_cat.h"

namespace ztgate::resolver::transport::testing {
namespace {

// Certificates outlive any test run; validity in days.
constexpr int kValidityDays = 2;

absl::Status GenerateKey(const std::string& path) {
  return RunCommand(StrCat("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ",
                           path))
      .status();
}

absl::Status WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
  return out ? absl::OkStatus() : absl::InternalError(StrCat("writing ", path, " failed"));
}

absl::Status GenerateCa(const std::string& dir, std::string_view name, CertificateFiles& ca) {
  ca.key = StrCat(dir, "/", name, ".key");
  ca.certificate = StrCat(dir, "/", name, ".crt");
  if (absl::Status s = GenerateKey(ca.key); !s.ok()) return s;
  return RunCommand(StrCat("openssl req -x509 -new -key ", ca.key, " -out ", ca.certificate,
                           " -days ", kValidityDays, " -subj '/CN=", name,
                           "' -addext basicConstraints=critical,CA:TRUE"
                           " -addext keyUsage=critical,keyCertSign,cRLSign"))
      .status();
}

// Issues a leaf certificate signed by `ca`; `extensions` is the body of an
// OpenSSL extensions file (subjectAltName and so on), possibly empty.
absl::Status IssueLeaf(const std::string& dir, std::string_view name, std::string_view subject,
                       std::string_view extensions, const CertificateFiles& ca,
                       CertificateFiles& leaf) {
  leaf.key = StrCat(dir, "/", name, ".key");
  leaf.certificate = StrCat(dir, "/", name, ".crt");
  const std::string csr = StrCat(dir, "/", name, ".csr");
  const std::string ext_file = StrCat(dir, "/", name, ".ext");
  if (absl::Status s = GenerateKey(leaf.key); !s.ok()) return s;
  if (absl::Status s = WriteFile(ext_file, StrCat("basicConstraints=CA:FALSE\n", extensions));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RunCommand(StrCat("openssl req -new -key ", leaf.key, " -out ", csr,
                                         " -subj '", subject, "'"))
                           .status();
      !s.ok()) {
    return s;
  }
  return RunCommand(StrCat("openssl x509 -req -in ", csr, " -CA ", ca.certificate, " -CAkey ",
                           ca.key, " -CAcreateserial -out ", leaf.certificate, " -days ",
                           kValidityDays, " -extfile ", ext_file))
      .status();
}

}  // namespace

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "ztgate-transport-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::File(std::string_view name) const { return StrCat(path_, "/", name); }

absl::StatusOr<std::string> RunCommand(const std::string& command) {
  FILE* pipe = popen(StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(StrCat("cannot run: ", command));
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(
        StrCat("command failed (status ", status, "): ", command, "\n", output));
  }
  return output;
}

absl::StatusOr<TestPki> GenerateTestPki(const std::string& dir) {
  TestPki pki;
  CertificateFiles ca;
  CertificateFiles untrusted_ca;
  if (absl::Status s = GenerateCa(dir, "test-ca", ca); !s.ok()) return s;
  if (absl::Status s = GenerateCa(dir, "untrusted-ca", untrusted_ca); !s.ok()) return s;
  pki.ca_certificate = ca.certificate;

  constexpr char kServerExtensions[] =
      "subjectAltName=DNS:dot.lab,DNS:upstream.lab,IP:127.0.0.1\n"
      "extendedKeyUsage=serverAuth\n";
  if (absl::Status s = IssueLeaf(dir, "server", "/CN=dot.lab", kServerExtensions, ca, pki.server);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = IssueLeaf(dir, "server-reloaded", "/CN=dot-reloaded.lab",
                                 kServerExtensions, ca, pki.server_reloaded);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = IssueLeaf(dir, "client-spiffe", "/CN=ignored-cn",
                                 "subjectAltName=URI:spiffe://corp.lab/laptop-a\n"
                                 "extendedKeyUsage=clientAuth\n",
                                 ca, pki.client_spiffe);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = IssueLeaf(dir, "client-cn", "/CN=laptop-b",
                                 "extendedKeyUsage=clientAuth\n", ca, pki.client_cn);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = IssueLeaf(dir, "client-untrusted", "/CN=laptop-c",
                                 "extendedKeyUsage=clientAuth\n", untrusted_ca,
                                 pki.client_untrusted);
      !s.ok()) {
    return s;
  }
  return pki;
}

}  // namespace ztgate::resolver::transport::testing
