// main() of every benchmark binary: calibrates the TSC, discovers and prints
// the topology, pins the main thread, records the build and machine in the
// google-benchmark context, registers the binary's cases and runs them.
//
// Own flags (all other flags go to google-benchmark, e.g. --benchmark_filter):
//   --nxbench_quick      fewer samples and live tasks (the one-minute smoke run)
//   --nxbench_topology   print the topology summary and the backend, then exit
//   --nxbench_cases      print the binary's case catalogue as JSON, then exit
//   --nxbench_layout=N   shift the heap and the stack by amounts derived from N
//                        before anything runs (see run_with_layout)
#include <benchmark/benchmark.h>
#include <gnu/libc-version.h>
#include <hwloc.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "build_info.h"
#include "harness.h"

namespace {

std::string hwloc_runtime_version() {
  unsigned v = hwloc_get_api_version();
  return std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) + "." +
         std::to_string(v & 0xff);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  return s;
}

}  // namespace

namespace nxb {
__attribute__((weak)) int binary_early_main(int, char**) { return -1; }
}  // namespace nxb

static int run(int argc, char** argv);

// Where the heap and the stack start decides which cache lines and 4 KiB
// aliases a case's data meets, and that moves with things no measurement
// should depend on (the binary's path, the environment's size): the same
// binary read a row 20% slower from one build folder than from another, in
// every one of ten rounds. `nxbench run` passes a different N to every
// process, so such an offset varies from round to round (noise the
// intervals carry) instead of biasing a whole run or one side of an A/B.
static int run_with_layout(unsigned n, int argc, char** argv) {
  static void* heap_pad;
  heap_pad = malloc(16 * (1 + n % 256));  // kept: later allocations start after it
  volatile char* stack_pad = static_cast<volatile char*>(__builtin_alloca(16 * (1 + (n >> 8) % 256)));
  stack_pad[0] = 0;  // used, so the frame keeps it
  int rc = run(argc, argv);
  stack_pad[0] = 1;
  (void)heap_pad;
  return rc;
}

int main(int argc, char** argv) {
  int early = nxb::binary_early_main(argc, argv);
  if (early >= 0) return early;
  const char* layout_flag = "--nxbench_layout=";
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], layout_flag, strlen(layout_flag)) == 0)
      return run_with_layout(static_cast<unsigned>(strtoul(argv[i] + strlen(layout_flag),
                                                           nullptr, 10)),
                             argc, argv);
  return run(argc, argv);
}

