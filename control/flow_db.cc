// FlowDb: staging rule changes, building and publishing TableSets, carrying
// counters across snapshots, timeouts and removal records.
#include "control/flow_db.h"

#include <rte_cycles.h>

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

FlowDb::FlowDb(dp::Datapath& datapath)
    : datapath_(datapath), arena_(std::make_shared<dp::CounterArena>(datapath.counter_slots())) {
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
  SaveUndo(key);
  auto it = rules_.find(key);
  if (it != rules_.end()) {
    // Replacing a rule: its counters carry on (OpenFlow 1.2+) unless reset.
    Entry& e = it->second;
    Retire(e);
    if (reset) {
      e.counters = NewCounters();
      e.last_packets = 0;
    }
    rule.counters = e.counters.get();
    e.rule = std::make_unique<dp::FlowRule>(std::move(rule));
    e.created_ns = e.last_used_ns = now_ns;
    full_rebuild_ = true;  // the old version sits in a shared level
  } else {
    Entry e;
    e.counters = NewCounters();
    rule.counters = e.counters.get();
    e.rule = std::make_unique<dp::FlowRule>(std::move(rule));
    e.created_ns = e.last_used_ns = now_ns;
    if (!full_rebuild_ && !fail_open_) new_rules_.push_back(e.rule.get());  // fail-open hides every rule
    rules_.emplace(key, std::move(e));
  }
  if (rules_.at(key).rule->idle_timeout || rules_.at(key).rule->hard_timeout) {
    timed_.insert(key);
  } else {
    timed_.erase(key);
  }
  dirty_ = true;
  return Status::Ok();
}

FlowDb::CounterBlock FlowDb::NewCounters() const {
  std::shared_ptr<dp::CounterArena> arena = arena_;
  return CounterBlock(arena->Allocate(), [arena](dp::RuleCounters* p) { arena->Free(p); });
}

