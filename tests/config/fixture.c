#include "fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static char reply[64];
static char value_buf[512];
static char *render_buf;

static int
mem_write(struct vty *vty, const char *buf, size_t len)
{
	struct fixture *f = vty->io_ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\r')
			continue;
		if (f->len + 2 > f->cap) {
			f->cap = f->cap ? f->cap * 2 : 4096;
			f->out = realloc(f->out, f->cap);
			cr_assert_not_null(f->out);
		}
		f->out[f->len++] = buf[i];
		f->out[f->len] = '\0';
	}
	return 0;
}

static int
mem_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	(void)vty;
	(void)echo;
	snprintf(buf, len, "%s", reply);
	return (int)strlen(buf);
}

static int
mem_read_key(struct vty *vty)
{
	(void)vty;
	return '\r';
}

static const struct vty_io mem_io = {
	.write = mem_write,
	.read_line = mem_read_line,
	.read_key = mem_read_key,
};

/* Forces the linker to keep the configuration commands. */
void (*const fx_keep_config_commands)(void) = cmd_config_install;

void
fx_open(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	reply[0] = '\0';
	f->router.cfg = cfg_create(VR_YANG_DIR);
	cr_assert_not_null(f->router.cfg, "cannot load YANG from %s",
			   VR_YANG_DIR);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vr-config-test-XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->startup, sizeof(f->startup), "%s/startup-config", f->dir);
	f->router.startup_config_path = f->startup;
	cmd_init_all();
	vty_init(&f->vty, &f->router, &mem_io, f, "vty 0", false);
	f->vty.term_length = 0;
	f->vty.levels[0].mode = MODE_PRIV_EXEC;
	f->vty.privilege = 15;
	vty_enter_mode(&f->vty, MODE_CONFIG, NULL);
}

void
fx_close(struct fixture *f)
{
	char cmd[128];

	vty_release(&f->vty);
	cmd_free_all();
	cfg_destroy(f->router.cfg);
	free(f->out);
	free(render_buf);
	render_buf = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", f->dir);
}

const char *
fx_run(struct fixture *f, const char *line)
{
	char prompt[128];

	f->len = 0;
	if (f->out)
		f->out[0] = '\0';
	f->result = cmd_execute(&f->vty, line,
				vty_prompt(&f->vty, prompt, sizeof(prompt)));
	vty_flush(&f->vty);
	return f->out ? f->out : "";
}

void
fx_apply(struct fixture *f, const char *lines)
{
	char *copy = strdup(lines), *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *out = fx_run(f, line);

		cr_assert(f->result == CMD_SUCCESS, "rejected \"%s\": %s",
			  line, out);
	}
	free(copy);
}

const char *
fx_get(struct fixture *f, const char *xpath)
{
	const char *v = cfg_get_value(cfg_read_lock(f->router.cfg), xpath);

	/* A secret leaf holds its value sealed; other values are copied. */
	if (!v || cfg_secret_open(v, value_buf, sizeof(value_buf)) < 0)
		snprintf(value_buf, sizeof(value_buf), "(none)");
	cfg_read_unlock(f->router.cfg);
	return value_buf;
}

const char *
fx_render(struct fixture *f)
{
	free(render_buf);
	render_buf = cfg_render_ios(f->router.cfg);
	cr_assert_not_null(render_buf);
	return render_buf;
}

void
fx_assert_render_has(struct fixture *f, const char *text)
{
	const char *render = fx_render(f);

	cr_assert_not_null(strstr(render, text), "\"%s\" missing from:\n%s",
			   text, render);
}

void
fx_assert_render_lacks(struct fixture *f, const char *text)
{
	const char *render = fx_render(f);

	cr_assert_null(strstr(render, text), "\"%s\" present in:\n%s", text,
		       render);
}

void
fx_set_reply(struct fixture *f, const char *text)
{
	(void)f;
	snprintf(reply, sizeof(reply), "%s", text);
}
