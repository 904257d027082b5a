/* guardmsg.h — the records between secd and sec-guard (crd.md §4 "Fencing layers";
 * docs/guard.md has the byte tables and the conversation).
 *
 * One record per SOCK_SEQPACKET message. Every record is fixed-width (its size depends
 * only on its type) and little-endian:
 *
 *     header  magic u32 "SEGD" | version u16 | type u16 | length u32 | seq u32
 *     body    (per type, below; reserved fields and string padding are zero)
 *     crc     u32 CRC32C over header + body
 *
 *     HELLO       (28)    version u32 | client pid u32
 *     HELLO_REPLY (76)    version u32 | guard pid u32 | start boottime ns u64 |
 *                         start wall ns u64 | last issue ns u64 | fence_timeout ms u32 |
 *                         W ms u32 | flags u32 | children u32 | reserved u64
 *     RENEW       (36)    issue CLOCK_BOOTTIME ns u64 | fence_timeout ms u32 | W ms u32
 *     SPAWN       (16940) key[16] | argc u32 | argv_len u32 | out_path[256] | cwd[256] |
 *                         argv[16384] (argc NUL-terminated strings in argv_len bytes)
 *     KILL        (44)    key[16] | signal i32 | reserved u32
 *     LIST        (20)    -
 *     FORGET      (36)    key[16]
 *     RESULT      (228)   request type u16 | reserved u16 | errno i32 (0 = done) |
 *                         pid i32 | reserved u32 | text[192]
 *     CHILD       (68)    key[16] | pid i32 | flags u32 | wait status i32 | reserved u32 |
 *                         start boottime ns u64 | end boottime ns u64      (LIST answer)
 *     LIST_END    (28)    count u32 | reserved u32
 *     EXITED      (68)    as CHILD, sent the moment the guard reaps a child
 *
 * seq: the client numbers its requests (1, 2, ...); every answer (HELLO_REPLY, RESULT,
 * CHILD, LIST_END) carries the seq of its request; EXITED carries 0.
 *
 * Decoders check, in this order and with distinct errors: length below a header + CRC
 * (-EMSGSIZE), magic (-EBADMSG), version (-EPROTO), type (-ENOMSG), length field and
 * buffer length against the type's size (-EMSGSIZE), CRC (-EILSEQ), fields (-EINVAL: a
 * key that is not 1..15 characters of [A-Za-z0-9_$#@-], a string without its NUL or with
 * non-zero padding, reserved bytes not zero, argv not argc strings, a signal outside
 * 0..64, a relative path). They read only len bytes. A record that decodes re-encodes to
 * the same bytes.
 *
 *     struct guard_msg m = { .type = GUARD_MSG_RENEW, .seq = ++seq,
 *                            .renew = { issue_ns, 2000, 500 } };
 *     uint8_t buf[GUARD_MSG_SIZE_MAX];
 *     size_t n = guard_msg_out(&m, buf);           -> send(fd, buf, n, 0)
 *     int type = guard_msg_in(buf, n, &m);         -> GUARD_MSG_RENEW or -errno
 *
 * Pure code: no I/O, no clock, no allocation; thread-safe. */
#ifndef SEC_GUARD_GUARDMSG_H
#define SEC_GUARD_GUARDMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUARD_MAGIC 0x44474553u /* "SEGD" in little-endian byte order */
#define GUARD_VERSION 1
#define GUARD_KEY_BYTES 16    /* a key has 1..15 characters */
#define GUARD_PATH_BYTES 256  /* a path has at most 255 characters */
#define GUARD_ARGV_BYTES 16384
#define GUARD_TEXT_BYTES 192
#define GUARD_HEADER_SIZE 16
#define GUARD_MSG_SIZE_MAX 16940

enum guard_msg_type {
	GUARD_MSG_HELLO = 1,
	GUARD_MSG_HELLO_REPLY,
	GUARD_MSG_RENEW,
	GUARD_MSG_SPAWN,
	GUARD_MSG_KILL,
	GUARD_MSG_LIST,
	GUARD_MSG_FORGET,
	GUARD_MSG_RESULT,
	GUARD_MSG_CHILD,
	GUARD_MSG_LIST_END,
	GUARD_MSG_EXITED,
	GUARD_MSG_TYPE_MAX
};

/* HELLO_REPLY flags */
#define GUARD_HELLO_RENEWED 0x1u /* a renewal has been received since the guard started */
#define GUARD_HELLO_FRESH 0x2u   /* the last renewal is younger than its fence_timeout */
#define GUARD_HELLO_FENCED 0x4u  /* the guard fenced guests since it started */

