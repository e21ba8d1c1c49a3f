# Traffic checks between network namespaces, shared by the testbeds
# (testbed.sh, underlay_testbed.sh): each prints what it saw and returns
# non-zero, with the reason on stdout, when the traffic did not pass.

# nc_ping NS LABEL TO_IP COUNT: every echo answered.
nc_ping() {
  local out
  out=$(ip netns exec "$1" ping -c "$4" -i 0.2 -W 3 "$3" 2>&1 || true)
  if ! echo "$out" | grep -q " $4 received"; then
    echo "ping $3 from $2: $out"
    return 1
  fi
  echo "ping $2 -> $3: $4/$4 answered, $(echo "$out" | grep -o 'rtt.*')"
}

# nc_tcp FROM_NS TO_NS TO_IP BYTES WORKDIR LABEL: a TCP transfer checked by SHA-256.
nc_tcp() {
  local port=$((20000 + RANDOM % 10000)) sent rpid
  ip netns exec "$2" /usr/bin/python3 - "$port" > "$5/recv.out" <<'PY' &
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())
PY
  rpid=$!
  sleep 0.5
  if ! sent=$(ip netns exec "$1" /usr/bin/python3 - "$3" "$port" "$4" <<'PY'
import hashlib, socket, sys
data = bytes((i * 31 + 7) % 251 for i in range(int(sys.argv[3])))
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
s.sendall(data); s.close()
print(len(data), hashlib.sha256(data).hexdigest())
PY
  ); then
    kill "$rpid" 2>/dev/null
    echo "TCP connect/send $6 failed"
    return 1
  fi
  wait "$rpid" || { echo "TCP receiver for $6 failed"; return 1; }
  if [ "$(cat "$5/recv.out")" != "$sent" ]; then
    echo "TCP $6: sent '$sent', got '$(cat "$5/recv.out")'"
    return 1
  fi
  echo "tcp $6: ${sent%% *} bytes, sha256 verified"
}
