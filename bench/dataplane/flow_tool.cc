// The macro benchmark's helper: generates the benchmark's flows and the
// captures that replay them, and installs the flows into a running
// ztgate-dataplane over its FlowTable API.
//
//   bench_dataplane_flows pcap FILE PAIRS SEED
//       Writes one 64-byte frame for each of PAIRS pairs drawn at random
//       (with SEED) from the flow set.
//   bench_dataplane_flows install TARGET COUNT
//       Installs flows 0..COUNT-1 in InstallFlows batches of 1,000 on one
//       stream and prints the rate in flows per second.
//
// Flow i pairs client 192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24
// (768 clients) with a destination in the benchmark range 198.18.0.0/15,
// so about 1.3M distinct flows exist.
#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "tests/dataplane/frame_builder.h"
#include "ztgate/v1/flowtable.grpc.pb.h"

namespace {

constexpr uint32_t kClients = 768;
constexpr uint32_t kBatchSize = 1000;

std::string Client(uint32_t i) {
  static const char* kPrefixes[] = {"192.0.2.", "198.51.100.", "203.0.113."};
  const uint32_t client = i % kClients;
  return kPrefixes[client / 256] + std::to_string(client % 256);
}

std::string Destination(uint32_t i) {
  const uint32_t host = i / kClients;  // 0..131071 within 198.18.0.0/15.
  return "198." + std::to_string(18 + (host >> 16)) + "." + std::to_string((host >> 8) & 0xff) +
         "." + std::to_string(host & 0xff);
}

std::string Raw4(const std::string& text) {
  std::string bytes(4, '\0');
  inet_pton(AF_INET, text.c_str(), bytes.data());
  return bytes;
}

int WritePcap(const std::string& path, uint32_t pairs, uint32_t seed, uint32_t flow_count) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<uint32_t> pick(0, flow_count - 1);
  std::vector<ztgate::testing::Bytes> frames;
  for (uint32_t i = 0; i < pairs; ++i) {
    const uint32_t flow = pick(random);
    // 14 + 20 + 8 + 18 bytes = 60, 64 on the wire with the FCS.
    frames.push_back(ztgate::testing::Ipv4Frame(Client(flow), Destination(flow),
                                                ztgate::testing::Udp(40000, 443, 18)));
  }
  if (!ztgate::testing::WritePcap(path, frames)) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return 1;
  }
  return 0;
}

int Install(const std::string& target, uint32_t count) {
  auto stub = ztgate::v1::FlowTable::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  std::vector<ztgate::v1::InstallFlowsRequest> batches;
  for (uint32_t first = 0; first < count; first += kBatchSize) {
    ztgate::v1::InstallFlowsRequest request;
    request.set_batch_id(first / kBatchSize);
    request.add_names("bench.example.test");
    for (uint32_t i = first; i < std::min(count, first + kBatchSize); ++i) {
      ztgate::v1::Flow* flow = request.add_flows();
      flow->set_client(Raw4(Client(i)));
      flow->set_destination(Raw4(Destination(i)));
      flow->mutable_lifetime()->set_seconds(3600);
    }
    batches.push_back(std::move(request));
  }
  grpc::ClientContext context;
  auto stream = stub->InstallFlows(&context);
  const auto start = std::chrono::steady_clock::now();
  // The stream carries several batches in flight, as the control plane's
  // installer does when answers arrive faster than acknowledgements: one
  // thread writes while this one reads the responses in order.
  std::thread writer([&] {
    for (const auto& batch : batches) {
      if (!stream->Write(batch)) return;
    }
    stream->WritesDone();
  });
  uint64_t installed = 0;
  ztgate::v1::InstallFlowsResponse response;
  for (size_t i = 0; i < batches.size() && stream->Read(&response); ++i) {
    installed += response.installed() + response.refreshed();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  writer.join();
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    std::fprintf(stderr, "InstallFlows stream failed: %s\n", status.error_message().c_str());
    return 1;
  }
  std::printf("installed %lu flows in %.3f s: %.0f flows/s\n", installed, seconds,
              installed / seconds);
  return installed == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "pcap" && argc == 5) {
    return WritePcap(argv[2], std::stoul(argv[3]), std::stoul(argv[4]), 1 << 20);
  }
  if (command == "install" && argc == 4) return Install(argv[2], std::stoul(argv[3]));
  std::fprintf(stderr,
               "usage: bench_dataplane_flows pcap FILE PAIRS SEED\n"
               "       bench_dataplane_flows install TARGET COUNT\n");
  return 2;
}
