// Cold helpers for FlowKey: field lookup by name and printing.
#include "dataplane/flow_key.h"

#include <cstdio>

namespace hashi::dp {

Field FieldByName(const std::string& name) {
  for (int i = 0; i < static_cast<int>(Field::kCount); ++i) {
    if (name == kFieldInfo[i].name) return static_cast<Field>(i);
  }
  return Field::kCount;
}

std::string FormatKey(const FlowKey& key) {
  std::string out;
  for (int i = 0; i < static_cast<int>(Field::kCount); ++i) {
    const uint64_t v = key.Get(static_cast<Field>(i));
    if (v == 0) continue;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s%s=0x%llx", out.empty() ? "" : ",", kFieldInfo[i].name,
                  static_cast<unsigned long long>(v));
    out += buf;
  }
  return out;
}

}  // namespace hashi::dp
