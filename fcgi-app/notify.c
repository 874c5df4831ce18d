/* notify.c — sd_notify written out: one datagram per message to $NOTIFY_SOCKET, which is
 * a filesystem path or, with a leading '@', a name in the abstract socket namespace. */
#include "notify.h"
#include "log.h"
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static bool warned;

bool
notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	notify_close();
	if (path == NULL || *path == '\0')
		return false;
	size_t n = strlen(path);
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(notify_addr.sun_path)) {
		log_msg(LOG_WARN, "NOTIFY_SOCKET=%s is not a unix socket path or @name; "
		    "systemd will not hear that webix-api is ready", path);
		unsetenv("NOTIFY_SOCKET");
		return false;
	}
	memcpy(notify_addr.sun_path, path, n);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';        /* abstract: no terminating NUL counted */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '/' ? 1 : 0));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		log_errno(LOG_WARN, "cannot open a socket for NOTIFY_SOCKET");
		unsetenv("NOTIFY_SOCKET");
		return false;
	}
	unsetenv("NOTIFY_SOCKET");
	return true;
}

void
notify_send(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	ssize_t w;
	do
		w = sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
		    notify_len);
	while (w < 0 && errno == EINTR);
	if (w < 0 && !warned) {
		warned = true;
		log_errno(LOG_WARN, "cannot send \"%.*s\" to NOTIFY_SOCKET",
		    (int)strcspn(msg, "\n"), msg);
	}
}

void
notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
