// Per-operation samples and their percentiles.
//
// The buffer is mmap'd and faulted in before timing starts, so neither making
// it nor recording into it goes through the allocator under test (in the
// jemalloc/mimalloc/tcmalloc binaries `malloc` itself is that allocator).
#ifndef NXBENCH_SAMPLES_H
#define NXBENCH_SAMPLES_H

#include <cstddef>
#include <cstdint>

namespace benchmark {
class State;
}

namespace nxb {

class Samples {
 public:
  // Reserves `capacity` samples. ok() is false if the mapping failed.
  explicit Samples(size_t capacity);
  ~Samples();
  Samples(const Samples&) = delete;
  Samples& operator=(const Samples&) = delete;

  bool ok() const { return data_ != nullptr; }
  size_t capacity() const { return cap_; }
  size_t size() const { return n_; }
  void clear() { n_ = 0; }
  // Records one raw sample (cycles between the fenced reads). Samples past
  // capacity are counted in dropped() instead of written.
  void push(uint64_t cycles) {
    if (n_ < cap_)
      data_[n_++] = cycles;
    else
      dropped_++;
  }
  size_t dropped() const { return dropped_; }
  uint64_t* data() { return data_; }

 private:
  uint64_t* data_ = nullptr;
  size_t cap_ = 0;
  size_t n_ = 0;
  size_t dropped_ = 0;
};

// Percentiles of one case run, in cycles per operation.
struct Summary {
  size_t samples = 0;
  double ops_per_sample = 1;
  double timer_cost = 0;  // cycles subtracted from every raw sample
  double min = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

// Sorts the samples in place and computes nearest-rank percentiles of
//   max(0, raw - timer_cost) / ops_per_sample.
// Both modes pass the timer's mean cost (TimerCost::mean); in batched mode it
// is spread over the batch. An empty buffer gives zeros.
Summary summarize(Samples& s, double ops_per_sample, double timer_cost);

// Writes the summary as google-benchmark user counters: p50/p90/p99/p999/max
// and min/mean in cycles and ns, samples, ops_per_sample, timer_cost_cycles,
// tsc_ghz.
void export_summary(benchmark::State& st, const Summary& s, double tsc_ghz);

}  // namespace nxb

#endif
