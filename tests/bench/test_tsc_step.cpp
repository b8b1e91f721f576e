// TSC step detection (bench/tsc.h, tsc_step_from_diffs) on synthetic
// sequences whose step is known: steps with +-1 jitter on the differences
// (what the KVM guests show, where a GCD of differences says 1), exact
// steps, interrupted reads, reads within one step, and sequences with no
// step at all (bare metal), including a constant difference, which every
// divisor of it would "explain". Then one real measurement of this machine,
// checked only for being explained by its own reads.
// Usage: test_tsc_step
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "tsc.h"

static int failures = 0;

static void expect_step(const char* what, const std::vector<int64_t>& d, uint64_t want) {
  uint64_t got = nxb::tsc_step_from_diffs(d.data(), d.size());
  if (got != want) {
    failures++;
    fprintf(stderr, "%s:%d: %s: step %llu, expected %llu\n", __FILE__, __LINE__, what,
            static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
  }
}

// Differences of a TSC that advances in `step` cycles, read after a delay
// of 1..max_mult steps, each difference off by jitter in [-j, j].
static std::vector<int64_t> stepped(uint64_t seed, int64_t step, int max_mult, int j,
                                    size_t n = 4000) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> mult(1, max_mult), jit(-j, j);
  std::vector<int64_t> d(n);
  for (auto& x : d) x = step * mult(rng) + jit(rng);
  return d;
}

int main() {
  // The KVM guests: steps of 21 with +-1 jitter. A GCD says 1 here.
  expect_step("21 +-1", stepped(1, 21, 18, 1), 21);
  expect_step("21 exact", stepped(2, 21, 18, 0), 21);
  expect_step("7 +-1", stepped(3, 7, 40, 1), 7);
  expect_step("42 +-1 (not its divisor 21)", stepped(4, 42, 9, 1), 42);
  expect_step("100 +-1", stepped(5, 100, 5, 1), 100);
  expect_step("4 exact (smallest detectable)", stepped(6, 4, 60, 0), 4);

  // 0.5% interrupted reads (anywhere up to 50k cycles) do not hide the step;
  // 5% do (then nothing explains 99% of the differences).
  std::vector<int64_t> d = stepped(7, 21, 18, 1);
  std::mt19937_64 rng(8);
  std::uniform_int_distribution<int64_t> far(500, 50000);
  for (size_t i = 0; i < d.size(); i += 200) d[i] = far(rng);
  expect_step("21 +-1 with 0.5% interrupts", d, 21);
  for (size_t i = 0; i < d.size(); i += 20) d[i] = far(rng);
  expect_step("21 +-1 with 5% interrupts", d, 1);

  // Reads that fall within one step differ by -1, 0 or 1: ignored.
  d = stepped(9, 21, 18, 1);
  for (size_t i = 0; i < d.size(); i += 3) d[i] = static_cast<int64_t>(i % 3) - 1;
  expect_step("21 +-1 with same-step reads", d, 21);

  // Bare metal: differences spread over every value.
  std::uniform_int_distribution<int64_t> any(25, 400);
  d.assign(4000, 0);
  for (auto& x : d) x = any(rng);
  expect_step("no step (spread)", d, 1);
  // A constant difference fits any divisor but is not a step.
  d.assign(4000, 36);
  expect_step("constant 36", d, 1);
  d.assign(4000, 42);
  for (size_t i = 0; i < d.size(); i += 2) d[i] = 84;
  expect_step("two multiples only (42, 84)", d, 1);
  expect_step("empty", {}, 1);
  expect_step("all within one step", std::vector<int64_t>(100, 1), 1);

  // This machine: whatever the step, it must be >= 1; printed for the log.
  uint64_t here = nxb::tsc_step_cycles();
  printf("tsc_step_cycles on this machine: %llu\n", static_cast<unsigned long long>(here));
  if (here < 1) failures++;

  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("tsc step detection: all checks passed\n");
  return failures ? 1 : 0;
}
