# The lab's DNS-over-HTTPS step (RFC 8484). Client A resolves through
# ztgate-control's DoH listener on port 443 with curl --doh-url, as an
# application would, and with direct GET and POST requests over HTTP/2
# (nghttp) and HTTP/1.1 (curl --http1.1). It gets the same policy, flows and
# decision log as over DoT.
#
# Sourced by scripts/lab, after lab_steps.sh, whose checks and
# lab_use_family variables (A, WEB, RRTYPE, DOH_URL) it uses.
#
# What curl 7.88.1 (Debian 12) gives its --doh-url request, found by running
# it in this lab: the main transfer's --cacert (the DoH server's certificate
# is verified against the lab CA), but neither --interface nor --cert/--key.
# The DoH request therefore leaves from the source address the kernel picks,
# which lab_topology.sh pins to client A's, and it presents no client
# certificate, so the client-certificate check uses nghttp --cert/--key.

# Runs nghttp in the clients' namespace. nghttp has no option for a CA file
# and only warns on an unverified server certificate, so -y silences the
# warning. curl's checks verify the certificate against the lab CA.
lab_nghttp() {
  in_clients timeout 6 nghttp -y --timeout=5 "$@"
}

# Runs curl from A's address with the lab CA, for a direct DoH request.
lab_curl_doh() {
  in_clients curl -sS -g --interface "$A" --cacert "$LAB_WORK/pki/ca.crt" \
    --connect-timeout "$LAB_BLOCK_TIMEOUT_S" -m 5 "$@"
}

# Writes the query for `name` and RRTYPE to `file` and prints its base64url
# form for ?dns=.
lab_doh_query() {
  python3 "$repo/scripts/lib/lab_dns_message.py" query "$1" "$RRTYPE" "$2"
}

# Prints the value of `name` (a line such as "queries over doh 12" or
# "doh.http_requests 12") from ztgatectl control stats.
lab_control_counter() {
  ctl_control control stats | awk -v n="$1" '
    { value = $NF; $NF = ""; sub(/ +$/, "") }
    $0 == n { print value }'
}

# --- checks: each returns 0 on success and explains a failure on stdout ---

# A resolves `name` through curl --doh-url and fetches the page of the web
# server at `address` in the same command.
check_doh_curl_fetches() {
  local name=$1 address=$2
  local body
  if ! body=$(in_clients curl -sS -g "-$LAB_FAMILY" --interface "$A" \
    --cacert "$LAB_WORK/pki/ca.crt" --doh-url "$DOH_URL" \
    --connect-timeout "$LAB_BLOCK_TIMEOUT_S" -m 6 "http://$name/" 2>&1) ||
    [[ $body != *"web server $address"* ]]; then
    echo "expected the page of $address; curl printed: $body"
    return 1
  fi
}

# The decision log has a record, after its first `skip` lines, for client
# `client`, name `name` and transport `transport`, and with `identity` when
# one is given. The log is written by a background thread, so this polls.
check_decision_logged() {
  local skip=$1 client=$2 name=$3 transport=$4 identity=${5:-}
  local log=$LAB_WORK/decisions.jsonl
  local -a fields=("\"client\":\"$client\"" "\"name\":\"$name\"" "\"transport\":\"$transport\"")
  [[ -n $identity ]] && fields+=("\"identity\":\"$identity\"")
  local deadline=$((SECONDS + 3))
  while :; do
    if tail -n +"$((skip + 1))" "$log" | awk -v fields="${fields[*]}" '
      BEGIN { n = split(fields, want, " ") }
      { for (i = 1; i <= n; i++) if (index($0, want[i]) == 0) next; found = 1 }
      END { exit !found }'; then
      return 0
    fi
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  echo "no decision with ${fields[*]} in $log; its last new lines:"
  tail -n +"$((skip + 1))" "$log" | tail -n 10
  return 1
}

