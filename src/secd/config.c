/* config.c — the option table of secd and its INI parser (see config.h). */
#include "secd/config.h"
#include "lib/addr.h"

#include "lib/parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <ini.h>
#include <string.h>

#define OFF(f) offsetof(struct secd_config, f)
#define TOFF(f) (offsetof(struct secd_config, timing) + offsetof(struct crd_timing, f))
#define HOUR_MS 3600000u

static const char *const role_names[] = {"mu", "su", NULL};
static const char *const su_type_names[] = {"none", "x86", "390", NULL};
static const char *const profile_names[] = {"test", "lab", "production", NULL};
static const char *const section_names[] = {"unit", "crd", "net", "cluster", "timing", "su", NULL};
static const char *const accel_names[] = {"auto", "kvm", "tcg", NULL};
static const char *const mighost_names[] = {"ipl", "current", NULL};

enum { R = SECD_OPT_REQUIRED, RS = SECD_OPT_RESTART, T = SECD_OPT_TIMING };

/* The one table: parse, validate, print (-n) and docs walk it. */
static const struct secd_option options[] = {
	{"unit", "name", SECD_OPT_STRING, NULL, R, OFF(name), 0, 0, NULL,
	 "the unit's name, shown in statuses, events and logs (e.g. 'mu1')"},
	{"unit", "se_server", SECD_OPT_STRING, NULL, R, OFF(se_server), 0, 0, NULL,
	 "the SE Server this unit belongs to (seed 2.1)"},
	{"unit", "role", SECD_OPT_ENUM, NULL, R | RS, OFF(role), 0, 0, role_names,
	 "mu (Management Unit) or su (Server Unit); must match --role"},
	{"unit", "su_type", SECD_OPT_ENUM, "none", RS, OFF(su_type), 0, 0, su_type_names,
	 "SU only: x86 or 390; an MU has none"},
	{"unit", "unit_id", SECD_OPT_UINT, NULL, R | RS, OFF(unit_id), 1, CRD_UNITS_MAX, NULL,
	 "the unit id, 1..256: its slot and region on the CRD (crd.md §2)"},
	{"unit", "data_dir", SECD_OPT_PATH, NULL, R | RS, OFF(data_dir), 0, 0, NULL,
	 "the unit's data directory: identity, lock, local databases (locked exclusively)"},
	{"crd", "internal", SECD_OPT_PATH, "", RS, OFF(internal), 0, 0, NULL,
	 "the unit's internal CRD disk (file or block device); empty = none"},
	{"crd", "external", SECD_OPT_PATHS, NULL, R | RS, OFF(external), 0, 0, NULL,
	 "the external CRD disks, one or two paths separated by ','; they must be the disk set "
	 "recorded on the CRD (crd.md §1)"},
	{"crd", "unsafe_crd_fs", SECD_OPT_BOOL, "false", RS, OFF(unsafe_crd_fs), 0, 0, NULL,
	 "accept external disk files on a local file system (safe only when every unit runs on "
	 "one host: the lab and the tests)"},
	{"net", "api_listen", SECD_OPT_ADDRESS, NULL, R, OFF(api_listen), 0, 0, NULL,
	 "address:port of the REST API (IPv4:port or [IPv6]:port)"},
	{"net", "heartbeat_listen", SECD_OPT_ADDRESS, NULL, R, OFF(heartbeat_listen), 0, 0, NULL,
	 "address:port of the UDP network heartbeat"},
	{"cluster", "key_file", SECD_OPT_PATH, "", 0, OFF(key_file), 0, 0, NULL,
	 "the cluster key (HMAC of heartbeats and unit-to-unit calls); empty = "
	 "DATA_DIR/cluster.key"},
	{"timing", "profile", SECD_OPT_ENUM, "lab", 0, OFF(profile), 0, 0, profile_names,
	 "timing profile of crd.md §8: test, lab or production; the keys below override it"},
	{"timing", "renew_interval", SECD_OPT_DURATION, "", T, TOFF(renew_ms), 1, HOUR_MS, NULL,
	 "alive-message and lease renewal interval"},
	{"timing", "io_timeout", SECD_OPT_DURATION, "", T | RS, TOFF(io_ms), 1, HOUR_MS, NULL,
	 "a CRD I/O that takes longer makes its disk NOT_ACCESSIBLE"},
	{"timing", "margin", SECD_OPT_DURATION, "", T | RS, TOFF(margin_ms), 1, HOUR_MS, NULL,
	 "safety margin of the lease validity (>= io_timeout)"},
	{"timing", "lease_timeout", SECD_OPT_DURATION, "", T | RS, TOFF(lease_ms), 1, HOUR_MS,
	 NULL, "master lease timeout (> renew_interval + 2 x io_timeout + margin)"},
	{"timing", "claim_delay", SECD_OPT_DURATION, "", T | RS, TOFF(claim_ms), 1, HOUR_MS, NULL,
	 "wait between a lease claim and its re-read (>= 2 x io_timeout)"},
	{"timing", "fence_timeout", SECD_OPT_DURATION, "", T, TOFF(fence_ms), 1, HOUR_MS, NULL,
	 "an SU fences its guests after this long without a renewal "
	 "(>= 2 x (renew_interval + 2 x io_timeout))"},
	{"timing", "watchdog", SECD_OPT_DURATION, "", T, TOFF(watchdog_ms), 1, HOUR_MS, NULL,
	 "watchdog timeout W of the SU's guard"},
	{"timing", "stall_timeout", SECD_OPT_DURATION, "", T, TOFF(stall_ms), 1, HOUR_MS, NULL,
	 "bound of a Live Migration phase in which nothing moves"},
	{"timing", "hb_interval", SECD_OPT_DURATION, "1s", 0, OFF(hb_interval_ms), 10, HOUR_MS,
	 NULL, "network heartbeat interval of the Master MU (status.md §1)"},
	{"timing", "hb_misses", SECD_OPT_UINT, "3", 0, OFF(hb_misses), 1, 100, NULL,
	 "missed heartbeat replies in a row before a unit is NOT_ACCESSIBLE (status.md §1)"},
	{"su", "memory_mib", SECD_OPT_UINT, "4096", RS, OFF(su_memory_mib), 64, 16777216, NULL,
	 "SU only: main memory for guests, MiB (vm2000.md §1)"},
	{"su", "cpus", SECD_OPT_UINT, "2", RS, OFF(su_cpus), 1, 1024, NULL,
	 "SU only: real CPUs for guests (the CPU pool *STDPOOL)"},
	{"su", "max_vms", SECD_OPT_UINT, "32", RS, OFF(su_max_vms), 1, 98, NULL,
	 "SU only: initialized VMs (guests) at most"},
	{"su", "max_vm_definitions", SECD_OPT_UINT, "98", RS, OFF(su_max_vm_definitions), 1, 98,
	 NULL, "SU only: VM definitions at most (VMS2311 beyond)"},
	{"su", "io_config", SECD_OPT_PATH, "", RS, OFF(su_io_config), 0, 0, NULL,
	 "SU only: the I/O configuration (device table, docs/su.md); empty = DATA_DIR/io.conf"},
	{"su", "accel", SECD_OPT_ENUM, "auto", RS, OFF(su_accel), 0, 0, accel_names,
	 "SU only: QEMU accelerator: auto (KVM only where /dev/kvm works and the CPU has "
	 "vmx/svm), kvm or tcg"},
	{"su", "qemu", SECD_OPT_STRING, "qemu-system-x86_64", RS, OFF(su_qemu), 0, 0, NULL,
	 "SU only: the QEMU binary (looked up in PATH when not absolute)"},
	{"su", "lm_bandwidth_mib", SECD_OPT_UINT, "4096", RS, OFF(su_lm_bandwidth_mib), 1, 1048576,
	 NULL, "SU only: bandwidth of a Live Migration's memory copy from this SU, MiB/s (QEMU "
	 "max-bandwidth; QEMU's own default of 128 MiB/s is raised)"},
	{"su", "lm_converge_ms", SECD_OPT_UINT, "30000", RS, OFF(su_lm_converge_ms), 1000, 3600000,
	 NULL, "SU only: a Live Migration's memory copy that has not converged after this many ms "
	 "is aborted with VMS2425 on an SU /390; an SU x86 raises the downtime limit instead"},
	{"su", "lm_tcg_live", SECD_OPT_BOOL, "false", RS, OFF(su_lm_tcg_live), 0, 0, NULL,
	 "SU only: under TCG, copy a live migration's memory while the guest runs (QEMU 7.2's "
	 "TCG loses dirty pages then, docs/qemu.md); false: the guest is stopped for the copy"},
	{"su", "ipl_append", SECD_OPT_STRING, "none", RS, OFF(su_ipl_append), 0, 0, NULL,
	 "SU only: the kernel command line of a guest booted from a Multiboot IPL disk (the demo "
	 "guest's report_ms=, dirty_kib=, ws_kib=; the lab and bench/lm use it); none = no command line"},
	{"su", "mighost", SECD_OPT_ENUM, "ipl", RS, OFF(su_mighost), 0, 0, mighost_names,
	 "SU only: the system parameter MIGHOST of its guests (seed 4.5): after a live "
	 "migration /SHOW-SYSTEM-INFORMATION shows the IPL host (ipl, NSI6231) or the current "
	 "host (current, NSI6232)"},
	{"su", "guard_socket", SECD_OPT_PATH, "", RS, OFF(su_guard_socket), 0, 0, NULL,
	 "SU only: the socket of this SU's sec-guard; empty = DATA_DIR/guard.sock"},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

const struct secd_option *secd_config_options(size_t *ret_n)
{
	*ret_n = N_OPTIONS;
	return options;
}

const struct secd_option *secd_config_option(const char *section, const char *key)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (!strcmp(options[i].section, section) && !strcmp(options[i].key, key))
			return &options[i];
	return NULL;
}

