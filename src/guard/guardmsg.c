/* guardmsg.c — the sec-guard records and their _in()/_out() conversions (guardmsg.h).
 * Packed structs pin the layout; every multi-byte field is little-endian. */
#include "guard/guardmsg.h"

#include "lib/crc32c.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

struct gm_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length;
	uint32_t seq;
} __attribute__((packed));

struct gm_hello {
	struct gm_hdr h;
	uint32_t version;
	uint32_t client_pid;
	uint32_t crc;
} __attribute__((packed));

struct gm_hello_reply {
	struct gm_hdr h;
	uint32_t version;
	uint32_t guard_pid;
	uint64_t start_boot_ns;
	uint64_t start_wall_ns;
	uint64_t last_issue_ns;
	uint32_t fence_timeout_ms;
	uint32_t w_ms;
	uint32_t flags;
	uint32_t children;
	uint64_t reserved;
	uint32_t crc;
} __attribute__((packed));

struct gm_renew {
	struct gm_hdr h;
	uint64_t issue_ns;
	uint32_t fence_timeout_ms;
	uint32_t w_ms;
	uint32_t crc;
} __attribute__((packed));

struct gm_spawn {
	struct gm_hdr h;
	char key[GUARD_KEY_BYTES];
	uint32_t argc;
	uint32_t argv_len;
	char out_path[GUARD_PATH_BYTES];
	char cwd[GUARD_PATH_BYTES];
	char argv[GUARD_ARGV_BYTES];
	uint32_t crc;
} __attribute__((packed));

struct gm_kill {
	struct gm_hdr h;
	char key[GUARD_KEY_BYTES];
	int32_t signal;
	uint32_t reserved;
	uint32_t crc;
} __attribute__((packed));

struct gm_empty {
	struct gm_hdr h;
	uint32_t crc;
} __attribute__((packed));

struct gm_key {
	struct gm_hdr h;
	char key[GUARD_KEY_BYTES];
	uint32_t crc;
} __attribute__((packed));

struct gm_result {
	struct gm_hdr h;
	uint16_t req_type;
	uint16_t reserved;
	int32_t err;
	int32_t pid;
	uint32_t reserved2;
	char text[GUARD_TEXT_BYTES];
	uint32_t crc;
} __attribute__((packed));

struct gm_child {
	struct gm_hdr h;
	char key[GUARD_KEY_BYTES];
	int32_t pid;
	uint32_t flags;
	int32_t status;
	uint32_t reserved;
	uint64_t start_boot_ns;
	uint64_t end_boot_ns;
	uint32_t crc;
} __attribute__((packed));

struct gm_list_end {
	struct gm_hdr h;
	uint32_t count;
	uint32_t reserved;
	uint32_t crc;
} __attribute__((packed));

