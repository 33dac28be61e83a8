// TLS context building, SPKI pins and client identities; see tls_context.h.
#include "resolver/transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <array>

#include "common/str_cat.h"

namespace ztgate::resolver::transport {
namespace {

// TLS 1.2 suites with ECDHE only, so every session has forward secrecy. TLS
// 1.3 suites are OpenSSL's defaults, which all have it.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.3 suites in server preference order. AES-128-GCM first: as strong
// as the others for this use, and its SHA-256 key schedule and record
// cipher cost less CPU than AES-256-GCM with SHA-384.
constexpr char kTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr char kGroups[] = "X25519:P-256:P-384";
// Server session cache: entries and lifetime in seconds. A cached session
// costs about 1 KiB, so the cache stays near 20 MiB at its maximum.
constexpr long kSessionCacheSize = 20480;
constexpr long kSessionTimeoutSeconds = 7200;
// Bound on the client certificate chain: leaf, intermediates, root.
constexpr int kMaxVerifyDepth = 4;
// OpenSSL 3 keeps the session ticket keys in an 80-byte block: name, HMAC
// key and AES key.
constexpr size_t kTicketKeyBytes = 80;
constexpr unsigned char kSessionIdContext[] = "ztgate-dot";

std::string HexLower(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

absl::Status ApplyCommonSettings(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "setting the minimum TLS version failed");
  }
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "setting the TLS 1.2 ciphers failed");
  }
  if (SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "setting the TLS 1.3 cipher suites failed");
  }
  if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "setting the key exchange groups failed");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // NOTE: SSL_MODE_RELEASE_BUFFERS is left off. It would save about 34 KiB
  // per idle connection, but it frees and allocates both buffers on every
  // record, which costs throughput with pipelined queries.
  return absl::OkStatus();
}

absl::Status LoadServerCertificate(SSL_CTX* ctx, const ServerTlsConfig& config) {
  if (SSL_CTX_use_certificate_chain_file(ctx, config.certificate_file.c_str()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        StrCat("loading certificate ", config.certificate_file, " failed"));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        StrCat("loading key ", config.key_file, " failed"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        StrCat("key ", config.key_file, " does not match certificate ",
                               config.certificate_file));
  }
  return absl::OkStatus();
}

absl::Status ConfigureClientVerification(SSL_CTX* ctx, const ServerTlsConfig& config) {
  if (config.client_ca_file.empty()) return absl::OkStatus();
  if (SSL_CTX_load_verify_locations(ctx, config.client_ca_file.c_str(), nullptr) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        StrCat("loading client CA ", config.client_ca_file, " failed"));
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
  if (names == nullptr) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        StrCat("reading CA names from ", config.client_ca_file, " failed"));
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  // A client that presents a certificate must present a valid one, even
  // when certificates are optional: an invalid one fails the handshake.
  int mode = SSL_VERIFY_PEER;
  if (config.require_client_certificate) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  SSL_CTX_set_verify_depth(ctx, kMaxVerifyDepth);
  return absl::OkStatus();
}

// Picks the first protocol of the server's list (`arg`) that the client
// offers. Without a match the handshake goes on without ALPN, so a DoT
// client that sends an unexpected list is not cut off.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length,
               const unsigned char* offered, unsigned int offered_length, void* arg) {
  const auto* server_list = static_cast<const std::string_view*>(arg);
  unsigned char* selected = nullptr;
  const int result = SSL_select_next_proto(
      &selected, out_length, reinterpret_cast<const unsigned char*>(server_list->data()),
      static_cast<unsigned int>(server_list->size()), offered, offered_length);
  if (result != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

void ConfigureSessionResumption(SSL_CTX* ctx, SSL_CTX* ticket_keys_from) {
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, kSessionCacheSize);
  SSL_CTX_set_timeout(ctx, kSessionTimeoutSeconds);
  // Required for resumption whenever client certificates are requested.
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  if (ticket_keys_from == nullptr) return;
  std::array<unsigned char, kTicketKeyBytes> keys;
  if (SSL_CTX_get_tlsext_ticket_keys(ticket_keys_from, keys.data(), keys.size()) == 1) {
    SSL_CTX_set_tlsext_ticket_keys(ctx, keys.data(), keys.size());
  }
  OPENSSL_cleanse(keys.data(), keys.size());
}

// Appends the first general name of `type` in the certificate's SAN.
bool FirstSubjectAltName(X509* cert, int type, std::string& out) {
  GENERAL_NAMES* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return false;
  bool found = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != type) continue;
    // URI, DNS and email names are all IA5Strings.
    const ASN1_IA5STRING* text = name->d.ia5;
    out.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
               static_cast<size_t>(ASN1_STRING_length(text)));
    found = !out.empty();
  }
  GENERAL_NAMES_free(names);
  return found;
}

bool SubjectCommonName(X509* cert, std::string& out) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return false;
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length <= 0) return false;
  out.assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return !out.empty();
}

}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  char buffer[256];
  while (unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out;
}

