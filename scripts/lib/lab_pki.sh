# The lab's certificates, made with the openssl command line at run time and
# never committed: a lab CA, one server certificate that ztgate-control and
# unbound both present (names dot.lab and resolver.lab, and their addresses),
# and a client certificate for each lab client, usable for mutual TLS.
#
# Sourced by scripts/lab. lab_pki_create DIR writes:
#   DIR/ca.crt DIR/ca.key
#   DIR/server.crt DIR/server.key
#   DIR/client-a.crt DIR/client-a.key DIR/client-b.crt DIR/client-b.key

LAB_PKI_DAYS=2

# Writes a P-256 private key to `path`.
lab_pki_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# Issues DIR/NAME.crt for `subject`, signed by the lab CA, with the
# extensions given as the body of an OpenSSL extensions file.
lab_pki_leaf() {
  local dir=$1 name=$2 subject=$3 extensions=$4
  lab_pki_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\n%s\n' "$extensions" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days "$LAB_PKI_DAYS" -extfile "$dir/$name.ext" \
    -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

lab_pki_create() {
  local dir=$1
  mkdir -p "$dir"
  lab_pki_key "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -days "$LAB_PKI_DAYS" -subj "/CN=ztgate lab CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.crt" 2>/dev/null
  lab_pki_leaf "$dir" server "/CN=dot.lab" \
    "subjectAltName=DNS:dot.lab,DNS:resolver.lab,IP:${LAB_CONTROL_V4},IP:${LAB_CONTROL_V6},IP:${LAB_UNBOUND_V4},IP:${LAB_UNBOUND_V6}
extendedKeyUsage=serverAuth"
  lab_pki_leaf "$dir" client-a "/CN=client-a.lab" \
    "subjectAltName=URI:spiffe://corp.lab/client-a
extendedKeyUsage=clientAuth"
  lab_pki_leaf "$dir" client-b "/CN=client-b.lab" \
    "subjectAltName=URI:spiffe://corp.lab/client-b
extendedKeyUsage=clientAuth"
  chmod 600 "$dir"/*.key
}
