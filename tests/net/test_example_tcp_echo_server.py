"""tcp_echo_server against a client that is not nxrt (Python's socket module):
echoes of every size (1 byte to 1 MiB, written while reading), several
connections at once, a client that half-closes (the server sends the rest and
closes), a client that resets; then Ctrl-C (SIGINT) with a connection still
open: the server exits 0 within seconds and reports what it served. IPv6
too where ::1 exists. Also --help (exit 0) and a bad option (exit 2)."""
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_harness import Server, binary, check, fail, have_ipv6_loopback, run  # noqa: E402


def echo_round(sock, payload):
    received = bytearray()

    def reader():
        while len(received) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received.extend(chunk)

    t = threading.Thread(target=reader)
    t.start()
    sock.sendall(payload)
    t.join(30)
    check(not t.is_alive(), "echo of %d bytes did not come back within 30 s" % len(payload))
    check(bytes(received) == payload, "echo of %d bytes came back different (%d bytes)"
          % (len(payload), len(received)))


def session(server, connections):
    addr = (server.host, server.port)
    socks = [socket.create_connection(addr, timeout=30) for _ in range(connections)]
    for i, s in enumerate(socks):
        for size in (1, 64, 1000, 70000, 1 << 20):
            echo_round(s, bytes((i + k) & 0xFF for k in range(size)))
    # half-close: what was sent comes back, then end of file
    s = socks[0]
    s.sendall(b"last words")
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        chunk = s.recv(100)
        if not chunk:
            break
        data += chunk
    check(data == b"last words", "after SHUT_WR the echo was %r" % data)
    s.close()
    # reset: SO_LINGER 0 then close
    r = socks[1]
    r.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    r.close()
    return socks[2:]


def main():
    out = run([binary("tcp_echo_server"), "--help"])
    check(out.returncode == 0 and "--listen" in out.stdout, "--help: %r" % (out,))
    out = run([binary("tcp_echo_server"), "--nonsense"])
    check(out.returncode == 2 and "--help" in out.stderr, "bad option: %r" % (out,))
    out = run([binary("tcp_echo_server"), "--listen", "localhost:7"])
    check(out.returncode == 2 and "not an address" in out.stderr, "name as address: %r" % (out,))

    hosts = ["127.0.0.1"] + (["::1"] if have_ipv6_loopback() else [])
    if len(hosts) == 1:
        print("no IPv6 loopback: the IPv6 run is skipped")
    for host in hosts:
        server = Server("tcp_echo_server", host)
        still_open = session(server, 4)
        # a second listener on the same port is refused, with the reason
        busy = run([binary("tcp_echo_server"), "--listen",
                    ("[%s]:%d" if ":" in host else "%s:%d") % (host, server.port)])
        check(busy.returncode == 1 and "Address already in use" in busy.stderr,
              "listening twice: %r" % (busy,))
        code, rest, err = server.stop()
        check(code == 0, "exit status %d after SIGINT (stderr: %s)" % (code, err))
        check("served 4 connections" in rest, "summary missing: %r" % rest)
        for s in still_open:  # the server closed them on the way out
            s.settimeout(5)
            try:
                check(s.recv(10) == b"", "an open connection was not closed at shutdown")
            except ConnectionResetError:
                pass
            s.close()
        print("%s: echo, half-close, reset and Ctrl-C OK" % host)


if __name__ == "__main__":
    main()