/* CHILD / EXITED flags */
#define GUARD_CHILD_RUNNING 0x1u /* not yet reaped; status and end time are 0 */
#define GUARD_CHILD_FENCED 0x2u  /* killed by the guard because renewals stopped */

struct guard_hello {
	uint32_t version;
	uint32_t client_pid;
};

struct guard_hello_reply {
	uint32_t version;
	uint32_t guard_pid;
	uint64_t start_boot_ns;  /* CLOCK_BOOTTIME when the guard started: pid + this = instance */
	uint64_t start_wall_ns;  /* CLOCK_REALTIME of the same moment, display only */
	uint64_t last_issue_ns;  /* issue time of the last accepted renewal, 0 = none */
	uint32_t fence_timeout_ms;
	uint32_t w_ms;
	uint32_t flags;          /* GUARD_HELLO_* */
	uint32_t children;       /* entries LIST would return */
};

struct guard_renew {
	uint64_t issue_ns;       /* CLOCK_BOOTTIME of the renewal's issue (secd's slot write) */
	uint32_t fence_timeout_ms;
	uint32_t w_ms;           /* watchdog timeout W */
};

struct guard_spawn {
	char key[GUARD_KEY_BYTES];
	uint32_t argc;           /* >= 1 */
	uint32_t argv_len;       /* bytes of argv used, each string with its NUL */
	char out_path[GUARD_PATH_BYTES]; /* stdout+stderr, appended; "" = /dev/null */
	char cwd[GUARD_PATH_BYTES];      /* "" = the guard's data directory */
	char argv[GUARD_ARGV_BYTES];     /* argv[0] is looked up in PATH when it has no '/' */
};

struct guard_kill {
	char key[GUARD_KEY_BYTES];
	int32_t signal;          /* 0..64; 0 only checks that the child runs */
};

struct guard_key {
	char key[GUARD_KEY_BYTES];
};

struct guard_result {
	uint16_t req_type;       /* enum guard_msg_type of the request answered */
	int32_t err;             /* 0, or a positive errno */
	int32_t pid;             /* SPAWN: the child's pid; else 0 */
	char text[GUARD_TEXT_BYTES]; /* why it failed, for people; "" on success */
};

struct guard_child {
	char key[GUARD_KEY_BYTES];
	int32_t pid;
	uint32_t flags;          /* GUARD_CHILD_* */
	int32_t status;          /* wait status (WIFEXITED ...) once reaped */
	uint64_t start_boot_ns;
	uint64_t end_boot_ns;    /* when reaped, 0 while running */
};

struct guard_list_end {
	uint32_t count;          /* CHILD records sent before it */
};

struct guard_msg {
	enum guard_msg_type type;
	uint32_t seq;
	union {
		struct guard_hello hello;
		struct guard_hello_reply hello_reply;
		struct guard_renew renew;
		struct guard_spawn spawn;
		struct guard_kill kill;
		struct guard_key forget;
		struct guard_result result;
		struct guard_child child;   /* CHILD and EXITED */
		struct guard_list_end list_end;
	};
};

/* The wire size of a record of `type`, 0 for an unknown type. */
size_t guard_msg_size(enum guard_msg_type type);
/* Encodes m into buf (at least guard_msg_size(m->type) bytes); returns that size, or 0
 * for an unknown type. Strings are cut to their field; no field is checked. */
size_t guard_msg_out(const struct guard_msg *m, uint8_t *buf);
/* Decodes buf[0..len-1]; returns the type, or the errors of the header comment. *ret is
 * written only on success. */
int guard_msg_in(const void *buf, size_t len, struct guard_msg *ret);

/* Whether key is 1..15 characters of [A-Za-z0-9_$#@-] (it names a file in fenced/). */
bool guard_key_valid(const char *key);
/* Fills s->argv/argc/argv_len from a NULL-terminated argv. Returns 0, -EINVAL for an
 * empty argv, -E2BIG when the strings do not fit GUARD_ARGV_BYTES. */
int guard_spawn_set_argv(struct guard_spawn *s, const char *const *argv);
/* A reason for people and logs: "record size", "bad magic", ...; static. */
const char *guard_msg_strerror(int err);
/* "HELLO", "RENEW", ...; "?" for anything else. */
const char *guard_msg_type_to_string(int type);

#endif
