# Every external dependency, found once. All come from Debian 12 packages
# installed by scripts/bootstrap; nothing is downloaded at build time.
find_package(PkgConfig REQUIRED)
pkg_check_modules(DPDK REQUIRED IMPORTED_TARGET libdpdk>=22.11)
pkg_check_modules(SYSTEMD IMPORTED_TARGET libsystemd)
pkg_check_modules(FSTRM REQUIRED IMPORTED_TARGET libfstrm)
pkg_check_modules(LIBNGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2)

find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)

find_program(ZTGATE_PROTOC protoc REQUIRED)
find_program(ZTGATE_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# Standalone Asio is header-only (Debian's libasio-dev).
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(ztgate_asio INTERFACE)
target_include_directories(ztgate_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
target_compile_definitions(ztgate_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
target_link_libraries(ztgate_asio INTERFACE Threads::Threads)

# The ring PMD's rte_eth_from_rings() builds ports over rte_rings in tests.
# PMDs are not part of libdpdk's link line (the EAL loads them as plugins),
# so tests that call it link the driver library directly.
find_library(DPDK_NET_RING_LIBRARY rte_net_ring REQUIRED)
