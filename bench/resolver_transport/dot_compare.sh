#!/usr/bin/env bash
# dnsperf -m dot with cached answers against three DoT servers in one run:
# ztgate (tls_bench_server, canned in-memory answers), dnsdist 1.7 (DoT
# frontend with a packet cache in front of a local unbound) and unbound's
# own DoT (answers from local-data). Each server runs pinned to CPU 0 with
# one worker thread; dnsperf runs on CPU 1 with 50 connections and the same
# query file against one server at a time. Prints queries per second per
# round, the best round of each, and the ratios of ztgate to the others.
#
#   bench/resolver_transport/dot_compare.sh [BUILD_DIR] [SECONDS] [ROUNDS]
set -euo pipefail

build=$(realpath "${1:-build}")
seconds=${2:-10}
rounds=${3:-3}
warmup_seconds=2
clients=50
outstanding=500
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
write_query_file "$work/queries.txt"

# Every server runs at once, pinned to CPU 0, idle unless measured.
ztgate_port=$(free_port)
taskset -c 0 "$build/bench/resolver_transport/tls_bench_server" --listen "127.0.0.1:$ztgate_port" \
  --cert "$work/server.crt" --key "$work/server.key" --threads 1 >"$work/ztgate.out" 2>&1 &
pids+=($!)
ztgate_pid=$!

# dnsdist with a packet cache, in front of a plain unbound.
dnsdist_port=$(free_port)
start_dnsdist "addTLSLocal(\"127.0.0.1:$dnsdist_port\", \"$work/server.crt\", \"$work/server.key\", {provider=\"openssl\"})"

# unbound's own DoT.
start_unbound tls

declare -A port_of=([ztgate]=$ztgate_port [dnsdist]=$dnsdist_port [unbound]=$unbound_port)
declare -A pid_of=([ztgate]=$ztgate_pid [dnsdist]=$dnsdist_pid [unbound]=$unbound_pid)

# Runs dnsperf for $1 seconds against 127.0.0.1:$2.
run_dnsperf() {
  taskset -c 1 dnsperf -m dot -s 127.0.0.1 -p "$2" -d "$work/queries.txt" \
    -c "$clients" -l "$1" -q "$outstanding"
}

# Measures server $1 in round $2: prints queries per second, the server's
# CPU seconds and the queries dnsperf counted as lost.
measure_dot() {
  local name=$1 round=$2 out cpu
  out="$work/$name.$round.dnsperf"
  cpu=$(run_and_measure_cpu "${pid_of[$name]}" "$out" run_dnsperf "$seconds" "${port_of[$name]}")
  awk -v cpu="$cpu" '
    /Queries per second:/ {qps = $4}
    /Queries lost:/ {lost = $3}
    END {print qps + 0, cpu, lost + 0}' "$out"
}

for name in ztgate dnsdist unbound; do
  wait_for_port "${port_of[$name]}" 10
  # Warm-up: fills dnsdist's packet cache and every server's session state.
  run_dnsperf "$warmup_seconds" "${port_of[$name]}" >/dev/null 2>&1 || true
done

run_rounds measure_dot ztgate dnsdist unbound
print_summary "dnsperf -m dot, $clients connections, best of $rounds rounds of $seconds s, server on CPU 0, dnsperf on CPU 1" \
  ztgate dnsdist unbound
