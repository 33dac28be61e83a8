// TLS building blocks of the DoT transport, over OpenSSL 3: RAII owners for
// OpenSSL handles, error-queue draining into absl::Status, SSL_CTX building
// for the client-facing server and for upstream connections, SPKI pin
// checking (RFC 7858 section 4.2) and client identity extraction for mTLS.
//
// Client identity precedence, first present wins:
//   1. the first URI subjectAltName (a SPIFFE ID such as spiffe://lab/laptop)
//   2. the first DNS subjectAltName
//   3. the first email (rfc822Name) subjectAltName
//   4. the subject's commonName
//   5. "sha256:" and the lowercase hex SHA-256 of the DER certificate
// The fingerprint is also always filled in, so policy may match on either.
#ifndef ZTGATE_RESOLVER_TRANSPORT_TLS_CONTEXT_H_
#define ZTGATE_RESOLVER_TRANSPORT_TLS_CONTEXT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "resolver/resolver_config.h"

namespace ztgate::resolver::transport {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct SslSessionDeleter {
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionDeleter>;

// Empties this thread's OpenSSL error queue into one line, "" if empty.
std::string DrainOpenSslErrors();

// An error whose message is `what` followed by the drained OpenSSL errors.
absl::Status OpenSslError(absl::StatusCode code, std::string_view what);

// Builds the SSL_CTX of the client-facing DoT server: TLS 1.2 and 1.3,
// forward-secret ciphers only, server-side session cache and session
// tickets, and client certificate verification when client_ca_file is set.
// `alpn`, when not null, is the server's ALPN protocol list in wire format
// (RFC 7301), most preferred first; it must outlive the context. A client
// that offers none of them still connects, without ALPN.
// `ticket_keys_from`, when not null, donates its session ticket keys so
// tickets issued before a reload still resume.
absl::StatusOr<SslCtxPtr> BuildServerContext(const ServerTlsConfig& config,
                                             const std::string_view* alpn = nullptr,
                                             SSL_CTX* ticket_keys_from = nullptr);

// Builds the SSL_CTX for connections to one upstream. With tls_name the
// chain is verified against ca_file (or the system store when empty); the
// host name itself is set per connection by PrepareUpstreamSsl().
absl::StatusOr<SslCtxPtr> BuildUpstreamContext(const UpstreamConfig& upstream);

// Sets SNI and the expected host name on a new upstream SSL object.
absl::Status PrepareUpstreamSsl(SSL* ssl, const UpstreamConfig& upstream);

// Base64 of the SHA-256 of the certificate's DER SubjectPublicKeyInfo.
std::string SpkiSha256Base64(X509* cert);

// OK when the peer's SPKI digest is one of `pins` (or `pins` is empty);
// PERMISSION_DENIED naming the digest otherwise.
absl::Status CheckSpkiPins(SSL* ssl, const std::vector<std::string>& pins);

enum class IdentityKind { kNone, kUri, kDns, kEmail, kCommonName, kFingerprint };
std::string_view IdentityKindName(IdentityKind kind);

// The identity of a verified client certificate.
struct ClientIdentity {
  IdentityKind kind = IdentityKind::kNone;
  std::string name;         // By the precedence above; empty without a certificate.
  std::string fingerprint;  // "sha256:<hex>"; empty without a certificate.
};

ClientIdentity ExtractIdentity(X509* cert);

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_TLS_CONTEXT_H_