# nghttp's HTTP/2 GET of ?dns=`query` gets 200, content-type
# application/dns-message and a cache-control max-age.
check_doh_nghttp_get() {
  local output status
  output=$(lab_nghttp -v -n "$DOH_URL?dns=$1" 2>&1 || true)
  status=$(sed -n 's/.*recv (stream_id=[0-9]*) :status: //p' <<<"$output")
  if [[ $status != 200 ]] ||
    ! grep -q 'recv (stream_id=[0-9]*) content-type: application/dns-message$' <<<"$output" ||
    ! grep -Eq 'recv \(stream_id=[0-9]+\) cache-control: max-age=[0-9]+$' <<<"$output"; then
    echo "expected 200, application/dns-message and cache-control max-age; nghttp printed:"
    grep -a -E 'recv \(stream_id|error|ERROR|refused' <<<"$output"
    return 1
  fi
}

# nghttp's HTTP/2 POST of the query in `file` as application/dns-message
# gets a NOERROR answer that carries `address`.
check_doh_nghttp_post() {
  local file=$1 address=$2
  local body=$LAB_WORK/doh/post-response.bin answer
  lab_nghttp -d "$file" -H 'content-type: application/dns-message' "$DOH_URL" >"$body" 2>&1 || true
  if ! answer=$(python3 "$repo/scripts/lib/lab_dns_message.py" read "$body" 2>&1) ||
    [[ $(head -n 1 <<<"$answer") != NOERROR ]] || ! grep -qx "$address" <<<"$answer"; then
    echo "expected NOERROR with $address; the response decodes as: $answer"
    return 1
  fi
}

# A's GET of ?dns=`query` with curl option `protocol` (--http2 or
# --http1.1) gets 200 application/dns-message whose DNS rcode is `rcode`,
# with `address` in the answer, or no address when none is given.
check_doh_get() {
  local protocol=$1 query=$2 rcode=$3 address=${4:-}
  local body=$LAB_WORK/doh/get-response.bin result answer addresses
  rm -f "$body"
  result=$(lab_curl_doh "$protocol" -o "$body" -w '%{http_code} %{content_type}' \
    "$DOH_URL?dns=$query" 2>&1 || true)
  if [[ $result != "200 application/dns-message" ]]; then
    echo "expected 200 application/dns-message; curl printed: $result"
    return 1
  fi
  if ! answer=$(python3 "$repo/scripts/lib/lab_dns_message.py" read "$body" 2>&1); then
    echo "$answer"
    return 1
  fi
  addresses=$(tail -n +2 <<<"$answer")
  if [[ $(head -n 1 <<<"$answer") != "$rcode" ]] ||
    { [[ -n $address ]] && ! grep -qx "$address" <<<"$addresses"; } ||
    { [[ -z $address ]] && [[ -n $addresses ]]; }; then
    echo "expected $rcode with ${address:-no address}; the response decodes as:"
    echo "$answer"
    return 1
  fi
}

# A's request, made with the curl options given, gets HTTP status `expected`.
check_doh_status() {
  local expected=$1
  shift
  local status
  status=$(lab_curl_doh -o /dev/null -w '%{http_code}' "$@" 2>&1 || true)
  [[ $status == "$expected" ]] && return 0
  echo "expected HTTP status $expected; curl printed: $status"
  return 1
}

# nghttp's GET of ?dns=`query` with client A's certificate gets 200.
check_doh_nghttp_client_certificate() {
  local output status
  output=$(lab_nghttp -v -n --cert "$LAB_WORK/pki/client-a.crt" \
    --key "$LAB_WORK/pki/client-a.key" "$DOH_URL?dns=$1" 2>&1 || true)
  status=$(sed -n 's/.*recv (stream_id=[0-9]*) :status: //p' <<<"$output")
  [[ $status == 200 ]] && return 0
  echo "expected 200; nghttp printed:"
  grep -a -E 'recv \(stream_id|error|ERROR' <<<"$output"
  return 1
}

