"""Interoperability lab: strongSwan's charon in one network namespace,
vrouter attached to a TUN device in another, and a veth pair between them.

    strongSwan netns                  DUT netns
    lo 198.51.100.1/32                vrouter Loopback0 198.51.100.129/32
    sw0 203.0.113.2/24 --veth-- dut0 203.0.113.1/24   (Linux forwards)
                                      vrtun0 198.18.1.2/24 --TUN-- vrouter
                                      GigabitEthernet1 198.18.1.1/24

charon uses the kernel-libipsec plugin, so it does ESP in userspace and
sends it as ESP in UDP 4500; no kernel ESP support is needed. It fakes
NAT detection for the same reason, so vrouter detects NAT and uses NAT-T.

Lab(name, nat=True) puts a real NAT between the two: charon's namespace
gets the private address 10.99.0.2 behind a third namespace that
forwards to the DUT and masquerades charon's UDP to 203.0.113.2 with
source ports 20000-20100 (nftables), so charon's 500 and 4500 both
show up on other ports, as behind a home router.

Every name (namespaces, work folder) carries the test's PID and a random
tag, so tests run in parallel do not collide. Lab.close() kills every
process the lab started, by PID, then deletes the namespaces it created.
A SIGALRM deadline below ctest's timeout and SIGTERM both run it too.

Needs root, /dev/net/tun and Debian's strongswan-charon,
strongswan-swanctl, libcharon-extra-plugins (kernel-libipsec) and
libstrongswan-standard-plugins; nftables for Lab.block_peer().
"""

import ctypes
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "sessions"))
from vrlib import strip_telnet  # noqa: E402

CHARON = "/usr/lib/ipsec/charon"
SKIP = 77
CLONE_NEWNET = 0x40000000

SW_OUTER = "203.0.113.2"
DUT_LINUX_OUTER = "203.0.113.1"
VR_OUTER = "198.18.1.1"
DUT_LINUX_TUN = "198.18.1.2"
SW_INNER = "198.51.100.1"
SW_TS = "198.51.100.0/25"
VR_INNER = "198.51.100.129"
VR_TS = "198.51.100.128/25"
PSK = "interop-psk-0123456789"
TUN = "vrtun0"
HOSTNAME = "VR"

# Lab(nat=True): charon's address behind the NAT, the NAT's inside
# address, and the source ports it maps charon's UDP to.
SW_BEHIND_NAT = "10.99.0.2"
NAT_INSIDE = "10.99.0.1"
NAT_PORTS = (20000, 20100)

# A sanitizer report in vrouter's output fails the test.
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")


class LabError(Exception):
    """A step of the lab failed; the message names the step and the cause."""


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def skip(msg):
    print(f"SKIP: {msg}")
    sys.exit(SKIP)


def require_environment():
    """Exits 77 (skipped) when root, the TUN device or strongSwan is
    missing, and fails when VR_BINARY is not set."""
    binary = os.environ.get("VR_BINARY")
    if not binary or not os.access(binary, os.X_OK):
        fail("VR_BINARY does not name the vrouter executable; run this "
             "test through ctest")
    if os.geteuid() != 0:
        skip("needs root for network namespaces")
    if not os.path.exists("/dev/net/tun"):
        skip("needs /dev/net/tun")
    if not os.access(CHARON, os.X_OK) or shutil.which("swanctl") is None:
        fail(f"strongSwan is not installed ({CHARON}, swanctl); run "
             "tools/install-deps.sh --test")
    return binary


def run(cmd, check=True, timeout=30, **kw):
    """Runs CMD (a list) and returns the CompletedProcess; raises LabError
    with its output when CHECK is set and it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       **kw)
    if check and p.returncode != 0:
        raise LabError(f"{' '.join(cmd)} exited with {p.returncode}: "
                       f"{p.stderr.strip() or p.stdout.strip()}")
    return p


_libc = ctypes.CDLL(None, use_errno=True)


def socket_in_netns(ns, family=socket.AF_INET, kind=socket.SOCK_STREAM,
                    proto=0):
    """Creates a socket in network namespace NS. A socket keeps its
    namespace, so this process can stay in its own namespace and still
    reach a loopback listener inside NS."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise LabError(f"setns into {ns}: "
                           f"{os.strerror(ctypes.get_errno())}")
        try:
            return socket.socket(family, kind, proto)
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:
                # Staying in the wrong namespace would corrupt every later
                # step, so give up at once.
                os._exit(1)
    finally:
        os.close(own)
        os.close(target)


