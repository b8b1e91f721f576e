// The network cases (net_echo.h) with an nxrt server, compiled into every
// executor binary (nxbench_<backend>): one task on an executor of this
// binary's backend (exec_adapter.h says how each backend's storage is set up)
// serves the client through nxrt_net.h.
//   tcp_echo_rtt    the task accepts one connection, then reads (nx_tcp_read)
//                   and writes back what it read (nx_tcp_write_all) until end
//                   of file
//   udp_echo_rtt    nx_udp_recv, then nx_udp_send to the sender, until an
//                   empty datagram
//   tcp_throughput  reads 64 KiB at a time, writes a 1-byte ack per MiB
// run busy: nx_run(NX_RUN_BUSY); parked: nx_run(NX_RUN_PARKED); spin_park:
// nx_run(NX_RUN_SPIN_PARK) with the default spin budget.
#include <cstring>
#include <string>
#include <vector>

#include "exec_adapter.h"
#include "harness.h"
#include "net_echo.h"
#include "nx_backend.h"
#include "nxrt.h"
#include "nxrt_net.h"

namespace nxb {

namespace {

static_assert(kNetSpinParkNs == NX_IDLE_SPIN_NS_DEFAULT,
              "the client and the floor spin as long as the executor");

nx_run_mode run_mode_of(NetRun r) {
  return r == NetRun::kBusy ? NX_RUN_BUSY : r == NetRun::kParked ? NX_RUN_PARKED : NX_RUN_SPIN_PARK;
}


// What the server task reports (lives outside task storage).
struct ServerReport {
  int rc = 0;
  const char* what = nullptr;
  void fail(const char* w, int r) {
    if (what == nullptr) {
      what = w;
      rc = r;
    }
  }
};

// ---------------------------------------------------------------------------
// TCP: echo and throughput
// ---------------------------------------------------------------------------

struct TcpServer {
  NX_ASYNC_FIELDS;
  nx_tcp_listener l;
  nx_tcp_accept acc;
  nx_tcp_stream s;
  nx_tcp_read rd;
  nx_tcp_write wr;
  size_t n, acks;
  int rc;
  bool throughput;
  ThroughputCounter counter;
  unsigned char* buf;  // kThroughputChunk bytes, owned by the case
  ServerReport* rep;
};

nx_poll tcp_server_poll(void* p, nx_cx* cx) {
  TcpServer* t = static_cast<TcpServer*>(p);
  NX_BEGIN(t);
  t->rc = nx_tcp_accept_init(&t->acc, &t->l);
  if (t->rc != NX_OK) {
    t->rep->fail("nx_tcp_accept_init", t->rc);
    return NX_READY;
  }
  NX_AWAIT(t, t->rc = nx_tcp_accept_poll(&t->acc, cx, &t->s, nullptr));
  if (t->rc != NX_READY) {
    t->rep->fail("nx_tcp_accept_poll", t->rc);
    return NX_READY;
  }
  nx_tcp_accept_drop(&t->acc);
  nx_tcp_listener_close(&t->l);
  nx_tcp_stream_setopt(&t->s, NX_SOCKOPT_NODELAY, 1);
  for (;;) {
    nx_tcp_read_init(&t->rd, &t->s, t->buf, kThroughputChunk);
    NX_AWAIT(t, t->rc = nx_tcp_read_poll(&t->rd, cx, &t->n));
    nx_tcp_read_drop(&t->rd);
    if (t->rc != NX_READY) {
      t->rep->fail("nx_tcp_read_poll", t->rc);
      break;
    }
    if (t->n == 0) break;  // the client is done
    if (t->throughput) {
      t->acks = t->counter.add(t->n);
      t->n = t->acks;  // one byte per acknowledged MiB (the first bytes of buf)
      if (t->n == 0) continue;
    }
    nx_tcp_write_all_init(&t->wr, &t->s, t->buf, t->n);
    NX_AWAIT(t, t->rc = nx_tcp_write_poll(&t->wr, cx, nullptr));
    nx_tcp_write_drop(&t->wr);
    if (t->rc != NX_READY) {
      t->rep->fail("nx_tcp_write_poll", t->rc);
      break;
    }
  }
  nx_tcp_stream_close(&t->s);
  NX_END(t);
}

void tcp_server_drop(void* p) {
  TcpServer* t = static_cast<TcpServer*>(p);
  nx_tcp_accept_drop(&t->acc);
  nx_tcp_read_drop(&t->rd);
  nx_tcp_write_drop(&t->wr);
  if (t->s.sock_ != nullptr) nx_tcp_stream_close(&t->s);
  if (t->l.sock_ != nullptr) nx_tcp_listener_close(&t->l);
}

// ---------------------------------------------------------------------------
// UDP echo
// ---------------------------------------------------------------------------

struct UdpServer {
  NX_ASYNC_FIELDS;
  nx_udp_socket u;
  nx_udp_recv rv;
  nx_udp_send sd;
  nx_sockaddr from;
  size_t n;
  int rc;
  unsigned char* buf;
  ServerReport* rep;
};

nx_poll udp_server_poll(void* p, nx_cx* cx) {
  UdpServer* t = static_cast<UdpServer*>(p);
  NX_BEGIN(t);
  for (;;) {
    nx_udp_recv_init(&t->rv, &t->u, t->buf, kThroughputChunk);
    NX_AWAIT(t, t->rc = nx_udp_recv_poll(&t->rv, cx, &t->n, &t->from));
    nx_udp_recv_drop(&t->rv);
    if (t->rc != NX_READY) {
      t->rep->fail("nx_udp_recv_poll", t->rc);
      break;
    }
    if (t->n == 0) break;  // the client's end marker
    nx_udp_send_init(&t->sd, &t->u, t->buf, t->n, &t->from);
    NX_AWAIT(t, t->rc = nx_udp_send_poll(&t->sd, cx, nullptr));
    nx_udp_send_drop(&t->sd);
    if (t->rc != NX_READY) {
      t->rep->fail("nx_udp_send_poll", t->rc);
      break;
    }
  }
  nx_udp_close(&t->u);
  NX_END(t);
}

void udp_server_drop(void* p) {
  UdpServer* t = static_cast<UdpServer*>(p);
  nx_udp_recv_drop(&t->rv);
  nx_udp_send_drop(&t->sd);
  if (t->u.sock_ != nullptr) nx_udp_close(&t->u);
}

// The server side of one case, on the pair's first PU.
void serve(const NetSpec& spec, NetRendezvous& rv) {
  static thread_local std::vector<unsigned char> buf;
  buf.assign(kThroughputChunk, 0);
  ServerReport rep;
  Exec e;  // this binary's backend, on the server's thread
  std::string why;
  size_t fit = spec.proto == NetProto::kTcp ? sizeof(TcpServer) : sizeof(UdpServer);
  if (e.create(fit, 4, 0, &why) != NX_OK) return rv.fail(why);
  nx_sockaddr addr;
  nx_sockaddr_loopback(&addr, AF_INET, 0);
  int rc;
  if (spec.proto == NetProto::kTcp) {
    TcpServer init{};
    init.throughput = spec.what == NetCase::kThroughput;
    init.buf = buf.data();
    init.rep = &rep;
    rc = nx_tcp_listen(e.ex(), &addr, 16, 0, &init.l);
    if (rc != NX_OK) return rv.fail(rc_text("nx_tcp_listen", rc));
    rc = nx_tcp_listener_local_addr(&init.l, &addr);
    nx_future_desc d = desc_of<TcpServer>(tcp_server_poll, tcp_server_drop);
    if (rc == NX_OK) rc = e.spawn(&d, &init);
    if (rc < 0) {
      nx_tcp_listener_close(&init.l);
      return rv.fail(rc_text("listener address / spawn", rc));
    }
  } else {
    UdpServer init{};
    init.buf = buf.data();
    init.rep = &rep;
    rc = nx_udp_bind(e.ex(), &addr, 0, &init.u);
    if (rc != NX_OK) return rv.fail(rc_text("nx_udp_bind", rc));
    rc = nx_udp_local_addr(&init.u, &addr);
    nx_future_desc d = desc_of<UdpServer>(udp_server_poll, udp_server_drop);
    if (rc == NX_OK) rc = e.spawn(&d, &init);
    if (rc < 0) {
      nx_udp_close(&init.u);
      return rv.fail(rc_text("socket address / spawn", rc));
    }
  }
  rv.publish(addr.u.in4);
  rc = nx_run(e.ex(), run_mode_of(spec.run));
  if (rc < 0) rep.fail("nx_run", rc);
  if (rep.what != nullptr) rv.fail(rc_text(rep.what, rep.rc));
}

}  // namespace

namespace {

int register_net_cases(Env& env) {
  add_net_cases(env, CaseKind::kCross, __FILE__, "serve", "", "nxrt task server", [&env](benchmark::State& st, const NetSpec& spec,
                                                     const PuPair& p) {
    run_net_case(st, env, spec, p, [&spec](NetRendezvous& rv) { serve(spec, rv); });
  }, {std::begin(kNetRunsWithSpinPark), std::end(kNetRunsWithSpinPark)});
  return 0;
}

}  // namespace

NXB_FAMILY(30, register_net_cases);

}  // namespace nxb
