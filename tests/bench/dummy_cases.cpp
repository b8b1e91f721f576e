// A case family that only the test binary bench_dummy_case links (next to
// every executor family): tests/bench/test_catalogue_dummy.py checks that a
// case described in one bench source file, and nowhere else, reaches
// results.json, the summary, the report and the profiler.
#include "harness.h"

namespace nxb {
namespace {

void dummy_case(benchmark::State& st, Env& env, Mode m) {
  volatile unsigned counter = 0;
  measure_op(st, env, m, [&] { counter = counter + 1; });
}

int register_dummy_cases(Env& env) {
  CaseInfo c;
  c.name = "dummy_case";
  c.kind = CaseKind::kLocal;
  c.function = "dummy_case";
  c.description = "a volatile increment (test build only)";
  c.floor = "indirect_call";
  c.not_profiled = "a test-only case: the opcount driver has no such operation";
  Case& d = NXB_DESCRIBE_CASE(c);
  Env* e = &env;
  for (Mode m : {Mode::kBatched, Mode::kSingle})
    d.add(m, {}, c.description, [e, m](benchmark::State& st) { dummy_case(st, *e, m); });
  return 0;
}

}  // namespace

NXB_FAMILY(15, register_dummy_cases);

}  // namespace nxb