class Vty:
    """A telnet session to a vrouter, in privileged EXEC with no paging."""

    def __init__(self, ns, port, hostname=HOSTNAME):
        self.sock = socket_in_netns(ns)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.state = []
        self.buf = b""
        self.prompt = re.compile(
            rb"(^|\n)" + re.escape(hostname.encode()) +
            rb"(\([a-z0-9-]+\))?[>#] ?$")
        self.read_prompt()
        out = self.command("enable")
        if not out.rstrip().endswith("#"):
            raise LabError(f"enable did not reach privileged EXEC: {out!r}")
        self.command("terminal length 0")

    def read_prompt(self, timeout=30):
        """Returns the output up to and including the next prompt."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.prompt.search(self.buf)
            if m:
                got, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return got.decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0:
                raise LabError(f"no prompt within {timeout} s; got "
                               f"{self.buf[-400:]!r}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise LabError(f"telnet connection closed; got "
                               f"{self.buf[-400:]!r}")
            self.buf += strip_telnet(data, self.state)

    def command(self, line, timeout=30):
        """Sends LINE and returns its output, prompt included."""
        self.sock.sendall(line.encode() + b"\r\n")
        return self.read_prompt(timeout)

    def configure(self, text):
        """Enters TEXT in configuration mode line by line; raises LabError
        on any line the router rejects."""
        self.command("configure terminal")
        try:
            for line in text.strip().splitlines():
                out = self.command(line)
                # IOS prints "% NOTE:" remarks that are not errors.
                if re.search(r"^\s*% (?!NOTE)", out, re.M):
                    raise LabError(f"config line {line!r} rejected:\n{out}")
        finally:
            self.command("end")

    def close(self):
        try:
            self.sock.sendall(b"exit\r\n")
        except OSError:
            pass
        self.sock.close()


def parse_ipsec_sa(text):
    """Reads `show crypto ipsec sa` output of one flow: the packet
    counters, the current outbound SPI and the inbound and outbound ESP
    SPIs, as integers."""
    def counter(name):
        m = re.search(rf"#pkts {name}: (\d+)", text)
        return int(m.group(1)) if m else None

    def spis(direction):
        m = re.search(rf"{direction} esp sas:(.*?){direction} ah sas:",
                      text, re.S)
        if not m:
            return []
        return [int(x, 16) for x in
                re.findall(r"spi: 0x([0-9A-Fa-f]+)\(", m.group(1))]

    m = re.search(r"current outbound spi: 0x([0-9A-Fa-f]+)\(", text)
    peer = re.search(r"current_peer (\S+) port (\d+)", text)
    return {
        "encaps": counter("encaps"),
        "decaps": counter("decaps"),
        "outbound_spi": int(m.group(1), 16) if m else None,
        "inbound": spis("inbound"),
        "outbound": spis("outbound"),
        "peer": peer.group(1) if peer else None,
        "peer_port": int(peer.group(2)) if peer else None,
    }


def check_counters_grew(before, after, packets):
    """Raises LabError unless #pkts encaps and #pkts decaps of one
    parse_ipsec_sa() result grew by at least PACKETS since BEFORE."""
    for name in ("encaps", "decaps"):
        if after[name] - before[name] < packets:
            raise LabError(f"#pkts {name} grew from {before[name]} to "
                           f"{after[name]}, expected at least {packets} "
                           f"more")


def ping_success(output):
    """Returns (replies, sent) from an IOS `ping` output."""
    m = re.search(r"Success rate is \d+ percent \((\d+)/(\d+)\)", output)
    if not m:
        raise LabError(f"no success rate in ping output:\n{output}")
    return int(m.group(1)), int(m.group(2))


# Crypto configuration pasted into vrouter over telnet: an ISAKMP policy
# that matches charon's aes128-sha256-modp2048, the PSK, a transform set
# and a static crypto map on the outside interface.
CRYPTO_CONFIG = f"""
crypto isakmp policy 10
 encryption aes
 hash sha256
 authentication pre-share
 group 14
crypto isakmp key {PSK} address {SW_OUTER}
crypto ipsec transform-set TS esp-aes esp-sha256-hmac
 mode tunnel
