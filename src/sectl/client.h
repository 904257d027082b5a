/* client.h — sectl's blocking client of the REST API (docs/api.md; issue 3 "API and CLI";
 * architecture.md §6), on libcurl easy and jansson.
 *
 * The client configuration is an INI file named by `--config FILE` or the environment
 * variable SECTL_CONFIG (`sectl lab up` writes DIR/sectl.conf):
 *
 *     [sectl]
 *     api = 127.0.0.1:7301, 127.0.0.1:7302   ; MUs, tried in this order
 *     token_file = sectl.token               ; default: sectl.token next to this file
 *     connect_timeout = 2s                   ; per address (default 2 s)
 *     timeout = 10s                          ; per request (default 10 s)
 *
 * A relative token_file is relative to the directory of the configuration file. Every
 * request goes to the first address that answers (connection refused, a host that does
 * not answer within connect_timeout: the next one; a read also moves on when an address
 * connects but never answers); later requests of the same command start with the address
 * that answered. With verbose the client says on stderr which address it used.
 *
 * The session token (`sectl login` writes it) is sent as `Authorization: Bearer TOKEN`. The
 * token file must be a regular file that only its owner can read (mode 0600); any other
 * mode is refused naming the file. The token never appears in a message.
 *
 *     struct sectl_client *c;
 *     if (sectl_client_open(opts.config, opts.verbose, &c, &err) < 0) -> exit 2
 *     if (sectl_client_use_token(c, &err) < 0) -> exit 1
 *     json_t *j;
 *     if (sectl_client_call(c, "GET", "/api/v1/units", NULL, 0, &j, &err) < 0) -> exit 1
 *
 * Exit statuses follow sectl.h: a configuration that cannot be used is a usage error (2),
 * everything after it a failure (1). */
#ifndef SEC_SECTL_CLIENT_H
#define SEC_SECTL_CLIENT_H

#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

#define SECTL_API_ADDRS_MAX 16
#define SECTL_TOKEN_MAX 4096             /* bytes of a token file, newline included */
#define SECTL_RESPONSE_MAX (16u << 20)   /* bytes of an answer body */
#define SECTL_CONNECT_TIMEOUT_MS 2000
#define SECTL_TIMEOUT_MS 10000

/* The options every API command takes: --config FILE, -v/--verbose, --json (and -h/--help,
 * which each command answers with its usage on stdout). */
struct sectl_api_opts {
	const char *config; /* NULL: $SECTL_CONFIG */
	bool verbose;
	bool json;
};
enum { SECTL_OPT_CONFIG = 0x100, SECTL_OPT_JSON, SECTL_OPT_FIRST_FREE };
#define SECTL_API_LONGOPTS                                                 \
	{"config", required_argument, NULL, SECTL_OPT_CONFIG},             \
	{"verbose", no_argument, NULL, 'v'},                               \
	{"json", no_argument, NULL, SECTL_OPT_JSON},                       \
	{"help", no_argument, NULL, 'h'}
#define SECTL_API_SHORTOPTS "vh"
/* Takes ch (a getopt_long result) into o when it is --config, -v or --json: returns true,
 * else false ('h' included). */
bool sectl_api_opt(struct sectl_api_opts *o, int ch, const char *arg);

struct sectl_client;

/* Reads the configuration (config: a path, or NULL for $SECTL_CONFIG). Returns 0, or
 * -EINVAL when neither names a file or the file is not valid (the message names the file,
 * the line and the key), -errno when it cannot be read. ret is written only on success;
 * free with sectl_client_free(). */
int sectl_client_open(const char *config, bool verbose, struct sectl_client **ret,
		      struct sec_err *reterr);
/* Accepts NULL; returns NULL. Wipes the token. */
struct sectl_client *sectl_client_free(struct sectl_client *c);

/* The token file's path (from the configuration). */
const char *sectl_client_token_path(const struct sectl_client *c);
/* The address that answered the last request ("127.0.0.1:7301"), or NULL before any. */
const char *sectl_client_addr(const struct sectl_client *c);
/* HTTP status of the last answer, 0 when none came. */
long sectl_client_http_status(const struct sectl_client *c);
/* The addresses of the configuration, in its order. */
size_t sectl_client_naddrs(const struct sectl_client *c);
const char *sectl_client_addr_at(const struct sectl_client *c, size_t i);
/* i >= 0: later requests go to address i only (no fallback; e.g. to reach one MU that is
 * not the master, `sectl cluster force-master --unit`); -1: back to the fallback order.
 * 0, or -EINVAL for an index out of range. */
