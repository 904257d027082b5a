/* httpc_call.c — one call of src/api/httpc.h: its arguments checked and copied, its curl
 * easy handle (signed headers made just before it is sent), and its result for done(). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/httpc_priv.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/parse.h"

uint64_t httpc_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

/* ---- arguments ---- */

/* "IPv4:port" or "[IPv6]:port" into its normal form (inet_ntop): 0 or -EINVAL. */
static int addr_normalise(const char *s, char out[HTTPC_ADDR_MAX])
{
	return sec_addr_normalise(s, false, out, HTTPC_ADDR_MAX) < 0 ? -EINVAL : 0;
}

static bool method_ok(const char *m)
{
	size_t n = strlen(m);

	if (n == 0 || n > HTTPC_METHOD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (m[i] < 'A' || m[i] > 'Z')
			return false;
	return true;
}

/* '/' then printable ASCII without space and '#'; '?' only when with_query. */
static bool path_ok(const char *p, bool with_query)
{
	size_t n = strlen(p);

	if (n == 0 || n > HTTPC_PATH_MAX || p[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~' || p[i] == '#' || (p[i] == '?' && !with_query))
			return false;
	return true;
}

/* "Name: value": a token name, no CR, LF or other control byte, not a unit header. */
static bool header_ok(const char *h)
{
	size_t n = strnlen(h, HTTPC_HEADER_MAX + 1), name = strcspn(h, ":");

	if (n > HTTPC_HEADER_MAX || name == 0 || name == n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] < ' ' && h[i] != '\t')
			return false;
	for (size_t i = 0; i < name; i++)
		if (h[i] <= ' ' || h[i] > '~')
			return false;
	return !(name == strlen(AUTH_UNITMSG_UNIT_HDR) &&
		 !strncasecmp(h, AUTH_UNITMSG_UNIT_HDR, name)) &&
	       !(name == strlen(AUTH_UNITMSG_AUTH_HDR) &&
		 !strncasecmp(h, AUTH_UNITMSG_AUTH_HDR, name));
}

int httpc_call_new(struct httpc *c, const char *addr, const char *method, const char *path,
		   bool with_query, const void *body, size_t len, uint32_t timeout_ms,
		   httpc_done_fn *done, void *arg, struct httpc_call **ret)
{
	struct httpc_call *k;

	if (!addr || !method || !path || !done || (!body && len) || timeout_ms == 0 ||
	    !method_ok(method) || !path_ok(path, with_query))
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (addr_normalise(addr, k->addr) < 0) {
		free(k);
		return -EINVAL;
	}
	k->c = c;
	snprintf(k->method, sizeof(k->method), "%s", method);
	k->path = strdup(path);
	k->body = malloc(len + 1);
	if (!k->path || !k->body) {
		httpc_call_free(k);
		return -ENOMEM;
	}
	if (len)
		memcpy(k->body, body, len);
	k->body[len] = '\0';
	k->len = len;
	k->timeout_ms = timeout_ms;
	k->deadline_ms = httpc_now_ms() + timeout_ms;
	k->done = done;
	k->arg = arg;
	*ret = k;
	return 0;
}

static int hdr_append(struct curl_slist **l, const char *h)
{
	struct curl_slist *n = curl_slist_append(*l, h);

	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

int httpc_call_add_headers(struct httpc_call *k, const char *const *headers, size_t n)
{
	if (n > HTTPC_HEADERS_MAX || (n && !headers))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!headers[i] || !header_ok(headers[i]))
			return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (hdr_append(&k->hdrs, headers[i]) < 0)
			return -ENOMEM;
	return 0;
}

void httpc_call_free(struct httpc_call *k)
{
	if (!k)
		return;
	if (k->easy) {
		if (k->state == HTTPC_CALL_RUNNING && k->c->multi)
			curl_multi_remove_handle(k->c->multi, k->easy);
		curl_easy_cleanup(k->easy);
	}
	curl_slist_free_all(k->hdrs);
	free(k->path);
	free(k->body);
	free(k->resp);
	free(k);
}

/* ---- the transfer ---- */

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct httpc_call *k = ud;
	size_t bytes = size * n;

	if (bytes > HTTPC_BODY_MAX - k->resp_len) {
		k->too_large = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (k->resp_len + bytes + 1 > k->resp_cap) {
		size_t cap = k->resp_cap ? k->resp_cap : 4096;
		char *r;
		while (cap < k->resp_len + bytes + 1)
			cap *= 2;
		r = realloc(k->resp, cap);
		if (!r)
			return 0;
		k->resp = r;
		k->resp_cap = cap;
	}
	memcpy(k->resp + k->resp_len, p, bytes);
	k->resp_len += bytes;
	k->resp[k->resp_len] = '\0';
	return bytes;
}

/* The unit headers of a signed call, signed now (the sequence number is taken here). */
static int headers_sign(struct httpc_call *k)
{
	char hu[AUTH_UNITMSG_UNIT_HDR_MAX], ha[AUTH_UNITMSG_AUTH_HDR_MAX];
	char line[sizeof(AUTH_UNITMSG_AUTH_HDR) + 2 + AUTH_UNITMSG_AUTH_HDR_MAX];
	char path[HTTPC_PATH_MAX + 1];
	int r;

	/* the tag covers the path without its query: what the receiving server checks */
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(k->path, "?"), k->path);
	r = auth_unitmsg_sign(&k->c->sender, &k->c->key, k->to, k->method, path, k->body, k->len,
			      hu, ha);
	if (r < 0)
		return r;
	snprintf(line, sizeof(line), "%s: %s", AUTH_UNITMSG_UNIT_HDR, hu);
	r = hdr_append(&k->hdrs, line);
	snprintf(line, sizeof(line), "%s: %s", AUTH_UNITMSG_AUTH_HDR, ha);
	if (r == 0)
		r = hdr_append(&k->hdrs, line);
	memset(line, 0, sizeof(line));
	return r;
}

static bool has_header(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);

	for (; l; l = l->next)
		if (!strncasecmp(l->data, name, n) && l->data[n] == ':')
			return true;
	return false;
}

