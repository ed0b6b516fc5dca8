/*
 * The IKE manager's recorder for the invalid-SPI flow table: what it
 * decided about each unknown-SPI report, and when SAs go away because
 * of a clear. Notes go to the datapath that owns the table; a manager
 * without a datapath (joined to another in a test) records nothing.
 */
#ifndef VR_IKEMGR_IKE_DIAG_H
#define VR_IKEMGR_IKE_DIAG_H

#include <stdbool.h>

#include "datapath/datapath.h"

struct ikemgr;

/* Records ACT for the flow of EV. */
void ike_diag_action(struct ikemgr *ike, const struct dp_invalid_spi_event *ev,
		     enum dp_spi_action act);

/* Brackets a clear: SAs removed in between count as cleared, not
 * deleted. */
void ike_diag_clearing(struct ikemgr *ike, bool on);

#endif
