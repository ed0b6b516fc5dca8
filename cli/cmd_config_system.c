/*
 * Global system settings (hostname) and the commands that show and save
 * the configuration: show running-config, show startup-config, write
 * memory (which also archives, see cmd_config_archive.c) and copy
 * running-config startup-config.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/cfg_file.h"
#include "core/cfg_render.h"
#include "core/config.h"
#include "core/router.h"

/* Size of NVRAM that IOS XE reports in show startup-config. */
#define NVRAM_BYTES 33554432

static enum cmd_result
hostname(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;
	const char *p;

	if (!isalpha((unsigned char)name[0])) {
		vty_out(vty, "%% Hostname must start with a letter\n");
		return CMD_WARNING;
	}
	for (p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.') {
			vty_out(vty, "%% Hostname contains one or more illegal "
				"characters.\n");
			return CMD_WARNING;
		}
	}
	if (strlen(name) > 63) {
		vty_out(vty, "%% Hostname must be at most 63 characters\n");
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, name, CC_M "system/hostname");
	return cc_commit(&t);
}

static enum cmd_result
no_hostname(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, CC_M "system/hostname");
	return cc_commit(&t);
}

#define PASSWORD_ENCRYPTION "/vrouter-access:access/password-encryption"

bool
cc_secret_text(struct vty *vty, const char *type, const char *text,
	       char *out, size_t len)
{
	if (type == NULL || strcmp(type, "0") == 0) {
		if (snprintf(out, len, "%s", text) >= (int)len) {
			OPENSSL_cleanse(out, len);
			vty_out(vty, "%% Key or password too long (at most %zu "
				"characters)\n", len - 1);
			return false;
		}
		return true;
	}
	if (strcmp(type, "7") == 0) {
		/* IOS prints this for any malformed type 7 text. */
		if (cfg_type7_decode(text, out, len) < 0 || out[0] == '\0') {
			OPENSSL_cleanse(out, len);
			vty_out(vty, "%% Invalid encrypted password\n");
			return false;
		}
		return true;
	}
	vty_out(vty, "%% Type %s keys are encrypted with a master key "
		"(key config-key password-encrypt), which vrouter does not "
		"support; enter the key in clear or as type 7\n", type);
	return false;
}

static enum cmd_result
password_encryption(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, PASSWORD_ENCRYPTION);
	/*
	 * IOS encrypts the clear passwords for good, so `no service
	 * password-encryption` leaves them as type 7.
	 */
	cc_del(&t, "/vrouter-access:access/user/password-clear");
	cc_del(&t, "/vrouter-access:access/line/password-clear");
	cc_del(&t, "/vrouter-access:access/enable-password/password-clear");
	return cc_commit(&t);
}

static enum cmd_result
no_password_encryption(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, PASSWORD_ENCRYPTION);
	return cc_commit(&t);
}

static enum cmd_result
show_running(struct vty *vty, const struct cmd_args *args)
{
	char *text = cfg_render_ios(vty->router->cfg);

	(void)args;
	if (!text) {
		vty_out(vty, "%% Out of memory\n");
		return CMD_ERROR;
	}
	vty_out(vty, "Building configuration...\n\n");
	vty_out(vty, "Current configuration : %zu bytes\n", strlen(text));
	/* IOS ends the listing with an empty line after "end". */
	vty_out(vty, "%s\n", text);
	cfg_text_free(text);
	return CMD_SUCCESS;
}

static enum cmd_result
show_startup(struct vty *vty, const struct cmd_args *args)
{
	const char *path = vty->router->startup_config_path;
	size_t len = 0;
	char *text;

	(void)args;
	text = path ? cfg_file_read(path, &len) : NULL;
	if (!text) {
		vty_out(vty, "startup-config is not present\n");
		return CMD_SUCCESS;
	}
	vty_out(vty, "Using %zu out of %d bytes\n", len, NVRAM_BYTES);
	vty_out(vty, "%.*s", (int)len, text);
	cfg_text_free(text);
	return CMD_SUCCESS;
}

