// The churn case: random spawns of four sizes, wakes and completions with
// about live_tasks tasks alive, each step with its nx_run_once
// (fragmentation: what a long-running program asks of its allocator).
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "exec_adapter.h"
#include "harness.h"

namespace nxb {
namespace {

// A churn task: pending until its mailbox says finish.
struct Mailbox {
  nx_waker waker;  // the task's clone, held by the driver
  uint32_t live_pos;
  bool finish;
};
struct ChurnState {
  Mailbox* box;
};
nx_poll poll_churn(void* p, nx_cx* cx) {
  Mailbox* b = static_cast<ChurnState*>(p)->box;
  if (b->finish) return NX_READY;
  if (b->waker.task == nullptr) {
    nx_waker w = nx_cx_waker(cx);
    nx_waker_clone(&w, &b->waker);
  }
  return NX_PENDING;
}

constexpr size_t kChurnSizes[] = {0, 64, 256, 1024};

class Churn {
 public:
  Churn(Exec& e, size_t target) : e_(e), target_(target), boxes_(2 * target + 1) {
    for (size_t i = 0; i < 4; i++)
      desc_[i] = make_desc(poll_churn, kChurnSizes[i] < sizeof(ChurnState) ? sizeof(ChurnState)
                                                                          : kChurnSizes[i]);
    for (size_t i = boxes_.size(); i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
    live_.reserve(boxes_.size());
  }
  enum Kind { kSpawn, kWake, kComplete };
  struct Step {
    Kind kind;
    uint32_t pos;   // live_ index (wake/complete)
    uint32_t size;  // desc index (spawn)
  };
  // Random next step; keeps between target/2 and 2*target tasks alive.
  Step plan() {
    uint64_t r = next();
    Kind k = static_cast<Kind>(r % 3);
    if (k == kSpawn && live_.size() >= 2 * target_) k = kWake;
    if (k == kComplete && live_.size() <= target_ / 2) k = kSpawn;
    if (k == kWake && live_.empty()) k = kSpawn;
    uint32_t pos = live_.empty() ? 0 : static_cast<uint32_t>((r >> 8) % live_.size());
    return Step{k, pos, static_cast<uint32_t>((r >> 40) & 3)};
  }
  // One step and the cycle that polls it. Returns 0 or an nxrt error.
  int run(const Step& s) {
    if (s.kind == kSpawn) {
      uint32_t b = free_.back();
      free_.pop_back();
      Mailbox& box = boxes_[b];
      box.waker.task = nullptr;
      box.finish = false;
      box.live_pos = static_cast<uint32_t>(live_.size());
      live_.push_back(b);
      // spawn copies desc.size bytes: the state is the box pointer + padding.
      ChurnState init{&box};
      memcpy(init_, &init, sizeof init);
      int rc = e_.spawn(&desc_[s.size], init_);
      if (rc < 0) return rc;
    } else if (s.kind == kWake) {
      nx_waker_wake_by_ref(&boxes_[live_[s.pos]].waker);
    } else {
      uint32_t b = live_[s.pos];
      boxes_[b].finish = true;
      nx_waker_wake(&boxes_[b].waker);  // hands the clone back
      live_[s.pos] = live_.back();
      boxes_[live_[s.pos]].live_pos = s.pos;
      live_.pop_back();
      free_.push_back(b);
    }
    int rc = nx_run_once(e_.ex());
    return rc < 0 ? rc : 0;
  }
  size_t live() const { return live_.size(); }
  void drop_all() {
    for (uint32_t b : live_) nx_waker_drop(&boxes_[b].waker);
  }

 private:
  uint64_t next() {  // xorshift64*
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1DULL;
  }
  Exec& e_;
  size_t target_;
  std::vector<Mailbox> boxes_;
  std::vector<uint32_t> free_, live_;
  nx_future_desc desc_[4];
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  alignas(64) unsigned char init_[1024] = {};
};

void churn(benchmark::State& st, Env& env, Mode m, size_t target) {
  Exec e;
  std::string why;
  if (e.create(1024, 2 * target + 64, 1024, &why) != 0) return st.SkipWithError(why.c_str());
  Churn c(e, target);
  int err = 0;
  // Fill to the target with spawns of random sizes, then churn.
  while (c.live() < target && err == 0) {
    Churn::Step s = c.plan();
    s.kind = Churn::kSpawn;
    err = c.run(s);
  }
  if (err == 0) err = e.drain();
  if (err < 0) return skip_rc(st, "filling", err);
  CaseTimer timer(env);
  size_t n = env.samples_for(m);
  Churn::Step step{};
  auto note = [&](int rc) {
    if (rc < 0 && err == 0) err = rc;
  };
  size_t warmup = warmup_samples(n);
  for (auto _ : st) {
    if (m == Mode::kBatched)
      sample_loop(*env.samples, n, warmup, [] {}, [&] {
        for (int i = 0; i < kBatch; i++) note(c.run(c.plan()));
      });
    else
      sample_loop(*env.samples, n, warmup, [&] { step = c.plan(); }, [&] { note(c.run(step)); });
  }
  c.drop_all();
  if (err != 0) return skip_rc(st, "churn step", err);
  timer.finish(st, m == Mode::kBatched ? kBatch : 1);
  e.report_slot(st);
}

int register_churn_cases(Env& env) {
  Env* e = &env;
  const Mode modes[] = {Mode::kBatched, Mode::kSingle};
  CaseInfo ch = local_case("churn", "churn",
                           "random spawn (0/64/256/1024 B) / wake / complete, each with its nx_run_once");
  ch.not_profiled = "a random mix whose per-operation count depends on the mix; profile "
                    "spawn_poll_free and spawn_with_live instead";
  Case& cc = NXB_DESCRIBE_CASE(ch);
  size_t churn_live = env.quick ? 1000 : 10000;
  for (Mode m : modes)
    cc.add(m, {{"live_tasks", std::to_string(churn_live)}}, ch.description,
           [e, m, churn_live](benchmark::State& st) { churn(st, *e, m, churn_live); });
  return 0;
}

}  // namespace

NXB_FAMILY(30, register_churn_cases);

}  // namespace nxb
