#include "msgq.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct msgq {
	pthread_mutex_t lock;
	size_t capacity;
	size_t msg_size;
	size_t head;		/* next slot to pop */
	size_t count;
	int efd;
	atomic_uint_fast64_t drops;
	unsigned char *slots;
};

struct msgq *
msgq_create(size_t capacity, size_t msg_size)
{
	struct msgq *q;

	if (capacity == 0 || msg_size == 0)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->slots = calloc(capacity, msg_size);
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->slots == NULL || q->efd < 0) {
		free(q->slots);
		if (q->efd >= 0)
			close(q->efd);
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	q->capacity = capacity;
	q->msg_size = msg_size;
	atomic_init(&q->drops, 0);
	return q;
}

void
msgq_destroy(struct msgq *q)
{
	if (q == NULL)
		return;
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q->slots);
	free(q);
}

bool
msgq_push(struct msgq *q, const void *msg)
{
	uint64_t one = 1;
	size_t tail;
	bool was_empty;

	pthread_mutex_lock(&q->lock);
	if (q->count == q->capacity) {
		pthread_mutex_unlock(&q->lock);
		atomic_fetch_add_explicit(&q->drops, 1, memory_order_relaxed);
		return false;
	}
	tail = (q->head + q->count) % q->capacity;
	memcpy(q->slots + tail * q->msg_size, msg, q->msg_size);
	was_empty = q->count == 0;
	q->count++;
	pthread_mutex_unlock(&q->lock);

	/* Only the empty-to-non-empty edge needs a wake-up. */
	if (was_empty && write(q->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return true;
	return true;
}

bool
msgq_pop(struct msgq *q, void *msg)
{
	uint64_t value;

	pthread_mutex_lock(&q->lock);
	if (q->count == 0) {
		/* Drain the eventfd so poll() sleeps until the next push. */
		if (read(q->efd, &value, sizeof(value)) < 0)
			value = 0;
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	memcpy(msg, q->slots + q->head * q->msg_size, q->msg_size);
	q->head = (q->head + 1) % q->capacity;
	q->count--;
	pthread_mutex_unlock(&q->lock);
	return true;
}

int
msgq_fd(const struct msgq *q)
{
	return q->efd;
}

uint64_t
msgq_drops(const struct msgq *q)
{
	return atomic_load_explicit(&q->drops, memory_order_relaxed);
}
