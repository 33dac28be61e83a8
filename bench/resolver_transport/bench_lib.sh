# Shell helpers shared by the DoT and DoH transport benchmark scripts. They
# make a test CA and an ECDSA P-256 server certificate, pick a free
# loopback port and wait for a TCP port with a deadline. They also write
# the query file and the unbound and dnsdist configurations that the
# comparisons share, and measure servers in rounds and print the best round
# of each. Sourced, not run.

# Writes ca.crt, server.crt and server.key (CN and SAN dot.lab) into $1.
make_certs() {
  local dir=$1
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -out "$dir/ca.crt" -days 2 -subj /CN=bench-ca \
    -addext basicConstraints=critical,CA:TRUE 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/server.key" 2>/dev/null
  openssl req -new -key "$dir/server.key" -out "$dir/server.csr" -subj /CN=dot.lab 2>/dev/null
  printf 'subjectAltName=DNS:dot.lab,IP:127.0.0.1\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/server.crt" -days 2 -extfile "$dir/server.ext" 2>/dev/null
  # unbound and dnsdist read the key as another user in some set-ups.
  chmod 644 "$dir/server.key"
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds for 127.0.0.1:$1 to accept TCP connections.
wait_for_port() {
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "127.0.0.1:$port did not accept connections within $2 s" >&2
  return 1
}

# CPU time (user + system, all threads) of process $1 in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# Runs the command in $3... with its stdout and stderr in file $2 and
# prints the CPU seconds that process $1 used meanwhile. A failing command
# is reported on stderr with the end of its output.
run_and_measure_cpu() {
  local pid=$1 out=$2 before after status=0
  shift 2
  before=$(cpu_ticks "$pid")
  "$@" >"$out" 2>&1 || status=$?
  after=$(cpu_ticks "$pid")
  if ((status != 0)); then
    echo "$1 exited with status $status; the end of its output:" >&2
    tail -n 5 "$out" >&2
  fi
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {print t / hz}'
}

# The benchmarks query hostN.corp.lab for N = 1..bench_host_count, A and
# AAAA. unbound serves them as A 198.18.0.N and AAAA 2001:db8::N. ztgate's
# canned-answer handler returns 198.18.0.1 or 2001:db8::1 for any A or AAAA
# query, from memory.
bench_host_count=4

# Writes the query file in dnsperf's format (name and type per line).
write_query_file() {
  local n
  for n in $(seq 1 "$bench_host_count"); do
    printf 'host%d.corp.lab A\nhost%d.corp.lab AAAA\n' "$n" "$n"
  done >"$1"
}

# Writes an unbound config to $1 that serves corp.lab from local-data on
# 127.0.0.1@$2. $3 selects the service on that port: plain (UDP and TCP),
# tls (DoT) or https (DoH on /dns-query, which needs unbound built with
# libnghttp2, as Debian 12's 1.17.1 is). $4 contains server.crt and
# server.key and is unbound's working directory. No recursion: every
# other name is refused, so unbound never sends a query anywhere.
write_unbound_config() {
  local file=$1 port=$2 mode=$3 dir=$4 service_lines="" n
  case $mode in
    plain) ;;
    tls) service_lines="  tls-port: $port" ;;
    https) service_lines="  https-port: $port
  http-endpoint: \"/dns-query\"" ;;
    *)
      echo "write_unbound_config: invalid mode '$mode' (expected plain, tls or https)" >&2
      return 1
      ;;
  esac
  if [[ $mode != plain ]]; then
    service_lines+="
  tls-service-pem: \"$dir/server.crt\"
  tls-service-key: \"$dir/server.key\""
  fi
  cat >"$file" <<CONF
server:
  interface: 127.0.0.1@$port
$service_lines
  do-ip6: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$dir"
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
$(for n in $(seq 1 "$bench_host_count"); do
    printf '  local-data: "host%d.corp.lab. 300 IN A 198.18.0.%d"\n' "$n" "$n"
    printf '  local-data: "host%d.corp.lab. 300 IN AAAA 2001:db8::%d"\n' "$n" "$n"
  done)
remote-control:
  control-enable: no
CONF
}

# Writes a dnsdist config to $1 with the encrypted frontend given as the
# Lua line $3 (addTLSLocal or addDOHLocal), a packet cache, and the plain
# unbound on 127.0.0.1:$2 as its only backend. The plain listener goes to a
# free port so that dnsdist does not need port 53.
write_dnsdist_config() {
  local file=$1 backend_port=$2 frontend=$3
  cat >"$file" <<CONF
setLocal("127.0.0.1:$(free_port)")
$frontend
setACL({"127.0.0.0/8"})
-- dnsdist 1.7 otherwise sends a security-status query through the
-- system resolver at start-up and every hour.
setSecurityPollSuffix("")
newServer({address="127.0.0.1:$backend_port"})
getPool(""):setCache(newPacketCache(100000))
CONF
}

