// Peer: tokio, the executor the Rust crate nxrt comes from compares itself
// with. The servers are Rust (bench/peers/tokio, a static library built
// offline with Debian's cargo and librust-tokio-dev); everything else is
// this harness's, as for every other binary: the socket is made and bound
// here, the thread pinned here, the client (net_echo.h) and the samples are
// the same code as for nxrt, Asio, libuv and the floor.
//   tcp_echo_rtt, udp_echo_rtt, tcp_throughput
//       a current-thread runtime on the pair's first PU serves one client;
//       run busy: a yielding task keeps it from sleeping and it polls epoll
//       on every tick (event_interval 1); parked: it sleeps in epoll
#include <unistd.h>

#include <cstring>
#include <string>

#include "harness.h"
#include "net_echo.h"

extern "C" int nxtokio_serve(int fd, int udp, int throughput, int busy, char* err, size_t err_len);

namespace nxb {

namespace {

void serve(const NetSpec& spec, NetRendezvous& rv) {
  sockaddr_in addr;
  int fd = net_bound_socket(spec.proto, false, &addr);
  if (fd < 0) return rv.fail(std::string("socket/bind: ") + strerror(-fd));
  rv.publish(addr);
  char err[256] = "";
  // The runtime takes the socket over and closes it.
  if (nxtokio_serve(fd, spec.proto == NetProto::kUdp, spec.what == NetCase::kThroughput,
                    spec.run == NetRun::kBusy, err, sizeof err) != 0)
    rv.fail(err);
}

}  // namespace

BackendInfo binary_backend() {
  return BackendInfo{"tokio", "tokio " NXBENCH_TOKIO_VERSION " (Debian, current-thread)", "peer"};
}

int register_cases(Env& env) {
  benchmark::AddCustomContext("lib_tokio", NXBENCH_TOKIO_VERSION);
  benchmark::AddCustomContext("lib_rustc", NXBENCH_RUSTC_VERSION);
  add_net_cases(env, "", "tokio current-thread server",
                [&env](benchmark::State& st, const NetSpec& spec, const PuPair& p) {
                  run_net_case(st, env, spec, p, [&spec](NetRendezvous& rv) { serve(spec, rv); });
                });
  return 0;
}

}  // namespace nxb