_Static_assert(sizeof(struct gm_hdr) == GUARD_HEADER_SIZE, "header size");
_Static_assert(offsetof(struct gm_hdr, version) == 4, "header layout");
_Static_assert(offsetof(struct gm_hdr, type) == 6, "header layout");
_Static_assert(offsetof(struct gm_hdr, length) == 8, "header layout");
_Static_assert(offsetof(struct gm_hdr, seq) == 12, "header layout");
_Static_assert(sizeof(struct gm_hello) == 28, "hello size");
_Static_assert(offsetof(struct gm_hello, client_pid) == 20, "hello layout");
_Static_assert(sizeof(struct gm_hello_reply) == 76, "hello reply size");
_Static_assert(offsetof(struct gm_hello_reply, start_boot_ns) == 24, "hello reply layout");
_Static_assert(offsetof(struct gm_hello_reply, last_issue_ns) == 40, "hello reply layout");
_Static_assert(offsetof(struct gm_hello_reply, flags) == 56, "hello reply layout");
_Static_assert(offsetof(struct gm_hello_reply, reserved) == 64, "hello reply layout");
_Static_assert(sizeof(struct gm_renew) == 36, "renew size");
_Static_assert(offsetof(struct gm_renew, fence_timeout_ms) == 24, "renew layout");
_Static_assert(offsetof(struct gm_renew, w_ms) == 28, "renew layout");
_Static_assert(sizeof(struct gm_spawn) == GUARD_MSG_SIZE_MAX, "spawn size");
_Static_assert(offsetof(struct gm_spawn, argc) == 32, "spawn layout");
_Static_assert(offsetof(struct gm_spawn, out_path) == 40, "spawn layout");
_Static_assert(offsetof(struct gm_spawn, cwd) == 296, "spawn layout");
_Static_assert(offsetof(struct gm_spawn, argv) == 552, "spawn layout");
_Static_assert(sizeof(struct gm_kill) == 44, "kill size");
_Static_assert(offsetof(struct gm_kill, signal) == 32, "kill layout");
_Static_assert(sizeof(struct gm_empty) == 20, "list size");
_Static_assert(sizeof(struct gm_key) == 36, "forget size");
_Static_assert(sizeof(struct gm_result) == 228, "result size");
_Static_assert(offsetof(struct gm_result, err) == 20, "result layout");
_Static_assert(offsetof(struct gm_result, pid) == 24, "result layout");
_Static_assert(offsetof(struct gm_result, text) == 32, "result layout");
_Static_assert(sizeof(struct gm_child) == 68, "child size");
_Static_assert(offsetof(struct gm_child, pid) == 32, "child layout");
_Static_assert(offsetof(struct gm_child, status) == 40, "child layout");
_Static_assert(offsetof(struct gm_child, start_boot_ns) == 48, "child layout");
_Static_assert(sizeof(struct gm_list_end) == 28, "list end size");

size_t guard_msg_size(enum guard_msg_type type)
{
	switch (type) {
	case GUARD_MSG_HELLO: return sizeof(struct gm_hello);
	case GUARD_MSG_HELLO_REPLY: return sizeof(struct gm_hello_reply);
	case GUARD_MSG_RENEW: return sizeof(struct gm_renew);
	case GUARD_MSG_SPAWN: return sizeof(struct gm_spawn);
	case GUARD_MSG_KILL: return sizeof(struct gm_kill);
	case GUARD_MSG_LIST: return sizeof(struct gm_empty);
	case GUARD_MSG_FORGET: return sizeof(struct gm_key);
	case GUARD_MSG_RESULT: return sizeof(struct gm_result);
	case GUARD_MSG_CHILD:
	case GUARD_MSG_EXITED: return sizeof(struct gm_child);
	case GUARD_MSG_LIST_END: return sizeof(struct gm_list_end);
	default: return 0;
	}
}

bool guard_key_valid(const char *key)
{
	size_t n = strnlen(key, GUARD_KEY_BYTES);

	if (n == 0 || n >= GUARD_KEY_BYTES)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '$' || c == '#' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

int guard_spawn_set_argv(struct guard_spawn *s, const char *const *argv)
{
	size_t off = 0;
	uint32_t argc = 0;

	if (!argv || !argv[0] || !argv[0][0])
		return -EINVAL;
	for (; argv[argc]; argc++) {
		size_t n = strlen(argv[argc]) + 1;
		if (n > GUARD_ARGV_BYTES - off)
			return -E2BIG;
		memcpy(s->argv + off, argv[argc], n);
		off += n;
	}
	memset(s->argv + off, 0, GUARD_ARGV_BYTES - off);
	s->argc = argc;
	s->argv_len = (uint32_t)off;
	return 0;
}

/* Copies a NUL-terminated string into a zero-padded field of n bytes (cut to n - 1). */
static void str_out(char *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n - 1);

	memset(dst, 0, n);
	memcpy(dst, src, l);
}

/* A field of n bytes holds a NUL-terminated string with zero padding: copy it out. */
static bool str_in(char *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n);

	if (l == n)
		return false;
	for (size_t i = l; i < n; i++)
		if (src[i])
			return false;
	memcpy(dst, src, n);
	return true;
}

static bool path_ok(const char *p)
{
	return p[0] == 0 || p[0] == '/';
}

