/* client_priv.h — the inside of struct sectl_client, shared by client.c (HTTP), config.c
 * (the INI file) and tokfile.c (the token file); and for the unit tests. */
#ifndef SEC_SECTL_CLIENT_PRIV_H
#define SEC_SECTL_CLIENT_PRIV_H

#include "sectl/client.h"

#include <limits.h>

struct sectl_client {
	char config_path[PATH_MAX];
	char *addrs[SECTL_API_ADDRS_MAX]; /* "HOST:PORT" or "http://HOST:PORT" */
	size_t n_addrs;
	char token_path[PATH_MAX];
	uint64_t connect_timeout_ms, timeout_ms;
	bool verbose;
	char *token;     /* NULL until sectl_client_use_token(); wiped on free */
	int current;     /* index of the address that answered last, -1 before any */
	int pinned;      /* >= 0: every request goes to this address only (sectl_client_pin) */
	long http_status; /* of the last answer */
	void *curl;      /* CURL * */
	volatile sig_atomic_t *cancel;
};

/* Fills c's addresses, token path and timeouts from the INI file at path (config.c).
 * Returns 0, -EINVAL (message "PATH:LINE: ...") or -errno of fopen. */
int sectl_config_read(struct sectl_client *c, const char *path, struct sec_err *reterr);

#endif
