// The min_executor floor: the least an executor's spawn + poll + free can
// cost. A slab pop, a ring push, an indirect poll, a free push, and nothing
// else: no ids, no join handles, no wakers, no checks, no teardown. Batched as
// spawn_poll_free is (100 spawns, then one cycle polls and frees them all;
// per task), so each executor row reads as a multiple of what no executor
// with these parts can undercut. Compiled into nxbench_floor.
#include <cstring>

#include "harness.h"

namespace nxb {

namespace {

struct MinTask {
  bool (*poll)(void* state);  // true: done
  MinTask* next_free;
  alignas(16) unsigned char state[1024];
};

// noinline and reached through a pointer: the call stays indirect.
__attribute__((noinline)) bool min_poll_ready(void*) {
  __asm__ __volatile__("");
  return true;
}

class MinExecutor {
 public:
  explicit MinExecutor(size_t slots) : tasks_(new MinTask[slots]), ring_(new MinTask*[128]) {
    for (size_t i = 0; i < slots; i++) free_push(&tasks_[i]);
  }
  ~MinExecutor() {
    delete[] tasks_;
    delete[] ring_;
  }
  __attribute__((always_inline)) void spawn(bool (*poll)(void*), const void* init, size_t bytes) {
    MinTask* t = free_;
    free_ = t->next_free;
    t->poll = poll;
    if (bytes) memcpy(t->state, init, bytes);
    ring_[tail_++ & 127] = t;
  }
  __attribute__((noinline)) void run_once() {
    uint32_t n = tail_ - head_;
    for (uint32_t i = 0; i < n; i++) {
      MinTask* t = ring_[head_++ & 127];
      if (t->poll(t->state)) free_push(t);
      else ring_[tail_++ & 127] = t;
    }
  }

 private:
  void free_push(MinTask* t) {
    t->next_free = free_;
    free_ = t;
  }
  MinTask* tasks_;
  MinTask** ring_;
  MinTask* free_ = nullptr;
  uint32_t head_ = 0, tail_ = 0;
};

void min_executor(benchmark::State& st, Env& env, size_t bytes) {
  static_assert(kBatch <= 128, "the ring holds one batch");
  MinExecutor ex(kBatch);
  static unsigned char init[1024];
  bool (*volatile poll)(void*) = &min_poll_ready;
  CaseTimer timer(env);
  size_t n = env.samples_for(Mode::kBatched);
  size_t warmup = warmup_samples(n);
  for (auto _ : st)
    sample_loop(*env.samples, n, warmup, [] {}, [&] {
      for (int i = 0; i < kBatch; i++) ex.spawn(poll, init, bytes);
      ex.run_once();
    });
  timer.finish(st, kBatch);
}

int register_min_executor_cases(Env& env) {
  Env* e = &env;
  CaseInfo mi;
  mi.name = "min_executor";
  mi.kind = CaseKind::kFloor;
  mi.function = "min_executor";
  mi.description = "spawn + poll + free with only a slab, a ring and an indirect call "
                   "(no ids, no checks): the practical floor of spawn_poll_free";
  Case& mic = NXB_DESCRIBE_CASE(mi);
  for (size_t bytes : {0, 64})
    mic.add(Mode::kBatched, {{"future_bytes", std::to_string(bytes)}},
            "100 x (slab pop, state copy, ring push), one cycle: indirect poll, free push "
            "(per task; no ids, no checks)",
            [e, bytes](benchmark::State& st) { min_executor(st, *e, bytes); });
  return 0;
}

}  // namespace

NXB_FAMILY(91, register_min_executor_cases);

}  // namespace nxb
