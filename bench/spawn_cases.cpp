// Spawn cases: a spawn, the poll that completes the task, and its free,
// alone (spawn_poll_free; spawn_prepared_poll_free through a prepared
// future; spawn_poll_free_one with one task per cycle) and
// with many tasks alive (spawn_with_live, which also measures the memory
// each live task costs, in a fresh process).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "exec_adapter.h"
#include "harness.h"

namespace nxb {
namespace {

// Batched: kBatch spawns, then one nx_run_once polls and frees all of them
// (the cycle's fixed cost shared by its polls, as an executor runs under
// load; poll_queued does the same). Single: one spawn, one nx_run_once.
// `prepared`: the spawns take a prepared future (nx_future_prepare once,
// before the timing).
void spawn_poll_free(benchmark::State& st, Env& env, Mode m, size_t bytes, bool prepared) {
  Exec e;
  std::string why;
  if (e.create(bytes, 2 * kBatch, 2 * kBatch, &why) != 0) return st.SkipWithError(why.c_str());
  nx_future_desc d = make_desc(poll_ready, bytes);
  nx_prepared_future pf;
  int prc = nx_future_prepare(&d, &pf);
  if (prc < 0) return skip_rc(st, "nx_future_prepare", prc);
  auto spawn = [&] { return prepared ? e.spawn_prepared(&pf, g_init) : e.spawn(&d, g_init); };
  int first_error = 0;
  if (m == Mode::kSingle) {
    measure_checked(st, env, m, "spawn", [&] {
      int rc = spawn();
      return rc < 0 ? rc : run_once_one(e.ex());
    });
    e.report_slot(st);
    return;
  }
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  size_t warmup = warmup_samples(n);
  for (auto _ : st)
    sample_loop(*env.samples, n, warmup, [] {}, [&] {
      for (int i = 0; i < kBatch; i++) {
        int rc = spawn();
        if (__builtin_expect(rc < 0, 0) && first_error == 0) first_error = rc;
      }
      int rc = nx_run_once(e.ex());
      if (rc != kBatch && first_error == 0) first_error = rc < 0 ? rc : kWrongPolls;
    });
  if (first_error != 0) return skip_rc(st, "spawn", first_error);
  timer.finish(st, kBatch);
  e.report_slot(st);
}

// Batched spawn_poll_free with one task per cycle: kBatch times (spawn, one
// nx_run_once that polls and frees it).
void spawn_poll_free_one(benchmark::State& st, Env& env, size_t bytes) {
  Exec e;
  std::string why;
  if (e.create(bytes, 4, 0, &why) != 0) return st.SkipWithError(why.c_str());
  nx_future_desc d = make_desc(poll_ready, bytes);
  int first_error = 0;
  CaseTimer timer(env);
  size_t n = env.samples_for(Mode::kBatched);
  size_t warmup = warmup_samples(n);
  for (auto _ : st)
    sample_loop(*env.samples, n, warmup, [] {}, [&] {
      for (int i = 0; i < kBatch; i++) {
        int rc = e.spawn(&d, g_init);
        if (rc >= 0) rc = run_once_one(e.ex());
        if (__builtin_expect(rc < 0, 0) && first_error == 0) first_error = rc;
      }
    });
  if (first_error != 0) return skip_rc(st, "spawn_poll_free_one", first_error);
  timer.finish(st, kBatch);
  e.report_slot(st);
}

constexpr size_t kLiveFutureBytes = 64;

long rss_bytes() {
  long pages = 0, resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  int got = fscanf(f, "%ld %ld", &pages, &resident);
  fclose(f);
  return got == 2 ? resident * sysconf(_SC_PAGESIZE) : -1;
}

// Creates the executor of spawn_with_live and spawns `live` pending tasks.
int make_live(Exec& e, size_t live, std::string* why) {
  // Room for the live tasks plus the one the case spawns and frees.
  int rc = e.create(kLiveFutureBytes, live + 64, 1024, why);
  if (rc != 0) return rc;
  nx_future_desc d = make_desc(poll_pending, kLiveFutureBytes);
  for (size_t i = 0; i < live; i++) {
    rc = e.spawn(&d, g_init);
    if (rc < 0) {
      *why = std::string("spawning live tasks: ") + nx_strerror(rc);
      return rc;
    }
  }
  rc = e.drain();
  if (rc < 0) *why = std::string("polling live tasks: ") + nx_strerror(rc);
  return rc;
}

// `--nxbench_live_rss=N`: run in a fresh process of this same binary, so the
// RSS delta is not hidden by memory an earlier case freed and the allocator
// kept. Prints the bytes the executor with N live tasks added to the RSS.
int live_rss_child(size_t live) {
  long before = rss_bytes();
  std::string why;
  Exec e;
  if (make_live(e, live, &why) != 0) {
    fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  long after = rss_bytes();
  if (before < 0 || after < 0) return 1;
  printf("%ld\n", after - before);
  return 0;
}

// Runs live_rss_child in a new process; -1 if that fails.
long live_rss_fresh(size_t live) {
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return -1;
  exe[len] = '\0';
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    std::string arg = "--nxbench_live_rss=" + std::to_string(live);
    execl(exe, exe, arg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  char buf[64] = {};
  ssize_t got = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return strtol(buf, nullptr, 10);
}

// The executor with N live tasks is built once per N and kept for both modes
// and every repetition (building 1,000,000 tasks dominates the case's time);
// a new N replaces it. The last one stays reachable until the process exits.
Exec* g_live_exec = nullptr;
size_t g_live_n = 0;

long live_rss_cached(size_t live) {
  static std::map<size_t, long> cache;
  auto it = cache.find(live);
  return it != cache.end() ? it->second : (cache[live] = live_rss_fresh(live));
}

void spawn_with_live(benchmark::State& st, Env& env, Mode m, size_t live) {
  if (g_live_exec == nullptr || g_live_n != live) {
    delete g_live_exec;
    g_live_exec = new Exec;
    g_live_n = live;
    std::string why;
    if (make_live(*g_live_exec, live, &why) != 0) {
      delete g_live_exec;
      g_live_exec = nullptr;
      return st.SkipWithError(why.c_str());
    }
  }
  Exec& e = *g_live_exec;
  nx_future_desc d = make_desc(poll_ready, kLiveFutureBytes);
  measure_checked(st, env, m, "spawn", [&] {
    int rc = e.spawn(&d, g_init);
    nx_run_once(e.ex());
    return rc;
  });
  if (nx_executor_live_tasks(e.ex()) != live)
    return st.SkipWithError("the live task count changed during the case");
  long rss = live_rss_cached(live);
  if (rss >= 0)
    st.counters["bytes_per_task"] = static_cast<double>(rss) / static_cast<double>(live);
  else
    fprintf(stderr, "spawn_with_live: could not measure RSS in a fresh process\n");
  e.report_slot(st);
}

}  // namespace

// `--nxbench_live_rss=N` (see live_rss_child).
int binary_early_main(int argc, char** argv) {
  const char* flag = "--nxbench_live_rss=";
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], flag, strlen(flag)) == 0) {
      binary_backend();  // the backend's storage and allocator
      if (g_alloc == nullptr) return 1;
      return live_rss_child(strtoull(argv[i] + strlen(flag), nullptr, 10));
    }
  }
  return -1;
}

