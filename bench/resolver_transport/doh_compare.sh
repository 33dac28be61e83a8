#!/usr/bin/env bash
# DNS over HTTPS (RFC 8484) over HTTP/2 with cached answers, against three
# servers in one run. The servers are ztgate (tls_bench_server --protocol
# doh, canned in-memory answers), dnsdist 1.7 (addDOHLocal frontend with a
# packet cache in front of a local unbound) and unbound's own DoH: Debian
# 12's unbound 1.17.1 is built with libnghttp2 and serves https-port from
# local-data. Every server uses the same certificate and the path
# /dns-query, runs pinned to CPU 0, and must first return the right answer
# to one GET and one POST query from kdig, which verifies the certificate.
# The load generator then runs on CPU 1 with 50 HTTP/2 connections and 10
# requests in flight on each, against one server at a time, GET requests
# first and POST second. Prints queries per second per round, the best
# round of each server, and the ratios of ztgate to the others, per method.
#
# The load generator is the fourth argument:
# - h2load (the default, from nghttp2-client): GET cycles through the A and
#   AAAA queries of hosts 1 to 4. POST sends one body (host1.corp.lab A),
#   because h2load posts the same file every time. The DNS ID is 0, as RFC
#   8484 section 4.1 recommends. h2load counts HTTP status codes and does
#   not parse the DNS responses; the kdig check covers their content.
# - dnsperf (2.10.0, -m doh, -O doh-method=GET or POST): dnsperf completes
#   at most one query per TLS record that it reads. dnsdist 1.7 puts several
#   HTTP/2 responses into one TLS record, so dnsperf counts their HTTP 200
#   statuses but loses all but one of the DNS responses. Each lost query
#   holds its place in the -q window until dnsperf's timeout (5 s by
#   default), so dnsdist's rate collapses to tens of queries per second. dnsperf's
#   numbers are valid only for servers that write one response per record,
#   and the "lost" column shows when they are not.
# Neither load generator verifies the server certificate.
#
#   bench/resolver_transport/doh_compare.sh [BUILD_DIR] [SECONDS] [ROUNDS] [h2load|dnsperf]
set -euo pipefail

build=$(realpath "${1:-build}")
seconds=${2:-10}
rounds=${3:-3}
client=${4:-h2load}
warmup_seconds=2
connections=50
streams_per_connection=10
here=$(dirname "$(realpath "$0")")
source "$here/bench_lib.sh"

if [[ $client != h2load && $client != dnsperf ]]; then
  echo "invalid load generator '$client': expected h2load or dnsperf" >&2
  exit 2
fi
server_binary="$build/bench/resolver_transport/tls_bench_server"
if [[ ! -x $server_binary ]]; then
  echo "$server_binary not found: build the tls_bench_server target in $build" >&2
  exit 1
fi

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
taskset -c 0 "$server_binary" --protocol doh --path /dns-query --listen "127.0.0.1:$ztgate_port" \
  --cert "$work/server.crt" --key "$work/server.key" --threads 1 >"$work/ztgate.out" 2>&1 &
pids+=($!)
ztgate_pid=$!

# dnsdist with a packet cache, in front of a plain unbound.
dnsdist_port=$(free_port)
start_dnsdist "addDOHLocal(\"127.0.0.1:$dnsdist_port\", \"$work/server.crt\", \"$work/server.key\", \"/dns-query\")"

# unbound's own DoH.
start_unbound https

servers=(ztgate dnsdist unbound)
declare -A port_of=([ztgate]=$ztgate_port [dnsdist]=$dnsdist_port [unbound]=$unbound_port)
declare -A pid_of=([ztgate]=$ztgate_pid [dnsdist]=$dnsdist_pid [unbound]=$unbound_pid)

# h2load's inputs: per server, a file of GET URIs (one per query in
# queries.txt, the query in base64url without padding), and the POST body.
server_ports=()
for name in "${servers[@]}"; do server_ports+=("$name:${port_of[$name]}"); done
python3 - "$work" "${server_ports[@]}" <<'PY'
import base64
import struct
import sys

work = sys.argv[1]
types = {"A": 1, "AAAA": 28}


def wire_query(name, qtype):
    # ID 0, RD set, one question of class IN.
    header = struct.pack(">HHHHHH", 0, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(label)]) + label.encode() for label in name.split("."))
    return header + labels + b"\0" + struct.pack(">HH", types[qtype], 1)