# ztgatectl control stats counter `name` grew past `before`.
check_control_counter_grew() {
  local now
  now=$(lab_control_counter "$1")
  ((${now:-0} > $2)) && return 0
  echo "$1 is ${now:-absent}, expected more than $2"
  return 1
}

# --- the step ---

lab_step_doh() {
  lab_step "7 (IPv$LAB_FAMILY)" "A resolves over DoH on port 443: policy, flows and HTTP errors"
  mkdir -p "$LAB_WORK/doh"
  local log_lines queries_before www tracker vendor
  log_lines=$(wc -l <"$LAB_WORK/decisions.jsonl")
  queries_before=$(lab_control_counter "queries over doh")
  www=$(lab_doh_query www.corp.lab "$LAB_WORK/doh/www.bin")
  tracker=$(lab_doh_query tracker.lab "$LAB_WORK/doh/tracker.bin")
  vendor=$(lab_doh_query updates.vendor.lab "$LAB_WORK/doh/vendor.bin")

  lab_say "curl -$LAB_FAMILY --interface $A --cacert ca.crt --doh-url $DOH_URL" \
    "http://www.corp.lab/"
  lab_check "curl resolves www.corp.lab over DoH and fetches the page of ${WEB[0]}" \
    check_doh_curl_fetches www.corp.lab "${WEB[0]}"
  lab_check "the flow ($A, ${WEB[0]}) is installed, named www.corp.lab" \
    check_flow "$A" "${WEB[0]}" www.corp.lab
  lab_check "the decision log records A's query with transport doh" \
    check_decision_logged "$log_lines" "$A" www.corp.lab doh

  lab_say "nghttp (HTTP/2) GET $DOH_URL?dns=... and POST application/dns-message"
  lab_check "GET: 200, application/dns-message, cache-control max-age" check_doh_nghttp_get "$www"
  lab_check "POST: NOERROR with ${WEB[0]}" check_doh_nghttp_post "$LAB_WORK/doh/www.bin" "${WEB[0]}"
  lab_check "curl --http1.1 GET: 200, NOERROR with ${WEB[0]}" \
    check_doh_get --http1.1 "$www" NOERROR "${WEB[0]}"

  lab_say "curl GET ?dns=... for tracker.lab, a name outside A's allow list"
  lab_check "200 with DNS rcode REFUSED and no address" check_doh_get --http2 "$tracker" REFUSED
  lab_check "no flow from A to tracker.lab's ${WEB[3]}" check_no_flow "$A" "${WEB[3]}"
  lab_check "A cannot connect to ${WEB[3]}" check_blocked "$A" "${WEB[3]}"

  lab_say "requests the server rejects"
  lab_check "GET ?dns=!!! (not base64url), HTTP/2: 400" \
    check_doh_status 400 --http2 "$DOH_URL?dns=!!!"
  lab_check "GET of another path, HTTP/1.1: 404" \
    check_doh_status 404 --http1.1 "${DOH_URL%"$LAB_DOH_PATH"}/resolve?dns=$www"
  lab_check "POST with content-type text/plain, HTTP/2: 415" \
    check_doh_status 415 --http2 --data-binary "@$LAB_WORK/doh/www.bin" \
    -H 'content-type: text/plain' "$DOH_URL"

  lab_say "nghttp --cert client-a.crt --key client-a.key (curl 7.88 sends no client" \
    "certificate with its --doh-url request)"
  log_lines=$(wc -l <"$LAB_WORK/decisions.jsonl")
  lab_check "GET with A's client certificate: 200" check_doh_nghttp_client_certificate "$vendor"
  lab_check "the decision log shows A's identity spiffe://corp.lab/client-a" \
    check_decision_logged "$log_lines" "$A" updates.vendor.lab doh spiffe://corp.lab/client-a
  lab_check "ztgatectl control stats: queries over doh grew" \
    check_control_counter_grew "queries over doh" "${queries_before:-0}"
}
