# The lab's network: two namespaces joined through ztgate-dataplane.
#
#   ztlab-clients                  root namespace                 ztlab-internet
#   eth0 ===== veth ===== ztlab-in [ztgate-dataplane] ztlab-out ===== veth ===== eth0
#   198.18.0.10, .20                 net_af_packet on both          .2 (ztgate-control)
#   2001:db8::10, ::20                                              .53 (unbound)
#                                                                   .80-.83 (web)
#
# One Ethernet segment split in two: the dataplane is a bump in the wire, so
# there is no routing and every address is on 198.18.0.0/24 or 2001:db8::/64.
# Offloads are off on every veth end, because af_packet would otherwise read
# frames whose checksums the kernel left for the hardware to fill in.
#
# Sourced by scripts/lab; every function is safe to run twice.

LAB_NS_CLIENTS=ztlab-clients
LAB_NS_INTERNET=ztlab-internet
LAB_IF_INSIDE=ztlab-in
LAB_IF_OUTSIDE=ztlab-out

LAB_CLIENT_A_V4=198.18.0.10
LAB_CLIENT_B_V4=198.18.0.20
LAB_CLIENT_A_V6=2001:db8::10
LAB_CLIENT_B_V6=2001:db8::20
LAB_CONTROL_V4=198.18.0.2
LAB_CONTROL_V6=2001:db8::2
LAB_UNBOUND_V4=198.18.0.53
LAB_UNBOUND_V6=2001:db8::53
LAB_WEB_V4=(198.18.0.80 198.18.0.81 198.18.0.82 198.18.0.83)
LAB_WEB_V6=(2001:db8::80 2001:db8::81 2001:db8::82 2001:db8::83)
# many.corp.lab's eight addresses per family; no host answers on them, the
# lab only checks that each gets a flow.
LAB_MANY_V4=(198.18.0.{90..97})
LAB_MANY_V6=(2001:db8::{90..97})

# Turns off the checksum and segmentation offloads of `iface`, inside `netns`
# when one is given.
lab_offloads_off() {
  local iface=$1 netns=${2:-}
  local run=()
  [[ -n $netns ]] && run=(ip netns exec "$netns")
  "${run[@]}" ethtool -K "$iface" tx off rx off tso off gso off gro off >/dev/null
}

# Creates one veth pair: `outer` stays in the root namespace for af_packet,
# the peer moves into `netns` as eth0 and gets `addresses`.
lab_veth_up() {
  local outer=$1 netns=$2
  shift 2
  ip netns add "$netns"
  ip link add "$outer" type veth peer name "${outer}-p"
  ip link set "${outer}-p" netns "$netns"
  ip -n "$netns" link set "${outer}-p" name eth0
  ip -n "$netns" link set lo up
  local address
  for address in "$@"; do
    if [[ $address == *:* ]]; then
      ip -n "$netns" -6 addr add "$address/64" dev eth0 nodad
    else
      ip -n "$netns" addr add "$address/24" dev eth0
    fi
  done
  ip -n "$netns" link set eth0 up

  # The root side carries no address: no IPv6 link-local chatter, and
  # promiscuous so af_packet sees frames for every MAC behind it.
  sysctl -q -w "net.ipv6.conf.${outer}.disable_ipv6=1"
  ip link set "$outer" promisc on up
  lab_offloads_off "$outer"
  lab_offloads_off eth0 "$netns"
}

# Builds the whole topology. Fails when a piece of it already exists, so that
# a leftover from a killed run is reported rather than silently reused.
lab_topology_up() {
  lab_veth_up "$LAB_IF_INSIDE" "$LAB_NS_CLIENTS" \
    "$LAB_CLIENT_A_V4" "$LAB_CLIENT_B_V4" "$LAB_CLIENT_A_V6" "$LAB_CLIENT_B_V6"
  # Client A's addresses are the source towards ztgate-control for programs
  # that cannot bind one: nghttp, and curl's --doh-url request, which does
  # not take the main transfer's --interface (curl 7.88).
  ip -n "$LAB_NS_CLIENTS" route add "$LAB_CONTROL_V4/32" dev eth0 src "$LAB_CLIENT_A_V4"
  ip -n "$LAB_NS_CLIENTS" -6 route add "$LAB_CONTROL_V6/128" dev eth0 src "$LAB_CLIENT_A_V6"
  lab_veth_up "$LAB_IF_OUTSIDE" "$LAB_NS_INTERNET" \
    "$LAB_CONTROL_V4" "$LAB_UNBOUND_V4" "${LAB_WEB_V4[@]}" \
    "$LAB_CONTROL_V6" "$LAB_UNBOUND_V6" "${LAB_WEB_V6[@]}"
}

# Removes the namespaces and the veth pairs; deleting one end of a veth pair
# deletes the other.
lab_topology_down() {
  local netns link
  for netns in "$LAB_NS_CLIENTS" "$LAB_NS_INTERNET"; do
    ip netns del "$netns" 2>/dev/null || true
  done
  for link in "$LAB_IF_INSIDE" "$LAB_IF_OUTSIDE"; do
    ip link del "$link" 2>/dev/null || true
  done
}

# Reports whether any piece of a lab network exists.
lab_topology_exists() {
  ip netns list | grep -qE "^(${LAB_NS_CLIENTS}|${LAB_NS_INTERNET})( |$)" && return 0
  ip link show "$LAB_IF_INSIDE" >/dev/null 2>&1 && return 0
  ip link show "$LAB_IF_OUTSIDE" >/dev/null 2>&1
}

# Runs a command in the clients' namespace.
in_clients() { ip netns exec "$LAB_NS_CLIENTS" "$@"; }
# Runs a command in the internet's namespace.
in_internet() { ip netns exec "$LAB_NS_INTERNET" "$@"; }
