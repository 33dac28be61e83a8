// Conversion of a configured Endpoint to Asio's TCP endpoint, shared by the
// listeners and the upstream connections.
#ifndef ZTGATE_RESOLVER_TRANSPORT_ASIO_ENDPOINT_H_
#define ZTGATE_RESOLVER_TRANSPORT_ASIO_ENDPOINT_H_

#include <algorithm>
#include <array>
#include <cstdint>

#include <asio/ip/tcp.hpp>

#include "resolver/resolver_config.h"

namespace ztgate::resolver::transport {

inline asio::ip::tcp::endpoint ToAsio(const Endpoint& endpoint) {
  const IpAddress& address = endpoint.address;
  if (address.is_v4()) {
    std::array<uint8_t, 4> v4;
    std::copy(address.bytes16().begin() + 12, address.bytes16().end(), v4.begin());
    return {asio::ip::address_v4(v4), endpoint.port};
  }
  return {asio::ip::address_v6(address.bytes16()), endpoint.port};
}

}  // namespace ztgate::resolver::transport

#endif  // ZTGATE_RESOLVER_TRANSPORT_ASIO_ENDPOINT_H_
