// XenBackend: the Hypervisor interface on a Xen host, thin on purpose. The
// source runs `xl migrate NAME HOST` (libxl 4.17 gives callers of
// libxl_domain_suspend no precopy policy or suspend hook; only a caller of
// xc_domain_save itself would get them) and follows it from outside: it
// samples the domains through libxl (libxl_list_domain) and lets XenTracker
// turn what it sees into events. Cancel() stops xl and, if the domain was
// already suspended, resumes it (libxl_domain_resume with suspend_cancel).
// The destination needs nothing started: `xl migrate` runs `xl
// migrate-receive` there over ssh; it watches NAME--incoming become NAME and
// run. CancelIncoming() destroys a half-received NAME--incoming.
//
// The incoming URI for Xen is "xl:HOST" (what `xl migrate` takes as host).
// Built only where libxen-dev is present (meson finds xenlight); elsewhere
// MakeXenBackend says so.
#pragma once

#include <memory>

#include "common/status.h"
#include "migration/hypervisor.h"

namespace hashi::mig {

// incoming_uri: for a destination, "xl:HOST" as the source's xl must name
// this host.
Result<std::unique_ptr<Hypervisor>> MakeXenBackend(const VmIdentity& vm, bool incoming,
                                                   const std::string& incoming_uri);

}  // namespace hashi::mig
