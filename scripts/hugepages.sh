#!/usr/bin/env bash
# Reserves 2 MB hugepages (default 1536 = 3 GiB) and mounts hugetlbfs at
# /dev/hugepages when possible. Never fails: without hugepages hashi runs
# with --no-huge; prints which mode is available.
pages=${1:-1536}
if [ "$(id -u)" = 0 ]; then
  cur=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
  if [ "$cur" -lt "$pages" ]; then echo "$pages" > /proc/sys/vm/nr_hugepages 2>/dev/null || true; fi
  if ! mount | grep -q " /dev/hugepages type hugetlbfs"; then
    mkdir -p /dev/hugepages 2>/dev/null && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  fi
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 256 ]; then
  echo "hugepages: ${free} free 2 MB pages"
else
  echo "hugepages: none available; hashi will run with --no-huge"
fi