static void hdr_out(struct gm_hdr *h, enum guard_msg_type type, uint32_t seq, size_t size)
{
	h->magic = htole32(GUARD_MAGIC);
	h->version = htole16(GUARD_VERSION);
	h->type = htole16((uint16_t)type);
	h->length = htole32((uint32_t)size);
	h->seq = htole32(seq);
}

static void child_out(struct gm_child *w, const struct guard_child *c)
{
	str_out(w->key, c->key, GUARD_KEY_BYTES);
	w->pid = (int32_t)htole32((uint32_t)c->pid);
	w->flags = htole32(c->flags);
	w->status = (int32_t)htole32((uint32_t)c->status);
	w->reserved = 0;
	w->start_boot_ns = htole64(c->start_boot_ns);
	w->end_boot_ns = htole64(c->end_boot_ns);
}

size_t guard_msg_out(const struct guard_msg *m, uint8_t *buf)
{
	size_t size = guard_msg_size(m->type);
	uint32_t crc;

	if (!size)
		return 0;
	memset(buf, 0, size);
	hdr_out((struct gm_hdr *)buf, m->type, m->seq, size);
	switch (m->type) {
	case GUARD_MSG_HELLO: {
		struct gm_hello *w = (struct gm_hello *)buf;
		w->version = htole32(m->hello.version);
		w->client_pid = htole32(m->hello.client_pid);
		break;
	}
	case GUARD_MSG_HELLO_REPLY: {
		struct gm_hello_reply *w = (struct gm_hello_reply *)buf;
		const struct guard_hello_reply *r = &m->hello_reply;
		w->version = htole32(r->version);
		w->guard_pid = htole32(r->guard_pid);
		w->start_boot_ns = htole64(r->start_boot_ns);
		w->start_wall_ns = htole64(r->start_wall_ns);
		w->last_issue_ns = htole64(r->last_issue_ns);
		w->fence_timeout_ms = htole32(r->fence_timeout_ms);
		w->w_ms = htole32(r->w_ms);
		w->flags = htole32(r->flags);
		w->children = htole32(r->children);
		break;
	}
	case GUARD_MSG_RENEW: {
		struct gm_renew *w = (struct gm_renew *)buf;
		w->issue_ns = htole64(m->renew.issue_ns);
		w->fence_timeout_ms = htole32(m->renew.fence_timeout_ms);
		w->w_ms = htole32(m->renew.w_ms);
		break;
	}
	case GUARD_MSG_SPAWN: {
		struct gm_spawn *w = (struct gm_spawn *)buf;
		const struct guard_spawn *s = &m->spawn;
		uint32_t len = s->argv_len <= GUARD_ARGV_BYTES ? s->argv_len : GUARD_ARGV_BYTES;
		str_out(w->key, s->key, GUARD_KEY_BYTES);
		w->argc = htole32(s->argc);
		w->argv_len = htole32(s->argv_len);
		str_out(w->out_path, s->out_path, GUARD_PATH_BYTES);
		str_out(w->cwd, s->cwd, GUARD_PATH_BYTES);
		memcpy(w->argv, s->argv, len);
		break;
	}
	case GUARD_MSG_KILL: {
		struct gm_kill *w = (struct gm_kill *)buf;
		str_out(w->key, m->kill.key, GUARD_KEY_BYTES);
		w->signal = (int32_t)htole32((uint32_t)m->kill.signal);
		break;
	}
	case GUARD_MSG_LIST:
		break;
	case GUARD_MSG_FORGET:
		str_out(((struct gm_key *)buf)->key, m->forget.key, GUARD_KEY_BYTES);
		break;
	case GUARD_MSG_RESULT: {
		struct gm_result *w = (struct gm_result *)buf;
		w->req_type = htole16(m->result.req_type);
		w->err = (int32_t)htole32((uint32_t)m->result.err);
		w->pid = (int32_t)htole32((uint32_t)m->result.pid);
		str_out(w->text, m->result.text, GUARD_TEXT_BYTES);
		break;
	}
	case GUARD_MSG_CHILD:
	case GUARD_MSG_EXITED:
		child_out((struct gm_child *)buf, &m->child);
		break;
	case GUARD_MSG_LIST_END:
		((struct gm_list_end *)buf)->count = htole32(m->list_end.count);
		break;
	default:
		return 0;
	}
	crc = htole32(crc32c(0, buf, size - 4));
	memcpy(buf + size - 4, &crc, 4);
	return size;
}

