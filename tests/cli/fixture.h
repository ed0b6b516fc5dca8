/* Fixture commands for the command engine tests (see fixture.c). */
#ifndef VR_TESTS_CLI_FIXTURE_H
#define VR_TESTS_CLI_FIXTURE_H

#include "cli/command.h"
#include "cli/vty.h"

/* What the last fixture handler received. */
struct fixture_call {
	int calls;
	char words[256];	/* cmd_argv words joined by spaces */
	char args[8][128];	/* "name=value" for the names it looks up */
};

extern struct fixture_call fixture_last;

/* Output of the fixture `show running-config`. */
#define FIXTURE_RUNNING \
	"hostname R1\n" \
	"!\n" \
	"crypto isakmp policy 10\n" \
	" encr aes\n" \
	" hash sha\n" \
	"crypto isakmp key cisco address 10.0.0.2\n" \
	"!\n" \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.1 255.255.255.0\n" \
	" crypto map CMAP\n" \
	"!\n" \
	"end\n"

/* Installs exit, end, do and the fixture commands. */
void fixture_install(void);

#endif
