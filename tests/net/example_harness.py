"""What the example tests share: starting an example program, reading its
'listening on ADDR' line, stopping it with SIGINT, and failing with a message
that says what happened. Run by Debian's /usr/bin/python3 (ctest passes the
directory holding the example binaries as argv[1])."""
import os
import re
import signal
import socket
import subprocess
import sys

SKIP = 77


def fail(msg):
    print("FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def binary(name):
    if len(sys.argv) < 2:
        fail("usage: %s EXAMPLES_DIR" % sys.argv[0])
    path = os.path.join(sys.argv[1], name)
    check(os.access(path, os.X_OK), "%s is not built (%s)" % (name, path))
    return path


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Server:
    """An example server started with --listen HOST:0; .host and .port come
    from its first line."""

    def __init__(self, name, host, *extra):
        listen = "[%s]:0" % host if ":" in host else "%s:0" % host
        self.proc = subprocess.Popen([binary(name), "--listen", listen, *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"listening on \[?([0-9a-f.:]+)\]?:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            fail("%s printed %r instead of 'listening on ADDR' (stderr: %s)"
                 % (name, line, self.proc.stderr.read()))
        self.host, self.port = m.group(1), int(m.group(2))
        self.family = socket.AF_INET6 if ":" in self.host else socket.AF_INET

    def stop(self, timeout=10):
        """SIGINT (Ctrl-C); returns (exit status, stdout rest, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("the server did not stop within %d s of SIGINT" % timeout)
        return self.proc.returncode, out, err


def run(args, timeout=60, **kw):
    """Runs an example to completion: CompletedProcess with text output."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        fail("%s did not finish within %d s" % (" ".join(args), timeout))
