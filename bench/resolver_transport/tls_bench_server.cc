// ztgate's DoT or DoH server with the canned-answer handler, as a process
// for the macro benchmarks (dot_compare.sh, doh_compare.sh,
// handshake_bench.sh) to pin with taskset. Runs until SIGINT or SIGTERM,
// then prints its counters.
//
//   tls_bench_server --listen 127.0.0.1:8853 --cert server.crt --key server.key
//                    [--threads 1] [--protocol dot|doh] [--path /dns-query]
#include <csignal>
#include <cstdio>
#include <string>

#include <asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "bench/resolver_transport/canned_answer_handler.h"
#include "common/parse_number.h"
#include "resolver/transport/tls_server.h"

namespace ztgate::bench {
namespace {

int Run(int argc, char** argv) {
  resolver::transport::TlsServerOptions options;
  size_t threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--listen") {
      absl::StatusOr<resolver::Endpoint> endpoint = resolver::ParseEndpoint(value);
      if (!endpoint.ok()) {
        fprintf(stderr, "invalid --listen: %s\n", std::string(endpoint.status().message()).c_str());
        return 2;
      }
      options.listeners.push_back(*endpoint);
    } else if (flag == "--cert") {
      options.tls.certificate_file = value;
    } else if (flag == "--key") {
      options.tls.key_file = value;
    } else if (flag == "--protocol" && (value == "dot" || value == "doh")) {
      options.protocol = value == "dot" ? resolver::transport::ServerProtocol::kDot
                                        : resolver::transport::ServerProtocol::kDoh;
    } else if (flag == "--path") {
      options.doh.path = value;
    } else if (flag == "--threads" && ParseDecimal(value, &threads) && threads > 0) {
    } else {
      fprintf(stderr, "unknown or invalid option %s %s\n", flag.c_str(), value.c_str());
      return 2;
    }
  }
  // The benchmarks open many connections from one address.
  options.limits.max_connections_per_client = options.limits.max_connections;
  spdlog::set_level(spdlog::level::warn);

  CannedAnswerHandler handler;
  resolver::transport::IoContextPool pool(threads);
  absl::StatusOr<std::unique_ptr<resolver::transport::TlsServer>> server =
      resolver::transport::TlsServer::Create(options, &handler, &pool);
  if (!server.ok()) {
    fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  pool.Start();
  if (absl::Status started = (*server)->Start(); !started.ok()) {
    fprintf(stderr, "%s\n", std::string(started.message()).c_str());
    return 1;
  }
  asio::io_context signals_context;
  asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  signals.async_wait([](const asio::error_code&, int) {});
  printf("ready\n");
  fflush(stdout);
  signals_context.run();

  (*server)->Stop();
  pool.Stop();
  const resolver::transport::ServerCounters stats = (*server)->stats();
  printf("handshakes_completed %llu\nhandshakes_failed %llu\nqueries %llu\nresponses %llu\n"
         "http_requests %llu\n",
         static_cast<unsigned long long>(stats.handshakes_completed),
         static_cast<unsigned long long>(stats.handshakes_failed),
         static_cast<unsigned long long>(stats.queries),
         static_cast<unsigned long long>(stats.responses),
         static_cast<unsigned long long>(stats.http_requests));
  return 0;
}

}  // namespace
}  // namespace ztgate::bench

int main(int argc, char** argv) { return ztgate::bench::Run(argc, argv); }
