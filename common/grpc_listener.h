// Where a ztgate daemon serves its gRPC API: always a Unix socket, whose file
// permissions decide who may call, and optionally TCP with mutual TLS. There
// is no plaintext or server-only TLS TCP listener: a remote caller must
// present a client certificate signed by the configured CA.
#ifndef ZTGATE_COMMON_GRPC_LISTENER_H_
#define ZTGATE_COMMON_GRPC_LISTENER_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/yaml_reader.h"

namespace ztgate {

struct GrpcListenerConfig {
  std::string unix_socket;
  // Permission bits of the socket file; 0660 lets the owner and group call.
  int unix_socket_mode = 0660;
  // "host:port" for the mTLS listener; empty disables it.
  std::string tcp_address;
  std::string tls_certificate_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

// Reads an `api:` section: unix_socket, unix_socket_mode (octal text),
// tcp_address, tls_certificate, tls_key, tls_client_ca.
absl::StatusOr<GrpcListenerConfig> ReadGrpcListenerConfig(YamlMap& map,
                                                          std::string default_socket);

// Adds the configured listening ports to `builder`. Creates the socket's
// directory and removes a stale socket file left by an earlier run.
absl::Status AddGrpcListeners(const GrpcListenerConfig& config, grpc::ServerBuilder& builder);

// Applies unix_socket_mode once the server has created the socket.
absl::Status RestrictUnixSocket(const GrpcListenerConfig& config);

// Client credentials for a target: insecure for "unix:" targets, mTLS for
// TCP with the given files.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const std::string& target, const std::string& certificate_file, const std::string& key_file,
    const std::string& ca_file);

// Reads a whole file, for certificates and keys.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace ztgate

#endif  // ZTGATE_COMMON_GRPC_LISTENER_H_
