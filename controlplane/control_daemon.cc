// ztgate-control's components; see control_daemon.h.
#include "controlplane/control_daemon.h"

#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "common/grpc_listener.h"
#include "common/readiness.h"
#include "common/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace ztgate::controlplane {

absl::Status ControlDaemon::Start() {
  const resolver::ResolverConfig& dns = config_.resolver;
  absl::StatusOr<std::shared_ptr<const resolver::policy::Policy>> policy =
      resolver::policy::Policy::Create(dns.policy);
  if (!policy.ok()) return policy.status();
  policy_ = std::make_unique<resolver::policy::PolicyHolder>(*policy);
  policy_store_ = std::make_unique<PolicyStore>(dns.policy, policy_.get());
  if (absl::Status status = StartDecisionConsumers(); !status.ok()) return status;

  resolver::cache::CacheOptions cache_options;
  cache_options.max_entries = dns.cache_max_entries;
  cache_options.max_bytes = dns.cache_max_bytes;
  cache_options.max_ttl = dns.cache_max_ttl;
  cache_options.max_negative_ttl = dns.cache_max_negative_ttl;
  cache_ = std::make_unique<resolver::cache::DnsCache>(cache_options,
                                                       resolver::cache::SystemClock::Get());

  io_pool_ = std::make_unique<resolver::transport::IoContextPool>();
  io_pool_->Start();
  started_ = true;
  auto upstreams = resolver::transport::UpstreamPool::Create(dns.upstreams, dns.upstream_pool,
                                                             io_pool_.get());
  if (!upstreams.ok()) return upstreams.status();
  upstreams_ = *upstreams;

  installer_ = std::make_unique<FlowInstaller>(config_.dataplanes, config_.install);
  // The dataplanes learn the policy's audit modes when they connect.
  if (absl::Status status = installer_->SetAudit(DataplaneAuditFor(dns.policy)); !status.ok()) {
    return status;
  }
  if (absl::Status status = installer_->Start(); !status.ok()) return status;

  PipelineOptions options;
  options.lifetime_floor = config_.install.lifetime_floor;
  options.grace = config_.install.grace;
  options.hints = config_.install.strip_hints ? HintMode::kStrip : HintMode::kInstall;
  options.capture_messages = dnstap_log_ != nullptr;
  audit_->Start(installer_->Channels());
  pipeline_ = std::make_unique<QueryPipeline>(
      options, policy_.get(), cache_.get(), upstreams_, installer_.get(),
      [this](const DecisionRecord& record) { decisions_.Publish(record); });

  if (absl::Status status = StartListeners(); !status.ok()) return status;
  return StartApi();
}

absl::Status ControlDaemon::StartListeners() {
  const resolver::ResolverConfig& dns = config_.resolver;
  for (auto protocol : {resolver::transport::ServerProtocol::kDot,
                        resolver::transport::ServerProtocol::kDoh}) {
    const bool dot = protocol == resolver::transport::ServerProtocol::kDot;
    resolver::transport::TlsServerOptions options;
    options.protocol = protocol;
    options.listeners = dot ? dns.dot_listeners : dns.doh_listeners;
    if (options.listeners.empty()) continue;
    options.tls = dns.tls;
    options.limits = dns.listener_limits;
    options.doh = dns.doh;
    auto server = resolver::transport::TlsServer::Create(options, pipeline_.get(), io_pool_.get());
    if (!server.ok()) return server.status();
    if (absl::Status status = (*server)->Start(); !status.ok()) return status;
    (dot ? dot_server_ : doh_server_) = std::move(*server);
  }
  return absl::OkStatus();
}

absl::Status ControlDaemon::StartDecisionConsumers() {
  if (!config_.decision_log.json_file.empty()) {
    absl::StatusOr<std::unique_ptr<DecisionLog>> log =
        DecisionLog::Open(config_.decision_log.json_file);
    if (!log.ok()) return log.status();
    decision_log_ = std::move(*log);
    decisions_.AddConsumer([log = decision_log_.get()](const DecisionRecord& record) {
      log->Append(record);
    });
  }
  if (!config_.decision_log.dnstap_file.empty()) {
    absl::StatusOr<std::unique_ptr<DnstapLog>> log =
        DnstapLog::Open(config_.decision_log.dnstap_file, "ztgate-control");
    if (!log.ok()) return log.status();
    dnstap_log_ = std::move(*log);
    decisions_.AddConsumer([log = dnstap_log_.get()](const DecisionRecord& record) {
      log->Append(record);
    });
  }
  audit_ = std::make_unique<AuditCollector>(policy_.get());
  decisions_.AddConsumer([audit = audit_.get()](const DecisionRecord& record) {
    audit->RecordDecision(record);
  });
  return absl::OkStatus();
}

