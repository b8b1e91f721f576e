// Sample buffer and percentile export (see samples.h).
#include "samples.h"

#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>

namespace nxb {

Samples::Samples(size_t capacity) {
  if (capacity == 0) return;
  void* p = mmap(nullptr, capacity * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) return;
  data_ = static_cast<uint64_t*>(p);
  cap_ = capacity;
}

Samples::~Samples() {
  if (data_ != nullptr) munmap(data_, cap_ * sizeof(uint64_t));
}

// Nearest rank: the smallest sample with at least q of all samples <= it.
static uint64_t rank(const uint64_t* sorted, size_t n, double q) {
  size_t idx = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  if (idx == 0) idx = 1;
  if (idx > n) idx = n;
  return sorted[idx - 1];
}

Summary summarize(Samples& s, double ops_per_sample, double timer_cost) {
  Summary out;
  out.ops_per_sample = ops_per_sample;
  out.timer_cost = timer_cost;
  size_t n = s.size();
  out.samples = n;
  if (n == 0) return out;
  uint64_t* d = s.data();
  std::sort(d, d + n);
  auto per_op = [&](uint64_t raw) {
    double v = static_cast<double>(raw) - timer_cost;
    return (v < 0 ? 0 : v) / ops_per_sample;
  };
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += per_op(d[i]);
  out.mean = sum / static_cast<double>(n);
  out.min = per_op(d[0]);
  out.p50 = per_op(rank(d, n, 0.50));
  out.p90 = per_op(rank(d, n, 0.90));
  out.p99 = per_op(rank(d, n, 0.99));
  out.p999 = per_op(rank(d, n, 0.999));
  out.max = per_op(d[n - 1]);
  return out;
}

void export_summary(benchmark::State& st, const Summary& s, double tsc_ghz) {
  struct Field {
    const char* name;
    double cycles;
  };
  const Field fields[] = {{"p50", s.p50}, {"p90", s.p90},   {"p99", s.p99}, {"p999", s.p999},
                          {"max", s.max}, {"min", s.min}, {"mean", s.mean}};
  for (const Field& f : fields) {
    st.counters[std::string(f.name) + "_cycles"] = f.cycles;
    st.counters[std::string(f.name) + "_ns"] = tsc_ghz > 0 ? f.cycles / tsc_ghz : 0;
  }
  st.counters["samples"] = static_cast<double>(s.samples);
  st.counters["ops_per_sample"] = s.ops_per_sample;
  st.counters["timer_cost_cycles"] = s.timer_cost;
  st.counters["tsc_ghz"] = tsc_ghz;
}

}  // namespace nxb
