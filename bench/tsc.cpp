// TSC calibration and timer cost (see tsc.h).
#include "tsc.h"

#include <cpuid.h>
#include <time.h>

#include <algorithm>
#include <cstdint>

namespace nxb {

static int64_t monotonic_ns() {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return -1;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double tsc_calibrate_ghz(int rounds, int window_ms) {
  if (rounds < 1) rounds = 1;
  if (rounds > 15) rounds = 15;
  double ghz[15];
  for (int r = 0; r < rounds; r++) {
    int64_t n0 = monotonic_ns();
    uint64_t c0 = tsc_begin();
    if (n0 < 0) return 0;
    int64_t n1;
    do {
      n1 = monotonic_ns();
    } while (n1 >= 0 && n1 - n0 < static_cast<int64_t>(window_ms) * 1000000);
    uint64_t c1 = tsc_end();
    if (n1 < 0) return 0;
    ghz[r] = static_cast<double>(c1 - c0) / static_cast<double>(n1 - n0);
  }
  std::sort(ghz, ghz + rounds);
  return ghz[rounds / 2];
}

TimerCost tsc_timer_cost(int pairs) {
  // A histogram instead of a sample array: nothing is allocated, and an empty
  // pair never takes anywhere near 4096 cycles except when interrupted (those
  // land in the last bucket and cannot move the median).
  static constexpr int kBuckets = 4096;
  static uint32_t hist[kBuckets];
  std::fill(hist, hist + kBuckets, 0u);
  if (pairs < 1) pairs = 1;
  uint64_t lo = UINT64_MAX;
  for (int i = 0; i < pairs; i++) {
    uint64_t t0 = tsc_begin();
    uint64_t t1 = tsc_end();
    uint64_t d = t1 - t0;
    lo = std::min(lo, d);
    hist[d < kBuckets ? d : kBuckets - 1]++;
  }
  // Median, then the mean of the readings up to the 99th percentile.
  uint64_t half = static_cast<uint64_t>(pairs + 1) / 2;
  uint64_t keep = static_cast<uint64_t>(pairs) * 99 / 100;
  if (keep == 0) keep = 1;
  uint64_t seen = 0, taken = 0;
  int median = -1;
  double sum = 0;
  for (int b = 0; b < kBuckets && taken < keep; b++) {
    if (median < 0 && seen + hist[b] >= half) median = b;
    seen += hist[b];
    uint64_t take = std::min<uint64_t>(hist[b], keep - taken);
    sum += static_cast<double>(take) * b;
    taken += take;
  }
  return TimerCost{sum / static_cast<double>(taken), static_cast<double>(median < 0 ? 0 : median),
                   static_cast<double>(lo)};
}

uint64_t tsc_step_from_diffs(const int64_t* diffs, size_t n) {
  // Beyond this a step would quantise even batched samples to whole
  // cycles; no hypervisor seen comes near it.
  constexpr int64_t kMaxStep = 512;
  size_t used = 0;
  int64_t largest = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t d = diffs[i] < 0 ? -diffs[i] : diffs[i];
    if (d > 1) {
      used++;
      largest = std::max(largest, d);
    }
  }
  if (used == 0) return 1;
  // Allowed misfits: interrupted reads land anywhere.
  size_t misfits_allowed = used / 100;
  for (int64_t s = std::min(kMaxStep, largest + 1); s >= 4; s--) {
    size_t misfits = 0;
    int64_t k1 = 0, k2 = 0;  // the first two different multiples seen
    bool three = false;
    for (size_t i = 0; i < n && misfits <= misfits_allowed; i++) {
      int64_t d = diffs[i] < 0 ? -diffs[i] : diffs[i];
      if (d <= 1) continue;
      int64_t k = (d + 1) / s;  // the multiple d is within +-1 of, if any
      int64_t r = d - k * s;
      if (k == 0 || r < -1 || r > 1) {
        misfits++;
      } else if (k1 == 0) {
        k1 = k;
      } else if (k != k1 && k2 == 0) {
        k2 = k;
      } else if (k != k1 && k != k2) {
        three = true;
      }
    }
    if (misfits <= misfits_allowed && three) return static_cast<uint64_t>(s);
  }
  return 1;
}

uint64_t tsc_step_cycles(int reads) {
  static constexpr int kMaxReads = 20000;
  static int64_t diffs[kMaxReads];
  if (reads > kMaxReads) reads = kMaxReads;
  if (reads < 2) reads = 2;
  uint64_t prev = tsc_begin();
  for (int i = 0; i < reads; i++) {
    // A delay that varies from read to read, so the differences spread over
    // many multiples of the step (constant ones would fit any divisor).
    for (volatile int spin = 0; spin < (i * 7) % 61; spin = spin + 1) {
    }
    uint64_t t = tsc_begin();
    diffs[i] = static_cast<int64_t>(t - prev);
    prev = t;
  }
  return tsc_step_from_diffs(diffs, static_cast<size_t>(reads));
}

bool tsc_is_invariant() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return false;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d >> 8) & 1u;
}

}  // namespace nxb
