// The allow table's writer side; see flow_store.h.
#include "dataplane/flow_store.h"

#include <cstdint>
#include <cstring>

#include <rte_rcu_qsbr.h>

#include "common/str_cat.h"

namespace ztgate::dataplane {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

IpAddress ToIpAddress(const Address16& address) {
  std::array<uint8_t, 16> bytes;
  std::memcpy(bytes.data(), address.bytes, 16);
  return IpAddress::FromV6(bytes);
}

void AddFlowError(ztgate::v1::InstallFlowsResponse& response, int index, absl::StatusCode code,
                  std::string message) {
  ztgate::v1::FlowError* error = response.add_errors();
  error->set_flow_index(static_cast<uint32_t>(index));
  error->set_code(static_cast<int32_t>(code));
  error->set_message(std::move(message));
  if (response.code() == 0) response.set_code(static_cast<int32_t>(code));
}

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(time);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

}  // namespace

absl::StatusOr<Address16> AddressFromProto(const std::string& bytes, bool* is_v4) {
  Address16 address{};
  if (bytes.size() == 4) {
    std::memcpy(address.bytes, kMappedPrefix, 12);
    std::memcpy(address.bytes + 12, bytes.data(), 4);
    *is_v4 = true;
    return address;
  }
  if (bytes.size() == 16) {
    if (std::memcmp(bytes.data(), kMappedPrefix, 12) == 0) {
      return absl::InvalidArgumentError("IPv4-mapped IPv6 address: send IPv4 as 4 bytes");
    }
    std::memcpy(address.bytes, bytes.data(), 16);
    *is_v4 = false;
    return address;
  }
  return absl::InvalidArgumentError(
      StrCat("address of ", bytes.size(), " bytes: expected 4 (IPv4) or 16 (IPv6)"));
}

std::string AddressToProto(const Address16& address) {
  if (std::memcmp(address.bytes, kMappedPrefix, 12) == 0) {
    return std::string(reinterpret_cast<const char*>(address.bytes + 12), 4);
  }
  return std::string(reinterpret_cast<const char*>(address.bytes), 16);
}

absl::StatusOr<std::vector<IpPrefix>> PrefixesFromProto(
    const google::protobuf::RepeatedPtrField<ztgate::v1::Prefix>& prefixes) {
  std::vector<IpPrefix> out;
  for (int i = 0; i < prefixes.size(); ++i) {
    absl::StatusOr<IpAddress> address = IpAddress::FromBytes(prefixes[i].address());
    if (!address.ok()) {
      return absl::InvalidArgumentError(StrCat("prefix ", i, ": ", address.status().message()));
    }
    absl::StatusOr<IpPrefix> prefix =
        IpPrefix::Create(*address, static_cast<int>(prefixes[i].prefix_length()));
    if (!prefix.ok()) {
      return absl::InvalidArgumentError(StrCat("prefix ", i, ": ", prefix.status().message()));
    }
    out.push_back(*prefix);
  }
  return out;
}

bool PrefixesContain(const std::vector<IpPrefix>& prefixes, const Address16& address) {
  if (prefixes.empty()) return true;
  const IpAddress ip = ToIpAddress(address);
  for (const IpPrefix& prefix : prefixes) {
    if (prefix.Contains(ip)) return true;
  }
  return false;
}

FlowStore::FlowStore(AllowTable& table, Clock now, uint64_t ticks_per_second)
    : table_(table), now_(std::move(now)), ticks_per_second_(ticks_per_second) {}

uint64_t FlowStore::TicksFor(absl::Duration duration) const {
  return static_cast<uint64_t>(absl::FDivDuration(duration, absl::Seconds(1)) *
                               static_cast<double>(ticks_per_second_));
}

