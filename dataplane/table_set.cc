// Building RuleLevels and TableSets, and reading counters.
#include "dataplane/table_set.h"

namespace hashi::dp {

uint64_t GroupIndex(const PipelineObjects& objects, uint32_t id) {
  for (size_t i = 0; i < objects.groups.size(); ++i) {
    if (objects.groups[i].group->id == id) return i;
  }
  return TableSet::kNoGroup;
}

namespace {

// Copies list into pool (reserved by the caller, so pointers stay valid),
// resolving group ids to indexes; returns where the copy starts.
const Action* CopyActions(std::vector<Action>& pool, const std::vector<Action>& list, const PipelineObjects& objects) {
  const Action* start = pool.data() + pool.size();
  for (Action a : list) {
    if (a.type == ActionType::kGroup) a.value = GroupIndex(objects, a.port);
    pool.push_back(a);
  }
  return start;
}

}  // namespace

std::shared_ptr<const RuleLevel> RuleLevel::Build(const std::vector<const FlowRule*>& rules,
                                                  const PipelineObjects& objects, unsigned counter_slots) {
  std::shared_ptr<RuleLevel> level(new RuleLevel());
  level->rules_ = rules;
  size_t n_actions = 0, need_counters = 0;
  for (const FlowRule* r : rules) {
    n_actions += r->instructions.apply.size() + r->instructions.write.size() + 1;
    if (r->counters == nullptr) ++need_counters;
  }
  level->actions_.reserve(n_actions);
  if (need_counters) level->owned_counters_ = std::make_unique<CounterArena>(counter_slots);
  std::array<std::vector<RuleRef>, kMaxTables> per_table;
  for (const FlowRule* r : rules) {
    const Instructions& ins = r->instructions;
    RuleCounters* counters = r->counters ? r->counters : level->owned_counters_->Allocate();
    level->counters_.push_back(counters);
    RuleRef ref{r, counters};
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
      ref.apply = level->actions_.data() + level->actions_.size();
      level->actions_.push_back(a);
      CopyActions(level->actions_, ins.apply, objects);
      ++ref.n_apply;
    } else {
      ref.apply = CopyActions(level->actions_, ins.apply, objects);
    }
    ref.n_write = static_cast<uint16_t>(ins.write.size());
    ref.write = CopyActions(level->actions_, ins.write, objects);
    if (ins.apply.size() == 1 && ins.write.empty() && !ins.clear_actions && !ins.write_metadata &&
        ins.meter_id == 0 && ins.goto_table == kNoGoto && ins.apply[0].type == ActionType::kOutput &&
        ins.apply[0].port < kPortMax) {
      ref.only_output = ins.apply[0].port;
    }
    if (r->table_id == 0) {
      uint64_t beyond_in_port = r->mask.w[0] & ~uint64_t{0xffffffff};
      for (int w = 1; w < kFlowKeyWords; ++w) beyond_in_port |= r->mask.w[w];
      if (beyond_in_port != 0 || ref.only_output == 0) level->table0_in_port_only_ = false;
    }
    per_table[r->table_id].push_back(ref);
  }
  for (int t = 0; t < kMaxTables; ++t) {
    if (!per_table[t].empty()) level->tables_[t] = FlowTable::Build(std::move(per_table[t]));
  }
  return level;
}

std::unique_ptr<TableSet> TableSet::Build(std::vector<const FlowRule*> rules,
                                          const std::array<TableMiss, kMaxTables>& miss,
                                          unsigned num_workers, uint64_t version,
                                          const PipelineObjects& objects) {
  return Assemble({RuleLevel::Build(rules, objects, num_workers)}, miss, num_workers, version, objects);
}