/* The request part of the easy handle: method, body, headers. */
static int easy_request(struct httpc_call *k)
{
	CURLcode rc = CURLE_OK;
	CURL *e = k->easy;

	if (!strcmp(k->method, "GET") && k->len == 0) {
		rc |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(k->method, "HEAD") && k->len == 0) {
		rc |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->len);
		if (strcmp(k->method, "POST"))
			rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, k->method);
	}
	if (!has_header(k->hdrs, "Content-Type") &&
	    hdr_append(&k->hdrs, "Content-Type: application/json") < 0)
		return -ENOMEM;
	/* no "Expect: 100-continue" round trip before a body above 1 KiB */
	if (hdr_append(&k->hdrs, "Expect:") < 0)
		return -ENOMEM;
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->hdrs);
	return rc == CURLE_OK ? 0 : -EIO;
}

/* The transport part: no proxy, no redirect, http only, timeouts, the response sink. */
static int easy_transport(struct httpc_call *k, uint32_t left_ms)
{
	CURLcode rc = CURLE_OK;
	CURL *e = k->easy;
	char url[HTTPC_ADDR_MAX + HTTPC_PATH_MAX + 8];

	snprintf(url, sizeof(url), "http://%s%s", k->addr, k->path);
	k->connect_ms = left_ms < HTTPC_CONNECT_TIMEOUT_MS ? left_ms : HTTPC_CONNECT_TIMEOUT_MS;
	rc |= curl_easy_setopt(e, CURLOPT_URL, url);
	rc |= curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L); /* the signed path is the sent path */
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	rc |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)left_ms);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)k->connect_ms);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTPC_BODY_MAX);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, k);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->errbuf);
	return rc == CURLE_OK ? 0 : -EIO;
}

