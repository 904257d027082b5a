/* qemu-probe.c — drives a real QEMU through src/qemu (test_qemu_qmp.py; docs/qemu.md).
 *
 *   qemu-probe argv --dir D --name N [--disk MN=FILE]... [--tape MN=FILE]...
 *                   [--local MN=FILE]... [--ipl MN] [--append TEXT] [--mem MIB] [-S]
 *                   [--incoming]
 *       prints the argv of qemu_argv_build() as a JSON array (console D/console.log,
 *       QMP socket D/q.qmp; memory 32 MiB unless --mem; --incoming = -incoming defer, an
 *       LM target, test_qemu_lm.py and bench/lm-bare.py); exit 2 and the reason on a bad
 *       spec.
 *   qemu-probe media --sock PATH --pid QEMU_PID [--dev MN=FILE[:ro]]...
 *       connects, then per device runs twice detach (blockdev-open-tray force +
 *       blockdev-remove-medium [+ blockdev-del of our node]) and attach (blockdev-add +
 *       blockdev-insert-medium + blockdev-close-tray), then once each as one operation
 *       (qmp_medium_detach/attach), with query-block around each, and
 *       prints one JSON line per reply / event: {"step", "dev", "err", "class", "desc",
 *       "ms" (sent to reply), "open" (FILE among QEMU's open files), "block" (that
 *       device's query-block entry)}; then {"done": true}; then waits for the connection to
 *       end and prints {"closed": err, "msg", "t_ns"} (CLOCK_MONOTONIC) and exits 0.
 *       --no-wait exits after "done" (qmp_free, no quit). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "qemu/qemu_argv.h"
#include "qemu/qmpcmd.h"

#define MAX_DEVS 8
#define TIMEOUT_MS 10000

enum step_kind { S_QUERY = 1, S_OPEN, S_REMOVE, S_DEL, S_ADD, S_INSERT, S_CLOSE, S_MDETACH,
		 S_MATTACH };
static const char *const kind_name[] = { "", "query-block", "blockdev-open-tray",
	"blockdev-remove-medium", "blockdev-del", "blockdev-add", "blockdev-insert-medium",
	"blockdev-close-tray", "medium-detach", "medium-attach" };

struct pdev {
	char mn[8];
	char id[16];
	char file[PATH_MAX];
	bool ro;
};

struct step {
	enum step_kind kind;
	int dev;
	unsigned node; /* n of med-<MN>-<n>, 0 = none */
};

static struct pdev devs[MAX_DEVS];
static int n_devs;
static struct step steps[MAX_DEVS * 32];
static int n_steps, cur;
static struct qmp *q;
static int qemu_pid;
static bool no_wait;
static int rc;

static void out(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(j);
}

/* the file is among QEMU's open files */
static bool qemu_has_open(const char *file)
{
	char dir[64], link[PATH_MAX + 32], target[PATH_MAX + 1];
	bool found = false;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", qemu_pid);
	for (int fd = 0; fd < 1024 && !found; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%d", dir, fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = !strcmp(target, file);
	}
	return found;
}

static void run_next(void);

static void on_step(void *arg, const struct qmp_reply *r)
{
	struct step *s = &steps[cur];
	struct pdev *d = &devs[s->dev];
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:f, s:b}", "step",
			      kind_name[s->kind], "command", r->command,
			      "dev", d->mn, "err", r->err, "class", r->error_class, "desc",
			      r->error_desc, "ms",
			      r->recv_ns ? (double)(r->recv_ns - r->sent_ns) / 1e6 : -1.0, "open",
			      qemu_has_open(d->file));

	if (s->kind == S_QUERY && r->err == 0) {
		struct qmp_block *b = NULL;
		int n = qmp_block_parse(r->ret, &b);
		const struct qmp_block *e = n > 0 ? qmp_block_find(b, (size_t)n, d->id) : NULL;

		if (e)
			json_object_set_new(j, "block", json_pack("{s:b, s:b, s:s, s:s, s:b}",
				"inserted", e->inserted, "tray_open", e->tray_open, "node",
				e->node_name, "file", e->file, "ro", e->read_only));
		free(b);
	}
	if (s->node) {
		char node[32];

		qmp_media_node_name(node, sizeof(node), d->mn, s->node);
		json_object_set_new(j, "node", json_string(node));
	}
	out(j);
	if (r->err < 0)
		rc = 1;
	cur++;
	run_next();
}

