#!/usr/bin/env bash
# Macro benchmark: packets per second of ztgate-dataplane against
# dpdk-testpmd in io-forward mode, both on the same vdev pair: a capture of
# 64-byte frames replayed by net_pcap with infinite_rx=1 into net_null, one
# worker lcore, --no-huge. ztgate-dataplane has 1M flows installed, and the
# capture draws its pairs from them: a hot set of 4,096 pairs and a cold set
# of 65,536. Prints each rate and the ratio to testpmd.
#
#   bench/dataplane/testpmd_compare.sh [BUILD_DIR] [SECONDS]
#
# Run as root on an otherwise idle machine; the figures go to
# docs/BENCHMARKS.md with the machine they came from.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-dp}
seconds=${2:-5}
flows=1048576

for tool in dpdk-testpmd "$build/dataplane/ztgate-dataplane" "$build/controlplane/ztgatectl" \
    "$build/bench/dataplane/bench_dataplane_flows"; do
  if ! command -v "$tool" >/dev/null; then
    echo "testpmd_compare: $tool not found (build the bench targets, install dpdk-dev)" >&2
    exit 1
  fi
done

work=$(mktemp -d /tmp/ztgate-macro.XXXXXX)
dataplane_pid=""
cleanup() {
  if [[ -n "$dataplane_pid" ]] && kill -0 "$dataplane_pid" 2>/dev/null; then
    kill -TERM "$dataplane_pid" 2>/dev/null || true
    wait "$dataplane_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

eal=(-l 0,1 --no-huge -m 1024 --no-pci --no-telemetry --log-level lib.eal:error)

# Prints the outside (net_null) port's transmit count from ztgatectl.
ztgate_tx() {
  "$build/controlplane/ztgatectl" --dataplane "unix:$work/dp.sock" dataplane stats |
    awk '$1 == "port" && $2 == "outside" { print $6 }'
}

run_testpmd() {
  local pcap=$1
  # io forwarding between port 0 (pcap) and port 1 (null): the rate of
  # port 1's transmit side is the forwarded rate.
  {
    sleep 1
    echo "clear port stats all"
    sleep "$seconds"
    echo "show port stats 1"
    echo "stop"
    echo "quit"
  } | dpdk-testpmd "${eal[@]}" --file-prefix="ztgate-macro-pmd-$$" \
      --vdev="net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev=net_null0,no-rx=1 \
      -- -i --forward-mode=io --auto-start --nb-cores=1 --rxq=1 --txq=1 \
      --total-num-mbufs=131072 2>&1 |
    awk '/TX-packets:/ { for (i = 1; i <= NF; i++) if ($i == "TX-packets:") print $(i+1) }' |
    tail -1
}

run_ztgate() {
  local pcap=$1
  cat > "$work/dp.yaml" <<YAML
table:
  size: $flows
api:
  unix_socket: $work/dp.sock
YAML
  "$build/dataplane/ztgate-dataplane" "${eal[@]}" --file-prefix="ztgate-macro-dp-$$" \
    --vdev="net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev=net_null0,no-rx=1 \
    -- --inside net_pcap0 --outside net_null0 --config "$work/dp.yaml" --mbufs 131072 \
    >"$work/dp.out" 2>"$work/dp.log" &
  dataplane_pid=$!
  if ! "$build/controlplane/ztgatectl" --dataplane "unix:$work/dp.sock" health dataplane \
      --wait 60s >/dev/null; then
    echo "testpmd_compare: ztgate-dataplane did not start; its log:" >&2
    cat "$work/dp.log" >&2
    exit 1
  fi
  "$build/bench/dataplane/bench_dataplane_flows" install "unix:$work/dp.sock" "$flows" >&2
  local before after
  before=$(ztgate_tx)
  sleep "$seconds"
  after=$(ztgate_tx)
  kill -TERM "$dataplane_pid"
  wait "$dataplane_pid" || true
  dataplane_pid=""
  echo $((after - before))
}

echo "testpmd_compare: $seconds s per run, $flows flows installed in ztgate-dataplane" >&2
for shape in hot:4096:1 cold:65536:2; do
  IFS=: read -r name pairs seed <<<"$shape"
  "$build/bench/dataplane/bench_dataplane_flows" pcap "$work/$name.pcap" "$pairs" "$seed"
  testpmd_packets=$(run_testpmd "$work/$name.pcap")
  ztgate_packets=$(run_ztgate "$work/$name.pcap")
  awk -v name="$name" -v pairs="$pairs" -v t="$testpmd_packets" -v z="$ztgate_packets" \
      -v s="$seconds" 'BEGIN {
    printf "%-4s %6d pairs: testpmd %6.2f Mpps, ztgate-dataplane %6.2f Mpps, ratio %.2f\n",
           name, pairs, t / s / 1e6, z / s / 1e6, (t > 0 ? z / t : 0) }'
done
