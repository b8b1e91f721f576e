"""The UDP echo pair with a peer that is not nxrt: Python datagrams to
udp_echo_server (sizes 1 B to 60 KB, from two sockets: each echo goes back
to its sender), then udp_echo_client against a Python UDP echo server (JSON
counts and ordered percentiles, nothing lost on loopback; a closed port is
exit 1 with the reason). Ctrl-C stops the server with exit 0 and its summary.
IPv6 too where ::1 exists."""
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_harness import Server, binary, check, have_ipv6_loopback, run  # noqa: E402


def talk_to_server(server):
    socks = [socket.socket(server.family, socket.SOCK_DGRAM) for _ in range(2)]
    sent = 0
    for size in (1, 64, 1400, 9000, 60000):
        for i, s in enumerate(socks):
            s.settimeout(10)
            payload = bytes((size + i + k) & 0xFF for k in range(size))
            s.sendto(payload, (server.host, server.port))
            data, src = s.recvfrom(65536)
            check(data == payload, "%d-byte datagram came back different" % size)
            check(src[1] == server.port, "echo from port %d" % src[1])
            sent += 1
    for s in socks:
        s.close()
    return sent


def python_udp_echo(family, host):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, 0))

    def loop():
        while True:
            try:
                data, src = s.recvfrom(65536)
                s.sendto(data, src)
            except OSError:
                return

    threading.Thread(target=loop, daemon=True).start()
    return s


def main():
    out = run([binary("udp_echo_server"), "--help"])
    check(out.returncode == 0 and "--listen" in out.stdout, "--help: %r" % (out,))
    out = run([binary("udp_echo_client"), "--size", "7"])
    check(out.returncode == 2, "--size 7 accepted: %r" % (out,))
    hosts = ["127.0.0.1"] + (["::1"] if have_ipv6_loopback() else [])
    if len(hosts) == 1:
        print("no IPv6 loopback: the IPv6 run is skipped")
    for host in hosts:
        server = Server("udp_echo_server", host)
        n = talk_to_server(server)
        code, rest, err = server.stop()
        check(code == 0, "server exit %d after SIGINT: %s" % (code, err))
        check("echoed %d datagrams" % n in rest, "summary: %r" % rest)

        py = python_udp_echo(server.family, host)
        port = py.getsockname()[1]
        target = ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
        out = run([binary("udp_echo_client"), "--connect", target, "--count", "500",
                   "--size", "256", "--json"])
        check(out.returncode == 0, "client exit %d: %s" % (out.returncode, out.stderr))
        r = json.loads(out.stdout)
        check(r["messages"] == 500 and r["lost"] == 0, "client JSON: %r" % r)
        t = r["rtt_us"]
        check(0 < t["p50"] <= t["p99"] <= t["max"], "percentiles: %r" % t)
        py.close()
        # nobody there: the ICMP port-unreachable makes it a refused exchange, exit 1
        # (a port bound and released here: the echo thread may still hold py's)
        with socket.socket(server.family, socket.SOCK_DGRAM) as s:
            s.bind((host, 0))
            dead = s.getsockname()[1]
        target = ("[%s]:%d" if ":" in host else "%s:%d") % (host, dead)
        out = run([binary("udp_echo_client"), "--connect", target, "--count", "5"])
        check(out.returncode == 1 and "Connection refused" in out.stderr,
              "client to a closed port: %r" % (out,))
        print("%s: server and client OK" % host)


if __name__ == "__main__":
    main()
