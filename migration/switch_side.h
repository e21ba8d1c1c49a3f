// SwitchSide: what the migration coordinator asks of this switch during a
// move: the VM's logical port through its bindings (dataplane/port_map.h),
// the announcement of the VM's new place, and the figures of its hold
// queue. The real one (port_mover.h) publishes PortMaps and sends
// PORT_STATUS; the state-machine tests use a recording fake.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "migration/peer_protocol.h"

namespace hashi::mig {

// A port move's figures, summed over the workers (dp::MoveCounters).
struct MoveFigures {
  uint64_t held = 0;           // waited (the port held, or older ones waited)
  uint64_t queued = 0;         // passed through the hold ring (device backpressure)
  uint64_t flushed = 0;        // left the ring to the device or the tunnel
  uint64_t expired = 0;
  uint64_t overflow = 0;
  uint64_t forwarded = 0;      // sent by the forwarding pointer (source)
  uint64_t first_flush_ns = 0; // monotonic time of the first held packet sent (0: none)
  uint64_t held_now = 0;
  // The VM port's own device counters (since the port was opened): what the
  // switch sent to the VM, what the VM's ring refused at first and the
  // switch kept and retried, and what it dropped (refused too long, or
  // beyond the bound). With the move's counters and the switch's drops by
  // reason this says where any packet of the VM's went.
  uint64_t port_tx = 0;
  uint64_t port_refused = 0;
  uint64_t port_dropped = 0;
};

class SwitchSide {
 public:
  virtual ~SwitchSide() = default;

  // Source, step 1: the VM's port is bound Local here, and tunnel port
  // tunnel_ofport exists with its next hop resolved.
  virtual Status CheckSource(const VmIdentity& vm, uint32_t tunnel_ofport) = 0;
  // Source, step 3: the port stays Local, but its packets go through its
  // hold ring, so those the device refuses (the hypervisor stops the VM's
  // queues when it stops the VM, before hashi hears of it) wait instead of
  // being dropped.
  virtual Status HoldOnRefusal(uint32_t ofport) = 0;
  // Source, step 4: Local -> Hold (the VM is paused). toward_tunnel: the
  // tunnel port it will be forwarded into, so nothing that comes out of that
  // tunnel is flooded back into it meanwhile.
  virtual Status Hold(uint32_t ofport, uint32_t toward_tunnel) = 0;
  // Source, step 5: Hold -> Remote through tunnel_ofport: what was held is
  // sent into the tunnel first, then newer packets (the forwarding pointer).
  virtual Status BindRemote(uint32_t ofport, uint32_t tunnel_ofport) = 0;
  // Source, rollback: back to Local; what was held is delivered here first.
  virtual Status BindLocalAgain(uint32_t ofport) = 0;
  // Source, step 6: the forwarding pointer's work is done: the port goes
  // (PORT_STATUS delete).
  virtual Status RemovePort(uint32_t ofport) = 0;

  // Destination, step 2: a Reserved port for vm (known, not active), after
  // checking there is room for it and a tunnel to source_ip. A port already
  // configured for the VM (its name and number) is adopted: its device stays
  // (a vhost-user client that connected to the incoming QEMU's socket as
  // soon as it appeared), and a rollback binds it back as it was.
  virtual Status Reserve(const VmIdentity& vm, uint32_t source_ip) = 0;
  // Destination, step 5: Reserved -> Local (the VM runs here).
  virtual Status BindLocal(uint32_t ofport) = 0;
  // Destination, rollback: the Reserved port goes.
  virtual void Unreserve(uint32_t ofport) = 0;
  // Destination: one round of gratuitous ARP for each address (RARP when
  // the VM has none), as if sent by the VM from its port.
  virtual void Announce(const VmIdentity& vm) = 0;

  // Either side: the move's figures so far. (A Local binding that still
  // carries its move goes back to the plain fast path by itself once nothing
  // has been held for a while.)
  virtual MoveFigures Figures(uint32_t ofport) = 0;
};

}  // namespace hashi::mig
