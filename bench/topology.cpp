// hwloc topology, pair classes and pinning (see topology.h).
#include "topology.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nxb {

static const char* const kClassNames[kPairClassCount] = {"smt", "same_l2", "same_l3", "cross_l3",
                                                         "cross_numa"};
// Why a class can be missing, phrased for "skip <class>: <reason> (<counts>)".
static const char* const kMissingWhy[kPairClassCount] = {
    "no core has two PUs (no SMT siblings)",
    "no L2 cache is shared by two cores",
    "no L3 cache is shared by two L2 caches",
    "no two PUs of one NUMA node are under different L3 caches",
    "only one NUMA node holds PUs",
};

const char* pair_class_name(PairClass c) {
  int i = static_cast<int>(c);
  return i >= 0 && i < kPairClassCount ? kClassNames[i] : "?";
}

bool pair_class_from_name(const std::string& name, PairClass* out) {
  for (int i = 0; i < kPairClassCount; i++) {
    if (name == kClassNames[i]) {
      *out = static_cast<PairClass>(i);
      return true;
    }
  }
  return false;
}

Topology::~Topology() {
  if (topo_ != nullptr) hwloc_topology_destroy(topo_);
}

int Topology::load(const char* xml_path, std::string* err) {
  if (topo_ != nullptr) {
    hwloc_topology_destroy(topo_);
    topo_ = nullptr;
  }
  hwloc_topology_t t;
  if (hwloc_topology_init(&t) != 0) {
    int e = errno;
    if (err) *err = std::string("hwloc_topology_init: ") + strerror(e);
    return -e;
  }
  if (xml_path != nullptr && hwloc_topology_set_xml(t, xml_path) != 0) {
    int e = errno;
    if (err) *err = std::string("cannot read topology XML ") + xml_path + ": " + strerror(e);
    hwloc_topology_destroy(t);
    return e != 0 ? -e : -EINVAL;
  }
  if (hwloc_topology_load(t) != 0) {
    int e = errno;
    if (err) *err = std::string("hwloc_topology_load: ") + strerror(e);
    hwloc_topology_destroy(t);
    return e != 0 ? -e : -EINVAL;
  }
  topo_ = t;
  return 0;
}

bool Topology::is_this_system() const {
  return topo_ != nullptr && hwloc_topology_is_thissystem(topo_);
}

hwloc_obj_t Topology::pu_by_os(unsigned os_index) const {
  return topo_ ? hwloc_get_pu_obj_by_os_index(topo_, os_index) : nullptr;
}

static bool share(hwloc_topology_t t, hwloc_obj_type_t type, hwloc_obj_t a, hwloc_obj_t b) {
  hwloc_obj_t pa = hwloc_get_ancestor_obj_by_type(t, type, a);
  hwloc_obj_t pb = hwloc_get_ancestor_obj_by_type(t, type, b);
  return pa != nullptr && pa == pb;
}

static PairClass classify_objs(hwloc_topology_t t, hwloc_obj_t a, hwloc_obj_t b) {
  if (share(t, HWLOC_OBJ_CORE, a, b)) return PairClass::kSmt;
  if (share(t, HWLOC_OBJ_L2CACHE, a, b)) return PairClass::kSameL2;
  if (share(t, HWLOC_OBJ_L3CACHE, a, b)) return PairClass::kSameL3;
  // hwloc 2 keeps NUMA nodes out of the CPU tree; a PU's nodeset names the
  // node(s) local to it.
  if (a->nodeset && b->nodeset && !hwloc_bitmap_intersects(a->nodeset, b->nodeset))
    return PairClass::kCrossNuma;
  return PairClass::kCrossL3;
}

bool Topology::classify(unsigned os_a, unsigned os_b, PairClass* out) const {
  hwloc_obj_t a = pu_by_os(os_a), b = pu_by_os(os_b);
  if (a == nullptr || b == nullptr || a == b) return false;
  *out = classify_objs(topo_, a, b);
  return true;
}

bool Topology::find_pair(PairClass c, PuPair* out, std::string* why) const {
  if (topo_ != nullptr) {
    int n = hwloc_get_nbobjs_by_type(topo_, HWLOC_OBJ_PU);
    for (int i = 0; i < n; i++) {
      hwloc_obj_t a = hwloc_get_obj_by_type(topo_, HWLOC_OBJ_PU, static_cast<unsigned>(i));
      for (int j = i + 1; j < n; j++) {
        hwloc_obj_t b = hwloc_get_obj_by_type(topo_, HWLOC_OBJ_PU, static_cast<unsigned>(j));
        if (classify_objs(topo_, a, b) == c) {
          *out = PuPair{c, a->os_index, b->os_index};
          return true;
        }
      }
    }
  }
  if (why) *why = std::string(kMissingWhy[static_cast<int>(c)]) + " (" + counts() + ")";
  return false;
}

unsigned Topology::first_pu_os() const {
  hwloc_obj_t pu = topo_ ? hwloc_get_obj_by_type(topo_, HWLOC_OBJ_PU, 0) : nullptr;
  return pu ? pu->os_index : 0;
}

int Topology::bind_current_thread(unsigned os_index) const {
  hwloc_obj_t pu = pu_by_os(os_index);
  if (pu == nullptr) return -EINVAL;
  if (hwloc_set_cpubind(topo_, pu->cpuset, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0) {
    // STRICT is refused by some kernels/VMs; the plain binding still pins.
    if (hwloc_set_cpubind(topo_, pu->cpuset, HWLOC_CPUBIND_THREAD) != 0)
      return errno != 0 ? -errno : -EINVAL;
  }
  return 0;
}

std::string Topology::counts() const {
  if (topo_ == nullptr) return "no topology";
  struct Kind {
    hwloc_obj_type_t type;
    const char* one;
    const char* many;
  };
  const Kind kinds[] = {{HWLOC_OBJ_PACKAGE, "package", "packages"},
                        {HWLOC_OBJ_NUMANODE, "NUMA node", "NUMA nodes"},
                        {HWLOC_OBJ_L3CACHE, "L3", "L3"},
                        {HWLOC_OBJ_L2CACHE, "L2", "L2"},
                        {HWLOC_OBJ_CORE, "core", "cores"},
                        {HWLOC_OBJ_PU, "PU", "PUs"}};
  std::string s;
  for (const Kind& k : kinds) {
    int n = hwloc_get_nbobjs_by_type(topo_, k.type);
    if (!s.empty()) s += ", ";
    s += std::to_string(n) + " " + (n == 1 ? k.one : k.many);
  }
  return s;
}

std::string Topology::summary() const {
  if (topo_ == nullptr) return "topology: not loaded\n";
  std::string s = "topology: " + counts() + "\n";
  hwloc_obj_t pkg = hwloc_get_obj_by_type(topo_, HWLOC_OBJ_PACKAGE, 0);
  const char* model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : nullptr;
  if (model != nullptr) {
    std::string m = model;
    while (!m.empty() && m.back() == ' ') m.pop_back();  // hwloc pads some models
    s += "cpu: " + m + "\n";
  }
  for (int i = 0; i < kPairClassCount; i++) {
    PairClass c = static_cast<PairClass>(i);
    PuPair p;
    std::string why;
    char line[256];
    if (find_pair(c, &p, &why))
      snprintf(line, sizeof line, "pair %-10s PU P#%u + PU P#%u\n", kClassNames[i], p.first_os,
               p.second_os);
    else
      snprintf(line, sizeof line, "pair %-10s skipped: %s\n", kClassNames[i], why.c_str());
    s += line;
  }
  return s;
}

}  // namespace nxb
