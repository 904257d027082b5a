/* client.c — sectl's HTTP client on libcurl easy (client.h): the address list with
 * fallback, the bearer token, and the error JSON of docs/api.md made into one message. */
#include "sectl/client_priv.h"
#include "sectl/sectl.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sectl_api_opt(struct sectl_api_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case SECTL_OPT_CONFIG:
		o->config = arg;
		return true;
	case 'v':
		o->verbose = true;
		return true;
	case SECTL_OPT_JSON:
		o->json = true;
		return true;
	default:
		return false;
	}
}

int sectl_client_open(const char *config, bool verbose, struct sectl_client **ret,
		      struct sec_err *err)
{
	static bool curl_ready;
	struct sectl_client *c;
	int r;

	if (!config || !*config)
		config = getenv("SECTL_CONFIG");
	if (!config || !*config)
		return sec_errf(err, -EINVAL, "no client configuration: give --config FILE or set "
				"SECTL_CONFIG ('sectl lab up' writes DIR/sectl.conf)");
	if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return sec_errf(err, -ENOMEM, "cannot initialise libcurl");
	curl_ready = true;
	if (!(c = calloc(1, sizeof(*c))))
		return sec_errf(err, -ENOMEM, "out of memory");
	c->current = -1;
	c->pinned = -1;
	c->verbose = verbose;
	snprintf(c->config_path, sizeof(c->config_path), "%s", config);
	if ((r = sectl_config_read(c, config, err)) < 0) {
		sectl_client_free(c);
		return r;
	}
	if (!(c->curl = curl_easy_init())) {
		sectl_client_free(c);
		return sec_errf(err, -ENOMEM, "cannot initialise libcurl");
	}
	*ret = c;
	return 0;
}

struct sectl_client *sectl_client_free(struct sectl_client *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_addrs; i++)
		free(c->addrs[i]);
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c);
	return NULL;
}

const char *sectl_client_token_path(const struct sectl_client *c)
{
	return c->token_path;
}

const char *sectl_client_addr(const struct sectl_client *c)
{
	return c->current >= 0 ? c->addrs[c->current] : NULL;
}

long sectl_client_http_status(const struct sectl_client *c)
{
	return c->http_status;
}

void sectl_client_set_cancel(struct sectl_client *c, volatile sig_atomic_t *flag)
{
	c->cancel = flag;
}

size_t sectl_client_naddrs(const struct sectl_client *c)
{
	return c->n_addrs;
}

const char *sectl_client_addr_at(const struct sectl_client *c, size_t i)
{
	return i < c->n_addrs ? c->addrs[i] : NULL;
}

int sectl_client_pin(struct sectl_client *c, int i)
{
	if (i >= (int)c->n_addrs)
		return -EINVAL;
	c->pinned = i < 0 ? -1 : i;
	return 0;
}

void sectl_client_set_timeout(struct sectl_client *c, uint64_t ms)
{
	if (ms > c->timeout_ms)
		c->timeout_ms = ms;
}

int sectl_connect(const struct sectl_api_opts *o, bool token, struct sectl_client **ret)
{
	struct sectl_client *c = NULL;
	struct sec_err err = {0};

	if (sectl_client_open(o->config, o->verbose, &c, &err) < 0) {
		sectl_fail(&err);
		return SECTL_EXIT_USAGE;
	}
	if (token && sectl_client_use_token(c, &err) < 0) {
		sectl_client_free(c);
		return sectl_fail(&err);
	}
	*ret = c;
	return SECTL_EXIT_OK;
}

int sectl_get_show(const struct sectl_api_opts *o, const char *path,
		   int (*show)(const json_t *answer))
{
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	json_t *j = NULL;
	int rc;

	if ((rc = sectl_connect(o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	if (sectl_client_call(c, "GET", path, NULL, 0, &j, &err) < 0)
		rc = sectl_fail(&err);
	else
		rc = o->json ? sectl_print_json(j) : show(j);
	json_decref(j);
	sectl_client_free(c);
	return rc;
}

int sectl_fail(const struct sec_err *err)
{
	fprintf(stderr, "sectl: %s\n", err->msg);
	return SECTL_EXIT_FAIL;
}

int sectl_print_json(const json_t *j)
{
	/* 12 significant digits, as the API sends them (api/httpd_reply.c) */
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12);

	if (json_dumpf(j, stdout, flags) < 0 ||
	    putchar('\n') == EOF || fflush(stdout) == EOF) {
		fprintf(stderr, "sectl: cannot write to standard output\n");
		return SECTL_EXIT_FAIL;
	}
	return SECTL_EXIT_OK;
}

/* ---- one request on one address ---- */

struct body {
	char *buf;
	size_t len;
	bool too_large;
};

/* Wiped: a login's answer holds the token. */
static void body_free(struct body *b)
{
	if (b->buf) {
		explicit_bzero(b->buf, b->len);
		free(b->buf);
	}
	*b = (struct body){0};
}

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	struct body *b = user;
	size_t add = size * n;
	char *nb;

	if (b->len + add > SECTL_RESPONSE_MAX) {
		b->too_large = true;
		return 0;
	}
	if (!(nb = realloc(b->buf, b->len + add + 1)))
		return 0;
	memcpy(nb + b->len, p, add);
	b->len += add;
	nb[b->len] = '\0';
	b->buf = nb;
	return add;
}

static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct sectl_client *c = user;

	return c->cancel && *c->cancel;
}

