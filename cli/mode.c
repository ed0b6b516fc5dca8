#include "cli/command.h"

#include <assert.h>

/* Parents and prompt suffixes as IOS XE prints them. */
static const struct cmd_mode_info mode_table[MODE_COUNT] = {
	[MODE_USER_EXEC] = { MODE_COUNT, "", false },
	[MODE_PRIV_EXEC] = { MODE_COUNT, "", false },
	[MODE_CONFIG] = { MODE_PRIV_EXEC, "(config)", true },
	[MODE_CONFIG_IF] = { MODE_CONFIG, "(config-if)", true },
	[MODE_CONFIG_ISAKMP] = { MODE_CONFIG, "(config-isakmp)", true },
	[MODE_CONFIG_ISAKMP_PROFILE] = { MODE_CONFIG, "(conf-isa-prof)", true },
	[MODE_CONFIG_KEYRING] = { MODE_CONFIG, "(conf-keyring)", true },
	[MODE_CRYPTO_TRANS] = { MODE_CONFIG, "(cfg-crypto-trans)", true },
	[MODE_CRYPTO_MAP] = { MODE_CONFIG, "(config-crypto-map)", true },
	[MODE_IPSEC_PROFILE] = { MODE_CONFIG, "(ipsec-profile)", true },
	[MODE_EXT_NACL] = { MODE_CONFIG, "(config-ext-nacl)", true },
	[MODE_STD_NACL] = { MODE_CONFIG, "(config-std-nacl)", true },
	[MODE_IKEV2_PROPOSAL] = { MODE_CONFIG, "(config-ikev2-proposal)", true },
	[MODE_IKEV2_POLICY] = { MODE_CONFIG, "(config-ikev2-policy)", true },
	[MODE_IKEV2_KEYRING] = { MODE_CONFIG, "(config-ikev2-keyring)", true },
	[MODE_IKEV2_KEYRING_PEER] = { MODE_IKEV2_KEYRING,
				      "(config-ikev2-keyring-peer)", true },
	[MODE_IKEV2_PROFILE] = { MODE_CONFIG, "(config-ikev2-profile)", true },
	[MODE_CONFIG_LINE] = { MODE_CONFIG, "(config-line)", true },
	[MODE_CONFIG_ROUTER] = { MODE_CONFIG, "(config-router)", true },
	[MODE_CONFIG_APPLET] = { MODE_CONFIG, "(config-applet)", true },
	[MODE_CONFIG_VRF] = { MODE_CONFIG, "(config-vrf)", true },
	[MODE_CONFIG_VRF_AF] = { MODE_CONFIG_VRF, "(config-vrf-af)", true },
	[MODE_ISAKMP_GROUP] = { MODE_CONFIG, "(config-isakmp-group)", true },
	[MODE_EZVPN] = { MODE_CONFIG, "(config-crypto-ezvpn)", true },
	[MODE_CONFIG_ARCHIVE] = { MODE_CONFIG, "(config-archive)", true },
};

const struct cmd_mode_info *
cmd_mode_info(enum cmd_mode mode)
{
	assert(mode < MODE_COUNT);
	return &mode_table[mode];
}
