// Machine topology (hwloc), core-pair classes and thread pinning.
//
// A cross-thread case runs once per core-pair class the machine has. The
// class of two PUs is the closest thing they share:
//   smt         the same core (SMT siblings)
//   same_l2     different cores sharing an L2 cache
//   same_l3     different L2s sharing an L3 cache
//   cross_l3    no shared L3, same NUMA node
//   cross_numa  different NUMA nodes
// (A topology that reports no L2 or L3 objects simply has no pair of that
// class.) Classes the machine lacks are skipped with a message saying why.
#ifndef NXBENCH_TOPOLOGY_H
#define NXBENCH_TOPOLOGY_H

#include <hwloc.h>

#include <string>
#include <vector>

namespace nxb {

enum class PairClass { kSmt = 0, kSameL2, kSameL3, kCrossL3, kCrossNuma };
constexpr int kPairClassCount = 5;

// "smt", "same_l2", "same_l3", "cross_l3", "cross_numa".
const char* pair_class_name(PairClass c);
// The class named `name`; false if no class has that name.
bool pair_class_from_name(const std::string& name, PairClass* out);

// Two PUs (hardware threads) by OS index, which is what hwloc binds to and
// what `taskset`/`hwloc-ls` show as P#.
struct PuPair {
  PairClass cls;
  unsigned first_os;
  unsigned second_os;
};

class Topology {
 public:
  Topology() = default;
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Discovers this machine (xml_path NULL) or loads a saved/synthetic
  // topology exported by `lstopo --of xml`. Returns 0 or a negative errno,
  // with a one-line reason in *err.
  int load(const char* xml_path, std::string* err);
  // True when the topology describes the running machine (so binding works);
  // false for one loaded from XML.
  bool is_this_system() const;

  // The class of two PUs given by OS index; false if either is unknown.
  bool classify(unsigned os_a, unsigned os_b, PairClass* out) const;
  // The first pair of class `c` in logical order (the first PU as low as
  // possible, then the second). False, with the reason in *why, if the
  // machine has no such pair.
  bool find_pair(PairClass c, PuPair* out, std::string* why) const;
  // OS index of the first PU in logical order (where single-thread cases run).
  unsigned first_pu_os() const;

  // Binds the calling thread to one PU (hwloc_set_cpubind, THREAD).
  // Returns 0 or a negative errno.
  int bind_current_thread(unsigned os_index) const;

  // Counts of objects: "1 package, 1 NUMA node, 2 L3, 2 L2, 2 cores, 2 PUs".
  std::string counts() const;
  // Multi-line summary: counts, CPU model, and one line per pair class
  // (the pair used, or why the class is skipped).
  std::string summary() const;

  hwloc_topology_t raw() const { return topo_; }

 private:
  hwloc_obj_t pu_by_os(unsigned os_index) const;
  hwloc_topology_t topo_ = nullptr;
};

}  // namespace nxb

#endif
