// Building a TableSet from the flow database's rules, and reading counters.
#include "dataplane/table_set.h"

namespace hashi::dp {

namespace {

// Group ids to indexes in the snapshot's group array.
uint64_t GroupIndex(const std::vector<GroupInput>& groups, uint32_t id) {
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].group->id == id) return i;
  }
  return TableSet::kNoGroup;
}

}  // namespace

std::unique_ptr<TableSet> TableSet::Build(std::vector<const FlowRule*> rules,
                                          const std::array<TableMiss, kMaxTables>& miss,
                                          unsigned num_workers, uint64_t version,
                                          const PipelineObjects& objects) {
  const std::vector<GroupInput>& groups = objects.groups;
  auto ts = std::unique_ptr<TableSet>(new TableSet());
  ts->version_ = version;
  ts->miss_ = miss;
  ts->rules_ = std::move(rules);
  // Every rule's and bucket's actions in one contiguous pool, referenced by
  // RuleRefs and BucketRefs: reserved up front so pointers stay valid.
  size_t n_actions = 0, n_buckets = 0;
  for (const FlowRule* r : ts->rules_) n_actions += r->instructions.apply.size() + r->instructions.write.size() + 1;
  for (const GroupInput& g : groups) {
    n_buckets += g.group->buckets.size();
    for (const Bucket& b : g.group->buckets) n_actions += b.actions.size();
  }
  ts->actions_.reserve(n_actions);
  ts->buckets_.reserve(n_buckets);
  auto copy_actions = [&](const std::vector<Action>& list) {
    const Action* start = ts->actions_.data() + ts->actions_.size();
    for (Action a : list) {
      if (a.type == ActionType::kGroup) a.value = GroupIndex(groups, a.port);
      ts->actions_.push_back(a);
    }
    return start;
  };
  uint32_t group_counter_slots = 0;
  for (const GroupInput& in : groups) {
    const Group& g = *in.group;
    GroupRef ref{&g, g.type, static_cast<uint16_t>(g.buckets.size()), ts->buckets_.data() + ts->buckets_.size(),
                 0, group_counter_slots};
    group_counter_slots += 1 + static_cast<uint32_t>(g.buckets.size());
    for (size_t b = 0; b < g.buckets.size(); ++b) {
      const bool live = b < in.bucket_live.size() ? in.bucket_live[b] : true;
      if (live) ref.total_weight += g.type == GroupType::kSelect ? g.buckets[b].weight : 1;
      BucketRef br{nullptr, static_cast<uint16_t>(g.buckets[b].actions.size()), live, ref.total_weight};
      br.actions = copy_actions(g.buckets[b].actions);
      ts->buckets_.push_back(br);
    }
    ts->groups_.push_back(ref);
  }
  std::array<std::vector<RuleRef>, kMaxTables> per_table;
  for (uint32_t i = 0; i < ts->rules_.size(); ++i) {
    const FlowRule* r = ts->rules_[i];
    const Instructions& ins = r->instructions;
    RuleRef ref{r, i};
    ref.table_id = r->table_id;
    ref.goto_table = ins.goto_table;
    ref.clear_actions = ins.clear_actions;
    ref.write_metadata = ins.write_metadata;
    ref.metadata_value = ins.metadata_value;
    ref.metadata_mask = ins.metadata_mask;
    ref.n_apply = static_cast<uint16_t>(ins.apply.size());
    if (ins.meter_id != 0) {  // the meter runs first: an action ahead of the list
      MeterState* meter = nullptr;
      for (MeterState* m : objects.meters) {
        if (m->config().id == ins.meter_id) meter = m;
      }
      Action a;
      a.type = ActionType::kMeter;
      a.value = reinterpret_cast<uintptr_t>(meter);
      ref.apply = ts->actions_.data() + ts->actions_.size();
      ts->actions_.push_back(a);
      copy_actions(ins.apply);
      ++ref.n_apply;
    } else {
      ref.apply = copy_actions(ins.apply);
    }
    ref.n_write = static_cast<uint16_t>(ins.write.size());
    ref.write = copy_actions(ins.write);
    if (ins.apply.size() == 1 && ins.write.empty() && !ins.clear_actions && !ins.write_metadata &&
        ins.meter_id == 0 &&
        ins.goto_table == kNoGoto && ins.apply[0].type == ActionType::kOutput &&
        ins.apply[0].port < kPortMax) {
      ref.only_output = ins.apply[0].port;
    }
    per_table[r->table_id].push_back(ref);
  }
  for (int t = 0; t < kMaxTables; ++t) {
    if (!per_table[t].empty()) ts->tables_[t] = FlowTable::Build(std::move(per_table[t]));
  }
  const size_t n = ts->rules_.size() ? ts->rules_.size() : 1;
  for (unsigned w = 0; w < (num_workers ? num_workers : 1); ++w) {
    ts->counters_.emplace_back(new RuleCounters[n]());
    ts->table_counters_.emplace_back(new TableCounters[kMaxTables]());
    ts->group_counters_.emplace_back(new RuleCounters[group_counter_slots ? group_counter_slots : 1]());
  }
  return ts;
}

RuleCounters TableSet::SumGroupCounters(uint32_t index) const {
  RuleCounters sum;
  for (const auto& c : group_counters_) {
    sum.packets += __atomic_load_n(&c[index].packets, __ATOMIC_RELAXED);
    sum.bytes += __atomic_load_n(&c[index].bytes, __ATOMIC_RELAXED);
  }
  return sum;
}

RuleCounters TableSet::SumCounters(uint32_t index) const {
  RuleCounters sum;
  for (const auto& c : counters_) {
    sum.packets += __atomic_load_n(&c[index].packets, __ATOMIC_RELAXED);
    sum.bytes += __atomic_load_n(&c[index].bytes, __ATOMIC_RELAXED);
  }
  return sum;
}

TableCounters TableSet::SumTableCounters(uint8_t table) const {
  TableCounters sum;
  for (const auto& c : table_counters_) {
    sum.missed += __atomic_load_n(&c[table].missed, __ATOMIC_RELAXED);
  }
  return sum;
}

}  // namespace hashi::dp
