// Entry point shared by the Google Benchmark microbenchmarks.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
