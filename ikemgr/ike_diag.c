/*
 * Recorder of the IKE manager's invalid-SPI decisions; see ike_diag.h.
 * Runs in the manager thread. A note lost to a full datapath queue
 * leaves the flow's previous action in the table.
 */
#include "ikemgr/ike_diag.h"
#include "ikemgr/ike_private.h"

void
ike_diag_action(struct ikemgr *ike, const struct dp_invalid_spi_event *ev,
		enum dp_spi_action act)
{
	struct dp_spi_note n = {
		.kind = DP_SPI_NOTE_ACTION,
		.src = ev->src,
		.dst = ev->dst,
		.spi = ev->spi,
		.action = act,
	};

	if (ike->diag_dp != NULL)
		dp_spi_note(ike->diag_dp, &n);
}

void
ike_diag_clearing(struct ikemgr *ike, bool on)
{
	struct dp_spi_note n = {
		.kind = on ? DP_SPI_NOTE_CLEAR_BEGIN : DP_SPI_NOTE_CLEAR_END,
	};

	if (ike->diag_dp != NULL)
		dp_spi_note(ike->diag_dp, &n);
}