const char *secd_role_to_string(enum secd_role r)
{
	return r == SECD_ROLE_MU ? "MU" : r == SECD_ROLE_SU ? "SU" : "?";
}

static size_t opt_size(const struct secd_option *o)
{
	return o->type == SECD_OPT_PATH || o->type == SECD_OPT_PATHS ? SECD_PATH_MAX
								      : SECD_STR_MAX;
}

/* ---- values ---- */

static int addr_normalise(const char *s, char *out, size_t size)
{
	return sec_addr_normalise(s, false, out, size) < 0 ? -EINVAL : 0;
}

static bool bool_parse(const char *v, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
										     "off", "0"};
	for (int i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return *ret = true;
		if (!strcmp(v, no[i])) {
			*ret = false;
			return true;
		}
	}
	return false;
}

static bool path_ok(const char *v)
{
	return v[0] == '/';
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/* Sets option o of c from text v; on error fills why (without file, line or key). */
static int opt_set(struct secd_config *c, const struct secd_option *o, const char *v,
		   char *why, size_t wsize)
{
	char *p = (char *)c + o->offset;
	uint64_t u;

	switch (o->type) {
	case SECD_OPT_STRING:
	case SECD_OPT_PATH:
		if (!*v && o->type == SECD_OPT_STRING)
			return snprintf(why, wsize, "must not be empty"), -EINVAL;
		if (*v && o->type == SECD_OPT_PATH && !path_ok(v))
			return snprintf(why, wsize, "'%s' is not an absolute path", v), -EINVAL;
		for (const char *q = v; *q; q++)
			if (iscntrl((unsigned char)*q))
				return snprintf(why, wsize, "holds a control character"), -EINVAL;
		if (strlen(v) >= opt_size(o))
			return snprintf(why, wsize, "longer than %zu bytes", opt_size(o) - 1), -EINVAL;
		strcpy(p, v);
		return 0;
	case SECD_OPT_PATHS: {
		char list[2 * SECD_PATH_MAX + 2], *rest, *tok;
		char(*ext)[SECD_PATH_MAX] = (void *)p;
		uint32_t n = 0;
		if (strlen(v) >= sizeof(list))
			return snprintf(why, wsize, "too long"), -EINVAL;
		strcpy(list, v);
		rest = list;
		while ((tok = strsep(&rest, ","))) {
			trim(tok);
			if (!*tok)
				return snprintf(why, wsize, "an empty path in the list (a ',' too many?)"),
				       -EINVAL;
			if (n == CRD_SET_DISKS_MAX)
				return snprintf(why, wsize, "more than %u paths (a disk set has 1 or 2 "
						"disks)", CRD_SET_DISKS_MAX), -EINVAL;
			if (!path_ok(tok))
				return snprintf(why, wsize, "'%s' is not an absolute path", tok), -EINVAL;
			if (strlen(tok) >= SECD_PATH_MAX)
				return snprintf(why, wsize, "a path is longer than %d bytes",
						SECD_PATH_MAX - 1), -EINVAL;
			strcpy(ext[n++], tok);
		}
		if (!n)
			return snprintf(why, wsize, "must name 1 or 2 disks"), -EINVAL;
		if (n == 2 && !strcmp(ext[0], ext[1]))
			return snprintf(why, wsize, "'%s' is given twice", ext[0]), -EINVAL;
		c->n_external = n;
		return 0;
	}
	case SECD_OPT_UINT:
		if (parse_u64(v, &u) < 0)
			return snprintf(why, wsize, "'%s' is not a number", v), -EINVAL;
		if (u < o->min || u > o->max)
			return snprintf(why, wsize, "'%s' is out of range %u..%u", v, o->min, o->max),
			       -EINVAL;
		*(uint32_t *)(void *)p = (uint32_t)u;
		return 0;
	case SECD_OPT_DURATION:
		if (parse_duration_ms(v, &u) < 0)
			return snprintf(why, wsize, "'%s' is not a duration", v), -EINVAL;
		if (u < o->min || u > o->max)
			return snprintf(why, wsize, "'%s' is out of range %ums..%ums", v, o->min,
					o->max), -EINVAL;
		*(uint32_t *)(void *)p = (uint32_t)u;
		return 0;
	case SECD_OPT_BOOL:
		if (!bool_parse(v, (bool *)(void *)p))
			return snprintf(why, wsize, "'%s' is not a boolean (true or false)", v),
			       -EINVAL;
		return 0;
	case SECD_OPT_ENUM:
		for (int i = 0; o->names[i]; i++)
			if (!strcmp(v, o->names[i])) {
				*(int *)(void *)p = i;
				return 0;
			}
		{
			int n = snprintf(why, wsize, "'%s' is not one of ", v);
			for (int i = 0; o->names[i] && n > 0 && (size_t)n < wsize; i++)
				n += snprintf(why + n, wsize - (size_t)n, "%s%s", i ? ", " : "",
					      o->names[i]);
		}
		return -EINVAL;
	case SECD_OPT_ADDRESS:
		if (addr_normalise(v, p, opt_size(o)) < 0)
			return snprintf(why, wsize, "'%s' is not an address (IPv4:port or "
					"[IPv6]:port)", v), -EINVAL;
		return 0;
	default:
		return snprintf(why, wsize, "unknown type"), -EINVAL;
	}
}

int secd_config_value(const struct secd_config *c, const struct secd_option *o, char *buf,
		      size_t size)
{
	const char *p = (const char *)c + o->offset;
	int n;

	switch (o->type) {
	case SECD_OPT_STRING:
	case SECD_OPT_PATH:
	case SECD_OPT_ADDRESS:
		n = snprintf(buf, size, "%s", p);
		break;
	case SECD_OPT_PATHS:
		n = snprintf(buf, size, "%s", c->external[0]);
		for (uint32_t i = 1; i < c->n_external && n >= 0 && (size_t)n < size; i++)
			n += snprintf(buf + n, size - (size_t)n, ",%s", c->external[i]);
		break;
	case SECD_OPT_UINT:
		n = snprintf(buf, size, "%u", *(const uint32_t *)(const void *)p);
		break;
	case SECD_OPT_DURATION:
		n = snprintf(buf, size, "%ums", *(const uint32_t *)(const void *)p);
		break;
	case SECD_OPT_BOOL:
		n = snprintf(buf, size, "%s", *(const bool *)(const void *)p ? "true" : "false");
		break;
	case SECD_OPT_ENUM:
		n = snprintf(buf, size, "%s", o->names[*(const int *)(const void *)p]);
		break;
	default:
		n = -1;
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* ---- parsing ---- */

struct cfg_parse {
	const char *name;    /* the file name in messages */
	FILE *f;             /* or: */
	const char *text;    /* the rest of an in-memory text */
	int line;
	bool failed;
	struct sec_err *reterr;
	int set_line[N_OPTIONS];
	struct secd_config c;
};

static void cfg_fail(struct cfg_parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfg_fail(struct cfg_parse *p, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		sec_errf(p->reterr, -EINVAL, "%s:%d: %s", p->name, line, msg);
	else
		sec_errf(p->reterr, -EINVAL, "%s: %s", p->name, msg);
}

static bool section_known(const char *s)
{
	for (int i = 0; section_names[i]; i++)
		if (!strcmp(s, section_names[i]))
			return true;
	return false;
}

/* inih's line reader: counts lines, refuses long lines and unknown sections, and strips
 * leading blanks (so that inih never sees a continuation line). */
static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parse *p = stream;
	size_t len;

	if (p->failed)
		return NULL;
	if (p->f) {
		if (!fgets(str, num, p->f))
			return NULL;
	} else {
		if (!*p->text)
			return NULL;
		const char *nl = strchr(p->text, '\n');
		size_t n = nl ? (size_t)(nl - p->text) + 1 : strlen(p->text);
		if (n > (size_t)num - 1)
			n = (size_t)num - 1;
		memcpy(str, p->text, n);
		str[n] = '\0';
		p->text += n;
	}
	p->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n') {
		cfg_fail(p, p->line, "line longer than %d bytes", num - 3);
		return NULL;
	}
	trim(str);
	if (str[0] == '[') {
		char *close = strchr(str, ']');
		if (close) {
			*close = '\0';
			bool known = section_known(str + 1);
			if (!known)
				cfg_fail(p, p->line, "unknown section '[%s]'", str + 1);
			*close = ']';
			if (!known)
				return NULL;
		}
	}
	strcat(str, "\n");
	return str;
}

static int cfg_handler(void *user, const char *section, const char *key, const char *value)
{
	struct cfg_parse *p = user;
	const struct secd_option *o;
	char why[300];

	if (p->failed)
		return 1;
	if (!*section) {
		cfg_fail(p, p->line, "key '%s' outside any section", key);
		return 1;
	}
	o = secd_config_option(section, key);
	if (!o) {
		cfg_fail(p, p->line, "unknown key '%s' in [%s]", key, section);
		return 1;
	}
	size_t i = (size_t)(o - options);
	if (p->set_line[i]) {
		cfg_fail(p, p->line, "key '%s' given twice (first on line %d)", key, p->set_line[i]);
		return 1;
	}
	if (opt_set(&p->c, o, value, why, sizeof(why)) < 0) {
		cfg_fail(p, p->line, "key '%s': %s", key, why);
		return 1;
	}
	p->set_line[i] = p->line;
	return 1;
}

/* Defaults, derived values and the rules between keys. */
static void cfg_finish(struct cfg_parse *p)
{
	struct secd_config *c = &p->c;
	struct crd_timing t;
	struct sec_err terr;
	int tline = 0;
	char why[300];

	for (size_t i = 0; i < N_OPTIONS && !p->failed; i++) {
		const struct secd_option *o = &options[i];
		if (p->set_line[i]) {
			if (o->flags & SECD_OPT_TIMING || !strcmp(o->key, "profile"))
				tline = p->set_line[i] > tline ? p->set_line[i] : tline;
			continue;
		}
		if (o->flags & SECD_OPT_REQUIRED)
			cfg_fail(p, 0, "key '%s' in [%s] is missing", o->key, o->section);
		else if (!(o->flags & SECD_OPT_TIMING) && opt_set(c, o, o->def, why, sizeof(why)) < 0)
			cfg_fail(p, 0, "default of key '%s': %s", o->key, why); /* a table bug */
	}
	if (p->failed)
		return;
	c->profile_defaulted = !p->set_line[secd_config_option("timing", "profile") - options];
	const struct secd_option *st = secd_config_option("unit", "su_type");
	int st_line = p->set_line[st - options];
	if (c->role == SECD_ROLE_SU && c->su_type == SECD_SU_TYPE_NONE)
		cfg_fail(p, st_line, "key 'su_type' in [unit] is missing: an SU is x86 or 390");
	if (c->role == SECD_ROLE_MU && c->su_type != SECD_SU_TYPE_NONE)
		cfg_fail(p, st_line, "key 'su_type': an MU has no SU type (none)");
	if (!c->key_file[0] &&
	    (size_t)snprintf(c->key_file, sizeof(c->key_file), "%s/cluster.key", c->data_dir) >=
		    sizeof(c->key_file))
		cfg_fail(p, 0, "key 'key_file': data_dir/cluster.key is too long");
	if (!c->su_io_config[0] &&
	    (size_t)snprintf(c->su_io_config, sizeof(c->su_io_config), "%s/io.conf", c->data_dir) >=
		    sizeof(c->su_io_config))
		cfg_fail(p, 0, "key 'io_config': data_dir/io.conf is too long");
	if (!c->su_guard_socket[0] &&
	    (size_t)snprintf(c->su_guard_socket, sizeof(c->su_guard_socket), "%s/guard.sock",
			     c->data_dir) >= sizeof(c->su_guard_socket))
		cfg_fail(p, 0, "key 'guard_socket': data_dir/guard.sock is too long");
	/* timings: the profile, then every override given */
	t = crd_timing_profile((enum crd_profile)c->profile);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct secd_option *o = &options[i];
		if (!(o->flags & SECD_OPT_TIMING) || !p->set_line[i])
			continue;
		size_t toff = o->offset - offsetof(struct secd_config, timing);
		memcpy((char *)&t + toff, (char *)c + o->offset, sizeof(uint32_t));
	}
	c->timing = t;
	if (!p->failed && crd_timing_validate(&t, &terr) < 0)
		cfg_fail(p, tline, "[timing]: %s", terr.msg);
}

static int cfg_run(struct cfg_parse *p, struct secd_config *ret)
{
	int r = ini_parse_stream(cfg_reader, p, cfg_handler, p);

	if (!p->failed && r > 0)
		cfg_fail(p, r, "syntax error: expected 'key = value' or '[section]'");
	if (!p->failed && r < 0)
		cfg_fail(p, 0, "cannot parse (out of memory)");
	if (!p->failed)
		cfg_finish(p);
	if (p->failed)
		return -EINVAL;
	*ret = p->c;
	return 0;
}

int secd_config_load(const char *path, struct secd_config *ret, struct sec_err *reterr)
{
	struct cfg_parse *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return sec_errf(reterr, -ENOMEM, "%s: out of memory", path);
	p->name = path;
	p->reterr = reterr;
	p->f = fopen(path, "re");
	if (!p->f) {
		r = -errno;
		free(p);
		return sec_errf(reterr, r, "cannot open '%s': %s", path, strerror(-r));
	}
	r = cfg_run(p, ret);
	fclose(p->f);
	free(p);
	return r;
}

int secd_config_parse_string(const char *name, const char *text, struct secd_config *ret,
			     struct sec_err *reterr)
{
	struct cfg_parse *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return sec_errf(reterr, -ENOMEM, "%s: out of memory", name);
	p->name = name;
	p->text = text;
	p->reterr = reterr;
	r = cfg_run(p, ret);
	free(p);
	return r;
}

/* ---- print, compare, docs ---- */

void secd_config_print(const struct secd_config *c, FILE *out)
{
	const char *section = NULL;
	char v[2 * SECD_PATH_MAX + 2];

	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct secd_option *o = &options[i];
		if (!section || strcmp(section, o->section))
			fprintf(out, "%s[%s]\n", section ? "\n" : "", o->section);
		section = o->section;
		if (secd_config_value(c, o, v, sizeof(v)) == 0)
			fprintf(out, "%s = %s\n", o->key, v);
	}
}

