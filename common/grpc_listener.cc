// gRPC listeners; see grpc_listener.h.
#include "common/grpc_listener.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/str_cat.h"
#include "absl/strings/match.h"

namespace ztgate {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot open ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<GrpcListenerConfig> ReadGrpcListenerConfig(YamlMap& map,
                                                          std::string default_socket) {
  GrpcListenerConfig config;
  config.unix_socket = std::move(default_socket);

  auto socket = map.String("unix_socket");
  if (!socket.ok()) return socket.status();
  if (*socket) config.unix_socket = **socket;

  auto mode = map.String("unix_socket_mode");
  if (!mode.ok()) return mode.status();
  if (*mode) {
    uint32_t bits = 0;
    const std::string& text = **mode;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bits, 8);
    if (error != std::errc() || end != text.data() + text.size() || bits > 0777) {
      return map.ErrorAt("unix_socket_mode", "expected octal permission bits such as 0660");
    }
    config.unix_socket_mode = static_cast<int>(bits);
  }

  struct Field {
    std::string_view key;
    std::string* target;
  };
  const Field fields[] = {{"tcp_address", &config.tcp_address},
                          {"tls_certificate", &config.tls_certificate_file},
                          {"tls_key", &config.tls_key_file},
                          {"tls_client_ca", &config.tls_client_ca_file}};
  for (const Field& field : fields) {
    auto value = map.String(field.key);
    if (!value.ok()) return value.status();
    if (*value) *field.target = **value;
  }
  if (!config.tcp_address.empty() &&
      (config.tls_certificate_file.empty() || config.tls_key_file.empty() ||
       config.tls_client_ca_file.empty())) {
    return map.ErrorAt("tcp_address",
                       "a TCP listener needs tls_certificate, tls_key and tls_client_ca "
                       "(mutual TLS is mandatory)");
  }
  if (absl::Status status = map.Finish(); !status.ok()) return status;
  return config;
}

absl::Status AddGrpcListeners(const GrpcListenerConfig& config, grpc::ServerBuilder& builder) {
  if (config.unix_socket.empty()) {
    return absl::InvalidArgumentError("the API needs a Unix socket path");
  }
  const std::filesystem::path socket(config.unix_socket);
  std::error_code error;
  if (socket.has_parent_path()) std::filesystem::create_directories(socket.parent_path(), error);
  if (error) {
    return absl::FailedPreconditionError(StrCat(
        "cannot create directory ", socket.parent_path().string(), ": ", error.message()));
  }
  std::filesystem::remove(socket, error);
  builder.AddListeningPort("unix:" + config.unix_socket, grpc::InsecureServerCredentials());

  if (config.tcp_address.empty()) return absl::OkStatus();
  auto certificate = ReadFileToString(config.tls_certificate_file);
  auto key = ReadFileToString(config.tls_key_file);
  auto ca = ReadFileToString(config.tls_client_ca_file);
  for (const auto* file : {&certificate, &key, &ca}) {
    if (!file->ok()) return file->status();
  }
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *ca;
  options.pem_key_cert_pairs.push_back({*key, *certificate});
  builder.AddListeningPort(config.tcp_address, grpc::SslServerCredentials(options));
  return absl::OkStatus();
}

absl::Status RestrictUnixSocket(const GrpcListenerConfig& config) {
  std::error_code error;
  std::filesystem::permissions(config.unix_socket,
                               static_cast<std::filesystem::perms>(config.unix_socket_mode),
                               error);
  if (error) {
    return absl::FailedPreconditionError(
        StrCat("cannot set permissions on ", config.unix_socket, ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const std::string& target, const std::string& certificate_file, const std::string& key_file,
    const std::string& ca_file) {
  if (absl::StartsWith(target, "unix:")) return grpc::InsecureChannelCredentials();
  if (certificate_file.empty() || key_file.empty() || ca_file.empty()) {
    return absl::InvalidArgumentError(StrCat(
        "TCP target ", target, " needs a client certificate, key and CA (mutual TLS)"));
  }
  auto certificate = ReadFileToString(certificate_file);
  auto key = ReadFileToString(key_file);
  auto ca = ReadFileToString(ca_file);
  for (const auto* file : {&certificate, &key, &ca}) {
    if (!file->ok()) return file->status();
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = *ca;
  options.pem_private_key = *key;
  options.pem_cert_chain = *certificate;
  return grpc::SslCredentials(options);
}

}  // namespace ztgate
