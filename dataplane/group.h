// Group: an OpenFlow 1.3 group (section 5.6): an id, a type and buckets of
// actions. ALL sends a copy of the packet through every bucket (flooding,
// multicast), SELECT one bucket chosen by a hash of the flow (weighted, live
// buckets only: load balancing), INDIRECT its single bucket (a shared next
// hop), FAST_FAILOVER the first bucket whose watched port is live.
//
// Control keeps Group objects (FlowDb); a TableSet snapshot holds a compact
// GroupRef per group with each bucket's liveness and select weights already
// resolved, so the fast path never looks at a port's state. A bucket's
// actions run as an ordered list on the bucket's own view of the packet:
// an edit in one bucket is never seen by another (copy-on-write mbufs).
// Buckets do not chain to other groups.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/flow_rule.h"

namespace hashi::dp {

enum class GroupType : uint8_t { kAll = 0, kSelect = 1, kIndirect = 2, kFastFailover = 3 };

struct Bucket {
  uint16_t weight = 0;
  uint32_t watch_port = kPortAny;
  uint32_t watch_group = 0xffffffff;
  std::vector<Action> actions;
  bool operator==(const Bucket&) const = default;
};

struct Group {
  uint32_t id = 0;
  GroupType type = GroupType::kAll;
  std::vector<Bucket> buckets;
};

// A bucket as the fast path sees it.
struct BucketRef {
  const Action* actions;
  uint16_t n_actions;
  bool live;
  uint32_t weight_end;  // select: cumulative weight of live buckets up to this one
};

// A group as the fast path sees it (in a TableSet).
struct GroupRef {
  const Group* group;
  GroupType type;
  uint16_t n_buckets;
  const BucketRef* buckets;
  uint32_t total_weight;   // select: sum of live buckets' weights
  uint32_t counter_index;  // group packets/bytes; bucket b at counter_index + 1 + b
};

}  // namespace hashi::dp