int httpc_call_start(struct httpc_call *k)
{
	uint64_t now = httpc_now_ms();
	int r;

	if (now >= k->deadline_ms)
		return -ETIMEDOUT;
	if (k->to && (r = headers_sign(k)) < 0)
		return r;
	k->easy = curl_easy_init();
	if (!k->easy)
		return -ENOMEM;
	r = easy_request(k);
	if (r == 0)
		r = easy_transport(k, (uint32_t)(k->deadline_ms - now));
	if (r == 0 && curl_multi_add_handle(k->c->multi, k->easy) != CURLM_OK)
		r = -EIO;
	if (r < 0) {
		curl_easy_cleanup(k->easy);
		k->easy = NULL;
		return r;
	}
	k->state = HTTPC_CALL_RUNNING;
	return 0;
}

/* ---- the result ---- */

/* errmsg = "POST http://127.0.0.1:7302/api/v1/x: " and the text; the path without its
 * query (it may carry a secret). */
__attribute__((format(printf, 3, 4))) static void
errmsg_set(const struct httpc_call *k, struct httpc_result *ret, const char *fmt, ...)
{
	size_t size = sizeof(ret->errmsg);
	int n = snprintf(ret->errmsg, size, "%s http://%s%.*s: ", k->method, k->addr,
			 (int)strcspn(k->path, "?"), k->path);
	va_list ap;

	if (n < 0 || (size_t)n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(ret->errmsg + n, size - (size_t)n, fmt, ap);
	va_end(ap);
}

static const char *err_text(int err)
{
	switch (err) {
	case -ECONNREFUSED:
		return "connection refused";
	case -EHOSTUNREACH:
		return "host unreachable";
	case -EMSGSIZE:
		return "response body above 8 MiB";
	case -ECANCELED:
		return "cancelled (the client is shutting down)";
	case -ENOMEM:
		return "out of memory";
	case -EOVERFLOW:
		return "sequence numbers exhausted (restart the unit)";
	default:
		return "transfer failed";
	}
}

void httpc_call_result_err(struct httpc_call *k, int err, struct httpc_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->err = err;
	ret->body = "";
	if (err == -ETIMEDOUT)
		errmsg_set(k, ret, "no answer within %u ms%s", k->timeout_ms,
			   k->state == HTTPC_CALL_QUEUED ? " (queued behind an earlier call)" : "");
	else
		errmsg_set(k, ret, "%s", err_text(err));
}

/* The -errno of a finished transfer. */
static int curl_errno(struct httpc_call *k, CURLcode rc)
{
	long os = 0;

	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return -EMSGSIZE;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_WRITE_ERROR:
		return k->too_large ? -EMSGSIZE : -ENOMEM;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(k->easy, CURLINFO_OS_ERRNO, &os);
		if (os == EHOSTUNREACH || os == ENETUNREACH)
			return -EHOSTUNREACH;
		return os == ETIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
	default:
		return -EIO;
	}
}

void httpc_call_result(struct httpc_call *k, CURLcode rc, struct httpc_result *ret)
{
	int err = curl_errno(k, rc);
	long sent = 0;

	httpc_call_result_err(k, err, ret);
	if (err == 0) {
		curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &ret->status);
		ret->body = k->resp ? k->resp : "";
		ret->len = k->resp_len;
		errmsg_set(k, ret, "HTTP %ld", ret->status);
		return;
	}
	/* nothing sent: the connect timed out (a reused connection has no connect time) */
	curl_easy_getinfo(k->easy, CURLINFO_REQUEST_SIZE, &sent);
	if (err == -ETIMEDOUT && sent == 0)
		errmsg_set(k, ret, "could not connect within %u ms", k->connect_ms);
	else if (err == -EIO) /* curl's text names the address and the failure, no header */
		errmsg_set(k, ret, "transfer failed: %s",
			   k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc));
	log_debug("httpc: %s (curl %d)", ret->errmsg, (int)rc);
}