static void run_next(void)
{
	struct step *s;
	struct pdev *d;
	char node[32];
	int r = 0;

	if (cur >= n_steps) {
		out(json_pack("{s:b}", "done", true));
		if (no_wait)
			q = qmp_free(q);
		return;
	}
	s = &steps[cur];
	d = &devs[s->dev];
	qmp_media_node_name(node, sizeof(node), d->mn, s->node);
	switch (s->kind) {
	case S_QUERY:
		r = qmp_query_block(q, TIMEOUT_MS, on_step, NULL);
		break;
	case S_OPEN:
		r = qmp_blockdev_open_tray(q, d->id, true, TIMEOUT_MS, on_step, NULL);
		break;
	case S_REMOVE:
		r = qmp_blockdev_remove_medium(q, d->id, TIMEOUT_MS, on_step, NULL);
		break;
	case S_DEL:
		r = qmp_blockdev_del(q, node, TIMEOUT_MS, on_step, NULL);
		break;
	case S_ADD:
		r = qmp_blockdev_add(q, node, d->file, d->ro,
				     !strcmp(qemu_cache_mode(d->file), "none"), TIMEOUT_MS,
				     on_step, NULL);
		break;
	case S_INSERT:
		r = qmp_blockdev_insert_medium(q, d->id, node, TIMEOUT_MS, on_step, NULL);
		break;
	case S_CLOSE:
		r = qmp_blockdev_close_tray(q, d->id, TIMEOUT_MS, on_step, NULL);
		break;
	case S_MDETACH:
		r = qmp_medium_detach(q, d->id, node, TIMEOUT_MS, on_step, NULL);
		break;
	case S_MATTACH:
		r = qmp_medium_attach(q, d->id, node, d->file, d->ro,
				      !strcmp(qemu_cache_mode(d->file), "none"), TIMEOUT_MS,
				      on_step, NULL);
		break;
	}
	if (r < 0) {
		fprintf(stderr, "qemu-probe: %s: %s\n", kind_name[s->kind], strerror(-r));
		rc = 1;
	}
}

static void add_step(enum step_kind k, int dev, unsigned node)
{
	steps[n_steps++] = (struct step){ k, dev, node };
}

static void on_ready(void *arg, const json_t *version)
{
	json_t *j = json_pack("{s:b, s:O?}", "ready", true, "version", (json_t *)version);

	json_object_set_new(j, "t_ns", json_integer((json_int_t)clock_monotonic_ns()));
	out(j);
	run_next();
}

static void on_event(void *arg, const struct qmp_event *ev)
{
	out(json_pack("{s:s, s:O?, s:I, s:I}", "event", ev->name, "data", (json_t *)ev->data,
		      "qemu_ts_us", (json_int_t)ev->qemu_ts_us, "recv_ns", (json_int_t)ev->recv_ns));
}

static void on_closed(void *arg, int err, const char *msg)
{
	out(json_pack("{s:i, s:s, s:I}", "closed", err, "msg", msg, "t_ns",
		      (json_int_t)clock_monotonic_ns()));
	q = qmp_free(q);
}

static int split_dev(const char *arg, struct pdev *d)
{
	const char *eq = strchr(arg, '=');
	size_t l;

	if (!eq || eq - arg > 4)
		return -EINVAL;
	snprintf(d->mn, sizeof(d->mn), "%.*s", (int)(eq - arg), arg);
	snprintf(d->id, sizeof(d->id), "dev-%s", d->mn);
	snprintf(d->file, sizeof(d->file), "%s", eq + 1);
	l = strlen(d->file);
	if (l > 3 && !strcmp(d->file + l - 3, ":ro")) {
		d->file[l - 3] = '\0';
		d->ro = true;
	}
	return 0;
}

