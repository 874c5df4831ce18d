/* ctldays.c — the one "--FLAG DAYS" option of a webixctl command (org purge, expire). */
#include "ctldays.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ctl_days(int argc, char **argv, const char *what, const char *flag, long min, long *days)
{
	for (int i = 0; i < argc; i++) {
		char *end;
		long v;
		if (strcmp(argv[i], flag) == 0 && i + 1 < argc && argv[i + 1][0] >= '0' &&
		    argv[i + 1][0] <= '9' && (v = strtol(argv[++i], &end, 10)) >= min &&
		    *end == '\0' && v <= 36500) {
			*days = v;
			continue;
		}
		fprintf(stderr, "%s: %s takes a number of days (%ld-36500)\n", what, flag, min);
		return -1;
	}
	return 0;
}