namespace {

int register_spawn_cases(Env& env) {
  Env* e = &env;
  const Mode modes[] = {Mode::kBatched, Mode::kSingle};
  CaseInfo spf_info = local_case(
      "spawn_poll_free", "spawn_poll_free",
      "spawn a future that is ready at once, nx_run_once polls it, it is freed");
  spf_info.headline = true;
  spf_info.headline_params = {{"future_bytes", "64"}};
  Case& spf = NXB_DESCRIBE_CASE(spf_info);
  for (Mode m : modes)
    for (size_t bytes : {0, 64, 256, 1024})
      spf.add(m, {{"future_bytes", std::to_string(bytes)}},
              m == Mode::kBatched
                  ? "100 spawns of a future ready at once, one nx_run_once polls and frees them (per task)"
                  : "spawn a future that is ready at once, one nx_run_once polls and frees it",
              [e, m, bytes](benchmark::State& st) { spawn_poll_free(st, *e, m, bytes, false); });
  Case& spp = NXB_DESCRIBE_CASE(local_case(
      "spawn_prepared_poll_free", "spawn_poll_free",
      "spawn_poll_free through a prepared future (nx_future_prepare once, then "
      "nx_spawn_prepared / nx_spawn_slab_prepared)"));
  for (size_t bytes : {0, 64})
    spp.add(Mode::kBatched, {{"future_bytes", std::to_string(bytes)}},
            "100 spawns of a prepared future ready at once, one nx_run_once polls and frees "
            "them (per task)",
            [e, bytes](benchmark::State& st) {
              spawn_poll_free(st, *e, Mode::kBatched, bytes, true);
            });
  Case& spo = NXB_DESCRIBE_CASE(local_case(
      "spawn_poll_free_one", "spawn_poll_free_one",
      "spawn + one nx_run_once per task (batched): spawn_poll_free with one task per cycle"));
  spo.add(Mode::kBatched, {{"future_bytes", "64"}},
          "spawn a future ready at once, one nx_run_once polls and frees it (100 in a row)",
          [e](benchmark::State& st) { spawn_poll_free_one(st, *e, 64); });

  CaseInfo live = local_case("spawn_with_live", "spawn_with_live",
                             "spawn+poll+free of a 64-byte future with live_tasks tasks alive");
  live.measured = {"bytes_per_task"};
  live.scaling_param = "live_tasks";
  Case& lc = NXB_DESCRIBE_CASE(live);
  for (size_t n = 1; n <= env.max_live_tasks(); n *= 10)
    for (Mode m : modes)
      lc.add(m, {{"live_tasks", std::to_string(n)}}, live.description,
             [e, m, n](benchmark::State& st) { spawn_with_live(st, *e, m, n); });
  return 0;
}

}  // namespace

NXB_FAMILY(10, register_spawn_cases);

}  // namespace nxb
