// ztgate-control's components, built from its configuration and started
// and stopped in dependency order:
//
//   policy and cache -> event loops -> upstream pool -> flow installer
//   -> query pipeline -> DoT listeners -> Policy gRPC API
//
// The API reports SERVING only once the DoT listeners accept and every
// configured dataplane has been resynced, so a caller that waits for health
// knows that answers are protected.
#ifndef ZTGATE_CONTROLPLANE_CONTROL_DAEMON_H_
#define ZTGATE_CONTROLPLANE_CONTROL_DAEMON_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "controlplane/audit_collector.h"
#include "controlplane/control_config.h"
#include "controlplane/decision_hub.h"
#include "controlplane/decision_log.h"
#include "controlplane/dnstap_log.h"
#include "controlplane/flow_installer.h"
#include "controlplane/policy_service.h"
#include "controlplane/policy_store.h"
#include "controlplane/query_pipeline.h"
#include "resolver/cache/dns_cache.h"
#include "resolver/policy/policy.h"
#include "resolver/transport/tls_server.h"
#include "resolver/transport/io_context_pool.h"
#include "resolver/transport/upstream_pool.h"

namespace ztgate::controlplane {

class ControlDaemon {
 public:
  explicit ControlDaemon(ControlConfig config) : config_(std::move(config)) {}
  ~ControlDaemon() { Stop(); }

  // Builds and starts every component; on error, what started is stopped.
  absl::Status Start();
  void Stop();
  // Waits up to `timeout` for every dataplane to be synced, then reports
  // SERVING. Returns false (and stays NOT_SERVING) on timeout.
  bool WaitDataplanesAndServe(absl::Duration timeout);
  // Reloads the DoT and DoH certificates and keys (SIGHUP).
  absl::Status ReloadTls();

  void FillStats(ztgate::v1::GetControlStatsResponse& response) const;
  // The DoT listeners' bound addresses (port 0 in tests picks a free port).
  std::vector<asio::ip::tcp::endpoint> dot_endpoints() const;
  std::vector<asio::ip::tcp::endpoint> doh_endpoints() const;

 private:
  absl::Status StartDecisionConsumers();
  // Starts the DoT and the DoH server, each when it has listeners.
  absl::Status StartListeners();
  absl::Status StartApi();

  ControlConfig config_;
  std::unique_ptr<resolver::policy::PolicyHolder> policy_;
  std::unique_ptr<PolicyStore> policy_store_;
  std::unique_ptr<DecisionLog> decision_log_;
  std::unique_ptr<DnstapLog> dnstap_log_;
  DecisionHub decisions_;
  std::unique_ptr<AuditCollector> audit_;
  std::unique_ptr<resolver::cache::DnsCache> cache_;
  std::unique_ptr<resolver::transport::IoContextPool> io_pool_;
  std::shared_ptr<resolver::transport::UpstreamPool> upstreams_;
  std::unique_ptr<FlowInstaller> installer_;
  std::unique_ptr<QueryPipeline> pipeline_;
  std::unique_ptr<resolver::transport::TlsServer> dot_server_;
  std::unique_ptr<resolver::transport::TlsServer> doh_server_;
  std::unique_ptr<PolicyService> policy_service_;
  std::unique_ptr<grpc::Server> api_server_;
  bool started_ = false;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_CONTROL_DAEMON_H_