namespace {

struct DecodedFlow {
  FlowKey key;
  absl::Duration lifetime;
  int name_index = -1;  // -1 when the request has no name table.
};

// Validates flow `index` of `request`: address lengths, one family, a
// positive lifetime and a name index inside the name table.
absl::StatusOr<DecodedFlow> DecodeFlow(const ztgate::v1::InstallFlowsRequest& request, int index) {
  const ztgate::v1::Flow& flow = request.flows(index);
  bool client_v4 = false;
  bool remote_v4 = false;
  absl::StatusOr<Address16> client = AddressFromProto(flow.client(), &client_v4);
  if (!client.ok()) return absl::InvalidArgumentError(StrCat("client: ", client.status().message()));
  absl::StatusOr<Address16> remote = AddressFromProto(flow.destination(), &remote_v4);
  if (!remote.ok()) {
    return absl::InvalidArgumentError(StrCat("destination: ", remote.status().message()));
  }
  if (client_v4 != remote_v4) {
    return absl::InvalidArgumentError("client and destination are of different families");
  }

  DecodedFlow decoded{{*client, *remote},
                      absl::Seconds(flow.lifetime().seconds()) +
                          absl::Nanoseconds(flow.lifetime().nanos())};
  if (decoded.lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lifetime must be positive");
  }
  if (request.names_size() > 0) {
    if (flow.name_index() >= static_cast<uint32_t>(request.names_size())) {
      return absl::InvalidArgumentError(StrCat("name_index ", flow.name_index(), " is past the ",
                                               request.names_size(), " names"));
    }
    decoded.name_index = static_cast<int>(flow.name_index());
  }
  return decoded;
}

}  // namespace

ztgate::v1::InstallFlowsResponse FlowStore::Install(const ztgate::v1::InstallFlowsRequest& request) {
  ztgate::v1::InstallFlowsResponse response;
  response.set_batch_id(request.batch_id());
  const uint64_t now = now_();
  uint32_t installed = 0;
  uint32_t refreshed = 0;
  // Name ids by index into request.names, looked up once per batch.
  std::vector<int64_t> name_ids(request.names_size(), -1);
  for (int i = 0; i < request.flows_size(); ++i) {
    absl::StatusOr<DecodedFlow> flow = DecodeFlow(request, i);
    if (!flow.ok()) {
      AddFlowError(response, i, flow.status().code(), std::string(flow.status().message()));
      continue;
    }
    uint32_t name_id = 0;
    if (flow->name_index >= 0) {
      int64_t& cached = name_ids[flow->name_index];
      if (cached < 0) {
        cached = names_.Acquire(request.names(flow->name_index));
      } else {
        names_.AddReference(static_cast<uint32_t>(cached));
      }
      name_id = static_cast<uint32_t>(cached);
    }
    uint32_t replaced_name_id = 0;
    switch (table_.Install(flow->key, now + TicksFor(flow->lifetime), name_id, &replaced_name_id)) {
      case AllowTable::InstallResult::kInstalled:
        ++installed;
        break;
      case AllowTable::InstallResult::kRefreshed:
        ++refreshed;
        names_.Release(replaced_name_id);
        break;
      case AllowTable::InstallResult::kFull:
        names_.Release(name_id);
        rejected_full_.fetch_add(1, std::memory_order_relaxed);
        AddFlowError(response, i, absl::StatusCode::kResourceExhausted,
                     StrCat("the allow table is full (", table_.capacity(), " entries)"));
        break;
    }
  }

  // rte_hash_add_key_data has already published every key. Waiting for
  // each worker's next quiescent state also ends any burst that began
  // before the install, so the acknowledgement means "visible".
  table_.Reclaim();
  table_.WaitForReaders();
  response.set_installed(installed);
  response.set_refreshed(refreshed);
  return response;
}

