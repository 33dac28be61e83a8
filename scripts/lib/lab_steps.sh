# The lab's steps: what a client can and cannot reach through ztgate, over
# IPv4 and IPv6, in enforce mode and then in audit mode.
#
# Sourced by scripts/lab, after lab_topology.sh, lab_process.sh and
# lab_report.sh. lab_use_family 4|6 picks the addresses the checks use.

LAB_BLOCK_TIMEOUT_S=2   # how long a connection attempt may take to count as blocked

# Sets the addresses of one IP family.
lab_use_family() {
  LAB_FAMILY=$1
  if [[ $1 == 4 ]]; then
    A=$LAB_CLIENT_A_V4 B=$LAB_CLIENT_B_V4 DOT=$LAB_CONTROL_V4 UNBOUND=$LAB_UNBOUND_V4
    DOH_URL=https://$LAB_CONTROL_V4$LAB_DOH_PATH
    WEB=("${LAB_WEB_V4[@]}") MANY=("${LAB_MANY_V4[@]}") RRTYPE=A
  else
    A=$LAB_CLIENT_A_V6 B=$LAB_CLIENT_B_V6 DOT=$LAB_CONTROL_V6 UNBOUND=$LAB_UNBOUND_V6
    DOH_URL=https://[$LAB_CONTROL_V6]$LAB_DOH_PATH
    WEB=("${LAB_WEB_V6[@]}") MANY=("${LAB_MANY_V6[@]}") RRTYPE=AAAA
  fi
}

# Prints the client name (client-a or client-b) that owns source address $1.
lab_client_of() {
  case $1 in
    "$LAB_CLIENT_A_V4" | "$LAB_CLIENT_A_V6") echo client-a ;;
    *) echo client-b ;;
  esac
}

# Queries ztgate-control over DoT from `source`, presenting that client's
# certificate, and prints kdig's whole output.
lab_dot() {
  local source=$1
  shift
  local client
  client=$(lab_client_of "$source")
  in_clients kdig @"$DOT" -p 853 -b "$source" +tls-ca="$LAB_WORK/pki/ca.crt" \
    +tls-hostname=dot.lab +tls-certfile="$LAB_WORK/pki/$client.crt" \
    +tls-keyfile="$LAB_WORK/pki/$client.key" +timeout=3 +retry=0 "$@" 2>&1 || true
}

# Prints the addresses of type `rrtype` in kdig output `answer`.
lab_answer_addresses() {
  awk -v type="$2" '$3 == "IN" && $4 == type { print $5 }' <<<"$1"
}

# Prints the URL of the web server at `address`.
lab_url() {
  if [[ $1 == *:* ]]; then echo "http://[$1]/"; else echo "http://$1/"; fi
}

# Fetches the page of the web server at `address` from `source`.
lab_fetch() {
  in_clients curl -sS -g --interface "$1" --connect-timeout "$LAB_BLOCK_TIMEOUT_S" \
    -m $((LAB_BLOCK_TIMEOUT_S + 2)) "$(lab_url "$2")"
}

# --- checks: each returns 0 on success and explains a failure on stdout ---

# `source` resolves `name` over DoT and gets `address` in a NOERROR answer.
check_resolves() {
  local source=$1 name=$2 address=$3
  local answer
  answer=$(lab_dot "$source" "$name" "$RRTYPE")
  if ! grep -q 'status: NOERROR' <<<"$answer" ||
    ! lab_answer_addresses "$answer" "$RRTYPE" | grep -qx "$address"; then
    echo "expected NOERROR with $address; kdig printed:"
    echo "$answer"
    return 1
  fi
}

# `source` asks for `name` over DoT and gets REFUSED with EDE 15 (Blocked).
check_refused_blocked() {
  local source=$1 name=$2
  local answer
  answer=$(lab_dot "$source" "$name" "$RRTYPE")
  if ! grep -q 'status: REFUSED' <<<"$answer" || ! grep -q 'EDE: 15' <<<"$answer" ||
    [[ -n $(lab_answer_addresses "$answer" "$RRTYPE") ]]; then
    echo "expected REFUSED with EDE 15 (Blocked) and no address; kdig printed:"
    echo "$answer"
    return 1
  fi
}

# `source` gets a NOERROR HTTPS answer for `name` that carries no address
# hint of the other IP family, which a client of this family cannot own.
check_other_hint_stripped() {
  local answer other=ipv6hint
  [[ $LAB_FAMILY == 6 ]] && other=ipv4hint
  answer=$(lab_dot "$1" "$2" HTTPS)
  if ! grep -q 'status: NOERROR' <<<"$answer" || ! grep -q 'IN[[:space:]]HTTPS' <<<"$answer" ||
    grep -q "$other=" <<<"$answer"; then
    echo "expected an HTTPS answer without $other; kdig printed:"
    echo "$answer"
    return 1
  fi
}

