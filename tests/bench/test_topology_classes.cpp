// Core-pair class detection (bench/topology.h) against saved and synthetic
// topologies, so classes this machine lacks are tested too.
//   topo_2numa_32pu_smt.xml  2 packages (one NUMA node each) x 2 L3 x 2 L2 x
//                            2 cores x 2 PUs: every class exists
//   topo_kvm_2core_saved.xml the 2-vCPU KVM guest this project is developed
//                            on (lstopo --of xml): each core has its own L2
//                            and L3, so only cross_l3 exists
//   topo_1l3_2core.xml       two cores sharing one L3: only same_l3
// Usage: test_topology_classes FIXTURE_DIR
#include <cstdio>
#include <string>

#include "topology.h"

static int failures = 0;
#define CHECK(cond, ...)                                          \
  do {                                                            \
    if (!(cond)) {                                                \
      failures++;                                                 \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                               \
      fprintf(stderr, "\n");                                      \
    }                                                             \
  } while (0)

using nxb::PairClass;

struct Expect {
  PairClass cls;
  bool exists;
  unsigned first, second;
};

static void check_fixture(const std::string& path, const Expect (&want)[nxb::kPairClassCount]) {
  nxb::Topology t;
  std::string err;
  int rc = t.load(path.c_str(), &err);
  CHECK(rc == 0, "load %s: %s", path.c_str(), err.c_str());
  if (rc != 0) return;
  CHECK(!t.is_this_system(), "%s: a topology from XML must not claim to be this system",
        path.c_str());
  for (const Expect& e : want) {
    nxb::PuPair p{};
    std::string why;
    bool found = t.find_pair(e.cls, &p, &why);
    const char* name = nxb::pair_class_name(e.cls);
    CHECK(found == e.exists, "%s: class %s found=%d, expected %d (%s)", path.c_str(), name,
          found, e.exists, why.c_str());
    if (found && e.exists) {
      CHECK(p.first_os == e.first && p.second_os == e.second,
            "%s: class %s pair P#%u+P#%u, expected P#%u+P#%u", path.c_str(), name, p.first_os,
            p.second_os, e.first, e.second);
      PairClass back;
      CHECK(t.classify(p.first_os, p.second_os, &back) && back == e.cls,
            "%s: classify of the %s pair disagrees", path.c_str(), name);
    }
    if (!found) CHECK(!why.empty(), "%s: class %s missing without a reason", path.c_str(), name);
  }
  // The summary has one line per class: the pair, or why it is skipped.
  std::string summary = t.summary();
  for (const Expect& e : want) {
    std::string head = std::string("pair ") + nxb::pair_class_name(e.cls) + " ";
    size_t at = summary.find(head);
    CHECK(at != std::string::npos, "%s: summary lacks '%s'", path.c_str(), head.c_str());
    if (at == std::string::npos) continue;
    std::string line = summary.substr(at, summary.find('\n', at) - at);
    bool skipped = line.find("skipped: ") != std::string::npos;
    CHECK(skipped == !e.exists, "%s: summary line '%s'", path.c_str(), line.c_str());
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];

  // Logical order = OS order in these fixtures: PU 2k and 2k+1 share core k,
  // cores 2m and 2m+1 share L2 m, L2s 2n and 2n+1 share L3 n, L3s 0-1 are in
  // NUMA node 0 and L3s 2-3 in node 1.
  const Expect big[] = {{PairClass::kSmt, true, 0, 1},
                        {PairClass::kSameL2, true, 0, 2},
                        {PairClass::kSameL3, true, 0, 4},
                        {PairClass::kCrossL3, true, 0, 8},
                        {PairClass::kCrossNuma, true, 0, 16}};
  check_fixture(dir + "/topo_2numa_32pu_smt.xml", big);

  const Expect kvm[] = {{PairClass::kSmt, false, 0, 0},
                        {PairClass::kSameL2, false, 0, 0},
                        {PairClass::kSameL3, false, 0, 0},
                        {PairClass::kCrossL3, true, 0, 1},
                        {PairClass::kCrossNuma, false, 0, 0}};
  check_fixture(dir + "/topo_kvm_2core_saved.xml", kvm);

  const Expect shared_l3[] = {{PairClass::kSmt, false, 0, 0},
                              {PairClass::kSameL2, false, 0, 0},
                              {PairClass::kSameL3, true, 0, 1},
                              {PairClass::kCrossL3, false, 0, 0},
                              {PairClass::kCrossNuma, false, 0, 0}};
  check_fixture(dir + "/topo_1l3_2core.xml", shared_l3);

  // Pairs away from PU 0 in the big fixture, and what classify refuses.
  {
    nxb::Topology t;
    std::string err;
    if (t.load((dir + "/topo_2numa_32pu_smt.xml").c_str(), &err) == 0) {
      PairClass c;
      CHECK(t.classify(9, 8, &c) && c == PairClass::kSmt, "P#9+P#8 should be smt");
      CHECK(t.classify(11, 12, &c) && c == PairClass::kSameL3, "P#11+P#12 should be same_l3");
      CHECK(t.classify(13, 14, &c) && c == PairClass::kSameL2, "P#13+P#14 should be same_l2");
      CHECK(t.classify(15, 16, &c) && c == PairClass::kCrossNuma, "P#15+P#16 cross_numa");
      CHECK(t.classify(20, 31, &c) && c == PairClass::kCrossL3, "P#20+P#31 should be cross_l3");
      CHECK(!t.classify(3, 3, &c), "a PU with itself is not a pair");
      CHECK(!t.classify(0, 32, &c), "P#32 does not exist");
      CHECK(t.bind_current_thread(999) < 0, "binding to a PU that does not exist must fail");
    } else {
      CHECK(false, "reload failed: %s", err.c_str());
    }
  }

  // A file that is not there is a clean error with the path in it.
  {
    nxb::Topology t;
    std::string err;
    int rc = t.load((dir + "/no_such_topology.xml").c_str(), &err);
    CHECK(rc < 0, "loading a missing XML must fail (rc %d)", rc);
    CHECK(err.find("no_such_topology.xml") != std::string::npos, "error lacks the path: %s",
          err.c_str());
  }

  // Names round-trip; unknown names are refused.
  for (int i = 0; i < nxb::kPairClassCount; i++) {
    PairClass c = static_cast<PairClass>(i), back;
    CHECK(nxb::pair_class_from_name(nxb::pair_class_name(c), &back) && back == c,
          "name of class %d does not round-trip", i);
  }
  PairClass ignored;
  CHECK(!nxb::pair_class_from_name("same_l4", &ignored), "same_l4 is not a class");

  if (failures == 0) printf("topology classes: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
