#!/usr/bin/python3
"""IKEv1 proposals against charon: for each row, vrouter's ISAKMP
policy, transform set and PFS group are reconfigured over telnet and
charon is given the one matching proposal. The roles alternate. Each
row must negotiate, pass pings both ways, and end with the algorithms
of the row on charon's IKE SA and CHILD_SA. With the argument "gcm"
it runs the ESP AES-GCM rows instead.

Exits 77 (skipped) without root or /dev/net/tun.
"""
import sys
import time

import interop
from interop import LabError

# vrouter's policy (encryption, hash, group), transform set and PFS;
# charon's IKE and ESP proposals; the algorithms charon must report for
# the IKE SA and the CHILD_SA (encryption, key size, integrity, DH
# group; None where charon prints no such field).
ROWS = [
    (("aes 256", "sha", "2"), "esp-aes 256 esp-sha-hmac", None,
     "aes256-sha1-modp1024", "aes256-sha1",
     ("AES_CBC", "256", "HMAC_SHA1_96", "MODP_1024"),
     ("AES_CBC", "256", "HMAC_SHA1_96", None)),
    (("3des", "md5", "5"), "esp-3des esp-md5-hmac", "group5",
     "3des-md5-modp1536", "3des-md5-modp1536",
     ("3DES_CBC", None, "HMAC_MD5_96", "MODP_1536"),
     ("3DES_CBC", None, "HMAC_MD5_96", "MODP_1536")),
    (("aes 192", "sha384", "19"), "esp-aes 192 esp-sha384-hmac", "group19",
     "aes192-sha384-ecp256", "aes192-sha384-ecp256",
     ("AES_CBC", "192", "HMAC_SHA2_384_192", "ECP_256"),
     ("AES_CBC", "192", "HMAC_SHA2_384_192", "ECP_256")),
    (("aes 256", "sha512", "20"), "esp-aes 256 esp-sha512-hmac", "group20",
     "aes256-sha512-ecp384", "aes256-sha512-ecp384",
     ("AES_CBC", "256", "HMAC_SHA2_512_256", "ECP_384"),
     ("AES_CBC", "256", "HMAC_SHA2_512_256", "ECP_384")),
    (("aes", "sha256", "21"), "esp-aes esp-sha256-hmac", "group15",
     "aes128-sha256-ecp521", "aes128-sha256-modp3072",
     ("AES_CBC", "128", "HMAC_SHA2_256_128", "ECP_521"),
     ("AES_CBC", "128", "HMAC_SHA2_256_128", "MODP_3072")),
]

# ESP AES-GCM, with and without PFS. Run with the argument "gcm".
GCM_ROWS = [
    (("aes 256", "sha512", "20"), "esp-gcm 256", None,
     "aes256-sha512-ecp384", "aes256gcm16",
     ("AES_CBC", "256", "HMAC_SHA2_512_256", "ECP_384"),
     ("AES_GCM_16", "256", None, None)),
    (("aes", "sha256", "14"), "esp-gcm", "group14",
     "aes128-sha256-modp2048", "aes128gcm16-modp2048",
     ("AES_CBC", "128", "HMAC_SHA2_256_128", "MODP_2048"),
     ("AES_GCM_16", "128", None, "MODP_2048")),
]


def vrouter_config(policy, transforms, pfs):
    encryption, hash_alg, group = policy
    pfs_line = f" set pfs {pfs}" if pfs else " no set pfs"
    return f"""crypto isakmp policy 10
 encryption {encryption}
 hash {hash_alg}
 group {group}
crypto ipsec transform-set TS {transforms}
crypto map VPN 10 ipsec-isakmp
{pfs_line}
"""


def check_algorithms(what, got, expected):
    names = ("encryption", "key size", "integrity", "DH group")
    for name, value, want in zip(names, got, expected):
        if value != want:
            raise LabError(f"{what}: charon reports {name} {value}, "
                           f"expected {want}")


def tear_down(lab, v):
    v.command("clear crypto session")
    lab.swanctl("--terminate", "--ike", "peer", "--timeout", "5",
                check=False)
    deadline = time.monotonic() + 10
    while lab.charon_ike():
        if time.monotonic() > deadline:
            raise LabError(f"charon kept its SAs after terminate:\n"
                           f"{lab.charon_sas()}")
        time.sleep(0.1)


def body(lab, rows):
    lab.start_charon(version=1)
    lab.start_vrouter()
    lab.configure_vrouter()
    v = lab.vty()
    try:
        for i, (policy, transforms, pfs, ike, esp, want_ike,
                want_esp) in enumerate(rows):
            row = f"row {i} ({ike} / {esp})"
            v.configure(vrouter_config(policy, transforms, pfs))
            lab.reload_charon(version=1, ike_proposals=ike,
                              esp_proposals=esp)
            try:
                if i % 2 == 0:
                    lab.establish_from_peer()
                else:
                    lab.establish_from_vrouter(v)
            except LabError as e:
                raise LabError(f"{row}: {e}")
            lab.expect_vrouter_pings(v, 3, f"in {row}")
            lab.expect_peer_pings(3, f"in {row}")

            fields = lab.charon_ike()
            check_algorithms(f"{row}, IKE SA",
                             (fields.get("encr-alg"),
                              fields.get("encr-keysize"),
                              fields.get("integ-alg"),
                              fields.get("dh-group")), want_ike)
            child = lab.charon_children()[0]
            check_algorithms(f"{row}, CHILD_SA",
                             (child["encr"], child["keysize"],
                              child["integ"], child["dh"]), want_esp)
            print(f"{row}: passed")
            tear_down(lab, v)
    finally:
        v.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["gcm"]:
        interop.run_test("ikev1_proposals_gcm",
                         lambda lab: body(lab, GCM_ROWS))
    interop.run_test("ikev1_proposals", lambda lab: body(lab, ROWS))
