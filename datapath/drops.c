/*
 * Names of the drop reasons as IOS XE shows them: the QFP global drop
 * causes of `show platform hardware qfp active statistics drop` and the
 * IPsec feature drop codes of `show platform hardware qfp active feature
 * ipsec datapath drops`.
 *
 * NOTE: IpsecInput, IpsecIkeIndicate, Ipv4NoRoute and the feature codes
 * 1, 4, 7, 8, 12, 19, 32, 33 and 116 are the ones IOS XE prints for these
 * causes. The other names and codes follow the IOS XE naming pattern but
 * were not seen in real output. Their codes are numbered from 200 upward
 * so they cannot clash with real ones.
 */
#include "datapath/datapath.h"

struct drop_name {
	const char *global;
	unsigned code;			/* 0: not an IPsec feature drop */
	const char *feature;
};

static const struct drop_name names[DP_DROP_COUNT] = {
	[DP_DROP_ESP_NO_SA] =
	    { "IpsecInput", 4, "IN_US_V4_PKT_SA_NOT_FOUND_SPI" },
	[DP_DROP_ESP_NO_SA_TRANSPORT] =
	    { "IpsecInput", 7, "IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI" },
	[DP_DROP_ESP_NO_SA_V6] =
	    { "IpsecInput", 12, "IN_US_V6_PKT_SA_NOT_FOUND_SPI" },
	[DP_DROP_ESP_SHORT] =
	    { "IpsecInput", 201, "IN_V4_PKT_ESP_TOO_SHORT" },
	[DP_DROP_ESP_BAD_LEN] =
	    { "IpsecInput", 202, "IN_V4_PKT_ESP_INVALID_LEN" },
	[DP_DROP_ESP_AUTH] =
	    { "IpsecInput", 203, "IN_CD_SW_IPSEC_HMAC_FAIL" },
	[DP_DROP_ESP_REPLAY] =
	    { "IpsecInput", 19, "IN_CD_SW_IPSEC_ANTI_REPLAY_FAIL" },
	[DP_DROP_ESP_OUT_OF_WINDOW] =
	    { "IpsecInput", 116, "CD_IN_PKT_OUT_OF_WINDOW" },
	[DP_DROP_ESP_PAD] =
	    { "IpsecInput", 204, "IN_CD_SW_IPSEC_PAD_FAIL" },
	[DP_DROP_ESP_NEXT_HEADER] =
	    { "IpsecInput", 205, "IN_V4_PKT_INVALID_NEXT_HEADER" },
	[DP_DROP_ESP_INTERNAL] =
	    { "IpsecInput", 206, "IN_CD_SW_IPSEC_CRYPTO_ERR" },
	[DP_DROP_ESP_ENCAP] =
	    { "IpsecOutput", 207, "OUT_V4_PKT_ENCAP_FAIL" },
	[DP_DROP_ESP_NO_SA_OUT] =
	    { "IpsecOutput", 32, "OUT_V4_PKT_HIT_INVALID_SA" },
	[DP_DROP_ESP_IKE_START] =
	    { "IpsecIkeIndicate", 33, "OUT_V4_PKT_HIT_IKE_START_SP" },
	[DP_DROP_ESP_INVALID_SA] =
	    { "IpsecInput", 1, "IN_V4_PKT_HIT_INVALID_SA" },
	[DP_DROP_ESP_INVALID_IDENT] =
	    { "IpsecInput", 209, "IN_V4_PKT_INVALID_IDENT" },
	[DP_DROP_ESP_CLEAR_POLICY] =
	    { "IpsecInput", 8, "IN_US_CL_V4_PKT_FAILED_POLICY" },
	[DP_DROP_IPV4_MALFORMED] = { "Ipv4Malformed", 0, NULL },
	[DP_DROP_IPV4_NO_ROUTE] = { "Ipv4NoRoute", 0, NULL },
	[DP_DROP_IPV4_TTL] = { "Ipv4TtlExceeded", 0, NULL },
	[DP_DROP_IPV4_NESTED] =
	    { "IpsecInput", 208, "IN_V4_PKT_NESTED_TOO_DEEP" },
	[DP_DROP_IPV6] = { "Ipv6NoRoute", 0, NULL },
	[DP_DROP_L2_UNSUPPORTED] = { "UnknownL3", 0, NULL },
	[DP_DROP_REASS_OVERLAP] = { "ReassOverlap", 0, NULL },
	[DP_DROP_REASS_TIMEOUT] = { "ReassTimeout", 0, NULL },
	[DP_DROP_REASS_TOO_BIG] = { "ReassFragTooBig", 0, NULL },
	[DP_DROP_REASS_NO_SLOT] = { "ReassNoFragInfo", 0, NULL },
	[DP_DROP_REASS_BAD_FRAG] = { "ReassDrop", 0, NULL },
	[DP_DROP_WIRE_TX] = { "Ipv4TxFail", 0, NULL },
	[DP_DROP_IPV4_FRAG_DF] = { "Ipv4FragTooBig", 0, NULL },
	[DP_DROP_TUNNEL_NO_PEER] = { "TunnelNoPeer", 0, NULL },
	[DP_DROP_TUNNEL_UNPROTECTED] = { "TunnelUnprotected", 0, NULL },
	[DP_DROP_UDP_CHECKSUM] = { "UdpChecksum", 0, NULL },
	[DP_DROP_IKE_NO_SINK] = { "IkeNoListener", 0, NULL },
	[DP_DROP_IKE_LENGTH] = { "IkeBadLength", 0, NULL },
};

const char *
dp_drop_global_name(enum dp_drop d)
{
	if ((unsigned)d >= DP_DROP_COUNT)
		return "Unknown";
	return names[d].global;
}

bool
dp_drop_feature(enum dp_drop d, unsigned *code, const char **name)
{
	if ((unsigned)d >= DP_DROP_COUNT || names[d].code == 0)
		return false;
	*code = names[d].code;
	*name = names[d].feature;
	return true;
}
