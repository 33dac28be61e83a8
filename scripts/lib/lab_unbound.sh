# The lab's upstream resolver: unbound from Debian, authoritative for the lab
# zones (auth-zone with zone files), answering plain DNS on port 53 and DoT
# on port 853 of its own addresses. It neither recurses nor forwards: every
# name outside the lab zones is refused, so nothing leaves the lab.
#
# Sourced by scripts/lab, after lab_topology.sh. lab_unbound_write DIR CERT
# KEY writes DIR/unbound.conf and the zone files.

LAB_ZONES=(corp.lab vendor.lab tracker.lab)

# Prints the SOA and NS records every lab zone starts with. Every record
# states its TTL: in unbound 1.17, a record without one took the TTL of the
# record before it (3600 from the NS record) rather than $TTL.
lab_zone_head() {
  cat <<ZONE
\$ORIGIN $1.
\$TTL 60
@ 3600 IN SOA ns.lab. hostmaster.lab. 1 3600 600 86400 60
@ 3600 IN NS ns.lab.
ZONE
}

# corp.lab:
#   www     A and AAAA with a 1 s TTL, so a flow lives for the control
#           plane's lifetime floor plus grace
#   alias   CNAME chain alias -> portal -> www, answered whole by unbound
#   many    eight addresses of each family, none of them a web server
#   ttl0    TTL 0
#   svc4    HTTPS record with an ipv4hint, svc6 the same with an ipv6hint
#   svc     HTTPS record with both hints, which ztgate-control strips,
#           because a client may own addresses of its query's family only
lab_zone_corp() {
  lab_zone_head corp.lab
  cat <<ZONE
www 1 IN A ${LAB_WEB_V4[0]}
www 1 IN AAAA ${LAB_WEB_V6[0]}
alias 60 IN CNAME portal
portal 60 IN CNAME www
ttl0 0 IN A ${LAB_WEB_V4[1]}
ttl0 0 IN AAAA ${LAB_WEB_V6[1]}
svc4 60 IN HTTPS 1 . alpn=h2 ipv4hint=${LAB_WEB_V4[2]}
svc6 60 IN HTTPS 1 . alpn=h2 ipv6hint=${LAB_WEB_V6[2]}
svc 60 IN HTTPS 1 . alpn=h2 ipv4hint=${LAB_WEB_V4[2]} ipv6hint=${LAB_WEB_V6[2]}
ZONE
  local address
  for address in "${LAB_MANY_V4[@]}"; do echo "many 60 IN A $address"; done
  for address in "${LAB_MANY_V6[@]}"; do echo "many 60 IN AAAA $address"; done
}

lab_zone_vendor() {
  lab_zone_head vendor.lab
  echo "updates 1 IN A ${LAB_WEB_V4[1]}"
  echo "updates 1 IN AAAA ${LAB_WEB_V6[1]}"
}

lab_zone_tracker() {
  lab_zone_head tracker.lab
  echo "@ 60 IN A ${LAB_WEB_V4[3]}"
  echo "@ 60 IN AAAA ${LAB_WEB_V6[3]}"
}

lab_unbound_write() {
  local dir=$1 certificate=$2 key=$3
  lab_zone_corp >"$dir/corp.lab.zone"
  lab_zone_vendor >"$dir/vendor.lab.zone"
  lab_zone_tracker >"$dir/tracker.lab.zone"
  {
    cat <<CONF
server:
  interface: ${LAB_UNBOUND_V4}@53
  interface: ${LAB_UNBOUND_V4}@853
  interface: ${LAB_UNBOUND_V6}@53
  interface: ${LAB_UNBOUND_V6}@853
  tls-port: 853
  tls-service-pem: "$certificate"
  tls-service-key: "$key"
  do-ip4: yes
  do-ip6: yes
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$dir"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: 1
  access-control: 198.18.0.0/15 allow
  access-control: 2001:db8::/32 allow
  module-config: "iterator"
  # Refuse every name outside the lab zones, whose local zones are
  # transparent so that the auth-zones below answer them.
  local-zone: "." refuse
CONF
    local zone
    for zone in "${LAB_ZONES[@]}"; do
      echo "  local-zone: \"$zone.\" transparent"
    done
    for zone in "${LAB_ZONES[@]}"; do
      cat <<CONF
auth-zone:
  name: "$zone."
  zonefile: "$dir/$zone.zone"
  for-downstream: yes
  for-upstream: yes
  fallback-enabled: no
CONF
    done
    cat <<CONF
remote-control:
  control-enable: no
CONF
  } >"$dir/unbound.conf"
}
