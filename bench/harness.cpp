// Shared case plumbing (see harness.h).
#include "harness.h"

#include <immintrin.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace nxb {

// Samples per process. `nxbench run` starts every binary afresh in each of
// several rounds, and the rounds carry the run-to-run spread, so one
// process needs only enough samples for a stable p99 (100 above it in
// single mode); --nxbench_quick is the smoke run's tenth of that.
size_t Env::samples_for(Mode m) const {
  if (m == Mode::kBatched) return quick ? 1000 : 10000;
  return quick ? 5000 : 50000;
}

std::string case_name(const std::string& c, Mode m, const Params& params) {
  std::string s = c + "/mode:" + mode_name(m);
  for (const auto& kv : params) s += "/" + kv.first + ":" + kv.second;
  return s;
}

// ---------------------------------------------------------------------------
// Catalogue

const char* case_kind_name(CaseKind k) {
  switch (k) {
    case CaseKind::kLocal: return "local";
    case CaseKind::kCross: return "cross";
    case CaseKind::kFloor: return "floor";
    case CaseKind::kPeer: return "peer";
  }
  return "?";
}

namespace {

// Cases in the order they were described; deque-like stable addresses.
std::vector<std::unique_ptr<Case>>& described() {
  static std::vector<std::unique_ptr<Case>> cases;
  return cases;
}

struct Family {
  int order;
  const char* name;
  FamilyFn fn;
};
std::vector<Family>& families() {
  static std::vector<Family> list;
  return list;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); i++) out += (i ? ", " : "") + json_string(v[i]);
  return out + "]";
}

std::string json_object(const Params& kv) {
  std::string s = "{";
  for (size_t i = 0; i < kv.size(); i++)
    s += (i ? ", " : "") + json_string(kv[i].first) + ": " + json_string(kv[i].second);
  return s + "}";
}

// {"mode", "params"} of the headline variant, or null.
std::string headline_json(const CaseInfo& c) {
  if (!c.headline) return "null";
  return "{\"mode\": " + json_string(mode_name(c.headline_mode)) +
         ", \"params\": " + json_object(c.headline_params) + "}";
}

// "<source root>/bench/x.cpp" -> "bench/x.cpp": the path in the tree.
std::string tree_path(const char* file) {
  std::string f = file, root = NXBENCH_SOURCE_ROOT "/";
  return f.compare(0, root.size(), root) == 0 ? f.substr(root.size()) : f;
}

template <class T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

Case::Case(CaseInfo info, std::string file) : info_(std::move(info)), file_(std::move(file)) {}

