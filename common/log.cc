// Implementation of the cold-path logger: one line per call to stderr with a
// monotonic timestamp, level and component, serialised by stdio's own lock.
#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>

namespace hashi {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level); }
LogLevel GetLogLevel() { return g_level.load(); }

void Log(LogLevel level, const char* component, const char* fmt, ...) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "[%5ld.%03ld] %-5s %s: %s\n", static_cast<long>(ts.tv_sec),
               ts.tv_nsec / 1000000, LevelName(level), component, line);
}

}  // namespace hashi
