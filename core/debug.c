/*
 * Debug switches and peer conditions. Readers run on every thread that
 * may build a debug line, so they only load atomics. Writers of the
 * condition table take `cond_lock` and publish a slot's address before
 * the count that makes it visible.
 */
#include "core/debug.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_bool flags[DEBUG_COUNT];

static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint32_t cond_peers[DEBUG_MAX_PEER_CONDITIONS];
static atomic_size_t cond_count;

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
	debug_condition_reset();
}

/* Index of PEER in the table, or -1; cond_lock held. */
static int
find_peer(uint32_t peer)
{
	size_t i, n = atomic_load(&cond_count);

	for (i = 0; i < n; i++)
		if (atomic_load(&cond_peers[i]) == peer)
			return (int)i;
	return -1;
}

int
debug_condition_add_peer(uint32_t peer)
{
	int ret = 1;
	size_t n;

	pthread_mutex_lock(&cond_lock);
	if (find_peer(peer) >= 0)
		goto out;
	ret = -1;
	n = atomic_load(&cond_count);
	if (n == DEBUG_MAX_PEER_CONDITIONS)
		goto out;
	atomic_store(&cond_peers[n], peer);
	atomic_store(&cond_count, n + 1);
	ret = 0;
out:
	pthread_mutex_unlock(&cond_lock);
	return ret;
}

int
debug_condition_remove_peer(uint32_t peer)
{
	int ret = -1;
	int i;
	size_t n;

	pthread_mutex_lock(&cond_lock);
	i = find_peer(peer);
	if (i < 0)
		goto out;
	/*
	 * The last slot moves into the freed one before the count drops, so
	 * a concurrent reader sees every remaining peer at least once.
	 */
	n = atomic_load(&cond_count);
	atomic_store(&cond_peers[i], atomic_load(&cond_peers[n - 1]));
	atomic_store(&cond_count, n - 1);
	ret = 0;
out:
	pthread_mutex_unlock(&cond_lock);
	return ret;
}

void
debug_condition_reset(void)
{
	pthread_mutex_lock(&cond_lock);
	atomic_store(&cond_count, 0);
	pthread_mutex_unlock(&cond_lock);
}

size_t
debug_condition_peers(uint32_t *out, size_t max)
{
	size_t i, n;

	pthread_mutex_lock(&cond_lock);
	n = atomic_load(&cond_count);
	for (i = 0; i < n && i < max; i++)
		out[i] = atomic_load(&cond_peers[i]);
	pthread_mutex_unlock(&cond_lock);
	return n;
}

bool
debug_peer_allowed(uint32_t peer)
{
	size_t i, n = atomic_load(&cond_count);

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (atomic_load(&cond_peers[i]) == peer)
			return true;
	return false;
}

bool
debug_on_peer(enum debug_flag flag, uint32_t peer)
{
	return debug_on(flag) && debug_peer_allowed(peer);
}