void secd_config_copy_option(struct secd_config *dst, const struct secd_config *src,
			     const struct secd_option *o)
{
	size_t size;

	switch (o->type) {
	case SECD_OPT_PATHS:
		memcpy(dst->external, src->external, sizeof(dst->external));
		dst->n_external = src->n_external;
		return;
	case SECD_OPT_UINT:
	case SECD_OPT_DURATION: size = sizeof(uint32_t); break;
	case SECD_OPT_BOOL: size = sizeof(bool); break;
	case SECD_OPT_ENUM: size = sizeof(int); break;
	default: size = opt_size(o);
	}
	memcpy((char *)dst + o->offset, (const char *)src + o->offset, size);
}

bool secd_config_equal(const struct secd_config *a, const struct secd_config *b)
{
	char va[2 * SECD_PATH_MAX + 2], vb[2 * SECD_PATH_MAX + 2];

	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (secd_config_value(a, &options[i], va, sizeof(va)) < 0 ||
		    secd_config_value(b, &options[i], vb, sizeof(vb)) < 0 || strcmp(va, vb))
			return false;
	}
	return true;
}

static const char *type_doc(const struct secd_option *o, char *buf, size_t size)
{
	switch (o->type) {
	case SECD_OPT_STRING: return "string";
	case SECD_OPT_PATH: return "absolute path";
	case SECD_OPT_PATHS: return "1 or 2 absolute paths, ','";
	case SECD_OPT_UINT: snprintf(buf, size, "number %u..%u", o->min, o->max); return buf;
	case SECD_OPT_DURATION: return "duration";
	case SECD_OPT_BOOL: return "boolean";
	case SECD_OPT_ADDRESS: return "address:port";
	case SECD_OPT_ENUM: {
		int n = 0;
		for (int i = 0; o->names[i] && (size_t)n < size; i++)
			n += snprintf(buf + n, size - (size_t)n, "%s%s", i ? " \\| " : "",
				      o->names[i]);
		return buf;
	}
	default: return "?";
	}
}

