/* addr.c — "IPv4:port" and "[IPv6]:port" (addr.h). */
#include "lib/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Decimal 1..65535 without leading zeros, or "0" when allowed. */
static int port_parse(const char *p, bool allow_port0, unsigned *ret)
{
	unsigned v = 0;

	if (!*p || strlen(p) > 5 || (p[0] == '0' && (p[1] || !allow_port0)))
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*ret = v;
	return 0;
}

int sec_addr_parse(const char *s, bool allow_port0, struct sockaddr_storage *ret)
{
	char host[INET6_ADDRSTRLEN];
	const char *hs = s, *colon;
	struct sockaddr_storage ss;
	bool v6;
	size_t hl;
	unsigned port;

	if (!s)
		return -EINVAL;
	v6 = s[0] == '[';
	if (v6) {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hs = s + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
	} else {
		if (!(colon = strrchr(s, ':')))
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || port_parse(colon + 1, allow_port0, &port) < 0)
		return -EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
	}
	*ret = ss;
	return 0;
}

socklen_t sec_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int sec_addr_normalise(const char *s, bool allow_port0, char *out, size_t size)
{
	struct sockaddr_storage ss;
	char buf[INET6_ADDRSTRLEN];
	int n;

	if (sec_addr_parse(s, allow_port0, &ss) < 0)
		return -EINVAL;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
		n = snprintf(out, size, "[%s]:%u", buf, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
		n = snprintf(out, size, "%s:%u", buf, ntohs(a->sin_port));
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}