dp::RuleCounters FlowDb::Count(const Entry& e) const {
  dp::RuleCounters sum;
  for (unsigned w = 0; w < datapath_.counter_slots(); ++w) {
    const dp::RuleCounters& c = e.counters.get()[w * dp::kCounterStride];
    sum.packets += __atomic_load_n(&c.packets, __ATOMIC_RELAXED);
    sum.bytes += __atomic_load_n(&c.bytes, __ATOMIC_RELAXED);
  }
  return sum;
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

bool SendsToGroup(const std::vector<dp::Action>& actions, uint32_t group) {
  for (const dp::Action& a : actions) {
    if (a.type == dp::ActionType::kGroup && (a.port == group || group == 0xfffffffc)) return true;
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
  if (f.out_group != 0xffffffff && !SendsToGroup(r.instructions.apply, f.out_group) &&
      !SendsToGroup(r.instructions.write, f.out_group)) {
    return false;
  }
  return true;
}

size_t FlowDb::Modify(const FlowFilter& filter, const dp::Instructions& instructions, bool reset_counts) {
  size_t n = 0;
  for (auto& [key, e] : rules_) {
    if (!Selects(filter, *e.rule)) continue;
    if (instructions.goto_table != dp::kNoGoto && instructions.goto_table <= e.rule->table_id) continue;
    SaveUndo(key);
    auto updated = std::make_unique<dp::FlowRule>(*e.rule);
    updated->instructions = instructions;
    Retire(e);
    if (reset_counts) {
      e.counters = NewCounters();
      e.last_packets = 0;
    }
    updated->counters = e.counters.get();
    e.rule = std::move(updated);
    ++n;
  }
  if (n) {
    dirty_ = true;
    full_rebuild_ = true;
  }
  return n;
}

size_t FlowDb::Delete(const FlowFilter& filter, RemovedReason reason) {
  size_t n = 0;
  const uint64_t now = SteadyNowNs();
  for (auto it = rules_.begin(); it != rules_.end();) {
    if (Selects(filter, *it->second.rule)) {
      SaveUndo(it->first);
      removing_.push_back(Removing{std::move(it->second), reason, now});
      it = rules_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  if (n) {
    dirty_ = true;
    full_rebuild_ = true;
  }
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
  if (in_transaction_) return 0;
  // Only rules with a timeout are visited (timed_), not the whole table.
  for (auto k = timed_.begin(); k != timed_.end();) {
    auto it = rules_.find(*k);
    if (it == rules_.end()) {
      k = timed_.erase(k);
      continue;
    }
    Entry& e = it->second;
    const dp::FlowRule& r = *e.rule;
    const uint64_t packets = Count(e).packets;
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
      ++k;
      continue;
    }
    removing_.push_back(Removing{std::move(e), reason, now_ns});
    rules_.erase(it);
    k = timed_.erase(k);
    ++n;
  }
  if (n) {
    dirty_ = true;
    full_rebuild_ = true;
  }
  return n;
}

void FlowDb::SaveUndo(const Key& key) {
  if (!in_transaction_ || !undo_saved_.emplace(key, true).second) return;
  Undo u{key, false, {}};
  auto it = rules_.find(key);
  if (it != rules_.end()) {
    const Entry& e = it->second;
    u.existed = true;
    u.old = Entry{std::make_unique<dp::FlowRule>(*e.rule), e.counters, e.created_ns, e.last_used_ns, e.last_packets};
  }
  undo_.push_back(std::move(u));
}

void FlowDb::BeginTransaction() {
  in_transaction_ = true;
  undo_.clear();
  undo_saved_.clear();
  removing_mark_ = removing_.size();
}

void FlowDb::EndTransaction() {
  in_transaction_ = false;
  undo_.clear();
  undo_saved_.clear();
}

void FlowDb::RollbackTransaction() {
  // The live snapshot may still point at any rule object made or removed in
  // the transaction: retire them, never free them before the next commit.
  for (auto u = undo_.rbegin(); u != undo_.rend(); ++u) {
    auto it = rules_.find(u->key);
    if (it != rules_.end()) {
      Retire(it->second);
      rules_.erase(it);
    }
    if (u->existed) rules_.emplace(u->key, std::move(u->old));
  }
  for (size_t i = removing_mark_; i < removing_.size(); ++i) Retire(removing_[i].entry);
  removing_.resize(removing_mark_);
  timed_.clear();
  for (const auto& [key, e] : rules_) {
    if (e.rule->idle_timeout || e.rule->hard_timeout) timed_.insert(key);
  }
  dirty_ = true;
  full_rebuild_ = true;
  EndTransaction();
}

void FlowDb::SetTableMiss(uint8_t table, dp::TableMiss miss) {
  miss_[table] = miss;
  dirty_ = true;
}

void FlowDb::SetFailOpen(bool on) {
  if (on == fail_open_) return;
  fail_open_ = on;
  dirty_ = true;
  full_rebuild_ = true;
  HASHI_LOG_INFO("flow_db", "fail-open %s", on ? "on: forwarding with NORMAL, rules kept" : "off");
}

// Level sizes: the newest level is rebuilt at every commit, so it stays
// small; the middle level may grow to about sqrt(64 n) before everything is
// rebuilt, which keeps the total build work for n single adds near n sqrt n.
namespace {
constexpr size_t kNewLevelCap = 64;
size_t MidLevelCap(size_t n) {
  size_t cap = 1024;
  while (cap * cap < 64 * n) cap *= 2;
  return cap;
}
}  // namespace

void FlowDb::Commit() {
  const unsigned slots = datapath_.counter_slots();
  dp::PipelineObjects objects;
  std::vector<std::pair<GroupEntry*, int64_t>> old_group_index;
  uint32_t group_slot = 0;
  for (auto& [id, g] : groups_) {
    dp::GroupInput in{g.group.get(), {}};
    for (const dp::Bucket& b : g.group->buckets) {
      const bool watched = g.group->type == dp::GroupType::kFastFailover || g.group->type == dp::GroupType::kSelect;
      in.bucket_live.push_back(!watched || b.watch_port == dp::kPortAny || !port_live_ || port_live_(b.watch_port));
    }
    objects.groups.push_back(std::move(in));
    old_group_index.emplace_back(&g, g.live_index);
    g.live_index = group_slot;
    group_slot += 1 + static_cast<uint32_t>(g.group->buckets.size());
  }
  for (auto& [id, m] : meters_) objects.meters.push_back(m.state.get());

  bool rebuild_mid = false;
  if (!full_rebuild_ && new_rules_.size() > kNewLevelCap) {
    mid_rules_.insert(mid_rules_.end(), new_rules_.begin(), new_rules_.end());
    new_rules_.clear();
    if (mid_rules_.size() > MidLevelCap(rules_.size())) {
      full_rebuild_ = true;
    } else {
      rebuild_mid = true;
    }
  }
  if (full_rebuild_) {
    std::vector<const dp::FlowRule*> all;
    if (!fail_open_) {
      all.reserve(rules_.size());
      for (auto& [key, e] : rules_) all.push_back(e.rule.get());
    }
    base_level_ = dp::RuleLevel::Build(all, objects, slots);
    mid_level_.reset();
    mid_rules_.clear();
    new_rules_.clear();
    full_rebuild_ = false;
  } else if (rebuild_mid) {
    mid_level_ = dp::RuleLevel::Build(mid_rules_, objects, slots);
  }
  std::shared_ptr<const dp::RuleLevel> newest;
  if (!new_rules_.empty()) newest = dp::RuleLevel::Build(new_rules_, objects, slots);

  std::array<dp::TableMiss, dp::kMaxTables> miss = miss_;
  if (fail_open_) miss[0] = dp::TableMiss::kNormal;
  auto ts = dp::TableSet::Assemble({base_level_, mid_level_, newest}, miss, slots, ++version_, objects);
  std::unique_ptr<dp::TableSet> old = datapath_.PublishTables(std::move(ts));
  const bool old_is_ours = old && old->version() == published_version_;
  published_version_ = version_;
  // The old snapshot is quiescent: fold its per-snapshot counters.
  if (old_is_ours) {
    for (auto& [g, idx] : old_group_index) {
      if (idx < 0) continue;
      for (size_t k = 0; k < g->base.size(); ++k) {
        const dp::RuleCounters c = old->SumGroupCounters(static_cast<uint32_t>(idx + static_cast<int64_t>(k)));
        g->base[k].packets += c.packets;
        g->base[k].bytes += c.bytes;
      }
    }
    for (int t = 0; t < dp::kMaxTables; ++t) {
      const dp::TableCounters c = old->SumTableCounters(static_cast<uint8_t>(t));
      table_base_[t].missed += c.missed;
    }
  }
  // Rules removed since the last commit: no worker counts them any more.
  for (Removing& r : removing_) {
    const dp::RuleCounters c = Count(r.entry);
    removed_.push_back(RemovedFlow{*r.entry.rule, r.reason, c.packets, c.bytes, r.removed_ns - r.entry.created_ns});
    removed_.back().rule.counters = nullptr;
  }
  removing_.clear();
  old.reset();
  retired_.clear();
  retired_groups_.clear();
  retired_meters_.clear();
  dirty_ = false;
}

void FlowDb::SetGroup(dp::Group group) {
  GroupEntry& e = groups_[group.id];
  const bool same_shape = e.group && e.group->buckets.size() == group.buckets.size();
  if (e.group) retired_groups_.push_back(std::move(e.group));
  if (!same_shape) {
    // New buckets: their counters start at zero (the group's own carry on).
    dp::RuleCounters total = e.base.empty() ? dp::RuleCounters{} : e.base[0];
    if (e.live_index >= 0 && !e.base.empty()) {
      const dp::TableSet* live = datapath_.tables();
      if (live && live->version() == published_version_) {
        const dp::RuleCounters c = live->SumGroupCounters(static_cast<uint32_t>(e.live_index));
        total.packets += c.packets;
        total.bytes += c.bytes;
      }
    }
    e.base.assign(1 + group.buckets.size(), dp::RuleCounters{});
    e.base[0] = total;
    e.live_index = -1;
  }
  if (e.created_ns == 0) e.created_ns = SteadyNowNs();
  e.group = std::make_unique<dp::Group>(std::move(group));
  dirty_ = true;
  full_rebuild_ = true;  // rules' group indexes live in the levels
}

void FlowDb::DeleteGroup(uint32_t id) {
  FlowFilter f;
  f.out_group = id;
  Delete(f, RemovedReason::kGroupDelete);
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (id == 0xfffffffc || it->first == id) {
      retired_groups_.push_back(std::move(it->second.group));
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  dirty_ = true;
  full_rebuild_ = true;
}

std::vector<GroupStats> FlowDb::DumpGroups() const {
  std::map<uint32_t, uint32_t> refs;
  for (const auto& [key, e] : rules_) {
    for (const auto* list : {&e.rule->instructions.apply, &e.rule->instructions.write}) {
      for (const dp::Action& a : *list) {
        if (a.type == dp::ActionType::kGroup) ++refs[a.port];
      }
    }
  }
  const dp::TableSet* live = datapath_.tables();
  const bool live_ok = live && live->version() == published_version_;
  const uint64_t now = SteadyNowNs();
  std::vector<GroupStats> out;
  for (const auto& [id, g] : groups_) {
    GroupStats st{g.group.get(), refs[id], {}, {}, now - g.created_ns};
    std::vector<dp::RuleCounters> c = g.base;
    c.resize(1 + g.group->buckets.size());
    if (live_ok && g.live_index >= 0) {
      for (size_t k = 0; k < c.size(); ++k) {
        const dp::RuleCounters l = live->SumGroupCounters(static_cast<uint32_t>(g.live_index + static_cast<int64_t>(k)));
        c[k].packets += l.packets;
        c[k].bytes += l.bytes;
      }
    }
    st.total = c[0];
    st.buckets.assign(c.begin() + 1, c.end());
    out.push_back(std::move(st));
  }
  return out;
}

void FlowDb::SetMeter(const dp::MeterConfig& config) {
  MeterEntry& e = meters_[config.id];
  if (e.state) retired_meters_.push_back(std::move(e.state));
  e.state = std::make_unique<dp::MeterState>(config, rte_get_tsc_hz());
  if (e.created_ns == 0) e.created_ns = SteadyNowNs();
  dirty_ = true;
  full_rebuild_ = true;  // rules' meter pointers live in the levels
}

void FlowDb::DeleteMeter(uint32_t id) {
  for (auto it = rules_.begin(); it != rules_.end();) {
    const uint32_t m = it->second.rule->instructions.meter_id;
    if (m != 0 && (id == 0xffffffff || m == id)) {
      removing_.push_back(Removing{std::move(it->second), RemovedReason::kMeterDelete, SteadyNowNs()});
      it = rules_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = meters_.begin(); it != meters_.end();) {
    if (id == 0xffffffff || it->first == id) {
      retired_meters_.push_back(std::move(it->second.state));
      it = meters_.erase(it);
    } else {
      ++it;
    }
  }
  dirty_ = true;
  full_rebuild_ = true;
}

std::vector<MeterStats> FlowDb::DumpMeters() const {
  std::map<uint32_t, uint32_t> flows;
  for (const auto& [key, e] : rules_) {
    if (e.rule->instructions.meter_id) ++flows[e.rule->instructions.meter_id];
  }
  const uint64_t now = SteadyNowNs();
  std::vector<MeterStats> out;
  for (const auto& [id, m] : meters_) out.push_back(MeterStats{m.state.get(), flows[id], now - m.created_ns});
  return out;
}

std::vector<TableStat> FlowDb::TableStats() const {
  std::vector<TableStat> out(dp::kMaxTables);
  for (const auto& [key, e] : rules_) {
    TableStat& t = out[e.rule->table_id];
    ++t.active;
    t.matched += Count(e).packets;
  }
  const dp::TableSet* live = datapath_.tables();
  const bool live_ok = live != nullptr && live->version() == published_version_;
  for (int t = 0; t < dp::kMaxTables; ++t) {
    uint64_t missed = table_base_[t].missed;
    if (live_ok) missed += live->SumTableCounters(static_cast<uint8_t>(t)).missed;
    out[t].lookups = out[t].matched + missed;
  }
  return out;
}

std::optional<uint32_t> FlowDb::MissingGroup(const dp::Instructions& ins) const {
  for (const auto* list : {&ins.apply, &ins.write}) {
    for (const dp::Action& a : *list) {
      if (a.type == dp::ActionType::kGroup && !HasGroup(a.port)) return a.port;
    }
  }
  return std::nullopt;
}

std::vector<FlowStats> FlowDb::Dump(const FlowFilter* filter) const {
  std::vector<FlowStats> out;
  const uint64_t now = SteadyNowNs();
  for (const auto& [key, e] : rules_) {
    if (filter && !Selects(*filter, *e.rule)) continue;
    const dp::RuleCounters c = Count(e);
    out.push_back(FlowStats{e.rule.get(), c.packets, c.bytes, now - e.created_ns});
  }
  return out;
}

}  // namespace hashi::ctl
