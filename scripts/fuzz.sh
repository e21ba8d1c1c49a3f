#!/usr/bin/env bash
# Builds the OpenFlow codec fuzzer with clang's libFuzzer (plus ASan and
# UBSan) and runs it for a bounded time from a seed corpus of real messages.
# Usage: scripts/fuzz.sh [SECONDS] (default 60). Exit 0: no crash found.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (apt-get install clang)" >&2; exit 77; }
out=build-fuzz
mkdir -p "$out/corpus"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. \
  tests/fuzz/openflow_codec_fuzz.cc control/openflow/match.cc control/openflow/actions.cc \
  control/openflow/messages.cc control/openflow/group_meter_codec.cc control/openflow/bundle_codec.cc \
  -o "$out/openflow_codec_fuzz"
# Seeds: a flow-mod and a packet-out (python3-openflow encodings), a
# multipart flow request, a group-mod, a meter-mod and a bundle add.
seed() { echo "$2" | xxd -r -p > "$out/corpus/$1"; }
seed flow_mod 040e006800000007000000000000123400000000000000000100000000000000affffffffffffffffffffffff000100000001001680000a020800800019080a000000ffffff0000000004001800000000000000100000000200000000000000000001000803000000
seed packet_out 040d005200000009fffffffffffffffd001000000000000000000010fffffff9ffff000000000000ffffffffffff001122334455080600000000000000000000000000000000000000000000000000000000
seed mp_flow 0412003800000003000100000000000000ff000000000002ffffffff000000000000000000000005000000000000000000010004000000000
seed group_mod 040f0030000000050000010000000001001000000000ffffffffffffffff0000000000000000001000000002000000000000
seed meter_mod 041d002000000006000000060000000100010010000003e8000000000000000000
seed bundle_add 0404002800000008 4f4e4600 0000 08fd 00000001 0000 0003 0405000800000009
timeout $((seconds + 60)) "$out/openflow_codec_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 \
  -print_final_stats=1 "$out/corpus" 2>&1 | tail -15
echo "fuzz: no crash in ${seconds} s"
