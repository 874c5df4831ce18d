/* orgrules.c — format rules of organization fields: subdomain, reserved names, domain,
 * time zone. */
#include "orgrules.h"
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef WEBIX_ZONEINFO_DIR
#define WEBIX_ZONEINFO_DIR "/usr/share/zoneinfo"
#endif

static bool
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool
valid_subdomain(const char *s, size_t n)
{
	if (n == 0 || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (alnum(s[i]))
			continue;
		if (s[i] != '-' || s[i + 1] == '-')
			return false;
	}
	return true;
}

static const char *const reserved[] = {
	"www", "api", "admin", "app", "mail", "static", "media", "assets", "cdn", "img", "images",
	"auth", "login", "logout", "register", "signup", "account", "accounts", "dashboard",
	"billing", "pay", "payment", "payments", "invoice", "invoices", "status", "health",
	"help", "support", "docs", "doc", "blog", "dev", "test", "stage", "staging", "prod",
	"beta", "demo", "root", "system", "sys", "webix", "smtp", "imap", "pop", "pop3", "ftp",
	"sftp", "ssh", "dns", "ns1", "ns2", "ns3", "mx", "email", "webmail", "autoconfig",
	"autodiscover", "localhost", "internal", "public", "private", "secure", "security",
	"ws", "wss", "socket", "realtime", "nchan", "news", "about", "info", "null",
	"undefined", NULL
};

bool
subdomain_reserved(const char *s)
{
	for (size_t i = 0; reserved[i]; i++)
		if (strcmp(reserved[i], s) == 0)
			return true;
	return false;
}

bool
valid_domain(const char *s, size_t n)
{
	if (n < 4 || n > 253)
		return false;
	size_t labels = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!alnum(s[i]) && s[i] != '-')
				return false;
			continue;
		}
		size_t len = i - start;
		if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		labels++;
		if (i == n) { /* the TLD: letters only, at least two */
			if (len < 2)
				return false;
			for (size_t j = start; j < n; j++)
				if (!isalpha((unsigned char)s[j]))
					return false;
		}
		start = i + 1;
	}
	return labels >= 2;
}

bool
valid_timezone(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '/' || s[0] == '.' || s[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(alnum(c) || c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
		if (c == '/' && s[i + 1] == '/')
			return false;
	}
	/* not zone names: other layouts of the database, the host's own zone (a link to
	 * /etc/localtime, which changes with the machine), the POSIX default rules */
	if (strncmp(s, "posix/", 6) == 0 || strncmp(s, "right/", 6) == 0 ||
	    (n == 9 && memcmp(s, "localtime", 9) == 0) || (n == 10 && memcmp(s, "posixrules", 10) == 0))
		return false;
	char path[128], magic[4];
	snprintf(path, sizeof(path), "%s/%.*s", WEBIX_ZONEINFO_DIR, (int)n, s);
	int fd = open(path, O_RDONLY | O_CLOEXEC); /* no '.' above: the path stays inside */
	if (fd < 0)
		return false;
	bool ok = read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}
