#!/usr/bin/env bash
# Installs everything hashi needs to build, test and demo, from Debian 12's
# own packages. Idempotent: does nothing when all are already installed.
set -euo pipefail
packages=(
  build-essential g++ meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev          # DPDK 22.11: EAL, PMDs, testpmd, telemetry
  libxen-dev libtbb-dev              # Xen control libraries, Intel TBB
  libgtest-dev libbenchmark-dev      # GoogleTest, Google Benchmark
  iproute2 iputils-ping ethtool      # namespaces, veth, ping
  python3                            # test clients, telemetry reader, pcap generation
  openvswitch-common                 # ovs-ofctl: the OpenFlow client the tests drive hashi with
  python3-openflow python3-scapy     # raw OpenFlow messages; frames sent and sniffed in tests
  libssl-dev openssl nlohmann-json3-dev  # OpenFlow over TLS (and test certificates); hashictl's JSON
  clang libclang-rt-14-dev xxd       # libFuzzer for the codec fuzzer; its seed corpus
  openvswitch-switch-dpdk tshark     # OVS-DPDK as a GRE peer and benchmark baseline; GRE on the wire
  qemu-system-x86 busybox-static     # real VMs to migrate (TCG), and their initramfs (scripts/build_guest.sh)
  python3-matplotlib                 # benchmark plots
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install_deps: missing ${missing[*]}; run as root (sudo) to install them" >&2
  exit 1
fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
