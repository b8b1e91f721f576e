// Peer: libuv serving the network cases (net_echo.h), as a libuv user writes
// an echo server: callbacks on one loop; a write is tried at once
// (uv_try_write / uv_udp_try_send) and queued with a request only when the
// socket cannot take it all.
//   tcp_echo_rtt    uv_listen + uv_accept, uv_read_start; each read written
//                   back, until UV_EOF
//   udp_echo_rtt    uv_udp_recv_start; each datagram sent back, until an
//                   empty one
//   tcp_throughput  reads of up to 64 KiB, a 1-byte write per MiB
// run busy: uv_run(UV_RUN_NOWAIT) in a loop until no handle is left;
// parked: uv_run(UV_RUN_DEFAULT) (asleep in epoll).
#include <uv.h>

#include <cstring>
#include <vector>

#include "harness.h"
#include "net_echo.h"

namespace nxb {

namespace {

struct Server {
  const NetSpec* spec;
  NetRendezvous* rv;
  uv_loop_t loop;
  uv_tcp_t listener, conn;
  uv_udp_t udp;
  std::vector<char> buf = std::vector<char>(kThroughputChunk);
  ThroughputCounter counter;

  void fail(const char* what, int rc) {
    rv->fail(std::string("libuv server: ") + what + ": " + uv_strerror(rc));
  }
};

// The rest of a write the socket could not take at once.
struct WriteReq {
  uv_write_t req;
  Server* s;
  std::vector<char> bytes;
};
struct SendReq {
  uv_udp_send_t req;
  Server* s;
  std::vector<char> bytes;
};

Server* server_of(uv_handle_t* h) { return static_cast<Server*>(h->data); }

void on_alloc(uv_handle_t* h, size_t, uv_buf_t* b) {
  Server* s = server_of(h);
  *b = uv_buf_init(s->buf.data(), static_cast<unsigned>(s->buf.size()));
}

void on_write(uv_write_t* req, int status) {
  WriteReq* w = reinterpret_cast<WriteReq*>(req);
  if (status < 0) {
    w->s->fail("uv_write", status);
    uv_close(reinterpret_cast<uv_handle_t*>(&w->s->conn), nullptr);
  }
  delete w;
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* b) {
  Server* s = server_of(reinterpret_cast<uv_handle_t*>(stream));
  if (nread == 0) return;  // EAGAIN
  if (nread < 0) {
    if (nread != UV_EOF) s->fail("read", static_cast<int>(nread));
    uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
    return;
  }
  size_t out = static_cast<size_t>(nread);
  if (s->spec->what == NetCase::kThroughput) out = s->counter.add(out);
  if (out == 0) return;
  uv_buf_t wb = uv_buf_init(b->base, static_cast<unsigned>(out));
  int n = uv_try_write(stream, &wb, 1);
  if (n == static_cast<int>(out)) return;
  if (n < 0 && n != UV_EAGAIN) {
    s->fail("uv_try_write", n);
    uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
    return;
  }
  size_t done = n > 0 ? static_cast<size_t>(n) : 0;
  WriteReq* w = new WriteReq{{}, s, std::vector<char>(b->base + done, b->base + out)};
  uv_buf_t rest = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rc = uv_write(&w->req, stream, &rest, 1, on_write);
  if (rc < 0) {
    delete w;
    s->fail("uv_write", rc);
    uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
  }
}

void on_connection(uv_stream_t* l, int status) {
  Server* s = server_of(reinterpret_cast<uv_handle_t*>(l));
  int rc = status;
  if (rc == 0) rc = uv_tcp_init(&s->loop, &s->conn);
  if (rc == 0) {
    s->conn.data = s;
    rc = uv_accept(l, reinterpret_cast<uv_stream_t*>(&s->conn));
    if (rc == 0) rc = uv_tcp_nodelay(&s->conn, 1);
    if (rc == 0) rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&s->conn), on_alloc, on_read);
    if (rc != 0) uv_close(reinterpret_cast<uv_handle_t*>(&s->conn), nullptr);
  }
  if (rc != 0) s->fail("accept", rc);
  uv_close(reinterpret_cast<uv_handle_t*>(l), nullptr);
}