void secd_config_doc(FILE *out)
{
	const char *section = NULL;
	char tb[128];

	fprintf(out, "# secd configuration\n\n"
		     "<!-- generated by `secd --config-doc` from the option table in "
		     "src/secd/config.c; do not edit -->\n\n"
		     "`secd --role mu|su --config FILE` reads an INI file; `secd -n --config FILE` "
		     "checks it and prints it normalised (every key, defaults filled, durations in "
		     "ms), exit 0, or prints the error naming the file, the line and the key, exit "
		     "2; for an SU it also reads the I/O configuration (`io_config`: an error "
		     "names file:line:field, exit 2; a file that does not exist yet is a warning, "
		     "exit 0). Unknown sections and keys, a key given twice and a missing required key "
		     "are errors. A line holds at most 197 bytes (the inih library's limit; a "
		     "longer one is an error naming its line): keep paths short. Durations: `250ms`, `0.5s`, `2s`, `1m` or a number of ms. The "
		     "[timing] keys start from the profile's values (crd.md §8) and must satisfy: "
		     "margin >= io_timeout; claim_delay >= 2 x io_timeout; renew_interval + 2 x "
		     "io_timeout + margin < lease_timeout; 2 x (renew_interval + 2 x io_timeout) "
		     "<= fence_timeout.\n\n"
		     "SIGHUP reloads the file; keys marked *restart* keep their old value (the "
		     "daemon logs that the change needs a restart). New timings take effect only "
		     "through an alive-message renewal that advertises them (crd.md §4).\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct secd_option *o = &options[i];
		if (!section || strcmp(section, o->section))
			fprintf(out, "\n## [%s]\n\n| key | type | default | SIGHUP | meaning |\n"
				     "|---|---|---|---|---|\n", o->section);
		section = o->section;
		fprintf(out, "| `%s` | %s | %s | %s | %s |\n", o->key, type_doc(o, tb, sizeof(tb)),
			o->flags & SECD_OPT_REQUIRED ? "required"
			: o->flags & SECD_OPT_TIMING ? "from the profile"
			: !*o->def		     ? "(empty)"
						     : o->def,
			o->flags & SECD_OPT_RESTART ? "restart" : "reload", o->help);
	}
}
