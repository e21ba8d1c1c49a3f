#!/usr/bin/env bash
# Makes a throwaway PKI for TLS tests: a CA, and certificates signed by it
# for the switch and for a controller, plus one certificate from an unrelated
# CA (for the refusal case). Usage: make_test_pki.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
subj() { echo "/C=JP/O=hashi-test/CN=$1"; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "$(subj test-ca)" -keyout ca-key.pem -out ca.pem 2>/dev/null
for who in switch controller; do
  openssl req -newkey rsa:2048 -nodes -subj "$(subj $who)" -keyout $who-key.pem -out $who.csr 2>/dev/null
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -out $who.pem 2>/dev/null
done
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "$(subj stranger)" -keyout stranger-key.pem -out stranger.pem 2>/dev/null