absl::Status ControlDaemon::StartApi() {
  PolicyService::Parts parts;
  parts.store = policy_store_.get();
  parts.policy = policy_.get();
  parts.installer = installer_->enabled() ? installer_.get() : nullptr;
  parts.decisions = &decisions_;
  parts.audit = audit_.get();
  parts.stats = [this](ztgate::v1::GetControlStatsResponse& response) { FillStats(response); };
  policy_service_ = std::make_unique<PolicyService>(std::move(parts));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (absl::Status status = AddGrpcListeners(config_.api, builder); !status.ok()) return status;
  builder.RegisterService(policy_service_.get());
  api_server_ = builder.BuildAndStart();
  if (api_server_ == nullptr) {
    return absl::UnavailableError(
        StrCat("cannot start the API server on ", config_.api.unix_socket));
  }
  // NOT_SERVING until the dataplanes are synced.
  api_server_->GetHealthCheckService()->SetServingStatus(false);
  return RestrictUnixSocket(config_.api);
}

bool ControlDaemon::WaitDataplanesAndServe(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!installer_->AllSynced()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  api_server_->GetHealthCheckService()->SetServingStatus(true);
  NotifyReady();
  return true;
}

void ControlDaemon::Stop() {
  if (!started_) return;
  started_ = false;
  decisions_.CloseAll();
  if (api_server_) api_server_->Shutdown();
  if (dot_server_) dot_server_->Stop();
  if (doh_server_) doh_server_->Stop();
  if (audit_) audit_->Stop();
  if (installer_) installer_->Stop();
  if (upstreams_) upstreams_->Stop();
  io_pool_->Stop();
  if (decision_log_) decision_log_->Flush();
  dnstap_log_.reset();  // Flushes and closes the file.
}

absl::Status ControlDaemon::ReloadTls() {
  absl::Status status;
  if (dot_server_) status.Update(dot_server_->ReloadTls());
  if (doh_server_) status.Update(doh_server_->ReloadTls());
  return status;
}

std::vector<asio::ip::tcp::endpoint> ControlDaemon::dot_endpoints() const {
  if (!dot_server_) return {};
  return dot_server_->local_endpoints();
}

std::vector<asio::ip::tcp::endpoint> ControlDaemon::doh_endpoints() const {
  if (!doh_server_) return {};
  return doh_server_->local_endpoints();
}

namespace {

void FillServerCounters(std::string_view protocol,
                        const resolver::transport::ServerCounters& counters,
                        ztgate::v1::GetControlStatsResponse& response) {
  (*response.mutable_queries_by_transport())[std::string(protocol)] = counters.queries;
  for (const auto& [name, value] : resolver::transport::NamedCounters(counters)) {
    (*response.mutable_listener_counters())[StrCat(protocol, ".", name)] = value;
  }
}

}  // namespace

void ControlDaemon::FillStats(ztgate::v1::GetControlStatsResponse& response) const {
  for (size_t i = 0; i < kDecisionVerdictCount; ++i) {
    const auto verdict = static_cast<DecisionVerdict>(i);
    (*response.mutable_decisions())[std::string(VerdictLabel(verdict))] = pipeline_->count(verdict);
  }
  const resolver::cache::CacheStats cache = cache_->stats();
  response.set_cache_hits(cache.hits);
  response.set_cache_misses(cache.misses);
  if (dot_server_) FillServerCounters("dot", dot_server_->stats(), response);
  if (doh_server_) FillServerCounters("doh", doh_server_->stats(), response);
  for (const ztgate::v1::DataplaneStatus& status : installer_->Status()) {
    *response.add_dataplanes() = status;
  }
}

}  // namespace ztgate::controlplane
