// Logging for the control path and start-up. Never called per packet: the
// fast path counts drop reasons and control reports them on request.
#pragma once

#include <cstdarg>

namespace hashi {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void Log(LogLevel level, const char* component, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace hashi

#define HASHI_LOG_DEBUG(comp, ...) ::hashi::Log(::hashi::LogLevel::kDebug, comp, __VA_ARGS__)
#define HASHI_LOG_INFO(comp, ...) ::hashi::Log(::hashi::LogLevel::kInfo, comp, __VA_ARGS__)
#define HASHI_LOG_WARN(comp, ...) ::hashi::Log(::hashi::LogLevel::kWarn, comp, __VA_ARGS__)
#define HASHI_LOG_ERROR(comp, ...) ::hashi::Log(::hashi::LogLevel::kError, comp, __VA_ARGS__)