ip access-list extended VPN-ACL
 permit ip 198.51.100.128 0.0.0.127 198.51.100.0 0.0.0.127
crypto map VPN 10 ipsec-isakmp
 set peer {SW_OUTER}
 set transform-set TS
 set pfs group14
 match address VPN-ACL
interface GigabitEthernet1
 crypto map VPN
ip route 203.0.113.0 255.255.255.0 {DUT_LINUX_TUN}
ip route 198.51.100.0 255.255.255.128 {DUT_LINUX_TUN}
"""

# The startup-config before anything is pasted: addresses only.
BASE_CONFIG = f"""hostname {HOSTNAME}
interface Loopback0
 ip address {VR_INNER} 255.255.255.255
interface GigabitEthernet1
 ip address {VR_OUTER} 255.255.255.0
"""


class Lab:
    """The two namespaces, the veth pair, charon and vrouter of one test."""

    def __init__(self, name, nat=False):
        self.binary = require_environment()
        tag = f"{os.getpid() % 100000}{secrets.token_hex(2)}"
        self.sw_ns = f"vrio{tag}s"
        self.dut_ns = f"vrio{tag}d"
        self.nat_ns = f"vrio{tag}n" if nat else None
        self.dir = tempfile.mkdtemp(prefix=f"vr-interop-{name}.")
        self.namespaces = []
        self.charon = None
        self.vrouter = None
        self.vrouter_out = None
        self.telnet_port = None
        self.vrouter_starts = 0
        self.closed = False
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_signal)
        # ctest kills a test after 300 s without any clean-up, so give up
        # a little earlier while the namespaces can still be removed.
        signal.alarm(270)
        try:
            self._setup_net()
        except BaseException:
            self.close()
            raise

    def _on_signal(self, signum, frame):
        self.dump_logs()
        fail(f"{signal.Signals(signum).name}: gave up, see the logs above")

    # ---- network ----

    def _setup_net(self):
        for ns in (self.sw_ns, self.nat_ns, self.dut_ns):
            if ns is None:
                continue
            run(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            self.netns_exec(ns, ["sysctl", "-qw",
                                 "net.ipv6.conf.all.disable_ipv6=1",
                                 "net.ipv6.conf.default.disable_ipv6=1"])
        if self.nat_ns is not None:
            self._setup_nat()
            return
        # Both ends are created inside the namespaces, so the names never
        # appear in the root namespace.
        run(["ip", "-n", self.sw_ns, "link", "add", "sw0", "type", "veth",
             "peer", "name", "dut0", "netns", self.dut_ns])
        run(["ip", "-n", self.sw_ns, "addr", "add", f"{SW_OUTER}/24",
             "dev", "sw0"])
        run(["ip", "-n", self.sw_ns, "link", "set", "sw0", "up"])
        run(["ip", "-n", self.sw_ns, "addr", "add", f"{SW_INNER}/32",
             "dev", "lo"])
        run(["ip", "-n", self.sw_ns, "route", "add", "198.18.1.0/24", "via",
             DUT_LINUX_OUTER])
        run(["ip", "-n", self.dut_ns, "addr", "add", f"{DUT_LINUX_OUTER}/24",
             "dev", "dut0"])
        run(["ip", "-n", self.dut_ns, "link", "set", "dut0", "up"])
        self.netns_exec(self.dut_ns, ["sysctl", "-qw",
                                      "net.ipv4.ip_forward=1"])

    def _setup_nat(self):
        """Links charon's namespace to the NAT's (sw0 to nat0) and the
        NAT's to the DUT's (nat1 to dut0), and masquerades what leaves
        nat1 with source ports from NAT_PORTS."""
        run(["ip", "-n", self.sw_ns, "link", "add", "sw0", "type", "veth",
             "peer", "name", "nat0", "netns", self.nat_ns])
        run(["ip", "-n", self.nat_ns, "link", "add", "nat1", "type", "veth",
             "peer", "name", "dut0", "netns", self.dut_ns])
        for ns, dev, addr in ((self.sw_ns, "sw0", SW_BEHIND_NAT),
                              (self.nat_ns, "nat0", NAT_INSIDE),
                              (self.nat_ns, "nat1", SW_OUTER),
                              (self.dut_ns, "dut0", DUT_LINUX_OUTER)):
            run(["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
        run(["ip", "-n", self.sw_ns, "addr", "add", f"{SW_INNER}/32",
             "dev", "lo"])
        run(["ip", "-n", self.sw_ns, "route", "add", "default", "via",
             NAT_INSIDE])
        run(["ip", "-n", self.nat_ns, "route", "add", "198.18.1.0/24", "via",
             DUT_LINUX_OUTER])
        self.netns_exec(self.nat_ns, ["sysctl", "-qw",
                                      "net.ipv4.ip_forward=1"])
        rules = ("table ip vrio_nat {\n"
                 " chain post {\n"
                 "  type nat hook postrouting priority srcnat; "
                 "policy accept;\n"
                 f"  oifname \"nat1\" meta l4proto udp counter masquerade "
                 f"to :{NAT_PORTS[0]}-{NAT_PORTS[1]}\n"
                 "  oifname \"nat1\" counter masquerade\n"
                 " }\n"
                 "}\n")
        self._nft_load(self.nat_ns, "nat.nft", rules)
        self.netns_exec(self.dut_ns, ["sysctl", "-qw",
                                      "net.ipv4.ip_forward=1"])

    def nat_udp_translations(self):
        """Returns how many UDP flows the NAT of Lab(nat=True) has
        masqueraded: its rule counts the first packet of each."""
        out = self.netns_exec(self.nat_ns, ["nft", "list", "table", "ip",
                                            "vrio_nat"]).stdout
        m = re.search(r"udp counter packets (\d+)", out)
        if not m:
            raise LabError(f"no UDP masquerade counter in:\n{out}")
        return int(m.group(1))

    def _nft_load(self, ns, name, rules):
        """Writes the nftables RULES to file NAME of the lab's folder and
        loads them in namespace NS."""
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(rules)
        self.netns_exec(ns, ["nft", "-f", path])

    def netns_exec(self, ns, cmd, check=True, timeout=30):
        return run(["ip", "netns", "exec", ns] + cmd, check=check,
                   timeout=timeout)

    def sw_exec(self, cmd, check=True, timeout=30):
        """Runs CMD in strongSwan's namespace."""
        return self.netns_exec(self.sw_ns, cmd, check, timeout)

    def ping_from_peer(self, count=1, wait=1.0, dst=VR_INNER, src=SW_INNER):
        """Pings DST from SRC, by default from strongSwan's protected
        address to vrouter's; returns the number of replies."""
        p = self.sw_exec(["ping", "-n", "-q", "-c", str(count), "-W",
                          str(wait), "-i", "0.2", "-I", src, dst],
                         check=False, timeout=count * (wait + 1) + 10)
        m = re.search(r"(\d+) received", p.stdout)
        return int(m.group(1)) if m else 0

    def block_peer(self):
        """Drops every IKE and ESP-in-UDP packet charon sends (nftables in
        its namespace), so a DELETE it sends is lost."""
        rules = ("table inet vrio_block {\n"
                 " chain out {\n"
                 "  type filter hook output priority 0; policy accept;\n"
                 "  udp sport { 500, 4500 } counter drop\n"
                 " }\n"
                 "}\n")
        self._nft_load(self.sw_ns, "block.nft", rules)

    def unblock_peer(self):
        """Removes the rules of block_peer() and returns how many packets
        they dropped."""
        out = self.sw_exec(["nft", "list", "table", "inet", "vrio_block"])
        m = re.search(r"counter packets (\d+)", out.stdout)
        self.sw_exec(["nft", "delete", "table", "inet", "vrio_block"])
        return int(m.group(1)) if m else 0

    # ---- strongSwan ----

    def _write_charon_config(self, version=1, start_action="none",
                             dpd_delay="0s", dpd_action="clear",
                             ike_rekey="4h", ike_reauth="0s",
                             child_rekey="1h",
                             child_life=None, loglevel=2,
                             ike_proposals="aes128-sha256-modp2048",
                             esp_proposals="aes128-sha256,"
                                           "aes128-sha256-modp2048",
                             fragmentation="yes", fragment_size=None):
        """FRAGMENTATION is the connection's `fragmentation` (yes, no,
        accept or force). FRAGMENT_SIZE sets charon.fragment_size, the
        largest IP datagram of a fragment charon sends (its own default
        without it)."""
        d = self.dir
        frag_size = (f"\n  fragment_size = {fragment_size}"
                     if fragment_size else "")
        os.makedirs(os.path.join(d, "run"), exist_ok=True)
        for sub in ("x509", "x509ca", "x509ocsp", "x509aa", "x509ac",
                    "x509crl", "pubkey", "private", "rsa", "ecdsa", "bliss",
                    "pkcs8", "pkcs12"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        # kernel-libipsec must load before kernel-netlink so that it, not
        # XFRM, provides the IPsec backend. charon and swanctl reject ';'
        # as a separator, so every setting has its own line.
        with open(os.path.join(d, "strongswan.conf"), "w") as f:
            f.write(f"""charon {{
  load_modular = no
  load = random nonce drbg aes sha1 sha2 hmac gmp kdf openssl pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici counters
  install_routes = yes
  install_virtual_ip = no
  retransmit_tries = 3
  retransmit_timeout = 1.0
  retransmit_base = 1.5{frag_size}
  filelog {{
    main {{
      path = {d}/charon.log
      time_format = %H:%M:%S
      ike_name = yes
      append = yes
      flush_line = yes
      default = 1
      ike = {loglevel}
      esp = {loglevel}
      cfg = {loglevel}
      enc = 1
      knl = 1
      net = {loglevel}
    }}
  }}
  syslog {{
    daemon {{
      default = -1
    }}
  }}
  plugins {{
    vici {{
      socket = unix://{d}/charon.vici
    }}
  }}
}}
swanctl {{
  load = pem pkcs1 x509 pubkey openssl random
  socket = unix://{d}/charon.vici
}}
""")
        life = f"\n        life_time = {child_life}" if child_life else ""
        with open(os.path.join(d, "swanctl.conf"), "w") as f:
            f.write(f"""connections {{
  peer {{
    version = {version}
    local_addrs = {SW_BEHIND_NAT if self.nat_ns else SW_OUTER}
    remote_addrs = {VR_OUTER}
    encap = yes
    mobike = no
    aggressive = no
    fragmentation = {fragmentation}
    proposals = {ike_proposals}
    dpd_delay = {dpd_delay}
    rekey_time = {ike_rekey}
    reauth_time = {ike_reauth}
    local {{
      auth = psk
      id = {SW_OUTER}
    }}
    remote {{
      auth = psk
      id = {VR_OUTER}
    }}
    children {{
      net {{
        mode = tunnel
        local_ts = {SW_TS}
        remote_ts = {VR_TS}
        esp_proposals = {esp_proposals}
        start_action = {start_action}
        dpd_action = {dpd_action}
        rekey_time = {child_rekey}{life}
        rand_time = 0
      }}
    }}
  }}
}}
secrets {{
  ike-peer {{
    id-1 = {SW_OUTER}
    id-2 = {VR_OUTER}
    secret = "{PSK}"
  }}
}}
""")

    def swanctl(self, *args, check=True, timeout=20):
        env = dict(os.environ,
                   STRONGSWAN_CONF=os.path.join(self.dir, "strongswan.conf"))
        return run(["swanctl"] + list(args), check=check, timeout=timeout,
                   env=env)

    def start_charon(self, **opts):
        """Writes charon's configuration (see _write_charon_config for the
        options), starts it and loads the connection `peer`, child `net`."""
        self._write_charon_config(**opts)
        self._launch_charon()

    def reload_charon(self, **opts):
        """Rewrites charon's configuration with OPTS and loads it into the
        running charon; SAs already up stay as they are."""
        self._write_charon_config(**opts)
        self.swanctl("--load-all", "--noprompt", "--file",
                     os.path.join(self.dir, "swanctl.conf"))

    def _launch_charon(self):
        if self.charon is not None and self.charon.poll() is None:
            raise LabError("charon is already running")
        d = self.dir
        for stale in ("run/charon.pid", "charon.vici"):
            try:
                os.unlink(os.path.join(d, stale))
            except FileNotFoundError:
                pass
        # A killed charon leaves its policy routing rule behind.
        while self.sw_exec(["ip", "rule", "del", "table", "220"],
                           check=False).returncode == 0:
            pass
        with open(os.path.join(d, "charon.log"), "a") as f:
            f.write(f"=== charon start {time.strftime('%H:%M:%S')}\n")
        # charon's pid file path is compiled in (/var/run/charon.pid), so
        # each instance gets a private /run in a mount namespace of its
        # own. With `exec` at each step, Popen's PID is charon's.
        out = open(os.path.join(d, "charon.stdout"), "a")
        env = dict(os.environ,
                   STRONGSWAN_CONF=os.path.join(d, "strongswan.conf"))
        self.charon = subprocess.Popen(
            ["ip", "netns", "exec", self.sw_ns, "unshare", "-m", "sh", "-c",
             f"mount --bind '{d}/run' /run && exec {CHARON}"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True)
        out.close()
        deadline = time.monotonic() + 10
        while True:
            if self.charon.poll() is not None:
                raise LabError(f"charon exited with {self.charon.returncode}"
                               f"; see {d}/charon.log")
            if os.path.exists(os.path.join(d, "charon.vici")) and \
                    self.swanctl("--stats", check=False,
                                 timeout=3).returncode == 0:
                break
            if time.monotonic() > deadline:
                raise LabError("charon's vici socket did not answer "
                               "within 10 s")
            time.sleep(0.05)
        self.swanctl("--load-all", "--noprompt", "--file",
                     os.path.join(d, "swanctl.conf"))

    def kill_charon(self):
        """Kills charon with SIGKILL: its SAs vanish and vrouter receives
        no DELETE."""
        self.charon.kill()
        self.charon.wait(timeout=10)
        with open(os.path.join(self.dir, "charon.log"), "a") as f:
            f.write(f"=== charon killed {time.strftime('%H:%M:%S')}\n")

    def restart_charon(self, **opts):
        """Starts charon again after kill_charon(), with its configuration
        rewritten from OPTS when any are given."""
        if opts:
                self._write_charon_config(**opts)
        self._launch_charon()

    def stop_charon(self):
        """Stops charon with SIGTERM, which sends its DELETEs first."""
        if self.charon is None or self.charon.poll() is not None:
            return
        self.charon.terminate()
        try:
            self.charon.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.charon.kill()
            self.charon.wait(timeout=10)

    def charon_sas(self):
        """Returns `swanctl --list-sas` output."""
        return self.swanctl("--list-sas", check=False).stdout

    def charon_children(self):
        """Returns charon's CHILD_SAs from `swanctl --list-sas --pretty`,
        newest first, as dicts with state, spi_in, spi_out (integers),
        packets_in, packets_out and install_time (seconds ago)."""
        out = self.swanctl("--list-sas", "--pretty", check=False).stdout
        children = []
        for m in re.finditer(r"\n\s+net-\d+ \{(.*?)\n\s+\}", out, re.S):
            fields = dict(re.findall(r"^\s+([a-z-]+) = (\S+)$", m.group(1),
                                     re.M))
            if "spi-in" not in fields:
                continue
            children.append({
                "encr": fields.get("encr-alg"),
                "keysize": fields.get("encr-keysize"),
                "integ": fields.get("integ-alg"),
                "dh": fields.get("dh-group"),
                "state": fields.get("state"),
                "spi_in": int(fields["spi-in"], 16),
                "spi_out": int(fields["spi-out"], 16),
                "packets_in": int(fields.get("packets-in", 0)),
                "packets_out": int(fields.get("packets-out", 0)),
                "install_time": int(fields.get("install-time", 0)),
            })
        children.sort(key=lambda c: c["install_time"])
        return children

    def charon_ike(self):
        """Returns the algorithm fields of charon's first IKE SA from
        `swanctl --list-sas --pretty` (encr-alg, encr-keysize,
        integ-alg, dh-group, ...), or {} when it has none."""
        out = self.swanctl("--list-sas", "--pretty", check=False).stdout
        head = out.split("child-sas", 1)[0]
        return dict(re.findall(r"^\s+([a-z-]+) = (\S+)$", head, re.M))

    def charon_child_spis(self):
        """Returns the (inbound, outbound) SPI pairs of charon's installed
        CHILD_SAs, newest first."""
        return [(c["spi_in"], c["spi_out"]) for c in self.charon_children()
                if c["state"] == "INSTALLED"]

    def wait_charon_child(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "INSTALLED" in self.charon_sas():
                return True
            time.sleep(0.2)
        return False

    def charon_log(self):
        try:
            with open(os.path.join(self.dir, "charon.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # ---- vrouter ----

    def start_vrouter(self, config=BASE_CONFIG):
        """Starts vrouter in the DUT namespace with GigabitEthernet1 on a
        TUN device and CONFIG as its startup-config (kept from the
        previous start when CONFIG is None), then sets up Linux's side of
        the TUN."""
        cfg = os.path.join(self.dir, "startup-config")
        if config is not None:
            with open(cfg, "w") as f:
                f.write(config)
        self.vrouter_starts += 1
        out_path = os.path.join(self.dir,
                                f"vrouter.{self.vrouter_starts}.out")
        out = open(out_path, "w")
        self.vrouter = subprocess.Popen(
            ["ip", "netns", "exec", self.dut_ns, self.binary,
             "--no-console", "--config", cfg, "--telnet", "127.0.0.1:0",
             "--tun", f"GigabitEthernet1={TUN}"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()
        self.vrouter_out = out_path
        deadline = time.monotonic() + 20
        while True:
            with open(out_path) as f:
                m = re.search(r"telnet 127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.telnet_port = int(m.group(1))
                break
            if self.vrouter.poll() is not None or \
                    time.monotonic() > deadline:
                raise LabError(f"vrouter did not start:\n"
                               f"{open(out_path).read()}")
            time.sleep(0.05)
        while self.netns_exec(self.dut_ns, ["ip", "link", "show", TUN],
                              check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise LabError(f"vrouter did not create {TUN}")
            time.sleep(0.05)
        self.netns_exec(self.dut_ns, ["sysctl", "-qw",
                                      f"net.ipv6.conf.{TUN}.disable_ipv6=1"],
                        check=False)
        run(["ip", "-n", self.dut_ns, "addr", "add", f"{DUT_LINUX_TUN}/24",
             "dev", TUN])
        run(["ip", "-n", self.dut_ns, "link", "set", TUN, "up"])

    def vty(self):
        return Vty(self.dut_ns, self.telnet_port)

    def configure_vrouter(self, extra="", crypto=CRYPTO_CONFIG):
        """Pastes CRYPTO, by default the static crypto map, and EXTRA over
        telnet and saves them, so a restarted vrouter comes back with
        them."""
        v = self.vty()
        try:
            v.configure(crypto + extra)
            out = v.command("write memory")
            if "[OK]" not in out:
                raise LabError(f"write memory failed:\n{out}")
        finally:
            v.close()

    def vrouter_ping(self, vty, count=5, timeout=1):
        """Pings strongSwan's protected address from vrouter's Loopback0
        and returns (replies, sent)."""
        out = vty.command(f"ping {SW_INNER} source Loopback0 repeat "
                          f"{count} timeout {timeout}",
                          timeout=count * (timeout + 1) + 10)
        return ping_success(out)

    def expect_vrouter_pings(self, vty, count, when, expected=None):
        """Pings COUNT times from vrouter and raises LabError unless
        EXPECTED (by default all) replies come back; WHEN ends the
        error message."""
        expected = count if expected is None else expected
        replies, sent = self.vrouter_ping(vty, count=count)
        if replies != expected:
            raise LabError(f"{replies} of {sent} pings from vrouter "
                           f"answered {when}, expected {expected}")

    def expect_peer_pings(self, count, when, expected=None):
        """Like expect_vrouter_pings(), from charon's side."""
        expected = count if expected is None else expected
        got = self.ping_from_peer(count=count)
        if got != expected:
            raise LabError(f"{got} of {count} pings from charon's side "
                           f"answered {when}, expected {expected}")

    def ping_through(self, vty, seconds, what, each_round=None):
        """Pings two at a time each way for SECONDS and calls EACH_ROUND()
        after every round. Raises LabError when more than one ping in
        either direction was lost across WHAT."""
        lost_peer = lost_vrouter = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            lost_peer += 2 - self.ping_from_peer(count=2, wait=1)
            replies, sent = self.vrouter_ping(vty, count=2)
            lost_vrouter += sent - replies
            if each_round is not None:
                each_round()
        if lost_peer > 1:
            raise LabError(f"{lost_peer} pings from charon's side lost "
                           f"across {what}")
        if lost_vrouter > 1:
            raise LabError(f"{lost_vrouter} pings from vrouter lost "
                           f"across {what}")

    def wait_vrouter_ping(self, vty, seconds):
        """Pings from vrouter once a round until a reply comes back or
        SECONDS pass; returns the seconds it took, or None."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if self.vrouter_ping(vty, count=1)[0] == 1:
                return time.monotonic() - start
        return None

    def wait_peer_ping(self, seconds, interval=0.2):
        """Pings vrouter's protected address from strongSwan's namespace
        until a reply comes back or SECONDS pass; returns the seconds it
        took, or None."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if self.ping_from_peer(count=1, wait=interval) == 1:
                return time.monotonic() - start
        return None

    def ipsec_sa(self, vty):
        return parse_ipsec_sa(vty.command("show crypto ipsec sa"))

    def establish_from_peer(self):
        """Has charon initiate Main Mode and Quick Mode; returns charon's
        (inbound, outbound) SPIs once a ping from its side passes."""
        self.swanctl("--initiate", "--child", "net", "--timeout", "15",
                     timeout=30)
        if not self.wait_charon_child(10):
            raise LabError(f"charon has no CHILD_SA after initiating:\n"
                           f"{self.charon_sas()}")
        self.expect_peer_pings(3, "over the new tunnel")
        return self.charon_child_spis()[0]

    def establish_from_vrouter(self, vty):
        """Starts the tunnel with pings from vrouter; returns charon's
        (inbound, outbound) SPIs."""
        if self.wait_vrouter_ping(vty, 20) is None:
            raise LabError("no ping from vrouter passed within 20 s")
        spis = self.charon_child_spis()
        if not spis:
            raise LabError(f"charon has no CHILD_SA:\n{self.charon_sas()}")
        return spis[0]

    def vrouter_log(self, vty):
        """Returns `show logging`, which also contains debug output."""
        return vty.command("show logging")

    def kill_vrouter(self):
        """Kills vrouter with SIGKILL, as a crash or power loss would: its
        SAs vanish without a DELETE. The TUN device goes with it."""
        self.vrouter.kill()
        self.vrouter.wait(timeout=10)

    def stop_vrouter(self):
        """Stops vrouter with SIGTERM; raises LabError on a bad exit
        status or a sanitizer report."""
        if self.vrouter is None or self.vrouter.poll() is not None:
            return
        self.vrouter.terminate()
        try:
            self.vrouter.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.vrouter.kill()
            self.vrouter.wait()
            raise LabError("vrouter still running 30 s after SIGTERM")
        with open(self.vrouter_out) as f:
            text = f.read()
        if SANITIZER.search(text):
            raise LabError(f"sanitizer report from vrouter:\n{text}")
        if self.vrouter.returncode != 0:
            raise LabError(f"vrouter exited with {self.vrouter.returncode}"
                           f":\n{text}")

    # ---- reports and clean-up ----

    def dump_logs(self):
        """Prints the tail of charon's log and vrouter's output, for a
        failure report."""
        log = self.charon_log().splitlines()
        print("---- charon.log (last 60 lines) ----", file=sys.stderr)
        print("\n".join(log[-60:]), file=sys.stderr)
        if self.vrouter_out and os.path.exists(self.vrouter_out):
            with open(self.vrouter_out) as f:
                print("---- vrouter output ----", file=sys.stderr)
                print(f.read()[-4000:], file=sys.stderr)

    def close(self):
        """Kills every process the lab started and deletes its namespaces
        and folder. Safe to call more than once."""
        if self.closed:
            return
        self.closed = True
        signal.alarm(0)
        for proc in (self.vrouter, self.charon):
            if proc is None or proc.poll() is not None:
                continue
            proc.kill()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"process {proc.pid} survived SIGKILL",
                      file=sys.stderr)
        # Anything still inside the lab's namespaces was started from them,
        # by the processes above; list them by namespace name.
        for ns in self.namespaces:
            p = run(["ip", "netns", "pids", ns], check=False)
            for pid in p.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for ns in reversed(self.namespaces):
            run(["ip", "netns", "del", ns], check=False)
        if os.environ.get("VR_INTEROP_KEEP"):
            print(f"lab files kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None and kind is not SystemExit:
            self.dump_logs()
        elif kind is SystemExit and value.code not in (0, None, SKIP):
            self.dump_logs()
        self.close()
        return False


def run_test(name, body, nat=False):
    """Runs BODY(lab) in a fresh lab, behind a NAT with NAT, and exits 0
    on success. A LabError or any other exception fails the test with
    the logs printed."""
    try:
        with Lab(name, nat=nat) as lab:
            body(lab)
            lab.stop_vrouter()
            lab.stop_charon()
    except LabError as e:
        fail(str(e))
    print(f"PASS: {name}")
    sys.exit(0)
