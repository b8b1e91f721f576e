// Peer: Boost.Asio serving the network cases (net_echo.h), as an Asio user
// writes an echo server: one io_context (concurrency hint 1), a chain of
// async operations whose handlers start the next one.
//   tcp_echo_rtt    async_accept, then async_read_some -> async_write of what
//                   was read, until end of file
//   udp_echo_rtt    async_receive_from -> async_send_to, until an empty datagram
//   tcp_throughput  async_read_some of 64 KiB, a 1-byte async_write per MiB
// run busy: poll() in a loop until the context runs out of work;
// parked: run() (asleep in epoll).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>

#include <functional>
#include <vector>

#include "harness.h"
#include "net_echo.h"

namespace nxb {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

struct Server {
  Server(const NetSpec& sp, NetRendezvous& r) : spec(sp), rv(r) {}
  const NetSpec& spec;
  NetRendezvous& rv;
  asio::io_context ctx{1};
  std::vector<unsigned char> buf = std::vector<unsigned char>(kThroughputChunk);
  ThroughputCounter counter;

  void fail(const char* what, const error_code& ec) {
    rv.fail(std::string("asio server: ") + what + ": " + ec.message());
  }

  // TCP: read, then write back (or acknowledge), then read again.
  void tcp_read(tcp::socket& s) {
    s.async_read_some(asio::buffer(buf), [this, &s](const error_code& ec, size_t n) {
      if (ec == asio::error::eof) return;
      if (ec) return fail("async_read_some", ec);
      size_t out = spec.what == NetCase::kThroughput ? counter.add(n) : n;
      if (out == 0) return tcp_read(s);
      asio::async_write(s, asio::buffer(buf.data(), out), [this, &s](const error_code& wec, size_t) {
        if (wec) return fail("async_write", wec);
        tcp_read(s);
      });
    });
  }

  void udp_receive(udp::socket& s, udp::endpoint& from) {
    s.async_receive_from(asio::buffer(buf), from, [this, &s, &from](const error_code& ec, size_t n) {
      if (ec) return fail("async_receive_from", ec);
      if (n == 0) return;  // the client's end marker
      s.async_send_to(asio::buffer(buf.data(), n), from, [this, &s, &from](const error_code& sec, size_t) {
        if (sec) return fail("async_send_to", sec);
        udp_receive(s, from);
      });
    });
  }

  void run_loop() {
    if (spec.parked())
      ctx.run();
    else
      while (!ctx.stopped()) ctx.poll();  // stops once no operation is left
  }

  void serve() {
    sockaddr_in addr;
    int fd = net_bound_socket(spec.proto, false, &addr);
    if (fd < 0) return rv.fail(std::string("socket/bind: ") + strerror(-fd));
    error_code ec;
    if (spec.proto == NetProto::kUdp) {
      udp::socket s(ctx);
      s.assign(udp::v4(), fd, ec);
      if (ec) return fail("assign", ec);
      rv.publish(addr);
      udp::endpoint from;
      udp_receive(s, from);
      run_loop();
      return;
    }
    tcp::acceptor acc(ctx);
    acc.assign(tcp::v4(), fd, ec);
    if (ec) return fail("assign", ec);
    rv.publish(addr);
    tcp::socket conn(ctx);
    acc.async_accept(conn, [this, &acc, &conn](const error_code& aec) {
      if (aec) return fail("async_accept", aec);
      acc.close();
      conn.set_option(tcp::no_delay(true));
      tcp_read(conn);
    });
    run_loop();
  }
};

}  // namespace

namespace {

int register_asio_net_cases(Env& env) {
  add_net_cases(env, CaseKind::kPeer, __FILE__, "Server::serve", "", "Boost.Asio io_context server",
                [&env](benchmark::State& st, const NetSpec& spec, const PuPair& p) {
                  run_net_case(st, env, spec, p, [&spec](NetRendezvous& rv) {
                    Server s(spec, rv);
                    s.serve();
                  });
                });
  return 0;
}

}  // namespace

NXB_FAMILY(55, register_asio_net_cases);

}  // namespace nxb
