#!/usr/bin/env bash
# Runs a DPDK test binary backed by hugepages. Exits 77 (meson: skipped, and
# says so) when none can be reserved; never reports a pass it did not run.
set -euo pipefail
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -lt 512 ]; then
  echo "SKIPPED: fewer than 512 free hugepages (have ${free:-0}); run scripts/hugepages.sh" >&2
  exit 77
fi
HASHI_TEST_HUGEPAGES=1 exec "$@"
