// The network cases' client and plumbing (see net_echo.h).
#include "net_echo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <immintrin.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tsc.h"

namespace nxb {

namespace {

// A reply that has not come after this long is lost (a UDP datagram can be
// dropped even on loopback, and nothing would ever end the wait).
constexpr int kReplyTimeoutS = 5;

std::string errno_text(const char* what, int err) {
  return std::string(what) + ": " + strerror(err);
}

int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Client socket I/O in the case's run mode: blocking calls (parked), a
// spin on a non-blocking socket (busy), or a spin that blocks in poll()
// after kNetSpinParkNs (spin_park). Returns 0 or an errno value (ETIMEDOUT
// when the reply is lost, EPIPE on an early end of file).
class ClientIo {
 public:
  ClientIo(int fd, NetRun run) : fd_(fd), run_(run), busy_(run == NetRun::kBusy) {}

  int send_all(const unsigned char* p, size_t len) {
    size_t done = 0;
    int64_t since = 0;
    while (done < len) {
      ssize_t n = send(fd_, p + done, len - done, MSG_NOSIGNAL);
      if (n >= 0) {
        done += static_cast<size_t>(n);
        since = 0;
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN && run_ != NetRun::kParked) {
        int err = net_wait_again(run_, fd_, POLLOUT, &since, kReplyTimeoutS * 1000);
        if (err != 0) return err;
        continue;
      }
      return errno;
    }
    return 0;
  }

  // TCP: exactly len bytes. UDP: one datagram of exactly len bytes.
  int recv_exact(unsigned char* p, size_t len, bool datagram) {
    size_t done = 0;
    int64_t deadline = 0, since = 0;
    unsigned spins = 0;
    while (done < len) {
      ssize_t n = recv(fd_, p + done, len - done, 0);
      if (n > 0 || (n == 0 && datagram)) {
        if (datagram && static_cast<size_t>(n) != len) return EMSGSIZE;
        done += static_cast<size_t>(n);
        since = 0;
        if (datagram) break;
        continue;
      }
      if (n == 0) return EPIPE;
      if (errno == EINTR) continue;
      if (errno == EAGAIN && run_ == NetRun::kSpinPark) {
        int err = net_wait_again(run_, fd_, POLLIN, &since, kReplyTimeoutS * 1000);
        if (err != 0) return err;
        continue;
      }
      if (errno == EAGAIN && busy_) {
        if ((++spins & 0xffff) == 0) {
          int64_t now = mono_ns();
          if (deadline == 0) deadline = now + int64_t{kReplyTimeoutS} * 1000000000;
          else if (now > deadline) return ETIMEDOUT;
        }
        continue;
      }
      if (errno == EAGAIN) return ETIMEDOUT;  // parked: SO_RCVTIMEO ran out
      return errno;
    }
    return 0;
  }

