/* worker.h — one prefork worker: accepts FastCGI requests on the shared socket until told
 * to stop, finishing the request in hand first. */
#ifndef WEBIX_WORKER_H
#define WEBIX_WORKER_H
#include <sys/types.h>
#include "settings.h"

/* Never returns. ready_fd gets one byte once the worker is ready to accept. */
void worker_main(const struct config *, int listen_fd, int ready_fd, pid_t master)
	__attribute__((noreturn));
#endif
