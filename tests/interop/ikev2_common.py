"""IKEv2 config for the interop lab: pasted after interop.CRYPTO_CONFIG,
it turns the crypto map entry VPN 10 to IKEv2 with a pre-shared key for
charon's address, and drops PFS, which vrouter's CREATE_CHILD_SA does
not negotiate yet."""

from interop import PSK, SW_OUTER

IKEV2_CONFIG = f"""
crypto ikev2 proposal PROP
 encryption aes-cbc-128 aes-cbc-256
 integrity sha256
 group 14
crypto ikev2 policy POL
 proposal PROP
crypto ikev2 keyring KR
 peer SW
  address {SW_OUTER}
  pre-shared-key {PSK}
crypto ikev2 profile PROF
 match identity remote address {SW_OUTER} 255.255.255.255
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
crypto map VPN 10 ipsec-isakmp
 no set pfs
 set ikev2-profile PROF
"""
