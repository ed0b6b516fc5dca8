#include "core/msgq.h"

#include <criterion/criterion.h>
#include <poll.h>

static bool
fd_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

Test(msgq, pops_in_fifo_order)
{
	struct msgq *q = msgq_create(8, sizeof(int));
	int i, v;

	cr_assert_not_null(q);
	for (i = 0; i < 8; i++)
		cr_assert(msgq_push(q, &i));
	for (i = 0; i < 8; i++) {
		cr_assert(msgq_pop(q, &v));
		cr_assert_eq(v, i);
	}
	cr_assert_not(msgq_pop(q, &v));
	msgq_destroy(q);
}

Test(msgq, order_survives_wrap_around)
{
	struct msgq *q = msgq_create(3, sizeof(int));
	int i, v, next = 0;

	for (i = 0; i < 10; i++) {
		cr_assert(msgq_push(q, &i));
		if (i % 2 == 1) {
			cr_assert(msgq_pop(q, &v));
			cr_assert_eq(v, next++);
			cr_assert(msgq_pop(q, &v));
			cr_assert_eq(v, next++);
		}
	}
	cr_assert_eq(next, 10);
	msgq_destroy(q);
}

Test(msgq, full_queue_counts_drops)
{
	struct msgq *q = msgq_create(4, sizeof(int));
	int i, v;

	for (i = 0; i < 4; i++)
		cr_assert(msgq_push(q, &i));
	cr_assert_eq(msgq_drops(q), 0);
	for (i = 0; i < 3; i++)
		cr_assert_not(msgq_push(q, &i));
	cr_assert_eq(msgq_drops(q), 3);

	/* The queued messages are untouched by the rejected pushes. */
	for (i = 0; i < 4; i++) {
		cr_assert(msgq_pop(q, &v));
		cr_assert_eq(v, i);
	}
	cr_assert(msgq_push(q, &i));
	msgq_destroy(q);
}

Test(msgq, fd_readable_while_messages_wait)
{
	struct msgq *q = msgq_create(4, sizeof(int));
	int fd = msgq_fd(q), one = 1, v;

	cr_assert_geq(fd, 0);
	cr_assert_not(fd_readable(fd));
	cr_assert(msgq_push(q, &one));
	cr_assert(fd_readable(fd));
	cr_assert(msgq_pop(q, &v));

	/* The failed pop on the empty queue drains the wake-up. */
	cr_assert_not(msgq_pop(q, &v));
	cr_assert_not(fd_readable(fd));
	msgq_destroy(q);
}

Test(msgq, rejects_zero_sizes)
{
	cr_assert_null(msgq_create(0, 4));
	cr_assert_null(msgq_create(4, 0));
}
