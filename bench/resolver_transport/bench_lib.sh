# Shell helpers shared by the DoT transport benchmark scripts: a test CA
# and ECDSA P-256 server certificate, a free loopback port, and waiting for
# a TCP port with a deadline. Sourced, not run.

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

# CPU time (user + system) of process $1 in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}
