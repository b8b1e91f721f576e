// Floors of the network cases (net_echo.h): the same client against a plain
// thread with no event loop, so what is left is the kernel's own cost.
//   run parked  the thread blocks in accept()/recv()/send() (the floor of a
//               server that sleeps in epoll)
//   run busy    the thread spins on a non-blocking socket (the floor of a
//               busy-polling server)
//   run spin_park  spins as busy for kNetSpinParkNs, then blocks in poll()
//               (the floor of a server that spins before it parks)
// Rows are tcp_echo_rtt_floor, udp_echo_rtt_floor and tcp_throughput_floor,
// with the params of the case they are the floor of.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "harness.h"
#include "net_echo.h"

namespace nxb {

namespace {

// recv/send/accept on `fd` that wait on EAGAIN as `run` says (busy and
// spin_park: the socket is non-blocking; net_wait_again). -errno on
// failure.
ssize_t spin_io(NetRun run, int fd, short events, const std::function<ssize_t()>& call) {
  int64_t since = 0;
  for (;;) {
    ssize_t n = call();
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN && run != NetRun::kParked) {
      net_wait_again(run, fd, events, &since, -1);
      continue;
    }
    return -errno;
  }
}

std::string neg_errno_text(const char* what, ssize_t rc) {
  return std::string("floor server: ") + what + ": " + strerror(static_cast<int>(-rc));
}

void serve(const NetSpec& spec, NetRendezvous& rv) {
  NetRun run = spec.run;
  bool busy = run != NetRun::kParked;  // non-blocking sockets
  sockaddr_in addr;
  int lfd = net_bound_socket(spec.proto, busy, &addr);
  if (lfd < 0) return rv.fail(neg_errno_text("socket/bind", lfd));
  rv.publish(addr);
  static thread_local std::vector<unsigned char> buf;
  buf.assign(kThroughputChunk, 0);
  unsigned char* b = buf.data();
  if (spec.proto == NetProto::kUdp) {
    for (;;) {
      sockaddr_in from;
      socklen_t flen = sizeof from;
      ssize_t n = spin_io(run, lfd, POLLIN, [&] {
        return recvfrom(lfd, b, kThroughputChunk, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      });
      if (n < 0) rv.fail(neg_errno_text("recvfrom", n));
      if (n <= 0) break;
      ssize_t s = spin_io(run, lfd, POLLOUT, [&] {
        return sendto(lfd, b, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), flen);
      });
      if (s < 0) {
        rv.fail(neg_errno_text("sendto", s));
        break;
      }
    }
    close(lfd);
    return;
  }
  ssize_t fd = spin_io(run, lfd, POLLIN, [&] { return accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC); });
  close(lfd);
  if (fd < 0) return rv.fail(neg_errno_text("accept", fd));
  int cfd = static_cast<int>(fd), one = 1;
  setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (busy) fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK);
  ThroughputCounter counter;
  for (;;) {
    ssize_t n = spin_io(run, cfd, POLLIN, [&] { return recv(cfd, b, kThroughputChunk, 0); });
    if (n < 0) rv.fail(neg_errno_text("recv", n));
    if (n <= 0) break;
    size_t out = static_cast<size_t>(n);
    if (spec.what == NetCase::kThroughput) out = counter.add(out);  // 1-byte acks
    for (size_t done = 0; done < out;) {
      ssize_t s = spin_io(run, cfd, POLLOUT, [&] { return send(cfd, b + done, out - done, MSG_NOSIGNAL); });
      if (s < 0) {
        rv.fail(neg_errno_text("send", s));
        close(cfd);
        return;
      }
      done += static_cast<size_t>(s);
    }
  }
  close(cfd);
}

}  // namespace

namespace {

int register_floor_net_cases(Env& env) {
  add_net_cases(env, CaseKind::kFloor, __FILE__, "serve", "_floor", "plain thread, no event loop",
                [&env](benchmark::State& st, const NetSpec& spec, const PuPair& p) {
                  run_net_case(st, env, spec, p, [&spec](NetRendezvous& rv) { serve(spec, rv); });
                },
                {std::begin(kNetRunsWithSpinPark), std::end(kNetRunsWithSpinPark)});
  return 0;
}

}  // namespace

NXB_FAMILY(95, register_floor_net_cases);

}  // namespace nxb
