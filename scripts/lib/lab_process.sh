# Starting, waiting for and stopping the lab's processes. Every process the
# lab starts is recorded in LAB_PIDS and stopped by pid, first with SIGTERM
# and then, after LAB_STOP_GRACE_S, with SIGKILL. Readiness is polled with a
# deadline, never assumed after a fixed sleep.
#
# Sourced by scripts/lab, after lab_topology.sh. Uses LAB_WORK, LAB_PIDS,
# DATAPLANE_BIN, CONTROL_BIN and CTL_BIN.

LAB_STOP_GRACE_S=5
LAB_START_DEADLINE_S=30

# Stops the given pids: SIGTERM, then SIGKILL for any still running after
# the grace period.
lab_stop_processes() {
  local pid deadline=$((SECONDS + LAB_STOP_GRACE_S))
  for pid in "$@"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "lab: $(cat "/proc/$pid/comm" 2>/dev/null) (pid $pid) did not stop within" \
        "${LAB_STOP_GRACE_S}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

# Runs `command...` in the background with its output in LOG and records
# its pid in LAB_PIDS and LAB_LAST_PID. The command must be a program, not a
# shell function, so that the pid is the program's own: `ip netns exec`
# replaces itself with the program it runs.
lab_spawn() {
  local log=$1
  shift
  # A session of its own, so a SIGINT to the lab's process group (Ctrl-C)
  # reaches only the script, whose trap then stops every daemon in order.
  # In this non-interactive shell a background job is no group leader, so
  # setsid execs the program and the pid stays the program's own.
  setsid "$@" >"$log" 2>&1 &
  LAB_LAST_PID=$!
  LAB_PIDS+=("$LAB_LAST_PID")
}

# Polls `command...` every 0.2 s until it succeeds or `seconds` pass.
lab_wait_until() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Stops the run when a daemon did not become ready, showing its log.
lab_not_ready() {
  local what=$1 log=$2
  echo "lab: $what did not become ready within ${LAB_START_DEADLINE_S}s; the end of its log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}

ctl_dataplane() { "$CTL_BIN" --dataplane "unix:$LAB_WORK/dataplane.sock" "$@"; }
ctl_control() { "$CTL_BIN" --control "unix:$LAB_WORK/control.sock" "$@"; }

lab_start_unbound() {
  lab_unbound_write "$LAB_WORK/unbound" "$LAB_WORK/pki/server.crt" "$LAB_WORK/pki/server.key"
  unbound-checkconf "$LAB_WORK/unbound/unbound.conf" >/dev/null
  lab_spawn "$LAB_WORK/unbound.log" ip netns exec "$LAB_NS_INTERNET" unbound -d -c "$LAB_WORK/unbound/unbound.conf"
  lab_wait_until "$LAB_START_DEADLINE_S" in_internet kdig @"$LAB_UNBOUND_V4" +timeout=1 \
    +retry=0 +short www.corp.lab A || lab_not_ready unbound "$LAB_WORK/unbound.log"
}

lab_start_web_servers() {
  lab_spawn "$LAB_WORK/web.log" ip netns exec "$LAB_NS_INTERNET" python3 "$repo/scripts/lib/lab_servers.py" \
    "${LAB_WEB_V4[@]}" "${LAB_WEB_V6[@]}"
  lab_wait_until "$LAB_START_DEADLINE_S" in_internet curl -sf -m 1 \
    "http://[${LAB_WEB_V6[3]}]/" || lab_not_ready "web servers" "$LAB_WORK/web.log"
}

# Starts ztgate-dataplane on the root-namespace ends of the veth pairs.
lab_start_dataplane() {
  lab_dataplane_config "$LAB_WORK/dataplane.sock" enforce >"$LAB_WORK/dataplane.yaml"
  lab_spawn "$LAB_WORK/dataplane.log" "$DATAPLANE_BIN" \
    -l 0,1 --no-huge -m 512 --no-pci --no-telemetry --file-prefix="ztgate-lab-$$" \
    --vdev="net_af_packet0,iface=$LAB_IF_INSIDE" --vdev="net_af_packet1,iface=$LAB_IF_OUTSIDE" \
    -- --inside net_af_packet0 --outside net_af_packet1 --config "$LAB_WORK/dataplane.yaml"
  LAB_DATAPLANE_PID=$LAB_LAST_PID
  ctl_dataplane health dataplane --wait "${LAB_START_DEADLINE_S}s" >/dev/null ||
    lab_not_ready ztgate-dataplane "$LAB_WORK/dataplane.log"
}

# Starts ztgate-control in the internet namespace with policy `mode`; it
# reports SERVING once the dataplane is synced.
lab_start_control() {
  local mode=${1:-enforce}
  lab_control_config "$LAB_WORK/pki" "$LAB_WORK/dataplane.sock" "$LAB_WORK/control.sock" \
    "$LAB_WORK/decisions.jsonl" "$mode" >"$LAB_WORK/control-$mode.yaml"
  lab_spawn "$LAB_WORK/control-$mode.log" ip netns exec "$LAB_NS_INTERNET" "$CONTROL_BIN" \
    --config "$LAB_WORK/control-$mode.yaml"
  LAB_CONTROL_PID=$LAB_LAST_PID
  ctl_control health control --wait "${LAB_START_DEADLINE_S}s" >/dev/null ||
    lab_not_ready ztgate-control "$LAB_WORK/control-$mode.log"
}

# Creates the network, the certificates and every process of the lab.
lab_start() {
  echo "lab: work directory $LAB_WORK (configs, logs, certificates)"
  mkdir -p "$LAB_WORK/unbound"
  lab_topology_up
  echo "lab: namespaces $LAB_NS_CLIENTS and $LAB_NS_INTERNET joined by $LAB_IF_INSIDE and $LAB_IF_OUTSIDE"
  lab_pki_create "$LAB_WORK/pki"
  lab_start_unbound
  lab_start_web_servers
  echo "lab: unbound on $LAB_UNBOUND_V4 and $LAB_UNBOUND_V6 (53, 853), web on .80-.83 and ::80-::83"
  lab_start_dataplane
  echo "lab: ztgate-dataplane bridges $LAB_IF_INSIDE and $LAB_IF_OUTSIDE (net_af_packet)"
  lab_start_control enforce
  echo "lab: ztgate-control serves DoT (port 853) and DoH (port 443) on $LAB_CONTROL_V4" \
    "and $LAB_CONTROL_V6"
}

# Records what --down must undo and prints how to explore the running lab.
lab_keep() {
  {
    echo "LAB_KEPT_WORK=$LAB_WORK"
    echo "LAB_KEPT_PIDS=(${LAB_PIDS[*]})"
  } >"$LAB_STATE_FILE"
  touch "$LAB_WORK/kept"
  cat <<TEXT

lab: left running (--keep). Explore it:
  $CTL_BIN --dataplane unix:$LAB_WORK/dataplane.sock dataplane flows
  $CTL_BIN --dataplane unix:$LAB_WORK/dataplane.sock dataplane stats
  $CTL_BIN --dataplane unix:$LAB_WORK/dataplane.sock dataplane drops --count 10
  $CTL_BIN --control unix:$LAB_WORK/control.sock policy get
  $CTL_BIN --control unix:$LAB_WORK/control.sock audit report
  ip netns exec $LAB_NS_CLIENTS kdig @$LAB_CONTROL_V4 -p 853 -b $LAB_CLIENT_A_V4 +tls-ca=$LAB_WORK/pki/ca.crt +tls-hostname=dot.lab www.corp.lab
  ip netns exec $LAB_NS_CLIENTS curl --interface $LAB_CLIENT_A_V4 http://${LAB_WEB_V4[0]}/
  ip netns exec $LAB_NS_CLIENTS curl --cacert $LAB_WORK/pki/ca.crt --doh-url https://$LAB_CONTROL_V4$LAB_DOH_PATH http://www.corp.lab/
  $CTL_BIN --control unix:$LAB_WORK/control.sock control stats
  tail -f $LAB_WORK/decisions.jsonl
  ip netns exec $LAB_NS_INTERNET ss -tlnp
  tcpdump -ni $LAB_IF_INSIDE
Logs and configs are in $LAB_WORK. Tear it down with: scripts/lab --down
TEXT
}

# Stops what a --keep run left running and removes its network.
lab_down_kept() {
  if [[ -f $LAB_STATE_FILE ]]; then
    local LAB_KEPT_WORK="" LAB_KEPT_PIDS=()
    source "$LAB_STATE_FILE"
    lab_stop_processes "${LAB_KEPT_PIDS[@]}"
    [[ $LAB_KEPT_WORK == /tmp/ztgate-lab.* ]] && rm -rf "$LAB_KEPT_WORK"
    rm -f "$LAB_STATE_FILE"
  fi
  lab_stop_leftovers
  lab_topology_down
  echo "lab: torn down"
}

# Stops what a killed run left behind, which wrote no state file: the
# daemons and unbound (their arguments name a /tmp/ztgate-lab.* work
# directory or a ztgate-lab DPDK file prefix) and the lab's Python servers,
# then removes the work directories and DPDK runtime directories.
lab_stop_leftovers() {
  local pids
  mapfile -t pids < <(pgrep -f -- '/tmp/ztgate-lab\.|--file-prefix=ztgate-lab-|scripts/lib/lab_servers\.py|scripts/lib/busy_client\.py' |
    grep -vx "$$" || true)
  if ((${#pids[@]} > 0)); then
    echo "lab: stopping ${#pids[@]} process(es) left by an earlier run: ${pids[*]}"
    lab_stop_processes "${pids[@]}"
  fi
  rm -rf /tmp/ztgate-lab.* /var/run/dpdk/ztgate-lab-* 2>/dev/null || true
}