# `source` fetches the page of the web server at `address`.
check_fetches() {
  local body
  if ! body=$(lab_fetch "$1" "$2" 2>&1) || [[ $body != *"web server $2"* ]]; then
    echo "expected the page of $2; curl printed: $body"
    return 1
  fi
}

# `source` cannot connect to `address`: the attempt times out, which is
# curl's exit status 28. A refused connection would mean a reply got through.
check_blocked() {
  local body status=0
  body=$(lab_fetch "$1" "$2" 2>&1) || status=$?
  ((status == 28)) && return 0
  if ((status == 0)); then
    echo "expected no connection, but $2 answered: $body"
  else
    echo "expected a timeout (curl exit status 28), got status $status: $body"
  fi
  return 1
}

# `source` sends a plaintext DNS query over UDP to `server` port 53 and gets
# no answer.
check_plain_dns_blocked() {
  local answer
  answer=$(in_clients kdig @"$2" -b "$1" +notcp +timeout="$LAB_BLOCK_TIMEOUT_S" +retry=0 \
    www.corp.lab "$RRTYPE" 2>&1 || true)
  if grep -q 'status:' <<<"$answer"; then
    echo "expected no answer; kdig printed:"
    echo "$answer"
    return 1
  fi
}

# `source` sends a plaintext DNS query to `server` port 53 and gets an answer.
check_plain_dns_answered() {
  local answer
  answer=$(in_clients kdig @"$2" -b "$1" +notcp +timeout=3 +retry=0 www.corp.lab "$RRTYPE" 2>&1 ||
    true)
  grep -q 'status: NOERROR' <<<"$answer" && return 0
  echo "expected an answer; kdig printed:"
  echo "$answer"
  return 1
}

# The dataplane's table contains the flow (client, address) named `name`.
check_flow() {
  local client=$1 address=$2 name=$3
  local flows
  if ! flows=$(ctl_dataplane dataplane flows --client "$client/$([[ $client == *:* ]] && echo 128 || echo 32)"); then
    echo "cannot read the flow table: $flows"
    return 1
  fi
  awk -v d="$address" -v n="$name" '$2 == d && $NF == n { found = 1 } END { exit !found }' \
    <<<"$flows" && return 0
  echo "no flow to $address named $name for $client; the table holds:"
  echo "$flows"
  return 1
}

# The dataplane's table contains a flow named `name` from `client` to each of
# `addresses`.
check_flows_named() {
  local client=$1 name=$2
  shift 2
  local address
  for address; do
    check_flow "$client" "$address" "$name" || return 1
  done
}

# `source` resolves `name` to `address`, and the flow is in the table.
check_resolves_and_installs() {
  check_resolves "$1" "$2" "$3" && check_flow "$1" "$3" "$2"
}

# The dataplane's table contains no flow from `client` to `address`.
check_no_flow() {
  local client=$1 address=$2
  local flows
  if ! flows=$(ctl_dataplane dataplane flows --client "$client/$([[ $client == *:* ]] && echo 128 || echo 32)"); then
    echo "cannot read the flow table: $flows"
    return 1
  fi
  awk -v d="$address" '$2 == d { found = 1 } END { exit found }' <<<"$flows" && return 0
  echo "unexpected flow to $address for $client:"
  echo "$flows"
  return 1
}

# Prints the value of drop or pass counter `name` from dataplane stats.
lab_counter() {
  ctl_dataplane dataplane stats | awk -v kind="$1" -v n="$2" '$1 == kind && $2 == n { print $3 }'
}

# Counter `kind name` grew past `before`.
check_counter_grew() {
  local now
  now=$(lab_counter "$1" "$2")
  (( ${now:-0} > $3 )) && return 0
  echo "$1 $2 is ${now:-absent}, expected more than $3"
  return 1
}

# --- steps ---

