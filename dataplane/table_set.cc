// Building a TableSet from the flow database's rules, and reading counters.
#include "dataplane/table_set.h"

namespace hashi::dp {

std::unique_ptr<TableSet> TableSet::Build(std::vector<const FlowRule*> rules,
                                          const std::array<TableMiss, kMaxTables>& miss,
                                          unsigned num_workers, uint64_t version) {
  auto ts = std::unique_ptr<TableSet>(new TableSet());
  ts->version_ = version;
  ts->miss_ = miss;
  ts->rules_ = std::move(rules);
  // Every rule's actions in one contiguous pool, referenced by the RuleRefs.
  size_t n_actions = 0;
  for (const FlowRule* r : ts->rules_) n_actions += r->instructions.apply.size() + r->instructions.write.size();
  ts->actions_.reserve(n_actions);
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
    ref.apply = ts->actions_.data() + ts->actions_.size();
    ts->actions_.insert(ts->actions_.end(), ins.apply.begin(), ins.apply.end());
    ref.n_write = static_cast<uint16_t>(ins.write.size());
    ref.write = ts->actions_.data() + ts->actions_.size();
    ts->actions_.insert(ts->actions_.end(), ins.write.begin(), ins.write.end());
    if (ins.apply.size() == 1 && ins.write.empty() && !ins.clear_actions && !ins.write_metadata &&
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
  }
  return ts;
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