static int child_in(const struct gm_child *w, struct guard_child *c)
{
	if (!str_in(c->key, w->key, GUARD_KEY_BYTES) || !guard_key_valid(c->key) || w->reserved)
		return -EINVAL;
	c->pid = (int32_t)le32toh((uint32_t)w->pid);
	c->flags = le32toh(w->flags);
	c->status = (int32_t)le32toh((uint32_t)w->status);
	c->start_boot_ns = le64toh(w->start_boot_ns);
	c->end_boot_ns = le64toh(w->end_boot_ns);
	if (c->flags & ~(GUARD_CHILD_RUNNING | GUARD_CHILD_FENCED))
		return -EINVAL;
	return 0;
}

static int spawn_in(const struct gm_spawn *w, struct guard_spawn *s)
{
	uint32_t argc = le32toh(w->argc), len = le32toh(w->argv_len), nuls = 0;

	if (!str_in(s->key, w->key, GUARD_KEY_BYTES) || !guard_key_valid(s->key))
		return -EINVAL;
	if (!str_in(s->out_path, w->out_path, GUARD_PATH_BYTES) || !path_ok(s->out_path) ||
	    !str_in(s->cwd, w->cwd, GUARD_PATH_BYTES) || !path_ok(s->cwd))
		return -EINVAL;
	if (argc == 0 || len < 2 || len > GUARD_ARGV_BYTES || w->argv[0] == 0 ||
	    w->argv[len - 1] != 0)
		return -EINVAL;
	for (uint32_t i = 0; i < len; i++)
		nuls += w->argv[i] == 0;
	for (uint32_t i = len; i < GUARD_ARGV_BYTES; i++)
		if (w->argv[i])
			return -EINVAL;
	if (nuls != argc)
		return -EINVAL;
	s->argc = argc;
	s->argv_len = len;
	memcpy(s->argv, w->argv, GUARD_ARGV_BYTES);
	return 0;
}

/* The body of a valid header + CRC into m; -EINVAL for a bad field. */
static int body_in(const uint8_t *buf, struct guard_msg *m)
{
	switch (m->type) {
	case GUARD_MSG_HELLO: {
		const struct gm_hello *w = (const void *)buf;
		m->hello.version = le32toh(w->version);
		m->hello.client_pid = le32toh(w->client_pid);
		return 0;
	}
	case GUARD_MSG_HELLO_REPLY: {
		const struct gm_hello_reply *w = (const void *)buf;
		struct guard_hello_reply *r = &m->hello_reply;
		if (w->reserved)
			return -EINVAL;
		r->version = le32toh(w->version);
		r->guard_pid = le32toh(w->guard_pid);
		r->start_boot_ns = le64toh(w->start_boot_ns);
		r->start_wall_ns = le64toh(w->start_wall_ns);
		r->last_issue_ns = le64toh(w->last_issue_ns);
		r->fence_timeout_ms = le32toh(w->fence_timeout_ms);
		r->w_ms = le32toh(w->w_ms);
		r->flags = le32toh(w->flags);
		r->children = le32toh(w->children);
		return 0;
	}
	case GUARD_MSG_RENEW: {
		const struct gm_renew *w = (const void *)buf;
		m->renew.issue_ns = le64toh(w->issue_ns);
		m->renew.fence_timeout_ms = le32toh(w->fence_timeout_ms);
		m->renew.w_ms = le32toh(w->w_ms);
		return 0;
	}
	case GUARD_MSG_SPAWN:
		return spawn_in((const void *)buf, &m->spawn);
	case GUARD_MSG_KILL: {
		const struct gm_kill *w = (const void *)buf;
		if (!str_in(m->kill.key, w->key, GUARD_KEY_BYTES) || !guard_key_valid(m->kill.key) ||
		    w->reserved)
			return -EINVAL;
		m->kill.signal = (int32_t)le32toh((uint32_t)w->signal);
		return m->kill.signal >= 0 && m->kill.signal <= 64 ? 0 : -EINVAL;
	}
	case GUARD_MSG_LIST:
		return 0;
	case GUARD_MSG_FORGET: {
		const struct gm_key *w = (const void *)buf;
		if (!str_in(m->forget.key, w->key, GUARD_KEY_BYTES) || !guard_key_valid(m->forget.key))
			return -EINVAL;
		return 0;
	}
	case GUARD_MSG_RESULT: {
		const struct gm_result *w = (const void *)buf;
		if (w->reserved || w->reserved2 || !str_in(m->result.text, w->text, GUARD_TEXT_BYTES))
			return -EINVAL;
		m->result.req_type = le16toh(w->req_type);
		m->result.err = (int32_t)le32toh((uint32_t)w->err);
		m->result.pid = (int32_t)le32toh((uint32_t)w->pid);
		return m->result.err >= 0 ? 0 : -EINVAL;
	}
	case GUARD_MSG_CHILD:
	case GUARD_MSG_EXITED:
		return child_in((const void *)buf, &m->child);
	case GUARD_MSG_LIST_END: {
		const struct gm_list_end *w = (const void *)buf;
		if (w->reserved)
			return -EINVAL;
		m->list_end.count = le32toh(w->count);
		return 0;
	}
	default:
		return -ENOMSG;
	}
}

