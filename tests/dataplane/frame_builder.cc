// Frame building for tests; see frame_builder.h.
#include "tests/dataplane/frame_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ztgate::testing {
namespace {

void Put16(Bytes& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

void Put32Le(Bytes& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

Bytes ParseAddress(const std::string& text, int family) {
  Bytes out(family == AF_INET ? 4 : 16);
  if (inet_pton(family, text.c_str(), out.data()) != 1) {
    throw std::invalid_argument("invalid address " + text);
  }
  return out;
}

L4 IcmpMessage(uint8_t protocol, uint8_t type, uint8_t code, const Bytes& quoted) {
  L4 l4{protocol, {type, code, 0, 0, 0, 0, 0, 0}};
  l4.header_and_data.insert(l4.header_and_data.end(), quoted.begin(), quoted.end());
  return l4;
}

}  // namespace

L4 Udp(uint16_t source_port, uint16_t destination_port, size_t data_size) {
  L4 l4{17, {}};
  Put16(l4.header_and_data, source_port);
  Put16(l4.header_and_data, destination_port);
  Put16(l4.header_and_data, static_cast<uint16_t>(8 + data_size));
  Put16(l4.header_and_data, 0);
  l4.header_and_data.resize(8 + data_size, 0xab);
  return l4;
}

L4 Tcp(uint16_t source_port, uint16_t destination_port) {
  L4 l4{6, {}};
  Put16(l4.header_and_data, source_port);
  Put16(l4.header_and_data, destination_port);
  l4.header_and_data.resize(20, 0);
  l4.header_and_data[12] = 5 << 4;  // Data offset: 5 words.
  l4.header_and_data[13] = 0x02;    // SYN.
  return l4;
}

L4 Icmp(uint8_t type, uint8_t code, const Bytes& quoted) {
  return IcmpMessage(1, type, code, quoted);
}

L4 Icmpv6(uint8_t type, uint8_t code, const Bytes& quoted) {
  return IcmpMessage(58, type, code, quoted);
}

Bytes Ipv4Packet(const std::string& source, const std::string& destination, const L4& l4,
                 const Ipv4Options& options) {
  Bytes padded_options = options.options;
  while (padded_options.size() % 4 != 0) padded_options.push_back(0);
  const size_t header_size = 20 + padded_options.size();
  Bytes out;
  out.push_back(static_cast<uint8_t>(0x40 | (header_size / 4)));
  out.push_back(0);
  Put16(out, static_cast<uint16_t>(header_size + l4.header_and_data.size()));
  Put16(out, 0x1234);
  Put16(out, options.fragment_field);
  out.push_back(options.ttl);
  out.push_back(l4.protocol);
  Put16(out, 0);
  for (const Bytes& address : {ParseAddress(source, AF_INET), ParseAddress(destination, AF_INET)}) {
    out.insert(out.end(), address.begin(), address.end());
  }
  out.insert(out.end(), padded_options.begin(), padded_options.end());
  out.insert(out.end(), l4.header_and_data.begin(), l4.header_and_data.end());
  return out;
}

Bytes Ipv6Packet(const std::string& source, const std::string& destination, const L4& l4,
                 const Ipv6Options& options) {
  Bytes chain;
  std::vector<size_t> next_header_offsets;
  for (const auto& [type, body] : options.extension_headers) {
    next_header_offsets.push_back(chain.size());
    chain.push_back(0);
    chain.insert(chain.end(), body.begin(), body.end());
  }
  // Each next-header byte names the header after it; the last names the L4.
  uint8_t first = l4.protocol;
  if (!options.extension_headers.empty()) {
    first = options.extension_headers[0].first;
    for (size_t i = 0; i < next_header_offsets.size(); ++i) {
      chain[next_header_offsets[i]] = i + 1 < next_header_offsets.size()
                                          ? options.extension_headers[i + 1].first
                                          : l4.protocol;
    }
  }
  Bytes out = {0x60, 0, 0, 0};
  Put16(out, static_cast<uint16_t>(chain.size() + l4.header_and_data.size()));
  out.push_back(first);
  out.push_back(options.hop_limit);
  for (const Bytes& address :
       {ParseAddress(source, AF_INET6), ParseAddress(destination, AF_INET6)}) {
    out.insert(out.end(), address.begin(), address.end());
  }
  out.insert(out.end(), chain.begin(), chain.end());
  out.insert(out.end(), l4.header_and_data.begin(), l4.header_and_data.end());
  return out;
}

Bytes EthernetFrame(uint16_t ethertype, const Bytes& payload, const std::vector<uint16_t>& tags) {
  Bytes out = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  uint16_t vlan_id = 100;
  for (uint16_t tag : tags) {
    Put16(out, tag);
    Put16(out, vlan_id++);
  }
  Put16(out, ethertype);
  out.insert(out.end(), payload.begin(), payload.end());
  // Pad to the 60-byte Ethernet minimum (without FCS).
  if (out.size() < 60) out.resize(60, 0);
  return out;
}

Bytes Ipv4Frame(const std::string& source, const std::string& destination, const L4& l4,
                const Ipv4Options& options) {
  return EthernetFrame(0x0800, Ipv4Packet(source, destination, l4, options));
}

Bytes Ipv6Frame(const std::string& source, const std::string& destination, const L4& l4,
                const Ipv6Options& options) {
  return EthernetFrame(0x86dd, Ipv6Packet(source, destination, l4, options));
}

Bytes ArpFrame() {
  Bytes arp = {0, 1, 0x08, 0, 6, 4, 0, 1};  // Ethernet/IPv4 request.
  arp.resize(28, 0);
  return EthernetFrame(0x0806, arp);
}

std::pair<uint8_t, Bytes> Ipv6FragmentHeader(uint16_t offset_units, bool more_fragments) {
  const uint16_t field = static_cast<uint16_t>((offset_units << 3) | (more_fragments ? 1 : 0));
  return {44, {0, static_cast<uint8_t>(field >> 8), static_cast<uint8_t>(field), 0, 0, 0, 1}};
}

bool WritePcap(const std::string& path, const std::vector<Bytes>& frames) {
  Bytes file;
  Put32Le(file, 0xa1b2c3d4);  // Magic: microsecond timestamps.
  file.insert(file.end(), {2, 0, 4, 0});  // Version 2.4.
  Put32Le(file, 0);
  Put32Le(file, 0);
  Put32Le(file, 65535);  // Snap length.
  Put32Le(file, 1);      // LINKTYPE_ETHERNET.
  uint32_t microseconds = 0;
  for (const Bytes& frame : frames) {
    Put32Le(file, 1);
    Put32Le(file, microseconds++);
    Put32Le(file, static_cast<uint32_t>(frame.size()));
    Put32Le(file, static_cast<uint32_t>(frame.size()));
    file.insert(file.end(), frame.begin(), frame.end());
  }
  FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) return false;
  const bool written = std::fwrite(file.data(), 1, file.size(), out) == file.size();
  return std::fclose(out) == 0 && written;
}

std::vector<Bytes> ReadPcap(const std::string& path) {
  std::vector<Bytes> frames;
  FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return frames;
  uint8_t header[24];
  if (std::fread(header, 1, sizeof(header), in) == sizeof(header)) {
    uint8_t record[16];
    while (std::fread(record, 1, sizeof(record), in) == sizeof(record)) {
      uint32_t captured = 0;
      std::memcpy(&captured, record + 8, 4);  // Little-endian host, as DPDK writes it.
      Bytes frame(captured);
      if (std::fread(frame.data(), 1, captured, in) != captured) break;
      frames.push_back(std::move(frame));
    }
  }
  std::fclose(in);
  return frames;
}

}  // namespace ztgate::testing
