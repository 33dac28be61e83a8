# The two daemons' configuration files for the lab. Lifetimes are seconds,
# not minutes, so that the expiry step of the lab finishes quickly: a flow
# lives max(TTL, lifetime_floor) + grace = 3 s after its answer when the TTL
# is 1 s, and a flow in use lives idle_timeout = 3 s past its last packet.
#
# Sourced by scripts/lab, after lab_topology.sh.

LAB_LIFETIME_FLOOR_S=2
LAB_GRACE_S=1
LAB_IDLE_TIMEOUT_S=3
LAB_DOH_PATH=/dns-query

# Prints ztgate-dataplane's configuration; `mode` is enforce or audit.
lab_dataplane_config() {
  local api_socket=$1 mode=${2:-enforce}
  cat <<YAML
table:
  size: 65536
  idle_timeout: ${LAB_IDLE_TIMEOUT_S}s
  sweep_interval: 500ms
mode: $mode
# ztgate-control's address is the exception: clients reach its DoT and DoH
# listeners before any name is resolved.
exceptions: [${LAB_CONTROL_V4}/32, ${LAB_CONTROL_V6}/128]
pass:
  arp: true
  ndp: true
  dhcp: true
  icmp_errors: true
api:
  unix_socket: $api_socket
log_level: info
YAML
}

# Prints ztgate-control's configuration, with the JSON-lines decision log
# written to `decision_log`. `mode` is the policy mode, enforce or audit.
lab_control_config() {
  local pki=$1 dataplane_socket=$2 api_socket=$3 decision_log=$4 mode=${5:-enforce}
  cat <<YAML
listen:
  dot: ["${LAB_CONTROL_V4}:853", "[${LAB_CONTROL_V6}]:853"]
  doh: ["${LAB_CONTROL_V4}:443", "[${LAB_CONTROL_V6}]:443"]
  doh_path: $LAB_DOH_PATH
tls:
  certificate: $pki/server.crt
  key: $pki/server.key
  # Client certificates are requested and verified but not required, and
  # the policy groups match the lab's clients by address.
  client_ca: $pki/ca.crt
  require_client_certificate: false
upstreams:
  - address: ${LAB_UNBOUND_V4}:853
    tls_name: resolver.lab
    ca_file: $pki/ca.crt
    timeout: 2s
  - address: "[${LAB_UNBOUND_V6}]:853"
    tls_name: resolver.lab
    ca_file: $pki/ca.crt
    timeout: 2s
policy:
  mode: $mode
  groups:
    - name: client-a
      clients: [${LAB_CLIENT_A_V4}/32, ${LAB_CLIENT_A_V6}/128]
      allow: ["*.corp.lab", updates.vendor.lab]
    - name: client-b
      clients: [${LAB_CLIENT_B_V4}/32, ${LAB_CLIENT_B_V6}/128]
      allow: [updates.vendor.lab]
  default_group: {name: default, allow: []}
dataplanes:
  - target: unix:$dataplane_socket
install:
  ack_timeout: 1s
  lifetime_floor: ${LAB_LIFETIME_FLOOR_S}s
  grace: ${LAB_GRACE_S}s
decision_log:
  json_file: $decision_log
api:
  unix_socket: $api_socket
log_level: info
YAML
}
