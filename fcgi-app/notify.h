/* notify.h — the systemd notification protocol (sd_notify) without libsystemd: datagrams
 * such as "READY=1" or "STATUS=..." sent to the socket named by $NOTIFY_SOCKET. */
#ifndef WEBIX_NOTIFY_H
#define WEBIX_NOTIFY_H
#include <stdbool.h>

/*
 * Read $NOTIFY_SOCKET (a path, or "@name" for an abstract socket), open a datagram socket
 * for it and remove the variable from the environment, so that the workers started later
 * do not inherit it (with NotifyAccess=main only the master may speak). Returns true when
 * systemd (or a test) listens; false when unset or unusable (notify_send then does nothing).
 */
bool notify_init(void);

/* Send one message of one or more "KEY=value" lines, printf-style. Errors are ignored after
 * one warning in the log: the service must not fail because nobody listens. */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Close the socket (before exec of a worker it is close-on-exec anyway). */
void notify_close(void);
#endif