absl::Status OpenSslError(absl::StatusCode code, std::string_view what) {
  const std::string details = DrainOpenSslErrors();
  if (details.empty()) return absl::Status(code, ToAbsl(what));
  return absl::Status(code, StrCat(what, ": ", details));
}

absl::StatusOr<SslCtxPtr> BuildServerContext(const ServerTlsConfig& config,
                                             const std::string_view* alpn,
                                             SSL_CTX* ticket_keys_from) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "creating the server TLS context failed");
  }
  if (absl::Status s = ApplyCommonSettings(ctx.get()); !s.ok()) return s;
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The certificate file carries the whole chain. Without this flag OpenSSL
  // rebuilds the chain from the verify store on every handshake, which
  // costs a measurable share of a full handshake.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_NO_AUTO_CHAIN);
  // One TLS 1.3 ticket per handshake instead of OpenSSL's default two: a
  // DoT client keeps its connection and needs one ticket to resume it.
  SSL_CTX_set_num_tickets(ctx.get(), 1);
  if (absl::Status s = LoadServerCertificate(ctx.get(), config); !s.ok()) return s;
  if (absl::Status s = ConfigureClientVerification(ctx.get(), config); !s.ok()) return s;
  ConfigureSessionResumption(ctx.get(), ticket_keys_from);
  if (alpn != nullptr) {
    SSL_CTX_set_alpn_select_cb(ctx.get(), SelectAlpn, const_cast<std::string_view*>(alpn));
  }
  return ctx;
}

absl::StatusOr<SslCtxPtr> BuildUpstreamContext(const UpstreamConfig& upstream) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) {
    return OpenSslError(absl::StatusCode::kInternal, "creating the upstream TLS context failed");
  }
  if (absl::Status s = ApplyCommonSettings(ctx.get()); !s.ok()) return s;
  if (upstream.tls_name.empty()) {
    // Authenticated by SPKI pin only (RFC 7858 section 4.2): the chain is
    // not checked, CheckSpkiPins() runs after the handshake instead.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  const int loaded =
      upstream.ca_file.empty()
          ? SSL_CTX_set_default_verify_paths(ctx.get())
          : SSL_CTX_load_verify_locations(ctx.get(), upstream.ca_file.c_str(), nullptr);
  if (loaded != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        StrCat("loading CA bundle \"", upstream.ca_file, "\" for upstream ",
                               upstream.endpoint.ToString(), " failed"));
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

absl::Status PrepareUpstreamSsl(SSL* ssl, const UpstreamConfig& upstream) {
  if (upstream.tls_name.empty()) return absl::OkStatus();
  if (SSL_set_tlsext_host_name(ssl, upstream.tls_name.c_str()) != 1 ||
      SSL_set1_host(ssl, upstream.tls_name.c_str()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        StrCat("setting TLS name \"", upstream.tls_name, "\" failed"));
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return absl::OkStatus();
}

std::string SpkiSha256Base64(X509* cert) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
  if (length <= 0) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  const bool hashed =
      EVP_Digest(der, static_cast<size_t>(length), digest, &digest_length, EVP_sha256(),
                 nullptr) == 1;
  OPENSSL_free(der);
  if (!hashed) return "";
  // Base64 of 32 bytes is 44 characters plus the terminator.
  unsigned char encoded[64];
  const int encoded_length = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_length));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(encoded_length));
}

absl::Status CheckSpkiPins(SSL* ssl, const std::vector<std::string>& pins) {
  if (pins.empty()) return absl::OkStatus();
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return absl::PermissionDeniedError("upstream sent no certificate");
  const std::string spki = SpkiSha256Base64(cert);
  for (const std::string& pin : pins) {
    if (pin == spki) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      StrCat("upstream SPKI sha256 ", spki, " matches none of the configured spki_pins"));
}

std::string_view IdentityKindName(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::kNone: return "none";
    case IdentityKind::kUri: return "uri";
    case IdentityKind::kDns: return "dns";
    case IdentityKind::kEmail: return "email";
    case IdentityKind::kCommonName: return "cn";
    case IdentityKind::kFingerprint: return "fingerprint";
  }
  return "unknown";
}

ClientIdentity ExtractIdentity(X509* cert) {
  ClientIdentity identity;
  if (cert == nullptr) return identity;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &digest_length) == 1) {
    identity.fingerprint = StrCat("sha256:", HexLower(digest, digest_length));
  }
  if (FirstSubjectAltName(cert, GEN_URI, identity.name)) {
    identity.kind = IdentityKind::kUri;
  } else if (FirstSubjectAltName(cert, GEN_DNS, identity.name)) {
    identity.kind = IdentityKind::kDns;
  } else if (FirstSubjectAltName(cert, GEN_EMAIL, identity.name)) {
    identity.kind = IdentityKind::kEmail;
  } else if (SubjectCommonName(cert, identity.name)) {
    identity.kind = IdentityKind::kCommonName;
  } else {
    identity.kind = IdentityKind::kFingerprint;
    identity.name = identity.fingerprint;
  }
  return identity;
}

}  // namespace ztgate::resolver::transport
