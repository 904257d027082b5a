/* addr.h — the one address form of secluster: "IPv4:port" or "[IPv6]:port" (config keys
 * api_listen / heartbeat_listen, the topology's api / heartbeat, the API server's listen
 * address, unit-to-unit calls and heartbeat targets; docs/topology.md).
 *
 * Rules: a numeric host only (no names: no resolver is ever involved), IPv6 in brackets;
 * the port is decimal 1..65535 without leading zeros, or exactly "0" (any port) where
 * allow_port0 says so. Nothing else is accepted (no spaces, no trailing text).
 *
 *     struct sockaddr_storage sa;
 *     if (sec_addr_parse("[::1]:7301", false, &sa) < 0) -> not an address
 *     char norm[SEC_ADDR_MAX];
 *     sec_addr_normalise("127.000.0.1:7301", ...) -> -EINVAL (inet_pton refuses)
 *     sec_addr_normalise("[::0001]:7301", false, norm, sizeof(norm)) -> "[::1]:7301"
 *
 * Pure: no I/O, thread-safe. */
#ifndef SEC_LIB_ADDR_H
#define SEC_LIB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define SEC_ADDR_MAX 56 /* "[" + INET6_ADDRSTRLEN + "]:65535" with the NUL */

/* Parses s into *ret (sockaddr_in or sockaddr_in6; written only on success).
 * Returns 0 or -EINVAL. */
int sec_addr_parse(const char *s, bool allow_port0, struct sockaddr_storage *ret);
/* The length of the sockaddr in ss (for bind/connect). */
socklen_t sec_addr_len(const struct sockaddr_storage *ss);
/* Writes s in its normal form ("127.0.0.1:7301", "[::1]:7301") into out[size].
 * Returns 0, -EINVAL for an address that does not parse, -ENOSPC when out is too small. */
int sec_addr_normalise(const char *s, bool allow_port0, char *out, size_t size);

#endif