/* Why an address did not answer, lowercase: "connection refused", "no answer within 10000 ms". */
static void describe(CURL *h, CURLcode cc, bool connected, const struct sectl_client *c,
		     char *why, size_t size)
{
	long oserr = 0;

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(why, size, connected ? "no answer within %llu ms"
					      : "no connection within %llu ms",
			 (unsigned long long)(connected ? c->timeout_ms : c->connect_timeout_ms));
	else if (cc == CURLE_COULDNT_CONNECT && oserr)
		snprintf(why, size, "%s", strerror((int)oserr));
	else
		snprintf(why, size, "%s", curl_easy_strerror(cc));
	why[0] = (char)tolower((unsigned char)why[0]);
}

static CURLcode attempt(struct sectl_client *c, const char *addr, const char *method,
			const char *path, const char *body_text, struct curl_slist *hdrs,
			struct body *b, bool *ret_connected)
{
	CURL *h = c->curl;
	char url[2048];
	curl_off_t connect_us = 0;
	CURLcode cc;

	snprintf(url, sizeof(url), "%s%s%s", strstr(addr, "://") ? "" : "http://", addr, path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never an http_proxy of the environment */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body_text);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body_text));
	} else if (!strcmp(method, "DELETE")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	*ret_connected = connect_us > 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->http_status);
	return cc;
}

/* The message of an answer with an HTTP error status (docs/api.md "Errors"). */
static int http_error(struct sectl_client *c, const char *addr, const struct body *b,
		      unsigned flags, struct sec_err *err)
{
	long st = c->http_status;
	json_t *j = b->buf ? json_loadb(b->buf, b->len, 0, NULL) : NULL;
	json_t *e = json_object_get(j, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *text = json_string_value(json_object_get(e, "message"));
	json_t *details = json_object_get(e, "details"), *d;
	char msg[sizeof(err->msg)];
	size_t i, n;
	int r = st == 401 ? -EACCES : -EPROTO;

	if (text)
		n = (size_t)snprintf(msg, sizeof(msg), "%s (HTTP %ld %s)", text, st,
				     code ? code : "error");
	else
		n = (size_t)snprintf(msg, sizeof(msg), "%s answered HTTP %ld without an error "
				     "message", addr, st);
	json_array_foreach(details, i, d) {
		const char *o = json_string_value(json_object_get(d, "object")),
			   *nm = json_string_value(json_object_get(d, "name")),
			   *cf = json_string_value(json_object_get(d, "conflict"));
		char *dump = json_is_string(d) ? strdup(json_string_value(d))
			     : o && nm && cf   ? NULL /* a conflict: "account 'ops': different roles" */
					       : json_dumps(d, JSON_COMPACT);
		if (o && nm && cf && asprintf(&dump, "%s '%s': %s", o, nm, cf) < 0)
			dump = NULL;
		if (n < sizeof(msg) && dump)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\n  - %s", dump);
		free(dump);
	}
	if (r == -EACCES && !(flags & SECTL_CALL_NO_TOKEN) && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, "; run 'sectl login'");
	json_decref(j);
	for (char *p = msg; *p; p++) /* server text: only our own line breaks stay */
		if (*p != '\n' && ((unsigned char)*p < 0x20 || *p == 0x7f))
			*p = '?';
	return sec_errf(err, r, "%s", msg);
}

static int answer(struct sectl_client *c, const char *addr, const struct body *b,
		  unsigned flags, json_t **ret, struct sec_err *err)
{
	json_error_t jerr;
	json_t *j;

	if (c->http_status < 200 || c->http_status > 299) {
		int r = http_error(c, addr, b, flags, err);

		j = NULL;
		if ((flags & SECTL_CALL_ERROR_BODY) && b->buf) {
			j = json_loadb(b->buf, b->len, 0, &jerr);
			if (!json_is_object(j))
				j = (json_decref(j), NULL);
		}
		*ret = j;
		return r;
	}
	j = b->buf ? json_loadb(b->buf, b->len, 0, &jerr) : NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		return sec_errf(err, -EIO, "%s answered HTTP %ld without a JSON object", addr,
				c->http_status);
	}
	*ret = j;
	return 0;
}