static int cmd_media(int argc, char **argv)
{
	static const struct qmp_callbacks cb = { .ready = on_ready, .event = on_event,
						 .closed = on_closed };
	const char *sock = NULL;
	struct sec_err err;
	uv_loop_t loop;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--sock") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--pid") && i + 1 < argc)
			qemu_pid = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-wait"))
			no_wait = true;
		else if (!strcmp(argv[i], "--dev") && i + 1 < argc && n_devs < MAX_DEVS &&
			 split_dev(argv[++i], &devs[n_devs]) == 0)
			n_devs++;
		else
			return fprintf(stderr, "qemu-probe: bad argument '%s'\n", argv[i]), 2;
	}
	if (!sock)
		return fprintf(stderr, "qemu-probe: --sock missing\n"), 2;
	for (int d = 0; d < n_devs; d++) {
		for (unsigned round = 1; round <= 2; round++) {
			add_step(S_QUERY, d, 0);
			add_step(S_OPEN, d, 0);
			add_step(S_REMOVE, d, 0);
			if (round == 2)
				add_step(S_DEL, d, 1); /* the node of round 1's attach */
			add_step(S_QUERY, d, 0);
			add_step(S_ADD, d, round);
			add_step(S_INSERT, d, round);
			add_step(S_CLOSE, d, 0);
		}
		add_step(S_QUERY, d, 0);
		/* round 3: the same as one operation each (qmpmedia.c) */
		add_step(S_MDETACH, d, 2);
		add_step(S_QUERY, d, 0);
		add_step(S_MATTACH, d, 3);
		add_step(S_QUERY, d, 0);
	}
	uv_loop_init(&loop);
	if (qmp_new(&loop, sock, 10000, &cb, NULL, &q, &err) < 0)
		return fprintf(stderr, "qemu-probe: %s\n", err.msg), 2;
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}

static int cmd_argv(int argc, char **argv)
{
	static char con[PATH_MAX], qsock[PATH_MAX];
	struct qemu_dev dv[MAX_DEVS];
	struct qemu_vm_spec s = { .binary = "qemu-system-x86_64", .accel = QEMU_ACCEL_TCG,
				  .memory_mib = 32, .cpus = 1, .devs = dv };
	struct pdev pd[MAX_DEVS];
	struct sec_err err = { 0 };
	char **av;
	json_t *a;

	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-S")) {
			s.init_only = true;
		} else if (!strcmp(o, "--incoming")) {
			s.incoming_defer = true;
		} else if (i + 1 >= argc) {
			return fprintf(stderr, "qemu-probe: '%s' needs a value\n", o), 2;
		} else if (!strcmp(o, "--dir")) {
			snprintf(con, sizeof(con), "%s/console.log", argv[++i]);
			snprintf(qsock, sizeof(qsock), "%s/q.qmp", argv[i]);
			s.console_path = con;
			s.qmp_path = qsock;
		} else if (!strcmp(o, "--name")) {
			s.name = argv[++i];
		} else if (!strcmp(o, "--mem")) {
			char *end;
			unsigned long m = strtoul(argv[++i], &end, 10);

			if (*end || m == 0 || m > UINT32_MAX)
				return fprintf(stderr, "qemu-probe: bad --mem '%s'\n", argv[i]), 2;
			s.memory_mib = (uint32_t)m;
		} else if (!strcmp(o, "--ipl")) {
			s.ipl_mn = argv[++i];
		} else if (!strcmp(o, "--append")) {
			s.append = argv[++i];
		} else if ((!strcmp(o, "--disk") || !strcmp(o, "--tape") || !strcmp(o, "--local")) &&
			   s.n_devs < MAX_DEVS && split_dev(argv[i + 1], &pd[s.n_devs]) == 0) {
			struct qemu_dev *d = &dv[s.n_devs];

			d->mn = pd[s.n_devs].mn;
			d->backing = pd[s.n_devs].file[0] ? pd[s.n_devs].file : NULL;
			d->cls = o[2] == 'd' ? QEMU_DEV_DISK
				 : o[2] == 't' ? QEMU_DEV_TAPE : QEMU_DEV_LOCAL_DISK;
			d->shared = false;
			s.n_devs++;
			i++;
		} else {
			return fprintf(stderr, "qemu-probe: bad argument '%s'\n", o), 2;
		}
	}
	if (qemu_argv_build(&s, &av, &err) < 0)
		return fprintf(stderr, "qemu-probe: %s\n", err.msg), 2;
	a = json_array();
	for (char **p = av; *p; p++)
		json_array_append_new(a, json_string(*p));
	out(a);
	qemu_argv_free(av);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "media"))
		return cmd_media(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "argv"))
		return cmd_argv(argc, argv);
	fprintf(stderr, "usage: qemu-probe argv|media ... (see the head of qemu-probe.c)\n");
	return 2;
}
