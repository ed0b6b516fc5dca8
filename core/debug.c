#include "core/debug.h"

#include <stdatomic.h>

static atomic_bool flags[DEBUG_COUNT];

bool
debug_on(enum debug_flag flag)
{
	if ((unsigned)flag >= DEBUG_COUNT)
		return false;
	return atomic_load_explicit(&flags[flag], memory_order_relaxed);
}

void
debug_set(enum debug_flag flag, bool on)
{
	if ((unsigned)flag >= DEBUG_COUNT)
		return;
	atomic_store_explicit(&flags[flag], on, memory_order_relaxed);
}

void
debug_all_off(void)
{
	int i;

	for (i = 0; i < DEBUG_COUNT; i++)
		atomic_store_explicit(&flags[i], false, memory_order_relaxed);
}