void on_send(uv_udp_send_t* req, int status) {
  SendReq* w = reinterpret_cast<SendReq*>(req);
  if (status < 0) {
    w->s->fail("uv_udp_send", status);
    uv_close(reinterpret_cast<uv_handle_t*>(&w->s->udp), nullptr);
  }
  delete w;
}

void on_datagram(uv_udp_t* u, ssize_t nread, const uv_buf_t* b, const sockaddr* from,
                 unsigned) {
  Server* s = server_of(reinterpret_cast<uv_handle_t*>(u));
  if (nread == 0 && from == nullptr) return;  // nothing more to read now
  if (nread < 0 || nread == 0) {  // an error, or the client's empty end marker
    if (nread < 0) s->fail("recv", static_cast<int>(nread));
    uv_close(reinterpret_cast<uv_handle_t*>(u), nullptr);
    return;
  }
  uv_buf_t sb = uv_buf_init(b->base, static_cast<unsigned>(nread));
  int n = uv_udp_try_send(u, &sb, 1, from);
  if (n >= 0) return;
  if (n != UV_EAGAIN) {
    s->fail("uv_udp_try_send", n);
    uv_close(reinterpret_cast<uv_handle_t*>(u), nullptr);
    return;
  }
  SendReq* w = new SendReq{{}, s, std::vector<char>(b->base, b->base + nread)};
  uv_buf_t rest = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rc = uv_udp_send(&w->req, u, &rest, 1, from, on_send);
  if (rc < 0) {
    delete w;
    s->fail("uv_udp_send", rc);
    uv_close(reinterpret_cast<uv_handle_t*>(u), nullptr);
  }
}

void serve(const NetSpec& spec, NetRendezvous& rv) {
  Server s;
  s.spec = &spec;
  s.rv = &rv;
  int rc = uv_loop_init(&s.loop);
  if (rc != 0) return s.fail("uv_loop_init", rc);
  sockaddr_in addr;
  int fd = net_bound_socket(spec.proto, false, &addr);
  if (fd < 0) {
    rv.fail(std::string("socket/bind: ") + strerror(-fd));
  } else if (spec.proto == NetProto::kUdp) {
    rc = uv_udp_init(&s.loop, &s.udp);
    s.udp.data = &s;
    if (rc == 0) rc = uv_udp_open(&s.udp, fd);
    if (rc == 0) rc = uv_udp_recv_start(&s.udp, on_alloc, on_datagram);
    if (rc != 0) s.fail("udp open", rc);
  } else {
    rc = uv_tcp_init(&s.loop, &s.listener);
    s.listener.data = &s;
    if (rc == 0) rc = uv_tcp_open(&s.listener, fd);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&s.listener), 16, on_connection);
    if (rc != 0) s.fail("listen", rc);
  }
  if (!rv.failed()) {
    rv.publish(addr);
    if (spec.parked())
      uv_run(&s.loop, UV_RUN_DEFAULT);
    else
      while (uv_run(&s.loop, UV_RUN_NOWAIT) != 0) {
      }
  }
  // Whatever is still open (after a failure) is closed before the loop goes.
  uv_walk(&s.loop, [](uv_handle_t* h, void*) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }, nullptr);
  uv_run(&s.loop, UV_RUN_DEFAULT);
  uv_loop_close(&s.loop);
}

}  // namespace

namespace {

int register_libuv_net_cases(Env& env) {
  add_net_cases(env, CaseKind::kPeer, __FILE__, "serve", "", "libuv loop server",
                [&env](benchmark::State& st, const NetSpec& spec, const PuPair& p) {
                  run_net_case(st, env, spec, p, [&spec](NetRendezvous& rv) { serve(spec, rv); });
                });
  return 0;
}

}  // namespace

NXB_FAMILY(55, register_libuv_net_cases);

}  // namespace nxb
