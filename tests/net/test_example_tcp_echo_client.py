"""tcp_echo_client against a server that is not nxrt: a Python echo server
(a thread per connection). The client's JSON has the requested count and
ordered percentiles; the table form prints them too; a connect to a port
with no listener fails with exit 1 and the reason after the retry window;
Ctrl-C (SIGINT) in the middle of a long run stops it with exit 0 and the
round trips measured so far."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_harness import binary, check, fail, run  # noqa: E402


got_data = threading.Event()  # set once any client's bytes arrived


def python_echo_server():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)

    def serve(conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                got_data.set()
                conn.sendall(data)

    def accept_loop():
        while True:
            try:
                conn, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return ls, ls.getsockname()[1]


def main():
    client = binary("tcp_echo_client")
    out = run([client, "--help"])
    check(out.returncode == 0 and "--count" in out.stdout, "--help: %r" % (out,))
    out = run([client, "--size", "0"])
    check(out.returncode == 2, "--size 0 accepted: %r" % (out,))

    ls, port = python_echo_server()
    addr = "127.0.0.1:%d" % port
    out = run([client, "--connect", addr, "--count", "300", "--size", "100", "--json"])
    check(out.returncode == 0, "exit %d: %s" % (out.returncode, out.stderr))
    r = json.loads(out.stdout)
    check(r["messages"] == 300 and r["requested"] == 300 and r["bytes"] == 100 and
          not r["interrupted"], "JSON: %r" % r)
    t = r["rtt_us"]
    check(0 < t["min"] <= t["p50"] <= t["p90"] <= t["p99"] <= t["p99.9"] <= t["max"],
          "percentiles out of order: %r" % t)

    out = run([client, "--connect", addr, "--count", "50", "--size", "3000"])
    check(out.returncode == 0 and "50 of 50 round trips of 3000 bytes" in out.stdout
          and "p99" in out.stdout, "table output: %r" % (out,))

    # Ctrl-C in the middle
    got_data.clear()
    proc = subprocess.Popen([client, "--connect", addr, "--count", "100000000", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # its bytes arriving prove it is past setup (Ctrl-C handling is installed
    # before it connects); then let it run a little
    if not got_data.wait(30):
        proc.kill()
        fail("the client sent nothing within 30 s")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("the client did not stop within 10 s of SIGINT")
    check(proc.returncode == 0, "exit %d after SIGINT: %s" % (proc.returncode, stderr))
    r = json.loads(stdout)
    check(r["interrupted"] and 0 < r["messages"] < 100000000, "after SIGINT: %r" % r)
    ls.close()

    # nobody listens: refused, retried for about a second, then exit 1
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    t0 = time.monotonic()
    out = run([client, "--connect", "127.0.0.1:%d" % dead, "--connect-timeout", "1"])
    took = time.monotonic() - t0
    check(out.returncode == 1 and "Connection refused" in out.stderr, "refused: %r" % (out,))
    check(took >= 0.9, "gave up after %.2f s, before its 1 s retry window" % took)
    print("JSON, table, Ctrl-C after %d round trips, refused connect OK" % r["messages"])


if __name__ == "__main__":
    main()
