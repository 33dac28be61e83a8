# The lab's traffic-generator variant: dpdk-testpmd in txonly mode feeds
# ztgate-dataplane through two net_memif shared-memory links, with no
# namespaces and no kernel in the packet path. It suits a lab VM with
# spare cores, where the veth lab is too slow to load the dataplane.
#
#   dpdk-testpmd (memif clients)          ztgate-dataplane (memif servers)
#   port 0 <===== memif-inside.sock =====> net_memif0 (inside)
#   port 1 <===== memif-outside.sock ====> net_memif1 (outside)
#
# testpmd sends UDP from 198.18.0.10 to 198.18.1.1 out of both of its
# ports. ztgate-control is not involved: the one flow (198.18.0.10,
# 198.18.1.1) is installed with `ztgatectl dataplane install`. On the inside
# port 198.18.0.10 is the client, so those packets pass; on the outside port
# 198.18.1.1 is the client, which has no flow, so those are dropped as
# no_flow. The two counters show both verdicts at full rate. txonly never
# reads its receive queues, so the dataplane counts most passed frames as
# tx_failed once the memif rings toward testpmd are full.
#
# txonly rather than flowgen: flowgen in DPDK 22.11 ignores --tx-ip and
# sends from its own built-in addresses, which no lab flow can name.
#
# Sourced by scripts/lab. Needs dpdk-testpmd (Debian package dpdk).

LAB_TESTPMD_SECONDS=${LAB_TESTPMD_SECONDS:-10}
LAB_TESTPMD_CLIENT=198.18.0.10
LAB_TESTPMD_DESTINATION=198.18.1.1

lab_testpmd_run() {
  lab_dataplane_config "$LAB_WORK/dataplane.sock" enforce >"$LAB_WORK/dataplane.yaml"
  echo "lab: starting ztgate-dataplane on net_memif servers (logs in $LAB_WORK)"
  lab_spawn "$LAB_WORK/dataplane.log" "$DATAPLANE_BIN" \
    -l 0,1 --no-huge -m 512 --no-pci --no-telemetry --file-prefix="ztgate-lab-dp-$$" \
    --vdev="net_memif0,role=server,id=0,socket=$LAB_WORK/memif-inside.sock,socket-abstract=no" \
    --vdev="net_memif1,role=server,id=0,socket=$LAB_WORK/memif-outside.sock,socket-abstract=no" \
    -- --inside net_memif0 --outside net_memif1 --config "$LAB_WORK/dataplane.yaml"
  ctl_dataplane health dataplane --wait "${LAB_START_DEADLINE_S}s" >/dev/null ||
    lab_not_ready ztgate-dataplane "$LAB_WORK/dataplane.log"

  ctl_dataplane dataplane install "$LAB_TESTPMD_CLIENT" "$LAB_TESTPMD_DESTINATION" 1h \
    testpmd.lab >/dev/null
  echo "lab: installed the flow ($LAB_TESTPMD_CLIENT, $LAB_TESTPMD_DESTINATION)"

  echo "lab: dpdk-testpmd txonly for ${LAB_TESTPMD_SECONDS}s"
  # testpmd without --interactive forwards until it is signalled; SIGINT
  # makes it stop the ports and print its totals.
  timeout -s INT "$LAB_TESTPMD_SECONDS" dpdk-testpmd \
    -l 0,1 --no-huge -m 512 --no-pci --no-telemetry --file-prefix="ztgate-lab-pmd-$$" \
    --vdev="net_memif0,role=client,id=0,socket=$LAB_WORK/memif-inside.sock,socket-abstract=no" \
    --vdev="net_memif1,role=client,id=0,socket=$LAB_WORK/memif-outside.sock,socket-abstract=no" \
    -- --forward-mode=txonly --tx-ip="$LAB_TESTPMD_CLIENT,$LAB_TESTPMD_DESTINATION" \
    --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=8192 --stats-period=1 \
    >"$LAB_WORK/testpmd.log" 2>&1 </dev/null || true
  echo "lab: testpmd's totals:"
  sed -n '/Accumulated forward statistics/,/^ *+\{10,\}$/p' "$LAB_WORK/testpmd.log" |
    sed 's/^/  /'
  echo
  echo "lab: ztgate-dataplane's counters:"
  ctl_dataplane dataplane stats
  echo
  echo "lab: the installed flow and its packet count:"
  ctl_dataplane dataplane flows
  local passed dropped
  passed=$(lab_counter pass flow)
  dropped=$(lab_counter drop no_flow)
  echo "lab: $LAB_TESTPMD_SECONDS s: ${passed:-0} packets passed, ${dropped:-0} dropped as no_flow"
  if ((${passed:-0} > 0 && ${dropped:-0} > 0)); then
    echo "lab: PASS the installed flow passed and the other direction was dropped"
    return 0
  fi
  echo "lab: FAIL expected both passed and dropped packets; see $LAB_WORK/testpmd.log" >&2
  tail -n 20 "$LAB_WORK/testpmd.log" >&2
  return 1
}
