#!/usr/bin/env sh
# The certificates the loopback sidecars present, made with openssl into
# target/loopback-certs/ (or the directory given), from the repository root:
#
#   envoy-config/loopback/make-certs.sh
#
# A throwaway CA, and two leaf certificates whose URI SANs are SPIFFE IDs, as
# Istio issues them: eu-west's `users` workload (the server) and us-east's
# `frontend` (the client). Keys never leave that directory; run it again for
# fresh ones. Needs OpenSSL 1.1.1 or later.
set -eu

dir=${1:-target/loopback-certs}
mkdir -p "$dir"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/O=meshborder loopback CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null

# leaf NAME SPIFFE_ID
leaf() {
  printf 'subjectAltName=URI:%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n' "$2" \
    > "$dir/$1.ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=meshborder/CN=$1" \
    -keyout "$dir/$1.key" -out "$dir/$1.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 30 -extfile "$dir/$1.ext" -out "$dir/$1.pem" 2>/dev/null
  rm -f "$dir/$1.csr" "$dir/$1.ext"
}

leaf eu-west-users spiffe://cluster.local/ns/shop/sa/users
leaf us-east-frontend spiffe://cluster.local/ns/shop/sa/frontend
rm -f "$dir/ca.srl"
echo "certificates in $dir/: ca.pem, eu-west-users.pem/.key, us-east-frontend.pem/.key"
