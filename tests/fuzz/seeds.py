#!/usr/bin/env python3
"""Write the seed corpus of one fuzz harness into a folder.

Usage: seeds.py HARNESS OUTDIR

Every harness gets hand-built seeds that reach its deeper states. When
VR_SHARED_DIR names the folder of reference cases, the packets of its
captures and its IOS configs are added in the harness's input format.
"""
import glob
import hashlib
import os
import struct
import sys

# Harness input formats (see the comment at the top of each fuzz_*.c).
DP_RAW, DP_ETHER = 0, 1


def dp_batch(flags, packets):
    """One fuzz_dp_input input: a flags octet and length-prefixed packets."""
    out = bytes([flags])
    for p in packets:
        out += struct.pack(">H", len(p)) + p
    return out


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      frag, 64, proto, 0, bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


PEER = [10, 1, 1, 1]
US = [10, 10, 1, 2]


def isakmp_sa_payload():
    """An IKEv1 SA payload: one proposal, one AES/SHA/PSK/group 14 transform."""
    attrs = struct.pack("!HH", 0x8001, 7)          # encryption AES-CBC
    attrs += struct.pack("!HH", 0x800E, 128)       # key length
    attrs += struct.pack("!HH", 0x8002, 2)         # hash SHA
    attrs += struct.pack("!HH", 0x8003, 1)         # pre-shared key
    attrs += struct.pack("!HH", 0x8004, 14)        # group 14
    attrs += struct.pack("!HH", 0x800B, 1)         # life type seconds
    attrs += struct.pack("!HHI", 0x000C, 4, 86400)  # life duration
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1)
    proposal += transform
    return struct.pack("!II", 1, 1) + proposal


def isakmp(exchange, payloads, msgid=0, flags=0, rcookie=b"\0" * 8):
    """An ISAKMP message from (type, body) pairs, chained in order."""
    body = b""
    for i, (_, data) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        body += struct.pack("!BBH", nxt, 0, 4 + len(data)) + data
    first = payloads[0][0] if payloads else 0
    hdr = b"\x11" * 8 + rcookie + struct.pack(
        "!BBBBII", first, 0x10, exchange, flags, msgid, 28 + len(body))
    return hdr + body


def isakmp_messages():
    vid_natt = hashlib.md5(b"RFC 3947").digest()
    mm1 = isakmp(2, [(1, isakmp_sa_payload()), (13, vid_natt)])
    notify = isakmp(5, [(11, struct.pack("!IBBH", 1, 1, 16, 36136) +
                         b"\x22" * 16 + b"\0\0\0\0")], msgid=7)
    delete = isakmp(5, [(12, struct.pack("!IBBH", 1, 3, 4, 2) +
                         b"\0\0\x10\0\0\0\x10\x01")], msgid=8)
    ident = isakmp(2, [(5, struct.pack("!BBH", 1, 17, 500) +
                        bytes(PEER))], flags=0)
    quick = isakmp(32, [(8, b"\0" * 20)], msgid=0x1234, flags=1,
                   rcookie=b"\x22" * 8)
    return [mm1, notify, delete, ident, quick]


def mm3():
    """Main Mode MM3: KE (group 14), nonce and two NAT-D payloads."""
    return isakmp(2, [(4, bytes(range(256)) * 1), (10, b"\x5a" * 20),
                      (20, b"\x11" * 20), (20, b"\x22" * 20)],
                  rcookie=b"\x22" * 8)


def ike_builtin():
    """fuzz_ike inputs: a case octet (0 to 3) and a message."""
    msgs = isakmp_messages()
    mm2 = isakmp(2, [(1, isakmp_sa_payload()),
                     (13, hashlib.md5(b"RFC 3947").digest())],
                 rcookie=b"\x22" * 8)
    return ([b"\0" + m for m in msgs] + [b"\2" + m for m in msgs] +
            [b"\1" + mm3(), b"\1" + msgs[0], b"\3" + mm2])


