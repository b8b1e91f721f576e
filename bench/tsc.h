// Fenced TSC reads, TSC calibration and timer-cost measurement.
//
// Read pattern (Intel's "How to Benchmark Code Execution Times", also right on
// AMD): `lfence; rdtsc` before the timed code so earlier instructions retire
// first, `rdtscp; lfence` after so the timed code retires before the read and
// later code cannot start early. A fenced pair costs more than the cheapest
// operations it times (each run reports it: timer_cost_cycles), which is why
// cheap operations are timed in batches.
#ifndef NXBENCH_TSC_H
#define NXBENCH_TSC_H

#include <cstddef>
#include <cstdint>

namespace nxb {

static inline __attribute__((always_inline)) uint64_t tsc_begin() {
  uint32_t lo, hi;
  __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

static inline __attribute__((always_inline)) uint64_t tsc_end() {
  uint32_t lo, hi, aux;
  __asm__ __volatile__("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// TSC ticks per nanosecond, measured against CLOCK_MONOTONIC: the median of
// `rounds` windows of `window_ms` milliseconds each. Returns 0 if the clock
// cannot be read.
double tsc_calibrate_ghz(int rounds = 3, int window_ms = 20);

// What one fenced tsc_begin()/tsc_end() pair with nothing between costs, in
// cycles, over `pairs` back-to-back measurements. Measured right before each
// case, because the machine's speed level shifts within seconds
// (MEASURING.md: "two speed levels").
//   mean  the mean of the readings up to their 99th percentile (interrupted
//         pairs excluded). This is what cases subtract: where the TSC
//         advances in steps (tsc_step_cycles), a pair costing 30 cycles reads
//         21 or 42 by phase, so the median flips between the two while the
//         mean of the readings stays the true cost.
//   p50, min  for reference.
struct TimerCost {
  double mean;
  double p50;
  double min;
};
TimerCost tsc_timer_cost(int pairs = 20000);

// The step the TSC advances in, in cycles: 1 on bare metal; larger under
// hypervisors whose guest TSC moves in steps (21 on the KVM guests this
// project is developed on). Single-operation samples are quantised to this
// step; batched ones divide it by the batch. Measured by reading the TSC
// `reads` times with a varying delay between reads and passing the
// differences to tsc_step_from_diffs().
uint64_t tsc_step_cycles(int reads = 4000);

// The step that explains successive TSC differences: the largest s >= 4 such
// that at least 99% of the differences lie within +-1 of a multiple of s and
// they cover at least three different multiples; 1 if no s does. Why not the
// GCD of the differences: on the KVM guests the differences carry +-1 jitter
// (20, 21, 22, 41, 43, ...), and one odd difference drives a GCD to 1. Why
// s >= 4: every integer is within +-1 of a multiple of 2 or 3, so smaller
// steps cannot be told from jitter. Why three multiples: a loop of constant
// cost gives one repeated difference, which any of its divisors "explains".
// Differences of -1..1 (two reads within one step) are ignored; pure
// function, so tests feed it synthetic sequences.
uint64_t tsc_step_from_diffs(const int64_t* diffs, size_t n);

// True if the CPU says its TSC is invariant (CPUID 0x80000007 EDX bit 8), so
// TSC ticks are wall-clock time on every core.
bool tsc_is_invariant();

}  // namespace nxb

#endif