lab_step_allowed() {
  lab_step "1 (IPv$LAB_FAMILY)" "A resolves www.corp.lab over DoT and fetches a page: allowed"
  lab_say "kdig @$DOT -p 853 -b $A +tls www.corp.lab $RRTYPE, then curl --interface $A"
  lab_check "A's answer carries ${WEB[0]}" check_resolves "$A" www.corp.lab "${WEB[0]}"
  lab_check "the flow ($A, ${WEB[0]}) is installed, named www.corp.lab" \
    check_flow "$A" "${WEB[0]}" www.corp.lab
  lab_check "A fetches $(lab_url "${WEB[0]}")" check_fetches "$A" "${WEB[0]}"
  lab_say "the zone's other shapes: a CNAME chain and an HTTPS record's address hint"
  lab_check "alias.corp.lab -> portal -> www answers ${WEB[0]}" \
    check_resolves "$A" alias.corp.lab "${WEB[0]}"
  lab_dot "$A" "svc$LAB_FAMILY.corp.lab" HTTPS >/dev/null
  lab_check "svc$LAB_FAMILY.corp.lab's HTTPS hint ${WEB[2]} is installed, named svc$LAB_FAMILY.corp.lab" \
    check_flow "$A" "${WEB[2]}" "svc$LAB_FAMILY.corp.lab"
  lab_check "svc.corp.lab's hint of the other family is stripped from the answer" \
    check_other_hint_stripped "$A" svc.corp.lab
  lab_dot "$A" many.corp.lab "$RRTYPE" >/dev/null
  lab_check "many.corp.lab installs one flow per address (${#MANY[@]})" \
    check_flows_named "$A" many.corp.lab "${MANY[@]}"
  lab_check "ttl0.corp.lab (TTL 0) is installed for the lifetime floor" \
    check_resolves_and_installs "$A" ttl0.corp.lab "${WEB[1]}"
}

lab_step_unresolved() {
  lab_step "2 (IPv$LAB_FAMILY)" "A connects to an address it never resolved: blocked"
  local before
  before=$(lab_counter drop no_flow)
  lab_say "curl --interface $A $(lab_url "${WEB[3]}") (tracker.lab's address)"
  lab_check "A cannot connect to ${WEB[3]}" check_blocked "$A" "${WEB[3]}"
  lab_check "the drop counter no_flow grew" check_counter_grew drop no_flow "${before:-0}"
}

lab_step_plain_dns() {
  lab_step "3 (IPv$LAB_FAMILY)" "A sends plaintext DNS to port 53 of the lab's unbound: blocked"
  lab_say "kdig @$UNBOUND -b $A +notcp www.corp.lab"
  lab_check "no answer from $UNBOUND port 53" check_plain_dns_blocked "$A" "$UNBOUND"
}

lab_step_refused() {
  lab_step "4 (IPv$LAB_FAMILY)" "B asks for www.corp.lab: REFUSED with EDE Blocked"
  lab_say "kdig @$DOT -p 853 -b $B +tls www.corp.lab $RRTYPE"
  lab_check "B gets REFUSED with EDE 15 (Blocked)" check_refused_blocked "$B" www.corp.lab
  lab_check "B still resolves updates.vendor.lab" check_resolves "$B" updates.vendor.lab "${WEB[1]}"
}

lab_step_per_client() {
  lab_step "5 (IPv$LAB_FAMILY)" "B connects to the address A was allowed: blocked"
  lab_say "A resolves www.corp.lab again, so its flow to ${WEB[0]} is live"
  lab_check "A resolves www.corp.lab" check_resolves "$A" www.corp.lab "${WEB[0]}"
  lab_check "A fetches $(lab_url "${WEB[0]}")" check_fetches "$A" "${WEB[0]}"
  lab_say "curl --interface $B $(lab_url "${WEB[0]}")"
  lab_check "B cannot connect to ${WEB[0]}: the table is per client" check_blocked "$B" "${WEB[0]}"
}

lab_step_expiry() {
  lab_step "6 (IPv$LAB_FAMILY)" "an idle flow expires; a busy connection is not cut"
  local idle_wait=$(( (LAB_LIFETIME_FLOOR_S + LAB_GRACE_S > LAB_IDLE_TIMEOUT_S ?
    LAB_LIFETIME_FLOOR_S + LAB_GRACE_S : LAB_IDLE_TIMEOUT_S) + 2 ))
  local busy_seconds=$((idle_wait + 2))
  lab_say "A resolves www.corp.lab and updates.vendor.lab (TTL 1 s: lifetime" \
    "$((LAB_LIFETIME_FLOOR_S + LAB_GRACE_S)) s, idle timeout $LAB_IDLE_TIMEOUT_S s)"
  lab_check "A resolves www.corp.lab" check_resolves "$A" www.corp.lab "${WEB[0]}"
  lab_check "A resolves updates.vendor.lab" check_resolves "$A" updates.vendor.lab "${WEB[1]}"
  lab_check "A fetches $(lab_url "${WEB[0]}")" check_fetches "$A" "${WEB[0]}"
  lab_say "A keeps a connection to ${WEB[1]} port 7 busy for ${busy_seconds} s" \
    "and leaves ${WEB[0]} idle for ${idle_wait} s"
  lab_spawn "$LAB_WORK/busy.log" ip netns exec "$LAB_NS_CLIENTS" \
    python3 "$repo/scripts/lib/busy_client.py" "$A" "${WEB[1]}" \
    --duration "$busy_seconds" --interval 0.5
  local busy_pid=$LAB_LAST_PID
  sleep "$idle_wait"
  lab_check "the idle flow ($A, ${WEB[0]}) is gone from the table" check_no_flow "$A" "${WEB[0]}"
  lab_check "A cannot connect to ${WEB[0]} any more" check_blocked "$A" "${WEB[0]}"
  local busy_status=0
  wait "$busy_pid" || busy_status=$?
  lab_check "the busy connection to ${WEB[1]} was never cut" \
    bash -c "cat '$LAB_WORK/busy.log'; exit $busy_status"
}

