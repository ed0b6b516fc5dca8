"""Helpers of the lab tests: a `vrouter lab` process on a topology file,
its control commands, telnet sessions to its routers, and the output of
its traffic generators."""

import atexit
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sessions"))
import vrlib  # noqa: E402

fail = vrlib.fail

# Labs still running when the test exits, failed or not: the lab runs in
# a session of its own, so nothing else would stop it.
_running = []


@atexit.register
def _stop_running():
    for lab in list(_running):
        lab.stop(check=False)
SANITIZER_RE = r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:"


def binary():
    path = os.environ.get("VR_BINARY")
    if not path or not os.access(path, os.X_OK):
        fail("VR_BINARY does not name the vrouter executable; run this "
             "test through ctest")
    return path


def source_dir():
    path = os.environ.get("VR_SOURCE_DIR")
    if not path or not os.path.isdir(path):
        fail("VR_SOURCE_DIR is not set; run this test through ctest")
    return path


def lab_file(name):
    """Path of configs/labs/NAME in the source tree."""
    return os.path.join(source_dir(), "configs", "labs", name)


def flow_action(session, src):
    """Returns the recovery action that `show crypto ipsec invalid-spi`
    lists for the flow from SRC, or None, and the command's output."""
    out = session.command("show crypto ipsec invalid-spi").replace("\r", "")
    m = re.search(rf"srcaddr: {re.escape(src)},(?:.*\n)*?\s+recovery: "
                  r"(.*?)(?: at \S+)?$", out, re.M)
    return (m.group(1).strip() if m else None), out


class Lab:
    """A running `vrouter lab FILE` with its own work directory."""

    def __init__(self, topology, args=("--no-ssh",), timeout=60):
        self.dir = tempfile.mkdtemp(prefix="vr-lab.")
        self.lines = []
        self.stopped = False
        self.proc = subprocess.Popen(
            [binary(), "lab", "--dir", self.dir, *args, topology],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        _running.append(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait_output(r"lab: ready in ([0-9.]+) s", timeout)
        self.ready_seconds = float(re.search(
            r"lab: ready in ([0-9.]+) s", self.output()).group(1))
        self.ports = dict(re.findall(
            r"^(\S+)\s+running\s+\d+\s+(\d+)", self.output(), re.M))

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def output(self):
        return "".join(self.lines)

    def wait_output(self, pattern, timeout=30):
        """Waits until the lab's own output matches PATTERN."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.output(), re.M)
            if m:
                return m
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.1)
        self.stop()
        fail(f"lab output lacks {pattern!r}:\n{self.output()[-3000:]}")

    def ctl(self, *words, expect_rc=0):
        """Runs `vrouter lab --dir DIR WORDS...` and returns its output."""
        res = subprocess.run([binary(), "lab", "--dir", self.dir, *words],
                             capture_output=True, text=True, timeout=30)
        if expect_rc is not None and res.returncode != expect_rc:
            self.stop()
            fail(f"`lab {' '.join(words)}` exited {res.returncode}, "
                 f"expected {expect_rc}:\n{res.stdout}{res.stderr}")
        return res.stdout + res.stderr

    def link_stats(self, link):
        """Counters of LINK's two directions from `status`."""
        out = self.ctl("status")
        m = re.search(rf"^{link} .*\n  A->B (.*)\n  B->A (.*)$", out, re.M)
        if not m:
            fail(f"no link {link} in status:\n{out}")
        return [dict((k, int(v)) for k, v in
                     re.findall(r"(\w+) (\d+)", m.group(i)))
                for i in (1, 2)]

    def session(self, router):
        return Session(router, int(self.ports[router]))

    def trafgen(self, host):
        with open(os.path.join(self.dir, f"{host}.trafgen")) as f:
            return f.read()

    def wait_trafgen(self, host, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.trafgen(host), re.M)
            if m:
                return m
            time.sleep(0.2)
        text = self.trafgen(host)
        self.stop()
        fail(f"trafgen on {host} lacks {pattern!r} after {timeout} s:\n"
             f"{text[-2000:]}")

    def stop(self, check=True):
        """Stops the lab with `stop`; returns its exit status.

        With CHECK, fails on a sanitizer report in the lab's output.
        """
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        _running.remove(self)
        if self.proc.poll() is None:
            subprocess.run([binary(), "lab", "--dir", self.dir, "stop"],
                           capture_output=True, timeout=30)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.reader.join(timeout=5)
        subprocess.run(["rm", "-rf", self.dir])
        # The routers' sanitizer reports reach the lab's output only.
        m = re.search(SANITIZER_RE, self.output())
        if m and check:
            fail("a sanitizer reported an error in the lab:\n"
                 f"{self.output()[max(0, m.start() - 200):][:4000]}")
        return self.proc.returncode


class Session:
    """A privileged telnet session to one lab router."""

    def __init__(self, name, port):
        self.name = name
        self.t = vrlib.Telnet(port)
        self.t.read_until(rf"{name}>")
        self.command("enable")
        self.command("terminal length 0")

    def command(self, cmd, timeout=30):
        self.t.send(cmd + "\r\n")
        out = self.t.read_until(rf"\r\n{self.name}(\([^)]*\))?#", timeout)
        return out.split("\r\n", 1)[1] if "\r\n" in out else out

    def configure(self, *lines):
        for line in ("configure terminal", *lines, "end"):
            out = self.command(line)
            if "%" in out:
                fail(f"{self.name}: '{line}' failed:\n{out}")

    def close(self):
        self.t.close()