 private:
  int fd_;
  NetRun run_;
  bool busy_;
};

int client_socket(const NetSpec& spec, const sockaddr_in& server, std::string* why) {
  int type = spec.proto == NetProto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *why = errno_text("client socket", errno);
    return -1;
  }
  int one = 1;
  if (spec.proto == NetProto::kTcp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{kReplyTimeoutS, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // Connected UDP too: send() without an address, and recv() only the server's.
  if (connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
    *why = errno_text("client connect", errno);
    close(fd);
    return -1;
  }
  if (!spec.parked()) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace

int net_wait_again(NetRun run, int fd, short events, int64_t* since_ns, int timeout_ms) {
  if (run == NetRun::kSpinPark) {
    int64_t now = mono_ns();
    if (*since_ns == 0) *since_ns = now;
    if (now - *since_ns >= kNetSpinParkNs) {
      pollfd p{fd, events, 0};
      int r;
      while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
      }
      *since_ns = 0;
      return r == 0 ? ETIMEDOUT : 0;
    }
  }
  _mm_pause();
  return 0;
}

bool NetRendezvous::wait_published() const {
  int s;
  while ((s = state_.load(std::memory_order_acquire)) == 0) _mm_pause();
  return s == 1;
}

void NetRendezvous::fail(const std::string& why) {
  bool expected = false;
  if (why_set_.compare_exchange_strong(expected, true)) why_ = why;
  state_.store(2, std::memory_order_release);
}

std::string NetRendezvous::why() const {
  return why_set_.load(std::memory_order_acquire) ? why_ : std::string();
}

int net_bound_socket(NetProto proto, bool nonblocking, sockaddr_in* out) {
  int type = (proto == NetProto::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC |
             (nonblocking ? SOCK_NONBLOCK : 0);
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) return -errno;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (proto == NetProto::kTcp && listen(fd, 16) != 0) ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  *out = a;
  return fd;
}

void net_client(Env& env, const NetSpec& spec, NetRendezvous& rv, NetClientResult* res) {
  if (!rv.wait_published()) return;
  std::string why;
  int fd = client_socket(spec, rv.addr(), &why);
  if (fd < 0) return rv.fail(why);
  ClientIo io(fd, spec.run);
  size_t n = spec.samples(env);
  int err = 0;
  const char* what = "";
  bool datagram = spec.proto == NetProto::kUdp;
  // Message bytes vary per round trip, so a server that answered with stale
  // bytes would be caught.
  static thread_local std::vector<unsigned char> out, in;
  size_t chunk = spec.what == NetCase::kThroughput ? kThroughputChunk : spec.msg_bytes;
  out.assign(chunk, 0);
  in.assign(chunk, 0);
  unsigned char tag = 0;
  auto roundtrip = [&] {
    if (err != 0) return;
    if (spec.what == NetCase::kThroughput) {
      for (size_t sent = 0; sent < kThroughputBatch && err == 0; sent += chunk) {
        err = io.send_all(out.data(), chunk);
        what = "send";
      }
      if (err == 0 && (err = io.recv_exact(in.data(), 1, false)) != 0) what = "receive the ack";
      return;
    }
    out[0] = ++tag;
    out[chunk - 1] = tag;
    if ((err = io.send_all(out.data(), chunk)) != 0) {
      what = "send";
      return;
    }
    if ((err = io.recv_exact(in.data(), chunk, datagram)) != 0) {
      what = "receive the echo";
      return;
    }
    if (in[0] != tag || in[chunk - 1] != tag) {
      err = EBADMSG;
      what = "the echo differs from the message";
    }
  };
  for (size_t i = 0, w = warmup_samples(n); i < w; i++) roundtrip();
  Csw self0 = csw_now(RUSAGE_SELF), mine0 = csw_now(RUSAGE_THREAD);
  sample_loop(*env.samples, n, 0, [] {}, roundtrip);
  Csw self1 = csw_now(RUSAGE_SELF), mine1 = csw_now(RUSAGE_THREAD);
  res->self_delta = {self1.voluntary - self0.voluntary, self1.involuntary - self0.involuntary};
  res->mine_delta = {mine1.voluntary - mine0.voluntary, mine1.involuntary - mine0.involuntary};
  res->ops = n;
  if (err != 0) rv.fail(std::string("client: ") + what + ": " + strerror(err));
  // The end: TCP end of file, or an empty datagram (retried while a busy
  // socket's send buffer is full).
  if (datagram)
    while (send(fd, out.data(), 0, MSG_NOSIGNAL) < 0 && (errno == EAGAIN || errno == EINTR)) {
    }
  close(fd);
}

void run_net_case(benchmark::State& st, Env& env, const NetSpec& spec, const PuPair& pair,
                  const std::function<void(NetRendezvous&)>& server) {
  CaseTimer timer(env);
  NetRendezvous rv;
  NetClientResult res;
  for (auto _ : st) {
    if (!run_on_pair(st, env, pair, [&] { server(rv); },
                     [&] { net_client(env, spec, rv, &res); }))
      return;
  }
  if (rv.failed()) {
    std::string why = rv.why();
    st.SkipWithError(why.empty() ? "the server or the client failed" : why.c_str());
    return;
  }
  timer.finish(st, 1);
  export_csw(st, res.self_delta, res.mine_delta, res.ops);
}

void add_net_cases(Env& env, CaseKind kind, const char* file, const char* function,
                   const char* name_suffix, const char* who, const NetServerFn& run,
                   const std::vector<NetRun>& runs) {
  auto describe = [&](const char* base, const std::string& what) -> Case& {
    CaseInfo c;
    c.name = std::string(base) + name_suffix;
    c.kind = kind;
    c.description = std::string(who) + ": " + what;
    c.function = function;
    if (kind != CaseKind::kFloor) c.floor = std::string(base) + "_floor";
    c.needs_pair = true;
    c.section = "network";
    c.measured = {"voluntary_csw_per_op"};
    c.not_profiled =
        "two threads and the kernel's network stack: callgrind runs threads one at a time";
    return describe_case_in(c, file);
  };
  Case& tcp = describe(
      "tcp_echo_rtt", "a msg_bytes message over loopback TCP from a client on the other core and "
                      "its echo back, one round trip per sample");
  Case& udp = describe("udp_echo_rtt", "the same over UDP, one datagram each way");
  Case& thr = describe("tcp_throughput",
                       "reads 1 MiB sent as 16 writes of 64 KiB from the other core and "
                       "acknowledges it with 1 byte, one MiB per sample");
  for (const PuPair& p : env.pairs) {
    const char* cls = pair_class_name(p.cls);
    for (NetRun r : runs) {
      for (NetProto proto : {NetProto::kTcp, NetProto::kUdp})
        for (size_t bytes : kEchoSizes) {
          NetSpec spec{NetCase::kEchoRtt, proto, bytes, r};
          std::string desc = std::string(who) + ": " + std::to_string(bytes) + " B " +
                             (proto == NetProto::kTcp ? "TCP" : "UDP") +
                             " echo round trip over loopback from a client on the other core (" +
                             net_run_name(r) + ")";
          (proto == NetProto::kTcp ? tcp : udp)
              .add(Mode::kSingle,
                   {{"msg_bytes", std::to_string(bytes)}, {"run", net_run_name(r)},
                    {"pair_class", cls}},
                   desc, [run, spec, p](benchmark::State& st) { run(st, spec, p); });
        }
      NetSpec spec{NetCase::kThroughput, NetProto::kTcp, kThroughputBatch, r};
      std::string desc = std::string(who) +
                         ": reads 1 MiB sent as 16 writes of 64 KiB from the other core, "
                         "acknowledges it with 1 byte (" + net_run_name(r) + ")";
      thr.add(Mode::kSingle,
              {{"chunk_bytes", std::to_string(kThroughputChunk)},
               {"batch_bytes", std::to_string(kThroughputBatch)},
               {"run", net_run_name(r)}, {"pair_class", cls}},
              desc, [run, spec, p](benchmark::State& st) { run(st, spec, p); });
    }
  }
}

}  // namespace nxb