# Measures every server named in $2... for $rounds rounds, one server at a
# time, and prints one line per round. $1 names a function that takes a
# server name and the round number, runs the load for $seconds seconds and
# prints "QUERIES_PER_SECOND CPU_SECONDS LOST". The machine may be shared,
# so the best round of each server counts: it is kept in the associative
# arrays best_qps, best_cpu and best_lost, keyed by server name.
run_rounds() {
  local measure=$1 round name qps cpu lost line
  shift
  declare -gA best_qps=() best_cpu=() best_lost=()
  for name in "$@"; do
    best_qps[$name]=0
    best_cpu[$name]=1
    best_lost[$name]=0
  done
  for round in $(seq 1 "$rounds"); do
    line="round $round:"
    for name in "$@"; do
      read -r qps cpu lost < <("$measure" "$name" "$round")
      line+=$(awk -v n="$name" -v q="$qps" -v c="$cpu" -v s="$seconds" -v l="$lost" \
        'BEGIN {printf " %s %.0f q/s (%.0f%% CPU, %d lost)", n, q, 100 * c / s, l}')
      if awk -v a="$qps" -v b="${best_qps[$name]}" 'BEGIN {exit !(a > b)}'; then
        best_qps[$name]=$qps
        best_cpu[$name]=$cpu
        best_lost[$name]=$lost
      fi
    done
    echo "$line"
  done
}

# Succeeds when server $1 lost at most 1% as many queries as it answered
# in its best round.
lost_share_valid() {
  awk -v q="${best_qps[$1]}" -v l="${best_lost[$1]}" -v s="$seconds" 'BEGIN {exit !(l <= 0.01 * q * s)}'
}

# Prints the title $1, a table of the best rounds that run_rounds kept for
# the servers named in $2..., a warning for each server that lost more than
# 1% of the queries it answered, and the ratios of the first server to each
# other one. Queries per CPU second divide the queries answered by the CPU
# time the server used: when the load generator, not the server, is the
# bottleneck, this shows what one core of the server can do.
print_summary() {
  local title=$1 first=$2 name
  shift
  echo "$title"
  printf '%-8s %12s %10s %16s %8s\n' server queries/s CPU queries/CPU-s lost
  for name in "$@"; do
    awk -v n="$name" -v q="${best_qps[$name]}" -v c="${best_cpu[$name]}" \
        -v l="${best_lost[$name]}" -v s="$seconds" \
      'BEGIN {printf "%-8s %12.0f %9.0f%% %16.0f %8d\n", n, q, 100 * c / s, (c > 0 ? q * s / c : 0), l}'
  done
  for name in "$@"; do
    if ! lost_share_valid "$name"; then
      echo "$name lost ${best_lost[$name]} queries in its best round, more than 1%: its queries/s and queries/CPU-s are not valid"
    fi
  done
  shift
  for name in "$@"; do
    if ! lost_share_valid "$first" || ! lost_share_valid "$name"; then
      echo "$first/$name: no ratio, see the lost queries above"
      continue
    fi
    awk -v a="$first" -v b="$name" \
        -v aq="${best_qps[$first]}" -v ac="${best_cpu[$first]}" \
        -v bq="${best_qps[$name]}" -v bc="${best_cpu[$name]}" 'BEGIN {
      if (aq <= 0 || ac <= 0 || bq <= 0 || bc <= 0) {
        printf "%s/%s: no ratio, a server answered no queries\n", a, b
      } else {
        printf "%s/%s: %.2f queries/s, %.2f queries/CPU-s\n", a, b, aq / bq, (aq / ac) / (bq / bc)
      }
    }'
  done
}

# Starts a plain unbound backend on CPU 1 and, on CPU 0, dnsdist with a
# packet cache in front of it, whose frontend is the dnsdist line $1 (the
# caller picks its port). Uses $work, appends both PIDs to pids and sets
# dnsdist_pid. The cache leaves the backend idle after the first queries.
start_dnsdist() {
  local frontend=$1 backend_port
  backend_port=$(free_port)
  write_unbound_config "$work/backend.conf" "$backend_port" plain "$work"
  taskset -c 1 unbound -d -c "$work/backend.conf" >"$work/backend.log" 2>&1 &
  pids+=($!)
  write_dnsdist_config "$work/dnsdist.conf" "$backend_port" "$frontend"
  wait_for_port "$backend_port" 10
  taskset -c 0 dnsdist --supervised --disable-syslog -C "$work/dnsdist.conf" >"$work/dnsdist.log" 2>&1 &
  pids+=($!)
  dnsdist_pid=$!
}

# Starts unbound on CPU 0 with its own listener of mode $1 (tls or https)
# on a free port. Uses $work, appends its PID to pids and sets unbound_port
# and unbound_pid.
start_unbound() {
  local mode=$1
  unbound_port=$(free_port)
  write_unbound_config "$work/unbound.conf" "$unbound_port" "$mode" "$work"
  taskset -c 0 unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
  pids+=($!)
  unbound_pid=$!
}
