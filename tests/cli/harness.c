#include "harness.h"

#include <stdlib.h>
#include <string.h>

static int
mem_write(struct vty *vty, const char *buf, size_t len)
{
	struct harness *h = vty->io_ctx;

	if (h->len + len + 1 > h->cap) {
		size_t cap = (h->len + len + 1) * 2;
		char *p = realloc(h->buf, cap);

		if (p == NULL)
			return -1;
		h->buf = p;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, buf, len);
	h->len += len;
	h->buf[h->len] = '\0';
	return 0;
}

static const struct vty_io mem_io = {
	.write = mem_write,
};

void
harness_open(struct harness *h, enum cmd_mode mode)
{
	memset(h, 0, sizeof(*h));
	vty_init(&h->vty, NULL, &mem_io, h, "vty 0", false);
	h->vty.term_length = 0;
	if (mode == MODE_USER_EXEC)
		return;
	h->vty.levels[0].mode = MODE_PRIV_EXEC;
	h->vty.privilege = 15;
	if (mode == MODE_PRIV_EXEC)
		return;
	vty_enter_mode(&h->vty, MODE_CONFIG, NULL);
	if (mode != MODE_CONFIG)
		vty_enter_mode(&h->vty, mode, NULL);
}

void
harness_close(struct harness *h)
{
	vty_release(&h->vty);
	free(h->buf);
}

static void
reset(struct harness *h)
{
	h->len = 0;
	if (h->buf != NULL)
		h->buf[0] = '\0';
}

const char *
harness_exec(struct harness *h, const char *line, size_t echo_width,
	     enum cmd_result *res)
{
	enum cmd_result r;

	reset(h);
	r = cmd_execute(&h->vty, line, echo_width);
	if (res != NULL)
		*res = r;
	return h->buf ? h->buf : "";
}

const char *
harness_describe(struct harness *h, const char *line)
{
	reset(h);
	cmd_describe(&h->vty, line);
	return h->buf ? h->buf : "";
}