/* Renders the running config and saves it as the startup-config. */
static enum cmd_result
save_running(struct vty *vty)
{
	const char *path = vty->router->startup_config_path;
	char err[512];
	char *text;
	int rc;

	vty_out(vty, "Building configuration...\n");
	if (!path) {
		vty_out(vty, "%% No startup-config file is configured; "
			"start vrouter with --config FILE\n");
		return CMD_ERROR;
	}
	if (vty->router->startup_config_unread && access(path, F_OK) == 0) {
		vty_out(vty, "%% Not saved: %s was not loaded at start-up, "
			"so saving would overwrite it; move or repair it, then "
			"save again\n", path);
		return CMD_ERROR;
	}
	text = cfg_render_ios(vty->router->cfg);
	if (!text) {
		vty_out(vty, "%% Out of memory\n");
		return CMD_ERROR;
	}
	rc = cfg_file_save(path, text, strlen(text), err, sizeof(err));
	if (rc < 0) {
		cfg_text_free(text);
		vty_out(vty, "%% Failed to save the startup-config: %s\n", err);
		return CMD_ERROR;
	}
	router_set_saved_config(vty->router, text);
	rc = cc_archive_on_write(vty, text);
	cfg_text_free(text);
	vty_out(vty, "[OK]\n");
	return rc < 0 ? CMD_WARNING : CMD_SUCCESS;
}

static enum cmd_result
write_memory(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return save_running(vty);
}

static enum cmd_result
copy_run_start(struct vty *vty, const struct cmd_args *args)
{
	char reply[128];
	int n;

	(void)args;
	n = vty_ask(vty, "Destination filename [startup-config]? ", reply,
		    sizeof(reply));
	if (n < 0)
		return CMD_ERROR;
	if (n > 0 && strcmp(reply, "startup-config")) {
		vty_out(vty, "%% Only startup-config can be the destination\n");
		return CMD_WARNING;
	}
	return save_running(vty);
}

static const struct cmd_def cmd_hostname = {
	.syntax = "hostname WORD$name",
	.help = "Set system's network name\nThis system's network name",
	.fn = hostname,
};

static const struct cmd_def cmd_no_hostname = {
	.syntax = "no hostname [WORD]",
	.help = "Negate a command or set its defaults\n"
		"Set system's network name\nThis system's network name",
	.fn = no_hostname,
};

static const struct cmd_def cmd_password_encryption = {
	.syntax = "service password-encryption",
	.help = "Modify use of network based services\n"
		"Encrypt system passwords",
	.fn = password_encryption,
};

static const struct cmd_def cmd_no_password_encryption = {
	.syntax = "no service password-encryption",
	.help = "Negate a command or set its defaults\n"
		"Modify use of network based services\n"
		"Encrypt system passwords",
	.fn = no_password_encryption,
};

static const struct cmd_def cmd_show_running = {
	.syntax = "show running-config",
	.help = "Show running system information\n"
		"Current operating configuration",
	.fn = show_running,
	.flags = CMD_FORMAT,
};

static const struct cmd_def cmd_show_startup = {
	.syntax = "show startup-config",
	.help = "Show running system information\n"
		"Contents of startup configuration",
	.fn = show_startup,
};

static const struct cmd_def cmd_write = {
	.syntax = "write [memory]",
	.help = "Write running configuration to memory, network, or terminal\n"
		"Write to NV memory",
	.fn = write_memory,
};

static const struct cmd_def cmd_copy = {
	.syntax = "copy running-config startup-config",
	.help = "Copy from one file to another\n"
		"Copy from current system configuration\n"
		"Copy to startup configuration",
	.fn = copy_run_start,
};

void
cc_install_system(void)
{
	cmd_install(MODE_CONFIG, &cmd_hostname);
	cmd_install(MODE_CONFIG, &cmd_no_hostname);
	cmd_install(MODE_CONFIG, &cmd_password_encryption);
	cmd_install(MODE_CONFIG, &cmd_no_password_encryption);
	cmd_install(MODE_PRIV_EXEC, &cmd_show_running);
	cmd_install(MODE_PRIV_EXEC, &cmd_show_startup);
	cmd_install(MODE_PRIV_EXEC, &cmd_write);
	cmd_install(MODE_PRIV_EXEC, &cmd_copy);
	cc_install_archive();
}
