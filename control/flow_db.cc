// FlowDb: staging rule changes, building and publishing TableSets, carrying
// counters across snapshots, timeouts and removal records.
#include "control/flow_db.h"

#include <chrono>

#include "common/log.h"

namespace hashi::ctl {

uint64_t SteadyNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

size_t FlowDb::KeyHash::operator()(const Key& k) const {
  uint32_t h = dp::HashFullKey(k.match) ^ (dp::HashFullKey(k.mask) * 31);
  return (static_cast<size_t>(h) << 16) ^ (static_cast<size_t>(k.table) << 8) ^ k.priority;
}

FlowDb::FlowDb(dp::Datapath& datapath) : datapath_(datapath) {
  miss_.fill(dp::TableMiss::kDrop);
  miss_[0] = dp::TableMiss::kNormal;  // standalone until flows say otherwise
}

Status FlowDb::Add(dp::FlowRule rule, uint64_t now_ns) {
  if (rule.table_id >= dp::kMaxTables) return Status::Error("table id out of range");
  if (rule.instructions.goto_table != dp::kNoGoto && rule.instructions.goto_table <= rule.table_id) {
    return Status::Error("goto_table must name a later table");
  }
  rule.Normalize();
  const bool reset = rule.flags & kFlagResetCounts;
  const Key key = KeyOf(rule);
  auto it = rules_.find(key);
  if (it != rules_.end()) {
    Entry& e = it->second;
    retired_.push_back(std::move(e.rule));
    if (reset) {
      e.base = {};
      e.live_index = -1;
      e.last_packets = 0;
    }
    e.rule = std::make_unique<dp::FlowRule>(std::move(rule));
    e.created_ns = e.last_used_ns = now_ns;
  } else {
    Entry e;
    e.rule = std::make_unique<dp::FlowRule>(std::move(rule));
    e.created_ns = e.last_used_ns = now_ns;
    rules_.emplace(key, std::move(e));
  }
  dirty_ = true;
  return Status::Ok();
}

bool FlowDb::Overlaps(const dp::FlowRule& rule) const {
  for (const auto& [key, e] : rules_) {
    const dp::FlowRule& r = *e.rule;
    if (r.table_id != rule.table_id || r.priority != rule.priority) continue;
    bool overlap = true;
    for (int w = 0; w < dp::kFlowKeyWords && overlap; ++w) {
      overlap = ((r.match.w[w] ^ rule.match.w[w]) & r.mask.w[w] & rule.mask.w[w]) == 0;
    }
    if (overlap) return true;
  }
  return false;
}

namespace {

bool OutputsTo(const std::vector<dp::Action>& actions, uint32_t port) {
  for (const dp::Action& a : actions) {
    if (a.type == dp::ActionType::kOutput && a.port == port) return true;
  }
  return false;
}

}  // namespace

bool FlowDb::Selects(const FlowFilter& f, const dp::FlowRule& r) const {
  if (f.table != kAllTables && r.table_id != f.table) return false;
  if (((r.cookie ^ f.cookie) & f.cookie_mask) != 0) return false;
  if (f.strict) {
    if (r.priority != f.priority || !(r.match == f.match) || !(r.mask == f.mask)) return false;
  } else {
    // r is at least as specific: every bit the filter cares about, r also
    // fixes to the same value.
    for (int w = 0; w < dp::kFlowKeyWords; ++w) {
      if ((r.mask.w[w] & f.mask.w[w]) != f.mask.w[w] || ((r.match.w[w] ^ f.match.w[w]) & f.mask.w[w]) != 0) {
        return false;
      }
    }
  }
  if (f.out_port != dp::kPortAny && !OutputsTo(r.instructions.apply, f.out_port) &&
      !OutputsTo(r.instructions.write, f.out_port)) {
    return false;
  }
  return true;
}

size_t FlowDb::Modify(const FlowFilter& filter, const dp::Instructions& instructions, bool reset_counts) {
  size_t n = 0;
  for (auto& [key, e] : rules_) {
    if (!Selects(filter, *e.rule)) continue;
    if (instructions.goto_table != dp::kNoGoto && instructions.goto_table <= e.rule->table_id) continue;
    auto updated = std::make_unique<dp::FlowRule>(*e.rule);
    updated->instructions = instructions;
    retired_.push_back(std::move(e.rule));
    e.rule = std::move(updated);
    if (reset_counts) {
      e.base = {};
      e.live_index = -1;
      e.last_packets = 0;
    }
    ++n;
  }
  if (n) dirty_ = true;
  return n;
}

size_t FlowDb::Delete(const FlowFilter& filter, RemovedReason reason) {
  size_t n = 0;
  const uint64_t now = SteadyNowNs();
  for (auto it = rules_.begin(); it != rules_.end();) {
    if (Selects(filter, *it->second.rule)) {
      removing_.push_back(Removing{std::move(it->second), reason, now});
      it = rules_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  if (n) dirty_ = true;
  return n;
}

size_t FlowDb::Delete(int table, const dp::FlowRule& rule, bool strict) {
  FlowFilter f;
  f.table = table;
  f.match = rule.match;
  f.mask = rule.mask;
  f.strict = strict;
  f.priority = rule.priority;
  return Delete(f);
}

size_t FlowDb::ExpireFlows(uint64_t now_ns) {
  size_t n = 0;
  for (auto it = rules_.begin(); it != rules_.end();) {
    Entry& e = it->second;
    const dp::FlowRule& r = *e.rule;
    if (r.idle_timeout == 0 && r.hard_timeout == 0) {
      ++it;
      continue;
    }
    const uint64_t packets = e.base.packets + LiveCounters(e).packets;
    if (packets != e.last_packets) {
      e.last_packets = packets;
      e.last_used_ns = now_ns;
    }
    RemovedReason reason;
    if (r.hard_timeout && now_ns - e.created_ns >= r.hard_timeout * 1000000000ull) {
      reason = RemovedReason::kHardTimeout;
    } else if (r.idle_timeout && now_ns - e.last_used_ns >= r.idle_timeout * 1000000000ull) {
      reason = RemovedReason::kIdleTimeout;
    } else {
      ++it;
      continue;
    }
    removing_.push_back(Removing{std::move(e), reason, now_ns});
    it = rules_.erase(it);
    ++n;
  }
  if (n) dirty_ = true;
  return n;
}

void FlowDb::SetTableMiss(uint8_t table, dp::TableMiss miss) {
  miss_[table] = miss;
  dirty_ = true;
}

void FlowDb::SetFailOpen(bool on) {
  if (on == fail_open_) return;
  fail_open_ = on;
  dirty_ = true;
  HASHI_LOG_INFO("flow_db", "fail-open %s", on ? "on: forwarding with NORMAL, rules kept" : "off");
}

void FlowDb::Commit() {
  std::vector<const dp::FlowRule*> list;
  std::vector<std::pair<Entry*, int64_t>> old_index;
  old_index.reserve(rules_.size());
  if (!fail_open_) list.reserve(rules_.size());
  for (auto& [key, e] : rules_) {
    old_index.emplace_back(&e, e.live_index);
    if (fail_open_) {
      e.live_index = -1;
    } else {
      e.live_index = static_cast<int64_t>(list.size());
      list.push_back(e.rule.get());
    }
  }
  std::array<dp::TableMiss, dp::kMaxTables> miss = miss_;
  if (fail_open_) miss[0] = dp::TableMiss::kNormal;
  auto ts = dp::TableSet::Build(std::move(list), miss, datapath_.counter_slots(), ++version_);
  std::unique_ptr<dp::TableSet> old = datapath_.PublishTables(std::move(ts));
  const bool old_is_ours = old && old->version() == published_version_;
  published_version_ = version_;
  // The old snapshot is quiescent: fold its counters into the base counts.
  auto fold = [&](Entry& e, int64_t idx) {
    if (!old_is_ours || idx < 0 || static_cast<size_t>(idx) >= old->rule_count()) return;
    const dp::RuleCounters c = old->SumCounters(static_cast<uint32_t>(idx));
    e.base.packets += c.packets;
    e.base.bytes += c.bytes;
  };
  for (auto& [e, idx] : old_index) fold(*e, idx);
  if (old_is_ours) {
    for (int t = 0; t < dp::kMaxTables; ++t) {
      const dp::TableCounters c = old->SumTableCounters(static_cast<uint8_t>(t));
      table_base_[t].missed += c.missed;
    }
  }
  for (Removing& r : removing_) {
    fold(r.entry, r.entry.live_index);
    removed_.push_back(RemovedFlow{std::move(*r.entry.rule), r.reason, r.entry.base.packets,
                                   r.entry.base.bytes, r.removed_ns - r.entry.created_ns});
  }
  removing_.clear();
  old.reset();
  retired_.clear();
  dirty_ = false;
}

dp::RuleCounters FlowDb::LiveCounters(const Entry& e) const {
  const dp::TableSet* live = datapath_.tables();
  if (e.live_index < 0 || live == nullptr || live->version() != published_version_ ||
      static_cast<size_t>(e.live_index) >= live->rule_count()) {
    return {};
  }
  return live->SumCounters(static_cast<uint32_t>(e.live_index));
}

TableTotals FlowDb::TableMisses() const {
  TableTotals out = table_base_;
  const dp::TableSet* live = datapath_.tables();
  if (live == nullptr || live->version() != published_version_) return out;
  for (int t = 0; t < dp::kMaxTables; ++t) {
    const dp::TableCounters c = live->SumTableCounters(static_cast<uint8_t>(t));
    out[t].missed += c.missed;
  }
  return out;
}

std::vector<FlowStats> FlowDb::Dump(const FlowFilter* filter) const {
  std::vector<FlowStats> out;
  const uint64_t now = SteadyNowNs();
  for (const auto& [key, e] : rules_) {
    if (filter && !Selects(*filter, *e.rule)) continue;
    const dp::RuleCounters c = LiveCounters(e);
    out.push_back(FlowStats{e.rule.get(), e.base.packets + c.packets, e.base.bytes + c.bytes,
                            now - e.created_ns});
  }
  return out;
}

}  // namespace hashi::ctl