static int run(int argc, char** argv) {
  bool quick = false, topology_only = false, cases_only = false;
  int kept = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--nxbench_quick") == 0)
      quick = true;
    else if (strcmp(argv[i], "--nxbench_topology") == 0)
      topology_only = true;
    else if (strcmp(argv[i], "--nxbench_cases") == 0)
      cases_only = true;
    else if (strncmp(argv[i], "--nxbench_layout=", 17) == 0)
      continue;  // applied by main
    else
      argv[kept++] = argv[i];
  }
  argc = kept;
  argv[argc] = nullptr;

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  nxb::Topology topo;
  std::string err;
  if (topo.load(nullptr, &err) != 0) {
    fprintf(stderr, "%s: %s\n", argv[0], err.c_str());
    return 2;
  }
  nxb::BackendInfo backend = nxb::binary_backend();
  nxb::Env env;
  env.topo = &topo;
  env.quick = quick;
  env.home_pu = topo.first_pu_os();
  for (int i = 0; i < nxb::kPairClassCount; i++) {
    nxb::PuPair p;
    if (topo.find_pair(static_cast<nxb::PairClass>(i), &p, nullptr)) env.pairs.push_back(p);
  }
  std::string summary = topo.summary();
  if (topology_only) {
    printf("%sbackend: %s %s (%s)\n", summary.c_str(), backend.name.c_str(),
           backend.version.c_str(), backend.kind.c_str());
    return 0;
  }
  if (cases_only) {
    // Registration needs no timing: the sample buffer stays unmapped.
    if (nxb::register_families(env) != 0) return 2;
    fputs(nxb::catalogue_json(backend).c_str(), stdout);
    return 0;
  }
  fprintf(stderr, "%s", summary.c_str());

  int pin = topo.bind_current_thread(env.home_pu);
  if (pin != 0)
    fprintf(stderr, "%s: warning: cannot pin the main thread to PU P#%u: %s\n", argv[0],
            env.home_pu, strerror(-pin));
  // Three 5 ms windows: 10M TSC cycles each against a clock read to ~50 ns
  // is a few parts per million, and `nxbench run` starts this process
  // several hundred times a run.
  env.tsc_ghz = nxb::tsc_calibrate_ghz(3, 5);
  // Room for the largest case; mmap'd now so no case allocates it.
  nxb::Samples samples(env.samples_for(nxb::Mode::kSingle) + 1024);
  if (!samples.ok()) {
    fprintf(stderr, "%s: cannot map the sample buffer\n", argv[0]);
    return 2;
  }
  env.samples = &samples;

  struct utsname un;
  uname(&un);
  std::string classes, skipped;
  for (int i = 0; i < nxb::kPairClassCount; i++) {
    nxb::PuPair p;
    std::string why;
    const char* name = nxb::pair_class_name(static_cast<nxb::PairClass>(i));
    if (topo.find_pair(static_cast<nxb::PairClass>(i), &p, &why))
      classes += (classes.empty() ? "" : ",") + std::string(name) + "=" +
                 std::to_string(p.first_os) + "+" + std::to_string(p.second_os);
    else
      skipped += (skipped.empty() ? "" : "; ") + std::string(name) + ": " + why;
  }
  hwloc_obj_t pkg = hwloc_get_obj_by_type(topo.raw(), HWLOC_OBJ_PACKAGE, 0);
  const char* model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : nullptr;

  benchmark::AddCustomContext("nxbench_backend", backend.name);
  benchmark::AddCustomContext("nxbench_backend_version", backend.version);
  benchmark::AddCustomContext("nxbench_backend_kind", backend.kind);
  benchmark::AddCustomContext("nxbench_quick", quick ? "1" : "0");
  benchmark::AddCustomContext("tsc_ghz", std::to_string(env.tsc_ghz));
  benchmark::AddCustomContext("tsc_step_cycles", std::to_string(nxb::tsc_step_cycles()));
  benchmark::AddCustomContext("tsc_invariant", nxb::tsc_is_invariant() ? "1" : "0");
  benchmark::AddCustomContext("timer", "lfence;rdtsc .. rdtscp;lfence");
  benchmark::AddCustomContext("batch_ops", std::to_string(nxb::kBatch));
  benchmark::AddCustomContext("home_pu", std::to_string(env.home_pu));
  benchmark::AddCustomContext("topology", topo.counts());
  benchmark::AddCustomContext("cpu_model_hwloc", model ? trim(model) : "");
  benchmark::AddCustomContext("pair_classes", classes);
  benchmark::AddCustomContext("skipped_pair_classes", skipped);
  benchmark::AddCustomContext("kernel", std::string(un.release));
  benchmark::AddCustomContext("compiler", NXBENCH_COMPILER);
  benchmark::AddCustomContext("c_compiler", NXBENCH_C_COMPILER);
  benchmark::AddCustomContext("build_type", NXBENCH_BUILD_TYPE);
  benchmark::AddCustomContext("cxx_flags", NXBENCH_CXX_FLAGS);
  benchmark::AddCustomContext("c_flags", NXBENCH_C_FLAGS);
  benchmark::AddCustomContext("lib_benchmark", NXBENCH_GBENCH_VERSION);
  benchmark::AddCustomContext("lib_hwloc", HWLOC_VERSION);
  benchmark::AddCustomContext("lib_hwloc_api_runtime", hwloc_runtime_version());
  benchmark::AddCustomContext("lib_glibc", gnu_get_libc_version());

  if (nxb::register_families(env) != 0) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
