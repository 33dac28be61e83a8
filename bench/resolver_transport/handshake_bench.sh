#!/usr/bin/env bash
# Full TLS 1.3 handshakes per second per core against ztgate's DoT server
# (ECDHE, ECDSA P-256 certificate, no resumption). The server runs one
# event-loop thread pinned to CPU 0; dot_handshake_client runs on CPU 1.
# The per-core figure divides completed handshakes by the CPU time the
# server process used, so it stays valid when the client is the bottleneck.
#
#   bench/resolver_transport/handshake_bench.sh [BUILD_DIR] [SECONDS]
set -euo pipefail

build=$(realpath "${1:-build}")
seconds=${2:-10}
here=$(dirname "$(realpath "$0")")
source "$here/bench_lib.sh"

work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

make_certs "$work"
port=$(free_port)
taskset -c 0 "$build/bench/resolver_transport/tls_bench_server" --listen "127.0.0.1:$port" \
  --cert "$work/server.crt" --key "$work/server.key" --threads 1 >"$work/server.out" 2>&1 &
server_pid=$!
wait_for_port "$port" 10

ticks_per_second=$(getconf CLK_TCK)
before=$(cpu_ticks "$server_pid")
taskset -c 1 "$build/bench/resolver_transport/dot_handshake_client" --port "$port" \
  --threads 2 --seconds "$seconds" | tee "$work/client.out"
after=$(cpu_ticks "$server_pid")
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""

completed=$(awk '/^handshakes_completed/ {print $2}' "$work/server.out")
failed=$(awk '/^handshakes_failed/ {print $2}' "$work/server.out")
echo "server: handshakes_failed $failed"
awk -v n="$completed" -v t=$((after - before)) -v hz="$ticks_per_second" -v s="$seconds" 'BEGIN {
  cpu = t / hz
  printf "server: %d handshakes in %d s wall, %.2f s CPU (%.0f%% of one core)\n", n, s, cpu, 100 * cpu / s
  printf "handshakes per second (wall): %.0f\n", n / s
  printf "handshakes per second per core (server CPU): %.0f\n", n / cpu
}'