std::unique_ptr<TableSet> TableSet::Assemble(std::vector<std::shared_ptr<const RuleLevel>> levels,
                                             const std::array<TableMiss, kMaxTables>& miss,
                                             unsigned num_workers, uint64_t version,
                                             const PipelineObjects& objects) {
  auto ts = std::unique_ptr<TableSet>(new TableSet());
  ts->version_ = version;
  ts->miss_ = miss;
  std::erase(levels, nullptr);
  ts->levels_ = std::move(levels);
  ts->in_port_only_ = !ts->levels_.empty();
  for (size_t l = 0; l < ts->levels_.size() && l < kMaxLevels; ++l) {
    const RuleLevel& level = *ts->levels_[l];
    for (int t = 0; t < kMaxTables; ++t) ts->tables_[t][l] = level.table(static_cast<uint8_t>(t));
    ts->in_port_only_ = ts->in_port_only_ && level.table0_in_port_only();
  }
  ts->in_port_only_ = ts->in_port_only_ && ts->has_table(0);
  ts->BuildGroups(objects, num_workers);
  for (unsigned w = 0; w < (num_workers ? num_workers : 1); ++w) {
    ts->table_counters_.emplace_back(new TableCounters[kMaxTables]());
  }
  return ts;
}

void TableSet::BuildGroups(const PipelineObjects& objects, unsigned num_workers) {
  size_t n_actions = 0, n_buckets = 0;
  for (const GroupInput& g : objects.groups) {
    n_buckets += g.group->buckets.size();
    for (const Bucket& b : g.group->buckets) n_actions += b.actions.size();
  }
  group_actions_.reserve(n_actions);
  buckets_.reserve(n_buckets);
  uint32_t slots = 0;
  for (const GroupInput& in : objects.groups) {
    const Group& g = *in.group;
    GroupRef ref{&g, g.type, static_cast<uint16_t>(g.buckets.size()), buckets_.data() + buckets_.size(), 0, slots};
    slots += 1 + static_cast<uint32_t>(g.buckets.size());
    for (size_t b = 0; b < g.buckets.size(); ++b) {
      const bool live = b < in.bucket_live.size() ? in.bucket_live[b] : true;
      if (live) ref.total_weight += g.type == GroupType::kSelect ? g.buckets[b].weight : 1;
      BucketRef br{nullptr, static_cast<uint16_t>(g.buckets[b].actions.size()), live, ref.total_weight};
      br.actions = CopyActions(group_actions_, g.buckets[b].actions, objects);
      buckets_.push_back(br);
    }
    groups_.push_back(ref);
  }
  for (unsigned w = 0; w < (num_workers ? num_workers : 1); ++w) {
    group_counters_.emplace_back(new RuleCounters[slots ? slots : 1]());
  }
}

size_t TableSet::rule_count() const {
  size_t n = 0;
  for (const auto& level : levels_) n += level->rules().size();
  return n;
}

const FlowRule* TableSet::rule(uint32_t index) const {
  for (const auto& level : levels_) {
    if (index < level->rules().size()) return level->rules()[index];
    index -= static_cast<uint32_t>(level->rules().size());
  }
  return nullptr;
}

RuleCounters* TableSet::counters(uint32_t index, unsigned worker) const {
  for (const auto& level : levels_) {
    if (index < level->counters().size()) return level->counters()[index] + worker * kCounterStride;
    index -= static_cast<uint32_t>(level->counters().size());
  }
  return nullptr;
}

RuleCounters TableSet::SumCounters(uint32_t index) const {
  RuleCounters sum;
  const RuleCounters* c = counters(index, 0);
  for (unsigned w = 0; w < num_workers(); ++w) {
    sum.packets += __atomic_load_n(&c[w * kCounterStride].packets, __ATOMIC_RELAXED);
    sum.bytes += __atomic_load_n(&c[w * kCounterStride].bytes, __ATOMIC_RELAXED);
  }
  return sum;
}

RuleCounters TableSet::SumGroupCounters(uint32_t index) const {
  RuleCounters sum;
  for (const auto& c : group_counters_) {
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