void Case::add(Mode m, const Params& params, const std::string& label, CaseBody body) {
  add_unique(modes_, std::string(mode_name(m)));
  for (const auto& kv : params) {
    auto it = std::find_if(params_.begin(), params_.end(),
                           [&](const auto& p) { return p.first == kv.first; });
    if (it == params_.end()) it = params_.insert(params_.end(), {kv.first, {}});
    add_unique(it->second, kv.second);
  }
  benchmark::RegisterBenchmark(case_name(info_.name, m, params).c_str(),
                               [label, body](benchmark::State& st) {
                                 st.SetLabel(label);
                                 body(st);
                               })
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

std::string Case::json() const {
  const CaseInfo& c = info_;
  std::string s = "{\"name\": " + json_string(c.name) +
                  ", \"kind\": " + json_string(case_kind_name(c.kind)) +
                  ", \"description\": " + json_string(c.description) +
                  ", \"source\": {\"file\": " + json_string(file_) +
                  ", \"function\": " + json_string(c.function) + "}" +
                  ", \"floor\": " + json_string(c.floor) +
                  ", \"floor_when\": " + json_object(c.floor_when);
  s += ", \"control\": " + std::string(c.control ? "true" : "false") +
       ", \"needs_pair\": " + (c.needs_pair ? "true" : "false") +
       ", \"measured\": " + json_list(c.measured) +
       ", \"scaling_param\": " + json_string(c.scaling_param) +
       ", \"not_profiled\": " + json_string(c.not_profiled) +
       ", \"section\": " + json_string(c.section) + ", \"headline\": " + headline_json(c) +
       ", \"modes\": " + json_list(modes_) + ", \"params\": {";
  for (size_t i = 0; i < params_.size(); i++)
    s += (i ? ", " : "") + json_string(params_[i].first) + ": " + json_list(params_[i].second);
  return s + "}}";
}

Case& describe_case_in(CaseInfo info, const char* file) {
  for (const auto& c : described())
    if (c->info().name == info.name) {
      fprintf(stderr, "bench: case %s described twice\n", info.name.c_str());
      abort();
    } else if (info.headline && c->info().headline) {
      fprintf(stderr, "bench: two headline cases, %s and %s\n", c->info().name.c_str(),
              info.name.c_str());
      abort();
    }
  described().push_back(std::make_unique<Case>(std::move(info), tree_path(file)));
  return *described().back();
}

std::string catalogue_json(const BackendInfo& backend) {
  std::string s = "{\"schema\": 1, \"backend\": " + json_string(backend.name) +
                  ", \"backend_kind\": " + json_string(backend.kind) +
                  ", \"reference_backend\": " + json_string(backend.reference) +
                  ", \"cases\": [";
  const auto& cases = described();
  for (size_t i = 0; i < cases.size(); i++) s += (i ? ",\n  " : "\n  ") + cases[i]->json();
  return s + "\n]}\n";
}

FamilyRegistrar::FamilyRegistrar(int order, const char* name, FamilyFn fn) {
  families().push_back(Family{order, name, fn});
}

int register_families(Env& env) {
  auto list = families();
  std::stable_sort(list.begin(), list.end(),
                   [](const Family& a, const Family& b) { return a.order < b.order; });
  for (const Family& f : list) {
    int rc = f.fn(env);
    if (rc != 0) return rc;
  }
  return 0;
}

void add_cross_wake_cases(const std::vector<PuPair>& pairs, CaseKind kind, const char* file,
                          const char* function, const char* busy_description,
                          const char* parked_description, const CrossWakeRun& run) {
  const char* profile_why =
      "two threads: callgrind runs threads one at a time, so a cross-thread round trip is "
      "not what it measures";
  CaseInfo busy;
  busy.name = "cross_wake_busy";
  busy.kind = kind;
  busy.description = busy_description;
  busy.function = function;
  busy.floor = "pingpong";
  busy.needs_pair = true;
  busy.not_profiled = profile_why;
  CaseInfo parked = busy;
  parked.name = "cross_wake_parked";
  parked.description = parked_description;
  parked.floor = "eventfd_roundtrip";
  parked.measured = {"voluntary_csw_per_op"};
  Case& b = describe_case_in(busy, file);
  Case& p = describe_case_in(parked, file);
  for (const PuPair& pair : pairs) {
    const char* cls = pair_class_name(pair.cls);
    for (Mode m : {Mode::kBatched, Mode::kSingle})
      b.add(m, {{"pair_class", cls}}, busy_description,
            [run, m, pair](benchmark::State& st) { run(st, m, false, pair); });
    p.add(Mode::kSingle, {{"pair_class", cls}}, parked_description,
          [run, pair](benchmark::State& st) { run(st, Mode::kSingle, true, pair); });
  }
}

void CaseTimer::finish(benchmark::State& st, double ops_per_sample) const {
  Samples& s = *env_.samples;
  if (s.dropped() != 0) {
    st.SkipWithError("more samples than the buffer holds (a bug in the case)");
    return;
  }
  Summary sum = summarize(s, ops_per_sample, cost_.mean);
  export_summary(st, sum, env_.tsc_ghz);
  st.counters["timer_cost_p50_cycles"] = cost_.p50;
  st.counters["timer_cost_min_cycles"] = cost_.min;
}

Csw csw_now(int who) {
  struct rusage ru;
  Csw c;
  if (getrusage(who, &ru) == 0) {
    c.voluntary = ru.ru_nvcsw;
    c.involuntary = ru.ru_nivcsw;
  }
  return c;
}

void export_csw(benchmark::State& st, const Csw& self_delta, const Csw& other_delta, size_t ops) {
  double n = ops ? static_cast<double>(ops) : 1.0;
  st.counters["voluntary_csw_per_op"] = static_cast<double>(self_delta.voluntary) / n;
  st.counters["voluntary_csw_per_op_main"] =
      static_cast<double>(self_delta.voluntary - other_delta.voluntary) / n;
  st.counters["voluntary_csw_per_op_other"] = static_cast<double>(other_delta.voluntary) / n;
  st.counters["involuntary_csw_per_op"] = static_cast<double>(self_delta.involuntary) / n;
}

bool run_on_pair(benchmark::State& st, const Env& env, const PuPair& pair,
                 const std::function<void()>& main_fn, const std::function<void()>& other_fn) {
  int rc = env.topo->bind_current_thread(pair.first_os);
  if (rc != 0) {
    std::string msg = "cannot pin to PU P#" + std::to_string(pair.first_os) + ": " + strerror(-rc);
    st.SkipWithError(msg.c_str());
    return false;
  }
  std::atomic<int> other_rc{1};
  std::thread other([&] {
    int r = env.topo->bind_current_thread(pair.second_os);
    other_rc.store(r == 0 ? 0 : -r, std::memory_order_release);
    if (r == 0) other_fn();
  });
  // The partner reports its pinning before main_fn starts talking to it; if
  // it could not pin, main_fn is never run and nothing waits on it.
  int orc;
  while ((orc = other_rc.load(std::memory_order_acquire)) == 1) _mm_pause();
  if (orc == 0) main_fn();
  other.join();
  env.topo->bind_current_thread(env.home_pu);
  if (orc != 0) {
    std::string msg = "cannot pin to PU P#" + std::to_string(pair.second_os) + ": " + strerror(orc);
    st.SkipWithError(msg.c_str());
    return false;
  }
  return true;
}

void spin_until(const std::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire)) _mm_pause();
}

}  // namespace nxb
