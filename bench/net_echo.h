// The network cases' method, shared by every server under test (nxrt in the
// executor binaries, the blocking-thread floor, Asio, libuv, tokio), so all
// are measured the same way: only the server differs.
//
//   tcp_echo_rtt / udp_echo_rtt   one message of msg_bytes (64 or 1024) to the
//       server and its echo back, over loopback; one sample per round trip.
//   tcp_throughput                16 writes of 64 KiB (1 MiB), then the
//       server's 1-byte acknowledgement once it has read the whole MiB; one
//       sample per MiB (MB/s = params.batch_bytes / p50_ns * 1000).
//
// The server runs on the pair's first PU (the executor's side, like
// cross_wake's), the client on the second PU. The client is plain sockets
// and the same code for every server; `run` sets both sides alike:
//   busy    the server's loop spins (NX_RUN_BUSY, poll(), UV_RUN_NOWAIT, a
//           yielding task); the client spins on a non-blocking socket
//   parked  the server sleeps in epoll (or read() for the floor); the client
//           blocks in recv()
//   spin_park  the server spins for its budget, then sleeps (NX_RUN_SPIN_PARK;
//           the floor spins on its non-blocking socket for the same budget,
//           then blocks in poll()); the client does the same. Only servers
//           with such an idle mode have these rows (not the peers).
// Both sides set TCP_NODELAY. The client's round trip is timed with the
// fenced TSC pair (tsc.h) into env.samples; the case's CaseTimer subtracts
// the pair's cost as everywhere.
#ifndef NXBENCH_NET_ECHO_H
#define NXBENCH_NET_ECHO_H

#include <netinet/in.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "harness.h"

namespace nxb {

enum class NetProto { kTcp, kUdp };
enum class NetCase { kEchoRtt, kThroughput };

// How both sides wait (each server maps it to its loop).
enum class NetRun { kBusy, kParked, kSpinPark };
// Every server's run values; kNetRunsWithSpinPark for nxrt and the floor.
constexpr NetRun kNetRuns[] = {NetRun::kBusy, NetRun::kParked};
constexpr NetRun kNetRunsWithSpinPark[] = {NetRun::kBusy, NetRun::kParked, NetRun::kSpinPark};
inline const char* net_run_name(NetRun r) {
  return r == NetRun::kBusy ? "busy" : r == NetRun::kParked ? "parked" : "spin_park";
}
// run=spin_park: how long a side spins on EAGAIN before it blocks (nxrt's
// default idle spin, NX_IDLE_SPIN_NS_DEFAULT).
constexpr int64_t kNetSpinParkNs = 50000;

// After EAGAIN on a non-blocking socket in run busy or spin_park: busy
// pauses once; spin_park pauses while the wait (since its first EAGAIN,
// kept in *since_ns, 0 at the start) is younger than kNetSpinParkNs, then
// blocks in poll() for `events` up to timeout_ms. Returns 0 (try again) or
// ETIMEDOUT (poll ran out).
int net_wait_again(NetRun run, int fd, short events, int64_t* since_ns, int timeout_ms);

constexpr size_t kEchoSizes[] = {64, 1024};
constexpr size_t kThroughputChunk = 64 * 1024;
constexpr size_t kThroughputBatch = 16 * kThroughputChunk;  // bytes per sample
constexpr size_t kEchoMaxBytes = 1024;

struct NetSpec {
  NetCase what = NetCase::kEchoRtt;
  NetProto proto = NetProto::kTcp;
  size_t msg_bytes = 64;  // echo: the message; throughput: kThroughputBatch
  NetRun run = NetRun::kBusy;

  const char* case_name() const {
    return what == NetCase::kThroughput ? "tcp_throughput"
           : proto == NetProto::kTcp    ? "tcp_echo_rtt"
                                        : "udp_echo_rtt";
  }
  bool parked() const { return run == NetRun::kParked; }  // blocking sockets
  // Round trips (or MiB) per process: as the cross-thread cases.
  size_t samples(const Env& env) const {
    if (what == NetCase::kThroughput) return env.quick ? 50 : 200;
    return env.roundtrip_samples(Mode::kSingle, parked());
  }
};

// Where the server listens: it binds 127.0.0.1 port 0 on its own thread and
// publishes the address; the client waits for it. Either side may give up
// (fail), and the other then stops waiting.
class NetRendezvous {
 public:
  void publish(const sockaddr_in& a) {
    addr_ = a;
    state_.store(1, std::memory_order_release);
  }
  // False when the other side failed (why() says why).
  bool wait_published() const;
  void fail(const std::string& why);
  bool failed() const { return state_.load(std::memory_order_acquire) == 2; }
  std::string why() const;
  const sockaddr_in& addr() const { return addr_; }

 private:
  sockaddr_in addr_{};
  std::atomic<int> state_{0};  // 0 waiting, 1 published, 2 failed
  std::atomic<bool> why_set_{false};
  std::string why_;
};

// A socket the server side made and bound to 127.0.0.1:0 (TCP: listening,
// NODELAY set on accepted sockets by each server). -errno on failure.
int net_bound_socket(NetProto proto, bool nonblocking, sockaddr_in* out);

// The client side: connects, warms up (a tenth), records spec.samples(env)
// samples into env.samples, and ends the connection (TCP: close, the server
// reads end of file; UDP: a zero-length datagram, the server's signal to
// stop). On any failure it calls rv.fail() and returns. Context switches of
// the timed part are kept for export_net_csw.
struct NetClientResult {
  Csw self_delta, mine_delta;
  size_t ops = 0;
};
void net_client(Env& env, const NetSpec& spec, NetRendezvous& rv, NetClientResult* res);

// The whole case: the server function runs on the pair's first PU and must
// publish (or fail) on rv, serve until the client ends, and return; the
// client runs on the second PU. Reports the samples, the context switches,
// and an error from either side.
void run_net_case(benchmark::State& st, Env& env, const NetSpec& spec, const PuPair& pair,
                  const std::function<void(NetRendezvous&)>& server);

// Describes tcp_echo_rtt, udp_echo_rtt and tcp_throughput (with
// `name_suffix`: "" for the servers under test, "_floor" for the floor
// binary, whose rows the others are read against) as cases of `kind` in
// `file` (the catalogue), and registers one variant per spec x pair class
// x value of `runs`, with names and params every binary shares:
//   <case>/mode:single/msg_bytes:../run:../pair_class:..
// `who` starts the descriptions; run(st, spec, pair) measures one.
using NetServerFn = std::function<void(benchmark::State&, const NetSpec&, const PuPair&)>;
void add_net_cases(Env& env, CaseKind kind, const char* file, const char* function,
                   const char* name_suffix, const char* who, const NetServerFn& run,
                   const std::vector<NetRun>& runs = {std::begin(kNetRuns), std::end(kNetRuns)});

// The echo server's work on one received TCP chunk for throughput: counts
// bytes and says how many 1-byte acknowledgements are due.
struct ThroughputCounter {
  size_t pending = 0;
  size_t add(size_t n) {
    pending += n;
    size_t acks = pending / kThroughputBatch;
    pending %= kThroughputBatch;
    return acks;
  }
};

}  // namespace nxb

#endif