static struct curl_slist *headers(const struct sectl_client *c, bool post, unsigned flags)
{
	struct curl_slist *l = NULL, *n;
	char auth[SECTL_TOKEN_MAX + 32];

	l = curl_slist_append(l, "Accept: application/json");
	if (l && post)
		l = (n = curl_slist_append(l, "Content-Type: application/json")) ? n : NULL;
	if (l)
		l = (n = curl_slist_append(l, "Expect:")) ? n : NULL;
	if (l && !(flags & SECTL_CALL_NO_TOKEN)) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		l = (n = curl_slist_append(l, auth)) ? n : NULL;
		explicit_bzero(auth, sizeof(auth));
	}
	return l;
}

static void headers_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data)); /* the token */
	curl_slist_free_all(l);
}

/* "no API address answered: A (why), B (why)" in the order of the configuration. */
static int none_answered(const struct sectl_client *c, char why[][96], struct sec_err *err)
{
	char msg[sizeof(err->msg)];
	size_t n = (size_t)snprintf(msg, sizeof(msg), "no API address answered:");

	for (size_t i = 0; i < c->n_addrs && n < sizeof(msg); i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s %s (%s)", i ? "," : "",
				      c->addrs[i], why[i]);
	return sec_errf(err, -EHOSTUNREACH, "%s", msg);
}

int sectl_client_set_token(struct sectl_client *c, const char *token, struct sec_err *err)
{
	char *t = strdup(token);

	if (!t)
		return sec_errf(err, -ENOMEM, "out of memory");
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	c->token = t;
	return 0;
}

int sectl_client_call(struct sectl_client *c, const char *method, const char *path,
		      const json_t *body, unsigned flags, json_t **ret, struct sec_err *err)
{
	bool post = !strcmp(method, "POST"), connected = false;
	bool write = strcmp(method, "GET") != 0;
	char why[SECTL_API_ADDRS_MAX][96];
	struct curl_slist *hdrs = NULL;
	struct body b = {0};
	char *body_text = NULL;
	size_t start = c->current >= 0 ? (size_t)c->current : 0, k, i = 0;
	CURLcode cc = CURLE_OK;
	int r;

	c->http_status = 0;
	if (!(flags & SECTL_CALL_NO_TOKEN) && !c->token)
		return sec_errf(err, -EINVAL, "no session token loaded (a bug of sectl)");
	if (post) {
		json_t *empty = body ? NULL : json_object();
		body_text = json_dumps(body ? body : empty, JSON_COMPACT);
		json_decref(empty);
	}
	if ((post && !body_text) || !(hdrs = headers(c, post, flags))) {
		r = sec_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < c->n_addrs; k++) {
		i = (start + k) % c->n_addrs;
		if (c->pinned >= 0 && i != (size_t)c->pinned) {
			snprintf(why[i], sizeof(why[i]), "not tried");
			continue;
		}
		body_free(&b);
		cc = attempt(c, c->addrs[i], method, path, body_text, hdrs, &b, &connected);
		if (cc == CURLE_OK)
			break;
		if (cc == CURLE_ABORTED_BY_CALLBACK && c->cancel && *c->cancel) {
			r = sec_errf(err, -ECANCELED, "interrupted");
			goto out;
		}
		describe(c->curl, cc, connected, c, why[i], sizeof(why[i]));
		if (b.too_large)
			snprintf(why[i], sizeof(why[i]), "answer larger than %u bytes",
				 SECTL_RESPONSE_MAX);
		if (c->verbose)
			fprintf(stderr, "sectl: API %s: %s\n", c->addrs[i], why[i]);
		if (write && connected && cc != CURLE_COULDNT_CONNECT) { /* never sent twice */
			r = sec_errf(err, -EIO, "%s: %s after the request was sent; not sent again "
				     "(it may have been carried out)", c->addrs[i], why[i]);
			goto out;
		}
	}
	if (k == c->n_addrs) {
		r = none_answered(c, why, err);
		goto out;
	}
	if (c->verbose && c->current != (int)i)
		fprintf(stderr, "sectl: using API %s\n", c->addrs[i]);
	c->current = (int)i;
	r = answer(c, c->addrs[i], &b, flags, ret, err);
out:
	headers_free(hdrs);
	if (body_text) {
		explicit_bzero(body_text, strlen(body_text)); /* login: the password */
		free(body_text);
	}
	body_free(&b);
	return r;
}
