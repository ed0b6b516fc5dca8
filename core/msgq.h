/*
 * Bounded multi-producer, single-consumer message queue between threads.
 *
 * Messages are copied in and out by value, so a message that carries a
 * pointer hands ownership of the pointed-to object to the consumer.
 * Producers never block: a push onto a full queue fails and is counted.
 * The consumer can sleep in poll() on msgq_fd(), which is readable while
 * the queue may hold messages.
 */
#ifndef VR_CORE_MSGQ_H
#define VR_CORE_MSGQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msgq;

/* Creates a queue of CAPACITY messages of MSG_SIZE bytes; NULL on failure. */
struct msgq *msgq_create(size_t capacity, size_t msg_size);
void msgq_destroy(struct msgq *q);

/* Copies MSG into the queue. Returns false, and counts a drop, when full. */
bool msgq_push(struct msgq *q, const void *msg);

/* Copies the oldest message into MSG. Returns false when the queue is empty. */
bool msgq_pop(struct msgq *q, void *msg);

/* Returns an eventfd that is readable while messages may be waiting. */
int msgq_fd(const struct msgq *q);

/* Number of pushes rejected because the queue was full. */
uint64_t msgq_drops(const struct msgq *q);

#endif