def dp_builtin():
    esp = struct.pack("!II", 4096, 1) + bytes(range(64))
    ike = isakmp_messages()
    pkts = [
        ipv4(PEER, US, 50, esp),
        ipv4(PEER, US, 17, udp(500, 500, ike[0])),
        ipv4(PEER, US, 17, udp(4500, 4500, b"\0\0\0\0" + ike[3])),
        ipv4(PEER, US, 17, udp(4500, 4500, b"\xff")),
        ipv4(PEER, US, 17, udp(4500, 4500, esp)),
        ipv4(PEER, US, 50, esp[:40], ident=9, frag=0x2000),
        ipv4(PEER, US, 50, esp[40:], ident=9, frag=5),
        ipv4([192, 168, 1, 10], [192, 168, 2, 10], 1,
             b"\x08\0\0\0\0\1\0\1" + b"x" * 32),
    ]
    v6 = struct.pack("!IHBB16s16s", 0x60000000, len(esp), 50, 64,
                     b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\x02",
                     b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\x01") + esp
    ether = b"\0\1\2\3\4\5\0\6\7\x08\x09\x0a\x08\x00"
    seeds = [dp_batch(DP_RAW, [p]) for p in pkts]
    seeds.append(dp_batch(DP_RAW, pkts))
    seeds.append(dp_batch(DP_RAW, [v6]))
    seeds.append(dp_batch(DP_ETHER, [ether + pkts[1]]))
    seeds.append(dp_batch(DP_RAW | 2, [pkts[7]]))
    return seeds


def pcap_file(linktype, packets):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for i, p in enumerate(packets):
        out += struct.pack("<IIII", 1000 + i, 0, len(p), len(p)) + p
    return out


def read_pcap(path):
    """Yields (linktype, packet) from a classic pcap file; pcapng is skipped."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16
        yield linktype, data[off:off + caplen]
        off += caplen


def ike_payload(linktype, pkt):
    """The ISAKMP message in an Ethernet or raw IPv4 UDP 500/4500 packet."""
    if linktype == 1:
        if len(pkt) < 14 or pkt[12:14] != b"\x08\x00":
            return None
        pkt = pkt[14:]
    elif linktype not in (101, 12, 228):
        return None
    if len(pkt) < 28 or pkt[0] >> 4 != 4 or pkt[9] != 17:
        return None
    ihl = (pkt[0] & 15) * 4
    sport, dport = struct.unpack("!HH", pkt[ihl:ihl + 4])
    body = pkt[ihl + 8:]
    if 500 in (sport, dport):
        return body
    if 4500 in (sport, dport) and body[:4] == b"\0\0\0\0":
        return body[4:]
    return None


def shared_files(pattern):
    base = os.environ.get("VR_SHARED_DIR")
    if not base:
        return []
    return sorted(glob.glob(os.path.join(base, "cases", "external", pattern)))


CLI_LINES = {
    0: "show running-config\nshow crypto isakmp sa\nshow crypto ipsec sa\n"
       "show crypto session detail\nshow logging\nshow users\n"
       "clear crypto sa\nclear crypto isakmp\nshow archive\n"
       "show ip interface brief\ndebug crypto isakmp\nundebug all\n",
    1: "hostname R1\nservice password-encryption\n"
       "enable secret 0 Fuzz-Enable\nusername admin secret 0 Fuzz-User\n"
       "crypto isakmp key Fuzz-Key address 10.1.1.1\n"
       "no crypto isakmp key Fuzz-Key address 10.1.1.1\n"
       "logging buffered 16384\nip route 0.0.0.0 0.0.0.0 10.10.1.1\n",
    2: "ip address 10.10.1.2 255.255.255.0\ncrypto map VPN\nshutdown\n"
       "no shutdown\ndescription uplink\nexit\n",
    4: "encryption aes 256\nhash sha256\nauthentication pre-share\n"
       "group 14\nlifetime 3600\n",
    6: "set peer 10.1.1.1\nset transform-set TS\nmatch address 110\n"
       "set pfs group14\nset security-association lifetime seconds 3600\n",
    8: "pre-shared-key address 10.1.1.1 key Fuzz-Keyring\n",
    16: "password Fuzz-Line\nlogin\ntransport input telnet ssh\n"
        "exec-timeout 5 0\nlogin local\n",
    18: "path flash:archive-config\nmaximum 5\nwrite-memory\n",
}

IOS_CONFIG = (
    "hostname R2\n!\ncrypto isakmp policy 10\n encryption aes\n hash sha\n"
    " authentication pre-share\n group 14\n"
    "crypto isakmp key Fuzz-Key address 10.1.1.1\n"
    "crypto ipsec transform-set TS esp-aes esp-sha-hmac\n mode tunnel\n"
    "crypto map VPN 10 ipsec-isakmp\n set peer 10.1.1.1\n"
    " set transform-set TS\n match address 110\n"
    "interface GigabitEthernet1\n ip address 10.10.1.2 255.255.255.0\n"
    " crypto map VPN\n"
    "access-list 110 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
    "line vty 0 4\n password 7 0822455D0A16\n login\nend\n")

LAB = ("router R1 r1.cfg\nrouter R2 r2.cfg\n"
       "link WAN R1:GigabitEthernet1 R2:GigabitEthernet1\n"
       "host H1 R1:GigabitEthernet2\n"
       "trafgen H1 --addr 192.168.1.10 send 192.168.2.10 --rate 50\n"
       "proto udp and port 500 and not src 10.0.0.0/8\n"
       "ike and host 10.1.1.1/32\nesp\n")

TELNET = [
    b"\xff\xfd\x01\xff\xfd\x03\xff\xfb\x1f\xff\xfa\x1f\x00\x50\x00\x18"
    b"\xff\xf0enable\r\nshow users\r\nterminal length 0\r\nexit\r\n",
    b"sh\tver\r\n\x1b[A\x1b[D\x7f\x15show run\r\n \r\nexit\r\n",
    b"\xff\xf4\xff\xf3\xff\xf7\xff\xf8enable\r\nconfigure terminal\r\n"
    b"hostname T\r\nend\r\nshow running-config | include host\r\n",
]


def ikev2_sa_init_payloads():
    """SA (AES-CBC-256, PRF and integrity SHA-256, group 14), KE, Ni."""
    def transform(last, ttype, tid, attrs=b""):
        return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs),
                           ttype, 0, tid) + attrs
    transforms = (transform(False, 1, 12, b"\x80\x0e\x01\x00") +
                  transform(False, 2, 5) + transform(False, 3, 12) +
                  transform(True, 4, 14))
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0,
                           4) + transforms
    sa = struct.pack("!BBH", 34, 0, 4 + len(proposal)) + proposal
    public = bytes([0x5a]) + hashlib.sha256(b"ke").digest() * 8
    public = public[:256]
    ke = struct.pack("!BBHHH", 40, 0, 8 + len(public), 14, 0) + public
    nonce = hashlib.sha256(b"nonce").digest()
    ni = struct.pack("!BBH", 0, 0, 4 + len(nonce)) + nonce
    return sa + ke + ni


def ikev2_builtin():
    """Case 1 with SA first, and the same as a whole message (case 0)."""
    chain = ikev2_sa_init_payloads()
    hdr = (b"seedspi2" + b"\0" * 8 + bytes([33, 0x20, 34, 0x08]) +
           struct.pack("!II", 0, 28 + len(chain)))
    return [b"\1" + bytes([33]) + chain, b"\0" + hdr + chain]


def chain(payloads):
    """A payload chain from (type, body) or (type, body, critical) tuples,
    the generic header being the same in both IKE versions."""
    out = b""
    for i, p in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        flags = 0x80 if len(p) > 2 and p[2] else 0
        out += struct.pack("!BBH", nxt, flags, 4 + len(p[1])) + p[1]
    return out


def v1_qm1_payloads(spi=0x1234):
    """QM1 after the HASH: one ESP AES-128/HMAC-SHA-1 tunnel proposal
    (RFC 2407 4.5 attributes), a nonce and the peer's and the router's
    subnets as ID payloads."""
    attrs = struct.pack("!HH", 0x8001, 1) + struct.pack("!HHI", 2, 4, 3600)
    attrs += struct.pack("!HHHHHH", 0x8004, 1, 0x8005, 2, 0x8006, 128)
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 12, 0) + attrs
    proposal = struct.pack("!BBHBBBBI", 0, 0, 12 + len(transform), 1, 3, 4,
                           1, spi) + transform
    sa = struct.pack("!II", 1, 1) + proposal
    idci = bytes([4, 0, 0, 0, 192, 168, 1, 0, 255, 255, 255, 0])
    idcr = bytes([4, 0, 0, 0, 192, 168, 2, 0, 255, 255, 255, 0])
    return [(1, sa), (10, b"\x5a" * 32), (5, idci), (5, idcr)]


def ike_enc_builtin():
    """fuzz_ike_enc inputs: case (MM5, QM1, Informational, QM2), options,
    first payload, message ID and a plaintext chain; option 1 makes the
    harness write the hash."""
    def seed(case, opts, payloads, msgid=0):
        return (bytes([case, opts, payloads[0][0]]) +
                struct.pack("!I", msgid) + chain(payloads))
    hash1 = (8, b"\0" * 20)
    id_peer = (5, bytes([1, 17, 1, 0xF4, 10, 1, 1, 1]))
    initial_contact = struct.pack("!IBBH", 1, 1, 16, 24578) + b"\0" * 16
    r_u_there = struct.pack("!IBBH", 1, 1, 16, 36136) + b"\0" * 16 + \
        struct.pack("!I", 7)
    delete_esp = struct.pack("!IBBHI", 1, 3, 4, 1, 0xDEADBEEF)
    delete_isakmp = struct.pack("!IBBH", 1, 1, 16, 1) + b"\0" * 16
    invalid_spi = struct.pack("!IBBHI", 1, 3, 4, 11, 0xDEADBEEF)
    return [
        seed(0, 1, [id_peer, (8, b"\0" * 20)]),
        seed(0, 1, [id_peer, (8, b"\0" * 20), (11, initial_contact)]),
        seed(0, 0, [id_peer, (8, b"\0" * 20)]),
        seed(1, 1, [hash1] + v1_qm1_payloads()),
        seed(1, 1, [hash1] + v1_qm1_payloads()[:2]),
        # QM2 echoes the manager's IDs: its own subnet first.
        seed(3, 1, [hash1] + v1_qm1_payloads()[:2] +
             v1_qm1_payloads()[3:1:-1]),
        seed(3, 1, [hash1] + v1_qm1_payloads()[:2]),
        seed(2, 1, [hash1, (11, r_u_there)]),
        seed(2, 1, [hash1, (12, delete_esp)]),
        seed(2, 1, [hash1, (12, delete_isakmp)]),
        seed(2, 1, [hash1, (11, invalid_spi)]),
        seed(2, 1, [hash1, (11, initial_contact)]),
    ]


def v2_esp_sa(spi=0x2345):
    """One ESP proposal: AES-CBC-256, HMAC-SHA-256-128, no ESN."""
    transforms = (struct.pack("!BBHBBHHH", 3, 0, 12, 1, 0, 12, 0x800E, 256) +
                  struct.pack("!BBHBBH", 3, 0, 8, 3, 0, 12) +
                  struct.pack("!BBHBBH", 0, 0, 8, 5, 0, 0))
    return struct.pack("!BBHBBBBI", 0, 0, 12 + len(transforms), 1, 3, 4, 3,
                       spi) + transforms


def v2_ts(net):
    """A TSi or TSr body: 192.168.NET.0 to .255, every protocol and port."""
    return struct.pack("!BBBBBBHHH", 1, 0, 0, 0, 7, 0, 16, 0, 0xFFFF) + \
        bytes([192, 168, net, 0, 192, 168, net, 255])


def ikev2_enc_builtin():
    """fuzz_ikev2_enc inputs: case, options, first payload, message ID,
    exchange and a plaintext chain; option 1 makes the harness write the
    AUTH value."""
    def seed(case, opts, payloads):
        first = payloads[0][0] if payloads else 0
        return bytes([case, opts, first]) + b"\0" * 5 + chain(payloads)
    idi = (35, bytes([1, 0, 0, 0, 10, 1, 1, 1]))
    idr = (36, idi[1])
    auth = (39, bytes([2, 0, 0, 0]) + b"\0" * 32)
    child = [(33, v2_esp_sa()), (40, b"\x33" * 32), (44, v2_ts(1)),
             (45, v2_ts(2))]
    child_resp = [(33, v2_esp_sa()), (40, b"\x44" * 32), (44, v2_ts(2)),
                  (45, v2_ts(1))]
    # The child SA's SPI at the peer is 0x10000001 (FZ_PEER_SPI).
    rekey_sa = (41, struct.pack("!BBHI", 3, 4, 16393, 0x10000001))
    # The IKE_SA_INIT proposal's transforms with group 19, and an SPI.
    ike_rekey = struct.pack("!BBHBBBB", 0, 0, 52, 1, 1, 8, 4) + \
        b"newspi!!" + ikev2_sa_init_payloads()[12:46] + b"\0\x13"
    ke19 = (34, struct.pack("!HH", 19, 0) + b"\x04" * 64)
    initial_contact = (41, struct.pack("!BBH", 0, 0, 16384))
    delete_esp = (42, struct.pack("!BBHI", 3, 4, 1, 0xDEADBEEF))
    delete_child = (42, struct.pack("!BBHI", 3, 4, 1, 0x10000001))
    delete_ike = (42, struct.pack("!BBH", 1, 0, 0))
    invalid_spi = (41, struct.pack("!BBHI", 0, 0, 11, 0x10000001))
    unknown_critical = (200, b"\1\2\3\4", True)
    unknown = (200, b"\1\2\3\4")
    return [
        seed(0, 1, [idi, auth] + child),
        seed(0, 1, [idi, auth, initial_contact] + child),
        seed(0, 1, [idi, auth]),
        seed(0, 0, [idi, auth] + child),
        seed(1, 0, child),
        seed(1, 0, [rekey_sa] + child),
        seed(1, 0, [(33, ike_rekey), (40, b"\x55" * 32), ke19]),
        seed(2, 0, []),
        seed(2, 0, [delete_esp]),
        seed(2, 0, [delete_child]),
        seed(2, 0, [delete_ike]),
        seed(2, 0, [invalid_spi]),
        seed(2, 0, [unknown_critical]),
        seed(2, 0, [unknown, delete_esp]),
        seed(3, 0, []),
        seed(3, 0, [delete_esp]),
        seed(4, 0, child_resp),
        seed(4, 0, [(41, struct.pack("!BBH", 0, 0, 14))]),
        seed(5, 1, [idr, auth, (33, v2_esp_sa()), (44, v2_ts(2)),
                    (45, v2_ts(1))]),
        seed(5, 1, [idr, auth,
                    (41, struct.pack("!BBH", 0, 0, 14))]),
        seed(5, 0, [(41, struct.pack("!BBH", 0, 0, 24))]),
    ]


def builtin(harness):
    if harness == "dp_input":
        return dp_builtin()
    if harness == "isakmp":
        return isakmp_messages()
    if harness == "ike":
        return ike_builtin()
    if harness == "ikev2":
        return ikev2_builtin()
    if harness == "ike_enc":
        return ike_enc_builtin()
    if harness == "ikev2_enc":
        return ikev2_enc_builtin()
    if harness == "pcap":
        return [pcap_file(101, [p[3:] for p in dp_builtin()[:8]])]
    if harness == "cli":
        return [bytes([m]) + t.encode() for m, t in CLI_LINES.items()]
    if harness == "config_load":
        return [IOS_CONFIG.encode(),
                b'{"vrouter-config:system":{"hostname":"J1"}}',
                b'<system xmlns="urn:vrouter:config"><hostname>X1'
                b'</hostname></system>']
    if harness == "telnet":
        return TELNET
    if harness == "lab":
        return [LAB.encode()]
    raise SystemExit("seeds.py: unknown harness %s" % harness)


def from_shared(harness):
    seeds = []
    if harness in ("dp_input", "isakmp", "ike", "pcap"):
        for path in shared_files("pcap/*"):
            if harness == "pcap":
                with open(path, "rb") as f:
                    seeds.append(f.read())
                continue
            pkts = list(read_pcap(path))[:32]
            for linktype, pkt in pkts:
                if harness in ("isakmp", "ike"):
                    msg = ike_payload(linktype, pkt)
                    if msg and harness == "isakmp":
                        seeds.append(msg)
                    elif msg:
                        seeds += [b"\0" + msg, b"\1" + msg]
                elif linktype in (1, 101):
                    flags = DP_ETHER if linktype == 1 else DP_RAW
                    seeds.append(dp_batch(flags, [pkt]))
            if harness == "dp_input" and pkts and pkts[0][0] in (1, 101):
                flags = DP_ETHER if pkts[0][0] == 1 else DP_RAW
                seeds.append(dp_batch(flags, [p for _, p in pkts[:16]]))
    elif harness in ("cli", "config_load"):
        for path in shared_files("configs/*"):
            with open(path, "rb") as f:
                text = f.read()
            seeds.append(text if harness == "config_load" else b"\1" + text)
    return seeds


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    harness, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    seeds = builtin(harness) + from_shared(harness)
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(seed)
    print("seeds.py: %d seeds for %s in %s" % (len(seeds), harness, outdir))


if __name__ == "__main__":
    main()
