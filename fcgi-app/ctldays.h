/* ctldays.h — the one "--FLAG DAYS" option of a webixctl command (org purge, expire). */
#ifndef WEBIX_CTLDAYS_H
#define WEBIX_CTLDAYS_H

/* argv (argc words) may hold FLAG followed by a whole number MIN..36500, and nothing else;
 * *days keeps its default when FLAG is absent. 0, or -1 after saying on stderr what `WHAT`
 * (e.g. "webixctl expire") takes. */
int ctl_days(int argc, char **argv, const char *what, const char *flag, long min, long *days);
#endif