absl::StatusOr<uint32_t> FlowStore::Remove(const ztgate::v1::RemoveFlowsRequest& request) {
  absl::StatusOr<std::vector<IpPrefix>> clients = PrefixesFromProto(request.clients());
  if (!clients.ok()) return clients.status();
  std::vector<FlowKey> keys;
  for (int i = 0; i < request.flows_size(); ++i) {
    bool client_v4 = false;
    bool remote_v4 = false;
    absl::StatusOr<Address16> client = AddressFromProto(request.flows(i).client(), &client_v4);
    absl::StatusOr<Address16> remote = AddressFromProto(request.flows(i).destination(), &remote_v4);
    if (!client.ok() || !remote.ok()) {
      return absl::InvalidArgumentError(
          StrCat("flow ", i, ": ", (client.ok() ? remote : client).status().message()));
    }
    keys.push_back({*client, *remote});
  }

  uint32_t removed = 0;
  for (const FlowKey& key : keys) {
    uint32_t name_id = 0;
    if (table_.Remove(key, &name_id)) {
      names_.Release(name_id);
      ++removed;
    }
  }
  if (!clients->empty()) {
    // One call visits the whole table, so no removal can move a key past
    // the walk.
    uint32_t cursor = 0;
    removed += static_cast<uint32_t>(table_.RemoveWhere(
        &cursor, SIZE_MAX,
        [&](const FlowKey& key, const FlowEntry&) { return PrefixesContain(*clients, key.client); },
        [&](uint32_t name_id) { names_.Release(name_id); }));
  }
  table_.Reclaim();
  return removed;
}

absl::Time FlowStore::WallTimeOf(uint64_t ticks, uint64_t now_ticks, absl::Time now_wall) const {
  const double seconds = (static_cast<double>(ticks) - static_cast<double>(now_ticks)) /
                         static_cast<double>(ticks_per_second_);
  return now_wall + absl::Seconds(seconds);
}

bool FlowStore::ListPage(const std::vector<IpPrefix>& clients, uint32_t* cursor, size_t page_size,
                         ztgate::v1::ListFlowsResponse& page) {
  const uint64_t now = now_();
  const absl::Time now_wall = absl::Now();
  const uint64_t idle = table_.idle_ticks();
  // Visit at most a few pages' worth of entries per call, so a filter that
  // matches little does not hold the control thread for a whole pass.
  const size_t max_visits = page_size * 4;
  size_t visited = 0;
  while (page.flows_size() < static_cast<int>(page_size) && visited < max_visits) {
    const uint32_t before = *cursor;
    table_.Visit(cursor, 1, [&](const FlowKey& key, const FlowEntry& entry) {
      if (!entry.IsAlive(now, idle) || !PrefixesContain(clients, key.client)) return;
      ztgate::v1::FlowEntry* out = page.add_flows();
      out->set_client(AddressToProto(key.client));
      out->set_destination(AddressToProto(key.remote));
      out->set_name(names_.Name(table_.NameId(entry)));
      const uint64_t seen = entry.last_seen.load(std::memory_order_relaxed);
      const uint64_t deadline = std::max(entry.deadline.load(std::memory_order_relaxed),
                                         seen == 0 ? 0 : seen + idle);
      SetTimestamp(WallTimeOf(deadline, now, now_wall), out->mutable_expires());
      if (seen != 0) SetTimestamp(WallTimeOf(seen, now, now_wall), out->mutable_last_seen());
      out->set_packets(entry.packets.load(std::memory_order_relaxed));
      out->set_bytes(entry.bytes.load(std::memory_order_relaxed));
    });
    ++visited;
    if (*cursor == 0 && before != 0) return true;
    if (*cursor == 0 && before == 0) return true;  // Empty table.
  }
  return false;
}

size_t FlowStore::SweepStep(uint32_t* cursor, size_t max_visits) {
  const uint64_t now = now_();
  const uint64_t idle = table_.idle_ticks();
  const size_t removed = table_.RemoveWhere(
      cursor, max_visits, [&](const FlowKey&, const FlowEntry& entry) { return !entry.IsAlive(now, idle); },
      [&](uint32_t name_id) { names_.Release(name_id); });
  table_.Reclaim();
  swept_.fetch_add(removed, std::memory_order_relaxed);
  return removed;
}

}  // namespace ztgate::dataplane
