#!/usr/bin/env bash
# Builds the tiny test guest the migration tests and benchmarks boot under
# QEMU (TCG): Debian's own kernel (linux-image-amd64, downloaded and
# unpacked, not installed) and an initramfs holding busybox-static, the
# virtio-net modules and hashi_guest_agent (UDP echo on 7, TCP echo on 5001,
# an optional memory dirtier, a heartbeat on the serial console). The guest
# takes its address from the kernel command line: hashi_ip=10.0.0.2/24, and
# hashi_dirty=MB_PER_S hashi_wss=MB to dirty memory.
#
# Usage: scripts/build_guest.sh [OUT_DIR]   (default /var/cache/hashi/guest)
# Prints OUT_DIR; does nothing when the guest there is up to date.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${HASHI_GUEST_DIR:-/var/cache/hashi/guest}}
mkdir -p "$out"
stamp=$(cat "$0" "$here/guest/hashi_guest_agent.c" | sha256sum | cut -c1-16)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio.gz" ]; then
  echo "$out"
  exit 0
fi
[ -x /bin/busybox ] && file /bin/busybox | grep -q "statically linked" || { echo "build_guest: needs busybox-static" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The kernel: the package linux-image-amd64 points at.
kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "build_guest: cannot find the kernel package behind linux-image-amd64" >&2; exit 1; }
(cd "$work" && apt-get download -q "$kpkg" >/dev/null 2>&1) || { echo "build_guest: apt-get download $kpkg failed" >&2; exit 1; }
dpkg -x "$work"/"$kpkg"_*.deb "$work/k"
kver=${kpkg#linux-image-}
cp "$work/k/boot/vmlinuz-$kver" "$out/vmlinuz"
# The initramfs.
r=$work/root
mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,lib/modules}
cp /bin/busybox "$r/bin/busybox"
for m in drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko drivers/virtio/virtio_pci_legacy_dev.ko \
         drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci.ko net/core/failover.ko \
         drivers/net/net_failover.ko drivers/net/virtio_net.ko; do
  f=$(find "$work/k/lib/modules/$kver/kernel/$(dirname "$m")" -maxdepth 1 -name "$(basename "$m")*" | head -1)
  [ -n "$f" ] || { echo "build_guest: module $m missing from $kpkg" >&2; exit 1; }
  case "$f" in *.xz) xz -dc "$f" > "$r/lib/modules/$(basename "$m")" ;; *) cp "$f" "$r/lib/modules/" ;; esac
  echo "$(basename "$m")" >> "$r/lib/modules/order"
done
gcc -static -O2 -Wall -o "$r/bin/hashi_guest_agent" "$here/guest/hashi_guest_agent.c"
cat > "$r/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m; done
arg() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ip link set lo up
ip addr add "$(arg hashi_ip)" dev eth0
ip link set eth0 up
echo "hashi-guest up: $(ip -o addr show eth0 | awk '{print $4}')"
dirty=$(arg hashi_dirty); wss=$(arg hashi_wss)
exec /bin/hashi_guest_agent -d "${dirty:-0}" -w "${wss:-64}"
INIT
chmod +x "$r/init"
(cd "$r" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -9) > "$out/initramfs.cpio.gz"
echo "$stamp" > "$out/stamp"
echo "$out"