# Runs steps 1 to 7 for one family. Step 8 is the same over IPv6, and step
# 7 (DoH) is in lab_doh.sh.
lab_enforce_steps() {
  lab_use_family "$1"
  lab_step_allowed
  lab_step_unresolved
  lab_step_plain_dns
  lab_step_refused
  lab_step_per_client
  lab_step_expiry
  lab_step_doh
}

# Audit mode installed a flow for B's would-be-denied www.corp.lab; going
# back to enforce mode with --revoke removes it. The query is made again
# first because the lab's flows live only seconds.
check_enforce_revokes_audit_flow() {
  check_resolves "$B" www.corp.lab "${WEB[0]}" || return 1
  check_flow "$B" "${WEB[0]}" www.corp.lab || return 1
  local output
  output=$(ctl_control policy mode enforce --revoke 2>&1) || { echo "$output"; return 1; }
  if ! grep -q '[1-9][0-9]* flow(s) revoked' <<<"$output"; then
    echo "no flow revoked: $output"
    return 1
  fi
  check_no_flow "$B" "${WEB[0]}"
}

lab_step_audit() {
  lab_step 9 "audit mode: blocked traffic passes and is reported"
  lab_check "ztgatectl dataplane mode audit switches the dataplane" \
    ctl_dataplane dataplane mode audit
  lab_check "ztgatectl policy mode audit switches ztgate-control" ctl_control policy mode audit
  local family
  for family in 4 6; do
    lab_use_family "$family"
    lab_check "B's query for www.corp.lab is answered (IPv$family)" \
      check_resolves "$B" www.corp.lab "${WEB[0]}"
    lab_check "A fetches the never-resolved ${WEB[3]}" check_fetches "$A" "${WEB[3]}"
    lab_check "A's plaintext DNS to $UNBOUND port 53 is answered" \
      check_plain_dns_answered "$A" "$UNBOUND"
  done
  lab_check "the dataplane counted audited packets" \
    bash -c "'$CTL_BIN' --dataplane 'unix:$LAB_WORK/dataplane.sock' dataplane stats | grep '^audited'"
  local report
  report=$(ctl_control audit report 2>&1 || true)
  echo "$report" | sed 's/^/    /'
  lab_check "the audit report names www.corp.lab for B" \
    bash -c "grep -q '$LAB_CLIENT_B_V4' <<<\"\$1\" && grep -q www.corp.lab <<<\"\$1\"" _ "$report"
  local destination
  for destination in "${LAB_WEB_V4[3]}" "$LAB_UNBOUND_V4"; do
    lab_check "the audit report lists A's unexplained destination $destination" \
      bash -c "grep -q 'no name explains it:.*$destination' <<<\"\$1\"" _ "$report"
  done

  # Back to enforcement, so a --keep network blocks what it should.
  lab_use_family 4
  lab_check "ztgatectl policy mode enforce --revoke switches back and revokes B's audit flow" \
    check_enforce_revokes_audit_flow
  lab_check "ztgatectl dataplane mode enforce switches the dataplane back" \
    ctl_dataplane dataplane mode enforce
}

lab_run_steps() {
  lab_enforce_steps 4
  echo
  echo "${LAB_BOLD}step 8: steps 1 to 7 over IPv6, DoT to [$LAB_CONTROL_V6]:853 and DoH to" \
    "[$LAB_CONTROL_V6]:443${LAB_RESET}"
  lab_enforce_steps 6
  lab_step_audit
}

# Prints the name-labelled flow table and the dataplane's counters.
lab_print_tables() {
  echo
  echo "${LAB_BOLD}flow table (ztgatectl dataplane flows)${LAB_RESET}"
  ctl_dataplane dataplane flows || true
  echo
  echo "${LAB_BOLD}counters (ztgatectl dataplane stats)${LAB_RESET}"
  ctl_dataplane dataplane stats || true
}
