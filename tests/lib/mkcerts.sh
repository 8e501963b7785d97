#!/bin/bash
# mkcerts.sh DIR - make throwaway TLS test certificates in DIR with the openssl
# CLI (EC P-256 keys: instant to generate). Nothing here is ever committed.
#
#   ca.pem ca.key            root CA: the only thing clients are told to trust
#   inter.pem inter.key      intermediate CA, signed by the root
#   server.pem server.key    leaf for localhost, 127.0.0.1 and ::1, signed by the
#                            intermediate; server-chain.pem = leaf + intermediate
#   other-chain.pem other.key leaf for other.test (SNI tests), same chain
#   expired.pem expired.key  leaf for localhost that expired yesterday
#   wronghost.pem wronghost.key  leaf valid only for wrong.test
#   ipsan.pem ipsan.key      leaf whose only name is IP 127.0.0.1
#   self.pem self.key        self-signed leaf for localhost (no CA)
#   client.pem client.key    client certificate (extendedKeyUsage clientAuth)
#   other-ca.pem             an unrelated CA (for "wrong CA" tests)
set -euo pipefail
d=${1:?usage: mkcerts.sh DIR}
mkdir -p "$d"
cd "$d"
[ -f .done ] && exit 0

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

cat > ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[other]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.test
[wrong]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.test
[ipsan]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
CNF

serial=1000
# sign NAME CN ISSUER SECTION DAYS
sign() {
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
    serial=$((serial + 1))
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial $serial \
        -days "$5" -extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr"
}

key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=weft test root CA" -days 30 \
    -extensions ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) \
    -out ca.pem 2>/dev/null
key other-ca.key
openssl req -x509 -new -key other-ca.key -subj "/CN=unrelated CA" -days 30 \
    -out other-ca.pem 2>/dev/null
sign inter "weft test intermediate CA" ca ca 30
sign server localhost inter server 30
sign other other.test inter other 30
sign expired localhost inter server -1
sign wronghost wrong.test inter wrong 30
sign ipsan 127.0.0.1 inter ipsan 30
sign client "weft test client" inter client 30
cat server.pem inter.pem > server-chain.pem
cat other.pem inter.pem > other-chain.pem
cat expired.pem inter.pem > expired-chain.pem
cat wronghost.pem inter.pem > wronghost-chain.pem
cat ipsan.pem inter.pem > ipsan-chain.pem
cat client.pem inter.pem > client-chain.pem
key self.key
openssl req -x509 -new -key self.key -subj "/CN=localhost" -days 30 \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out self.pem 2>/dev/null
touch .done
