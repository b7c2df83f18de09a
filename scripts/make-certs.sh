#!/usr/bin/env bash
# make-certs.sh: the certificates of mutual TLS between hogar processes, made with the openssl
# CLI: a CA (the cluster's trust root: every daemon's tls-ca), and for each NAME a key and a
# certificate signed by that CA (a daemon's tls-key/tls-certificate, or a client's
# --tls-key/--tls-certificate). ECDSA P-256 keys: cheap handshakes.
#
#   scripts/make-certs.sh [--out DIR] [--days N] [NAME...]
#
# Defaults: DIR build/certs, NAMEs node1 node2 node3 client (the local cluster of
# config/local-cluster/ and the CLI), N 825 days. An existing CA in DIR is reused, so running
# it again with a new NAME adds a member to the same cluster; an existing NAME is left alone.
# Files: DIR/ca.pem, DIR/ca.key (keep this one away from the nodes), DIR/NAME.pem,
# DIR/NAME.key. Each certificate names NAME, localhost and 127.0.0.1; CAF checks that a
# peer's certificate comes from the CA, not which host it names.
set -euo pipefail

out=build/certs
days=825
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --days) days="${2:?--days needs a number}"; shift 2 ;;
    --days=*) days="${1#--days=}"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-certs: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  names=(node1 node2 node3 client)
fi
if ! [[ "$days" =~ ^[1-9][0-9]*$ ]]; then
  echo "make-certs: --days wants a positive number of days, got '$days'" >&2
  exit 2
fi
if ! command -v openssl >/dev/null; then
  echo "make-certs: the openssl command is missing (apt-get install openssl, or scripts/install-deps.sh)" >&2
  exit 1
fi
for name in "${names[@]}"; do
  if ! [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || [ "$name" = ca ]; then
    echo "make-certs: '$name' is not a usable name (letters, digits, '.', '_', '-'; not 'ca')" >&2
    exit 2
  fi
done

mkdir -p "$out"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -f "$out/ca.pem" ] && [ -f "$out/ca.key" ]; then
  echo "make-certs: reusing the CA in $out/ca.pem"
else
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
  openssl req -new -x509 -key "$out/ca.key" -sha256 -days 3650 -subj "/CN=hogar cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.pem" 2>/dev/null
  echo "make-certs: made the CA $out/ca.pem (its key $out/ca.key signs new members)"
fi

for name in "${names[@]}"; do
  if [ -f "$out/$name.pem" ] && [ -f "$out/$name.key" ]; then
    echo "make-certs: keeping $out/$name.pem"
    continue
  fi
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/$name.key"
  # PKCS#8, the form OpenSSL's SSL_CTX_use_PrivateKey_file reads for every key type.
  openssl pkcs8 -topk8 -nocrypt -in "$tmp/$name.key" -out "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "/CN=$name" -out "$tmp/$name.csr" 2>/dev/null
  cat > "$tmp/$name.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1
EOF
  openssl x509 -req -in "$tmp/$name.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
    -CAcreateserial -CAserial "$out/ca.srl" -days "$days" -sha256 \
    -extfile "$tmp/$name.ext" -out "$out/$name.pem" 2>/dev/null
  echo "make-certs: made $out/$name.pem and $out/$name.key"
done
chmod 644 "$out/ca.pem" "$out"/*.pem