int guard_msg_in(const void *buf, size_t len, struct guard_msg *ret)
{
	const uint8_t *b = buf;
	struct gm_hdr h;
	size_t size;
	uint32_t crc;
	static __thread struct guard_msg m; /* SPAWN is 17 KiB: not on the stack */
	int r;

	if (len < GUARD_HEADER_SIZE + 4)
		return -EMSGSIZE;
	memcpy(&h, b, sizeof(h));
	if (le32toh(h.magic) != GUARD_MAGIC)
		return -EBADMSG;
	if (le16toh(h.version) != GUARD_VERSION)
		return -EPROTO;
	size = guard_msg_size((enum guard_msg_type)le16toh(h.type));
	if (!size)
		return -ENOMSG;
	if (le32toh(h.length) != size || len != size)
		return -EMSGSIZE;
	memcpy(&crc, b + size - 4, 4);
	if (le32toh(crc) != crc32c(0, b, size - 4))
		return -EILSEQ;
	memset(&m, 0, sizeof(m));
	m.type = (enum guard_msg_type)le16toh(h.type);
	m.seq = le32toh(h.seq);
	r = body_in(b, &m);
	if (r < 0)
		return r;
	memcpy(ret, &m, sizeof(m));
	return (int)m.type;
}

const char *guard_msg_strerror(int err)
{
	switch (err) {
	case -EMSGSIZE: return "record size";
	case -EBADMSG: return "bad magic";
	case -EPROTO: return "unsupported version";
	case -ENOMSG: return "unknown record type";
	case -EILSEQ: return "CRC mismatch";
	case -EINVAL: return "bad field";
	default: return "unknown error";
	}
}

const char *guard_msg_type_to_string(int type)
{
	static const char *const names[GUARD_MSG_TYPE_MAX] = {
		[GUARD_MSG_HELLO] = "HELLO",       [GUARD_MSG_HELLO_REPLY] = "HELLO_REPLY",
		[GUARD_MSG_RENEW] = "RENEW",       [GUARD_MSG_SPAWN] = "SPAWN",
		[GUARD_MSG_KILL] = "KILL",         [GUARD_MSG_LIST] = "LIST",
		[GUARD_MSG_FORGET] = "FORGET",     [GUARD_MSG_RESULT] = "RESULT",
		[GUARD_MSG_CHILD] = "CHILD",       [GUARD_MSG_LIST_END] = "LIST_END",
		[GUARD_MSG_EXITED] = "EXITED",
	};
	return type > 0 && type < GUARD_MSG_TYPE_MAX ? names[type] : "?";
}
