// The hashictl commands the daemon answers on its management socket:
// show, add-port, del-port, add-flow(s), del-flows, dump-flows, dump-ports,
// dump-tables, dump-groups, set-controller, del-controller, set-fail-mode,
// trace and stats; and for tunnels (mgmt_tunnel_commands.cc) add-tunnel,
// del-tunnel, dump-tunnels, add-route, del-route, add-neighbor, del-neighbor,
// with tunnels, uplinks, neighbours and routes in `show`; and for migrations
// (mgmt_migration_commands.cc) add-vm, del-vm, dump-vms, migrate and
// migration-show. Each turns its arguments into calls on the switch's parts
// and a reply with text (what hashictl prints) and JSON data.
#pragma once

#include "control/flow_db.h"
#include "control/mgmt_server.h"
#include "control/of_switch.h"
#include "control/port_manager.h"
#include "control/tunnel_manager.h"
#include "dataplane/datapath.h"
#include "migration/migration_manager.h"

namespace hashi::app {

struct SwitchParts {
  dp::Datapath& datapath;
  ctl::PortManager& ports;
  ctl::FlowDb& flows;
  ctl::OfSwitch& ofswitch;
  ctl::TunnelManager& tunnels;
  mig::MigrationManager* migrations = nullptr;
};

void RegisterCommands(ctl::MgmtServer& server, SwitchParts parts);
// The argument-count check every command starts with.
Status NeedArgs(const std::vector<std::string>& a, size_t min, size_t max);
void RegisterTunnelCommands(ctl::MgmtServer& server, SwitchParts parts);
void RegisterMigrationCommands(ctl::MgmtServer& server, SwitchParts parts);
// Appends the tunnels, uplinks, neighbours and routes to show's reply.
void ShowUnderlay(SwitchParts& parts, ctl::MgmtReply& reply);

}  // namespace hashi::app
