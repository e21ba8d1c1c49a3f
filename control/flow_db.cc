// FlowDb: staging rule changes, building and publishing TableSets, carrying
// counters across snapshots.
#include "control/flow_db.h"

#include "common/log.h"

namespace hashi::ctl {

size_t FlowDb::KeyHash::operator()(const Key& k) const {
  uint32_t h = dp::HashFullKey(k.match) ^ (dp::HashFullKey(k.mask) * 31);
  return (static_cast<size_t>(h) << 16) ^ (static_cast<size_t>(k.table) << 8) ^ k.priority;
}

FlowDb::FlowDb(dp::Datapath& datapath) : datapath_(datapath) {
  miss_.fill(dp::TableMiss::kDrop);
  miss_[0] = dp::TableMiss::kNormal;  // standalone until flows say otherwise
}

Status FlowDb::Add(dp::FlowRule rule) {
  if (rule.table_id >= dp::kMaxTables) return Status::Error("table id out of range");
  if (rule.instructions.goto_table != dp::kNoGoto && rule.instructions.goto_table <= rule.table_id) {
    return Status::Error("goto_table must name a later table");
  }
  rule.Normalize();
  const Key key = KeyOf(rule);
  auto it = rules_.find(key);
  if (it != rules_.end()) {
    retired_.push_back(std::move(it->second.rule));
    it->second = Entry{};
    it->second.rule = std::make_unique<dp::FlowRule>(std::move(rule));
  } else {
    Entry e;
    e.rule = std::make_unique<dp::FlowRule>(std::move(rule));
    rules_.emplace(key, std::move(e));
  }
  return Status::Ok();
}

size_t FlowDb::Delete(int table, const dp::FlowRule& filter, bool strict) {
  size_t n = 0;
  for (auto it = rules_.begin(); it != rules_.end();) {
    const dp::FlowRule& r = *it->second.rule;
    bool hit = table == kAllTables || r.table_id == table;
    if (hit && strict) {
      hit = r.priority == filter.priority && r.match == filter.match && r.mask == filter.mask;
    } else if (hit) {
      // r is at least as specific: every bit filter cares about, r also
      // fixes to the same value.
      for (int w = 0; w < dp::kFlowKeyWords && hit; ++w) {
        hit = (r.mask.w[w] & filter.mask.w[w]) == filter.mask.w[w] &&
              (r.match.w[w] & filter.mask.w[w]) == filter.match.w[w];
      }
    }
    if (hit) {
      retired_.push_back(std::move(it->second.rule));
      it = rules_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

void FlowDb::SetTableMiss(uint8_t table, dp::TableMiss miss) { miss_[table] = miss; }

void FlowDb::Commit() {
  std::vector<const dp::FlowRule*> list;
  list.reserve(rules_.size());
  std::vector<std::pair<Entry*, int64_t>> old_index;
  old_index.reserve(rules_.size());
  for (auto& [key, e] : rules_) {
    old_index.emplace_back(&e, e.live_index);
    e.live_index = static_cast<int64_t>(list.size());
    list.push_back(e.rule.get());
  }
  auto ts = dp::TableSet::Build(std::move(list), miss_, datapath_.num_workers(), ++version_);
  std::unique_ptr<dp::TableSet> old = datapath_.PublishTables(std::move(ts));
  // The old snapshot is quiescent: fold its counters into the base counts.
  if (old) {
    for (auto& [e, idx] : old_index) {
      if (idx < 0 || static_cast<size_t>(idx) >= old->rule_count()) continue;
      if (old->rule(static_cast<uint32_t>(idx)) != e->rule.get()) continue;
      const dp::RuleCounters c = old->SumCounters(static_cast<uint32_t>(idx));
      e->base.packets += c.packets;
      e->base.bytes += c.bytes;
    }
  }
  old.reset();
  retired_.clear();
}

std::vector<FlowStats> FlowDb::Dump() const {
  std::vector<FlowStats> out;
  const dp::TableSet* live = datapath_.tables();
  for (const auto& [key, e] : rules_) {
    FlowStats s{e.rule.get(), e.base.packets, e.base.bytes};
    if (e.live_index >= 0 && live && static_cast<size_t>(e.live_index) < live->rule_count() &&
        live->rule(static_cast<uint32_t>(e.live_index)) == e.rule.get()) {
      const dp::RuleCounters c = live->SumCounters(static_cast<uint32_t>(e.live_index));
      s.packets += c.packets;
      s.bytes += c.bytes;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace hashi::ctl