queries = [line.split() for line in open(f"{work}/queries.txt") if line.strip()]
wire = [wire_query(name, qtype) for name, qtype in queries]
with open(f"{work}/post_body.bin", "wb") as body:
    body.write(wire[0])
for server in sys.argv[2:]:
    name, port = server.split(":")
    with open(f"{work}/{name}.uris", "w") as uris:
        for message in wire:
            encoded = base64.urlsafe_b64encode(message).decode().rstrip("=")
            uris.write(f"https://127.0.0.1:{port}/dns-query?dns={encoded}\n")
PY

# Checks that server $1 returns 198.18.0.1 for host1.corp.lab A over GET
# and POST, with the certificate verified against the test CA.
check_answers() {
  local name=$1 get_option answer
  for get_option in +https-get +nohttps-get; do
    answer=$(kdig @127.0.0.1 -p "${port_of[$name]}" +https=/dns-query "$get_option" \
      +tls-ca="$work/ca.crt" +tls-hostname=dot.lab +timeout=5 +retry=0 +short \
      host1.corp.lab A 2>&1) || true
    if [[ $answer != 198.18.0.1 ]]; then
      echo "$name returned '$answer' for host1.corp.lab A over DoH ($get_option), expected 198.18.0.1" >&2
      return 1
    fi
  done
}

# Runs the load generator for $1 seconds with HTTP method $2 against
# server $3.
run_load() {
  local duration=$1 method=$2 name=$3
  if [[ $client == dnsperf ]]; then
    timeout $((duration + 15)) taskset -c 1 dnsperf -m doh -O "doh-method=$method" -O doh-uri=https://dot.lab/dns-query \
      -s 127.0.0.1 -p "${port_of[$name]}" -d "$work/queries.txt" -c "$connections" \
      -l "$duration" -q $((connections * streams_per_connection))
  elif [[ $method == GET ]]; then
    timeout $((duration + 15)) taskset -c 1 h2load --npn-list=h2 -t 1 -c "$connections" -m "$streams_per_connection" \
      -D "$duration" -H 'accept: application/dns-message' -i "$work/$name.uris"
  else
    timeout $((duration + 15)) taskset -c 1 h2load --npn-list=h2 -t 1 -c "$connections" -m "$streams_per_connection" \
      -D "$duration" -H 'accept: application/dns-message' \
      -H 'content-type: application/dns-message' -d "$work/post_body.bin" \
      "https://127.0.0.1:${port_of[$name]}/dns-query"
  fi
}

# Measures server $1 in round $2 with the HTTP method in $method: prints
# queries per second, the server's CPU seconds and the queries lost. For
# h2load, a query counts when its stream closed with a 2xx (or 3xx) status
# ("succeeded"), and the requests that finished otherwise are lost
# ("failed").
measure_doh() {
  local name=$1 round=$2 out cpu
  out="$work/$name.$method.$round.$client"
  cpu=$(run_and_measure_cpu "${pid_of[$name]}" "$out" run_load "$seconds" "$method" "$name")
  if [[ $client == dnsperf ]]; then
    awk -v cpu="$cpu" '
      /Queries per second:/ {qps = $4}
      /Queries lost:/ {lost = $3}
      END {print qps + 0, cpu, lost + 0}' "$out"
  else
    awk -v cpu="$cpu" '
      /^finished in/ {elapsed = $3 + 0}
      /^requests:/ {succeeded = $8; failed = $10}
      END {print (elapsed > 0 ? succeeded / elapsed : 0), cpu, failed + 0}' "$out"
  fi
}

for name in "${servers[@]}"; do
  wait_for_port "${port_of[$name]}" 10
  check_answers "$name"
done

for method in GET POST; do
  for name in "${servers[@]}"; do
    # Warm-up: fills dnsdist's packet cache and every server's session state.
    run_load "$warmup_seconds" "$method" "$name" >/dev/null 2>&1 || true
  done
  echo "$method:"
  run_rounds measure_doh "${servers[@]}"
  print_summary "$client DoH $method, HTTP/2, $connections connections x $streams_per_connection streams, best of $rounds rounds of $seconds s, server on CPU 0, $client on CPU 1" \
    "${servers[@]}"
  echo
done

# ztgate's own counters: every query it parsed should have a response.
kill -TERM "$ztgate_pid"
wait "$ztgate_pid" || true
echo "ztgate counters: $(grep -E '^(handshakes_failed|queries|responses) ' "$work/ztgate.out" | tr '\n' ' ')"