int sectl_client_pin(struct sectl_client *c, int i);
/* Raises the per-request timeout to ms (never lowers the configured one): commands whose
 * answer takes a CRD operation (force-master, the online crd replace). */
void sectl_client_set_timeout(struct sectl_client *c, uint64_t ms);
/* Requests in flight end early (as failures) once *flag != 0 (SIGINT of --follow). */
void sectl_client_set_cancel(struct sectl_client *c, volatile sig_atomic_t *flag);

/* Reads the token file for the next requests (tokfile.c). Returns 0; -ENOENT when it does
 * not exist ("run 'sectl login'"); -EPERM when group or others may access it or it is not
 * a regular file; -EINVAL when it holds no token; -errno of open/read. The messages name
 * the file, never the token. */
int sectl_client_use_token(struct sectl_client *c, struct sec_err *reterr);
/* Writes token (one line) to the token file: a temporary file in the same directory,
 * created O_EXCL with mode 0600, written and fsync'd, renamed over the token file, the
 * directory fsync'd. Returns 0 or -errno (message names the file). */
int sectl_client_save_token(const struct sectl_client *c, const char *token,
			    struct sec_err *reterr);
/* Removes the token file. Returns 0, -ENOENT when there was none, or -errno. */
int sectl_client_remove_token(const struct sectl_client *c, struct sec_err *reterr);

/* Uses token (copied; wiped on free) for the next requests without a token file: `sectl
 * lab add-server`, which logs in with the lab's own password file. -ENOMEM. */
int sectl_client_set_token(struct sectl_client *c, const char *token, struct sec_err *reterr);

/* Flags of sectl_client_call(). */
#define SECTL_CALL_NO_TOKEN 0x1u /* login: no Authorization header, no login hint on 401 */
#define SECTL_CALL_ERROR_BODY 0x2u /* an HTTP error's JSON object body into *ret as well (NULL
				    * when there is none); the return is still the error */

/* One request: method "GET", "POST" or "DELETE", path with its query ("/api/v1/events?limit=5"),
 * body (POST; NULL sends {}), the answer of a 2xx status into *ret (a JSON object; caller
 * owns it, json_decref). Returns 0; or
 *   -EACCES   HTTP 401 (message: "<server message> (HTTP 401 unauthenticated); run
 *             'sectl login'"),
 *   -EPROTO   another HTTP error ("<message> (HTTP <status> <code>)", then one line per
 *             entry of details; a conflict {object, name, conflict} as
 *             "  - account 'ops': different roles"),
 *   -EHOSTUNREACH  no address answered (the message names every address and why),
 *   -EIO      an answer that is not a JSON object, or a write whose connection broke after
 *             it was sent (it is not sent again: it may have been carried out),
 *   -ECANCELED     the cancel flag was raised, -ENOMEM.
 * Server text in messages has its control characters replaced. */
int sectl_client_call(struct sectl_client *c, const char *method, const char *path,
		      const json_t *body, unsigned flags, json_t **ret, struct sec_err *reterr);

/* What every API command does first: sectl_client_open() with o's config and verbosity,
 * then (token) sectl_client_use_token(). On failure prints "sectl: MESSAGE" and returns
 * the exit status (2: the configuration; 1: the token); else 0 and *ret. */
int sectl_connect(const struct sectl_api_opts *o, bool token, struct sectl_client **ret);
/* A read command: GET path; with o->json prints the answer as is (pretty), else
 * show(answer) prints it for people. Returns the exit status. */
int sectl_get_show(const struct sectl_api_opts *o, const char *path,
		   int (*show)(const json_t *answer));

/* Prints "sectl: MESSAGE" on stderr and returns SECTL_EXIT_FAIL. */
int sectl_fail(const struct sec_err *err);
/* Prints j pretty (2 spaces, keys in the server's order) and a newline on stdout. Returns
 * SECTL_EXIT_OK, or SECTL_EXIT_FAIL when stdout cannot be written. */
int sectl_print_json(const json_t *j);

#endif
