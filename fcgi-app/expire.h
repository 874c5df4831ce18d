/* expire.h — `webixctl expire [--audit-days N]`: expired sessions, spent one-time tokens and
 * old audit rows deleted (expire.c). */
#ifndef WEBIX_EXPIRE_H
#define WEBIX_EXPIRE_H
#include "settings.h"

/* argv: the words after "expire". 0 done, 1 failed (said on stderr), 2 bad usage. */
int expire_run(const struct config *, int argc, char **argv);
#endif
