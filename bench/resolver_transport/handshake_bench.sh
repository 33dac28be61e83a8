#!/usr/bin/env bash
# Full TLS 1.3 handshakes per second per core (ECDHE, ECDSA P-256
# certificate, no resumption) against ztgate's DoT server and, in the same
# run, against the DoT listeners of dnsdist and unbound with the same
# certificate. Each server is pinned to CPU 0 and dot_handshake_client runs
# on CPU 1. The per-core figure divides the handshakes the client completed
# by the CPU time the server process used, so it stays valid when the
# client is the bottleneck.
#
#   bench/resolver_transport/handshake_bench.sh [BUILD_DIR] [SECONDS]
#
# CLIENT_CPUS (default 1) and CLIENT_THREADS (default 2) move the client,
# for example onto both CPUs to load the server harder.
set -euo pipefail

build=$(realpath "${1:-build}")
seconds=${2:-10}
here=$(dirname "$(realpath "$0")")
source "$here/bench_lib.sh"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

make_certs "$work"

# Runs the client for $seconds against port $2 while measuring the CPU time
# of process $3, and prints "NAME HANDSHAKES CPU_SECONDS".
measure() {
  local name=$1 port=$2 pid=$3 before after count
  wait_for_port "$port" 10
  before=$(cpu_ticks "$pid")
  taskset -c "${CLIENT_CPUS:-1}" "$build/bench/resolver_transport/dot_handshake_client" \
    --port "$port" --threads "${CLIENT_THREADS:-2}" --seconds "$seconds" >"$work/$name.client" ||
    echo "$name: some handshakes failed: $(cat "$work/$name.client")" >&2
  after=$(cpu_ticks "$pid")
  count=$(awk '/^handshakes/ {print $2}' "$work/$name.client")
  awk -v n="$name" -v c="$count" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%s %d %.2f\n", n, c, t / hz}'
}

ztgate_port=$(free_port)
taskset -c 0 "$build/bench/resolver_transport/tls_bench_server" --listen "127.0.0.1:$ztgate_port" \
  --cert "$work/server.crt" --key "$work/server.key" --threads 1 >"$work/server.out" 2>&1 &
pids+=($!)
measure ztgate "$ztgate_port" "${pids[-1]}" >"$work/results"

dnsdist_port=$(free_port)
start_dnsdist "addTLSLocal(\"127.0.0.1:$dnsdist_port\", \"$work/server.crt\", \"$work/server.key\", {provider=\"openssl\"})"
measure dnsdist "$dnsdist_port" "$dnsdist_pid" >>"$work/results"

start_unbound tls
measure unbound "$unbound_port" "$unbound_pid" >>"$work/results"

echo "full TLS 1.3 handshakes, $seconds s per server, server on CPU 0"
awk -v s="$seconds" '
  { name[NR] = $1; count[NR] = $2; cpu[NR] = $3
    rate[NR] = ($3 > 0 ? $2 / $3 : 0)
    printf "%-8s %8d handshakes, %6.0f/s wall, %5.2f s CPU (%3.0f%%), %6.0f per CPU second\n",
           $1, $2, $2 / s, $3, 100 * $3 / s, rate[NR] }
  END {
    for (i = 2; i <= NR; i++) {
      if (rate[i] > 0) printf "ztgate/%s: %.2f handshakes per CPU second\n", name[i], rate[1] / rate[i]
    }
  }' "$work/results"
