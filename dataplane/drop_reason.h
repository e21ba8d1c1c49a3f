// DropReason: the enum generated from drop_reasons.def, plus names for
// counters and telemetry.
#pragma once

#include <cstdint>

namespace hashi::dp {

enum class DropReason : uint8_t {
#define DROP_REASON(id, name, desc) id,
#include "dataplane/drop_reasons.def"
#undef DROP_REASON
  kCount
};

inline constexpr int kDropReasonCount = static_cast<int>(DropReason::kCount);

inline constexpr const char* kDropReasonNames[] = {
#define DROP_REASON(id, name, desc) name,
#include "dataplane/drop_reasons.def"
#undef DROP_REASON
};

inline constexpr const char* kDropReasonDescriptions[] = {
#define DROP_REASON(id, name, desc) desc,
#include "dataplane/drop_reasons.def"
#undef DROP_REASON
};

}  // namespace hashi::dp
