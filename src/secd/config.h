/* config.h — the local configuration of one secd unit: an INI file, driven by one typed
 * option table (issue 3 "The daemon secd"; architecture.md §2; crd.md §1, §8; status.md §1).
 *
 *   struct secd_config c;
 *   struct sec_err err;
 *   if (secd_config_load("/etc/secd.conf", &c, &err) < 0)
 *           fatalx("%s", err.msg);  // "secd.conf:12: key 'io_timeout': '0.3x' is not a duration"
 *   secd_config_print(&c, stdout);  // `secd -n`: every key, defaults filled, durations in ms
 *
 * The table (secd_config_options()) is the single source of every key: its section, type
 * (string, path, uint, duration, bool, enum, address, path list), default, help text and
 * offset into struct secd_config. Parsing, validation, the normalised print and the
 * documentation (secd_config_doc(), docs/secd-config.md) all walk it.
 *
 * Rules: unknown sections and keys are errors, a key given twice is an error, a required key
 * that is missing is an error; every error names the file, the line (where there is one) and
 * the key. Paths must be absolute. Durations take parse_duration_ms() forms ("250ms", "0.5s",
 * "2s") and print in ms. The [timing] values start from the named profile (crd.md §8) and
 * each key given overrides one value; the result must pass crd_timing_validate(). The
 * normalised print parses back to the same configuration (golden round trip). */
#ifndef SEC_SECD_CONFIG_H
#define SEC_SECD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crd/ondisk.h"
#include "crd/timing.h"
#include "lib/err.h"

#define SECD_STR_MAX 128   /* bytes of a string value, NUL included */
#define SECD_PATH_MAX 1024 /* bytes of a path value, NUL included */

enum secd_role {
	SECD_ROLE_MU = 0,
	SECD_ROLE_SU,
	SECD_ROLE_MAX
};

enum secd_su_type {
	SECD_SU_TYPE_NONE = 0, /* an MU */
	SECD_SU_TYPE_X86,
	SECD_SU_TYPE_390,
	SECD_SU_TYPE_MAX
};

struct secd_config {
	/* [unit] */
	char name[SECD_STR_MAX];
	char se_server[SECD_STR_MAX];
	int role;    /* enum secd_role */
	int su_type; /* enum secd_su_type; SU only */
	uint32_t unit_id; /* 1..256 */
	char data_dir[SECD_PATH_MAX];
	/* [crd] */
	char internal[SECD_PATH_MAX]; /* "" = none */
	char external[CRD_SET_DISKS_MAX][SECD_PATH_MAX];
	uint32_t n_external; /* 1 or 2 */
	bool unsafe_crd_fs;
	/* [net] "host:port" normalised ("127.0.0.1:7001", "[::1]:7001") */
	char api_listen[SECD_STR_MAX];
	char heartbeat_listen[SECD_STR_MAX];
	/* [cluster] */
	char key_file[SECD_PATH_MAX]; /* default: data_dir/cluster.key */
	/* [timing] */
	int profile;		 /* enum crd_profile */
	bool profile_defaulted;	 /* key 'profile' not in the file: the default 'lab' */
	struct crd_timing timing; /* effective: the profile plus the overrides */
	uint32_t hb_interval_ms;
	uint32_t hb_misses;
	/* [su] (SU only; vm2000.md §1) */
	uint32_t su_memory_mib;
	uint32_t su_lm_bandwidth_mib; /* LM copy bandwidth from this SU, MiB/s */
	bool su_lm_tcg_live;          /* TCG: live pre-copy (risky on QEMU 7.2) */
	uint32_t su_lm_converge_ms;   /* the copy's allowed time (VMS2425 on /390), ms */
	uint32_t su_cpus;
	uint32_t su_max_vms;
	uint32_t su_max_vm_definitions;
	char su_io_config[SECD_PATH_MAX];    /* default data_dir/io.conf */
	int su_accel;                        /* enum secd_accel */
	int su_mighost;                      /* 0 ipl, 1 current */
	char su_ipl_append[SECD_STR_MAX];    /* -append of a Multiboot IPL ("" none) */
	char su_qemu[SECD_STR_MAX];
	char su_guard_socket[SECD_PATH_MAX]; /* default data_dir/guard.sock */
};

enum secd_accel {
	SECD_ACCEL_AUTO = 0,
	SECD_ACCEL_KVM,
	SECD_ACCEL_TCG,
	SECD_ACCEL_MAX
};

enum secd_opt_type {
	SECD_OPT_STRING = 1,
	SECD_OPT_PATH,     /* absolute path */
	SECD_OPT_PATHS,    /* one or two absolute paths, comma-separated (external) */
	SECD_OPT_UINT,     /* uint32_t within [min, max] */
	SECD_OPT_DURATION, /* uint32_t ms within [min, max] */
	SECD_OPT_BOOL,     /* true|false|yes|no|on|off|1|0; prints true|false */
	SECD_OPT_ENUM,     /* int index into names */
	SECD_OPT_ADDRESS,  /* IPv4:port or [IPv6]:port */
	SECD_OPT_TYPE_MAX
};

enum secd_opt_flags {
	SECD_OPT_REQUIRED = 1u << 0, /* no default: must be given */
	SECD_OPT_RESTART = 1u << 1,  /* SIGHUP keeps the old value ("needs a restart") */
	SECD_OPT_TIMING = 1u << 2,   /* a crd_timing override; default from the profile */
};

struct secd_option {
	const char *section;
	const char *key;
	enum secd_opt_type type;
	const char *def;   /* default as written in a file; NULL with SECD_OPT_REQUIRED */
	unsigned flags;    /* enum secd_opt_flags */
	size_t offset;     /* into struct secd_config */
	uint32_t min, max; /* UINT and DURATION (ms) */
	const char *const *names; /* ENUM: NULL-terminated */
	const char *help;
};

/* The option table; *ret_n entries. Static storage. */
const struct secd_option *secd_config_options(size_t *ret_n);
/* The option of section/key, or NULL. */
const struct secd_option *secd_config_option(const char *section, const char *key);

/* Reads and checks path. Returns 0 and *ret (every key set: given, default or derived), or
 * -ENOENT/-errno (cannot open) or -EINVAL with reterr "FILE:LINE: key 'k': why" (the line
 * is left out where there is none, e.g. a missing key). *ret is written only on success. */
int secd_config_load(const char *path, struct secd_config *ret, struct sec_err *reterr);
/* The same for text in memory; name is used in messages in place of the file name. */
int secd_config_parse_string(const char *name, const char *text, struct secd_config *ret,
			     struct sec_err *reterr);

/* Writes the normalised configuration: every section and key of the table in table order,
 * "key = value", durations in ms ("300ms"), booleans true|false. It parses back to *c. */
void secd_config_print(const struct secd_config *c, FILE *out);
/* Writes one key's normalised value into buf (size bytes). Returns 0 or -ENOSPC. */
int secd_config_value(const struct secd_config *c, const struct secd_option *o, char *buf,
		      size_t size);
/* Copies option o's value from src to dst (SIGHUP keeps a restart-only value). */
void secd_config_copy_option(struct secd_config *dst, const struct secd_config *src,
			     const struct secd_option *o);
/* True when the two configurations are equal key by key (what SIGHUP compares). */
bool secd_config_equal(const struct secd_config *a, const struct secd_config *b);
/* Writes the reference of every key as Markdown (docs/secd-config.md). */
void secd_config_doc(FILE *out);

const char *secd_role_to_string(enum secd_role r); /* "MU", "SU" */

#endif
