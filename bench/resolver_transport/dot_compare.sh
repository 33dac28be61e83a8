#!/usr/bin/env bash
# dnsperf -m dot with cached answers against three DoT servers in one run:
# ztgate (dot_bench_server, canned in-memory answers), dnsdist 1.7 (DoT
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
for n in 1 2 3 4; do
  printf 'host%d.corp.lab A\nhost%d.corp.lab AAAA\n' "$n" "$n"
done >"$work/queries.txt"

# Writes an unbound config serving corp.lab from local-data on $2 (plain)
# or, with $3 = tls, on $2 with TLS. No recursion: everything else is
# refused, so unbound never sends a query anywhere.
write_unbound_config() {
  local file=$1 port=$2 mode=$3 tls_lines=""
  if [[ $mode == tls ]]; then
    tls_lines="  tls-port: $port
  tls-service-pem: \"$work/server.crt\"
  tls-service-key: \"$work/server.key\""
  fi
  cat >"$file" <<CONF
server:
  interface: 127.0.0.1@$port
$tls_lines
  do-ip6: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$work"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  so-reuseport: no
  incoming-num-tcp: 1000
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  outgoing-interface: 127.0.0.1
  local-zone: "." refuse
  local-zone: "corp.lab." static
$(for n in 1 2 3 4; do
    printf '  local-data: "host%d.corp.lab. 300 IN A 198.18.0.%d"\n' "$n" "$n"
    printf '  local-data: "host%d.corp.lab. 300 IN AAAA 2001:db8::%d"\n' "$n" "$n"
  done)
remote-control:
  control-enable: no
CONF
}

# Runs dnsperf against 127.0.0.1:$1 and prints its queries per second and
# the CPU time of server process $4 during the run, in seconds.
measure() {
  local port=$1 name=$2 round=$3 pid=$4 before after
  before=$(cpu_ticks "$pid")
  taskset -c 1 dnsperf -m dot -s 127.0.0.1 -p "$port" -d "$work/queries.txt" \
    -c "$clients" -l "$seconds" -q 500 >"$work/$name.$round.dnsperf" 2>&1
  after=$(cpu_ticks "$pid")
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    '/Queries per second:/ {print $4, t / hz}' "$work/$name.$round.dnsperf"
}

# Every server runs at once, pinned to CPU 0, idle unless measured.
ztgate_port=$(free_port)
taskset -c 0 "$build/bench/resolver_transport/dot_bench_server" --listen "127.0.0.1:$ztgate_port" \
  --cert "$work/server.crt" --key "$work/server.key" --threads 1 >"$work/ztgate.out" 2>&1 &
pids+=($!)
ztgate_pid=$!

# dnsdist with a packet cache, in front of a plain unbound on CPU 1 that
# the cache leaves idle after the first queries.
backend_port=$(free_port)
write_unbound_config "$work/backend.conf" "$backend_port" plain
taskset -c 1 unbound -d -c "$work/backend.conf" >"$work/backend.log" 2>&1 &
pids+=($!)
dnsdist_port=$(free_port)
dnsdist_plain_port=$(free_port)
cat >"$work/dnsdist.conf" <<CONF
setLocal("127.0.0.1:$dnsdist_plain_port")
addTLSLocal("127.0.0.1:$dnsdist_port", "$work/server.crt", "$work/server.key", {provider="openssl"})
setACL({"127.0.0.0/8"})
newServer({address="127.0.0.1:$backend_port"})
getPool(""):setCache(newPacketCache(100000))
CONF
wait_for_port "$backend_port" 10
taskset -c 0 dnsdist --supervised --disable-syslog -C "$work/dnsdist.conf" >"$work/dnsdist.log" 2>&1 &
pids+=($!)
dnsdist_pid=$!

# unbound's own DoT.
unbound_port=$(free_port)
write_unbound_config "$work/unbound.conf" "$unbound_port" tls
taskset -c 0 unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
pids+=($!)
unbound_pid=$!

for port in "$ztgate_port" "$dnsdist_port" "$unbound_port"; do
  wait_for_port "$port" 10
  # Warm-up: fills dnsdist's packet cache and every server's session state.
  taskset -c 1 dnsperf -m dot -s 127.0.0.1 -p "$port" -d "$work/queries.txt" \
    -c "$clients" -l "$warmup_seconds" -q 500 >/dev/null 2>&1 || true
done

# The machine may be shared, so the servers take turns for several rounds
# and the best round of each counts. Queries per CPU second divide the
# queries answered by the CPU time the server used: when dnsperf, not the
# server, is the bottleneck, this shows what one core of the server can do.
declare -A best=([ztgate]=0 [dnsdist]=0 [unbound]=0)
declare -A best_cpu=([ztgate]=1 [dnsdist]=1 [unbound]=1)
declare -A port_of=([ztgate]=$ztgate_port [dnsdist]=$dnsdist_port [unbound]=$unbound_port)
declare -A pid_of=([ztgate]=$ztgate_pid [dnsdist]=$dnsdist_pid [unbound]=$unbound_pid)
for round in $(seq 1 "$rounds"); do
  line="round $round:"
  for name in ztgate dnsdist unbound; do
    read -r qps cpu < <(measure "${port_of[$name]}" "$name" "$round" "${pid_of[$name]}")
    line+=$(printf ' %s %.0f q/s (%.0f%% CPU)' "$name" "$qps" "$(awk -v c="$cpu" -v s="$seconds" 'BEGIN {print 100 * c / s}')")
    if awk -v a="$qps" -v b="${best[$name]}" 'BEGIN {exit !(a > b)}'; then
      best[$name]=$qps
      best_cpu[$name]=$cpu
    fi
  done
  echo "$line"
done

awk -v z="${best[ztgate]}" -v d="${best[dnsdist]}" -v u="${best[unbound]}" \
    -v zc="${best_cpu[ztgate]}" -v dc="${best_cpu[dnsdist]}" -v uc="${best_cpu[unbound]}" \
    -v c="$clients" -v s="$seconds" -v r="$rounds" 'BEGIN {
  printf "dnsperf -m dot, %d connections, best of %d rounds of %d s, server on CPU 0, dnsperf on CPU 1\n", c, r, s
  printf "%-8s %12s %10s %16s\n", "server", "queries/s", "CPU", "queries/CPU-s"
  printf "%-8s %12.0f %9.0f%% %16.0f\n", "ztgate", z, 100 * zc / s, z * s / zc
  printf "%-8s %12.0f %9.0f%% %16.0f\n", "dnsdist", d, 100 * dc / s, d * s / dc
  printf "%-8s %12.0f %9.0f%% %16.0f\n", "unbound", u, 100 * uc / s, u * s / uc
  printf "ztgate/dnsdist: %.2f queries/s, %.2f queries/CPU-s\n", z / d, (z / zc) / (d / dc)
  printf "ztgate/unbound: %.2f queries/s, %.2f queries/CPU-s\n", z / u, (z / zc) / (u / uc)
}'
