/* suvm.c — one VM's runtime on an SU: its QEMU (spawned and reaped by sec-guard), its QMP
 * connection, its KVP console, and the effects of a command plan carried out on it (su.h).
 *
 * An effect is a short sequence of steps (ops below), run one after the other; each step
 * waits for one thing (the guard's SPAWN result, the QMP handshake, a QMP reply, the
 * SHUTDOWN event, the guard's EXITED) under a deadline. The last step reports the effect
 * done to sucmd.c; any failure reports it failed with a reason and leaves nothing behind
 * (a QEMU started by a failed effect is killed). */
#include "secd/su.h"
#include "secd/lm.h"

#include "lib/clock.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "qemu/qemu_argv.h"
#include "qemu/qmpcmd.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum suvm_op {
	OP_KILL = 1,     /* SIGKILL through the guard, wait for EXITED */
	OP_QUIT,         /* QMP quit (SIGKILL after the deadline), wait for EXITED */
	OP_SPAWN,        /* the guard starts QEMU (-S) */
	OP_CONNECT,      /* QMP handshake */
	OP_CONT,
	OP_STOP,
	OP_RESET,
	OP_POWERDOWN,    /* system_powerdown, then wait for SHUTDOWN (grace) */
	OP_OPEN_TRAY,    /* an empty drive's tray is closed: open it before an attach */
	OP_DETACH,       /* open tray, remove medium [, delete our node] */
	OP_ATTACH,       /* blockdev-add, insert medium, close tray */
	OP_MAX
};

void secd_suvm_path(const struct secd_su *s, unsigned index, const char *what, char *buf,
		    size_t size)
{
	const char *dd = s->d->cfg.data_dir;

	if (!strcmp(what, "qmp"))
		snprintf(buf, size, "%s/q/%u.qmp", dd, index);
	else if (!strcmp(what, "dir"))
		snprintf(buf, size, "%s/vm/%u", dd, index);
	else
		snprintf(buf, size, "%s/vm/%u/%s", dd, index, what);
}

void secd_suvm_init(struct secd_su *s, struct secd_suvm *v, unsigned index)
{
	v->d = s->d;
	v->index = index;
	uv_timer_init(&s->d->loop, &v->timer);
	v->timer.data = v;
	uv_timer_init(&s->d->loop, &v->pdtimer);
	v->pdtimer.data = v;
	uv_timer_init(&s->d->loop, &v->latetimer);
	v->latetimer.data = v;
	v->timer_init = true;
}

static struct secd_su *suvm_su(struct secd_suvm *v)
{
	return v->d->su;
}

/* DATA_DIR/runs.log, one line per STOP, RESUME and QEMU exit of a guest:
 * "<CLOCK_MONOTONIC ns> <RESUME|STOP|EXIT> <vm_uuid> <index> <pid>" — the run intervals of
 * testing.md's oracle "a guest never runs twice" (receive times; comparable across the
 * processes of one host). Best effort: a failed write is logged, nothing else. */
void secd_suvm_runlog(struct secd_su *s, struct secd_suvm *v, const char *what, uint64_t ns)
{
	const struct su_vm *vm = s->m ? su_model_vm_by_index(s->m, v->index) : NULL;
	char path[SECD_PATH_MAX + 16], uuid[37] = "-";
	int fd;

	if (vm)
		crd_uuid_to_string(&vm->vm_uuid, uuid);
	snprintf(path, sizeof(path), "%s/runs.log", s->d->cfg.data_dir);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		log_warnx("%s: '%s': %s", s->d->who, path, strerror(errno));
		return;
	}
	dprintf(fd, "%" PRIu64 " %s %s %u %d\n", ns, what, uuid, v->index, (int)v->pid);
	close(fd);
}

/* The VM definition the effect works on: the plan's new model (start) or the live one. */
static const struct su_vm *suvm_def(struct secd_su *s, struct secd_suvm *v)
{
	const struct su_plan *p = v->cmd ? secd_sucmd_plan(v->cmd) : NULL;
	const struct su_vm *vm = p && p->next ? su_model_vm_by_index(p->next, v->index) : NULL;

	return vm ? vm : s->m ? su_model_vm_by_index(s->m, v->index) : NULL;
}

/* The size of the VM's QEMU log now (0 when it does not exist): where the lines of the
 * QEMU about to start will begin. */
static int64_t suvm_log_size(struct secd_su *s, unsigned index)
{
	char path[SECD_PATH_MAX + 64];
	struct stat st;

	secd_suvm_path(s, index, "qemu.log", path, sizeof(path));
	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* The last line that the VM's current QEMU wrote to its log (why it ended), into buf; ""
 * when it wrote none (the file keeps earlier QEMUs' lines: v->qlog_from). */
static void suvm_log_tail(struct secd_su *s, struct secd_suvm *v, char *buf, size_t size)
{
	char path[SECD_PATH_MAX + 64], raw[512];
	int fd;
	off_t end, from;
	ssize_t n;

	buf[0] = 0;
	secd_suvm_path(s, v->index, "qemu.log", path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	from = end > (off_t)sizeof(raw) - 1 ? end - (off_t)sizeof(raw) + 1 : 0;
	if (from < (off_t)v->qlog_from && (off_t)v->qlog_from <= end)
		from = (off_t)v->qlog_from;
	n = end > from ? pread(fd, raw, (size_t)(end - from), from) : 0;
	close(fd);
	if (n <= 0)
		return;
	raw[n] = 0;
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == ' '))
		raw[--n] = 0;
	char *last = strrchr(raw, '\n');
	snprintf(buf, size, "%.200s", last ? last + 1 : raw);
}

static void suvm_wait(struct secd_suvm *v, enum secd_suvm_wait w, uint32_t ms);
static void suvm_step(struct secd_suvm *v);

/* Ends the effect: ok or failed with why. */
static void suvm_finish(struct secd_suvm *v, int r, const char *why)
{
	struct secd_su *s = suvm_su(v);
	struct secd_sucmd *cmd = v->cmd;

	uv_timer_stop(&v->timer);
	v->wait = SUVM_WAIT_NONE;
	v->cmd = NULL;
	v->eff = NULL;
	v->nops = v->step = 0;
	if (r < 0 && v->child && v->discard && s->g) {
		char key[8];
		snprintf(key, sizeof(key), "%u", v->index);
		guardc_kill(s->g, key, SIGKILL); /* a QEMU of a failed start goes */
	}
	if (cmd)
		secd_sucmd_effect_done(s, cmd, r, why);
}

static void suvm_fail(struct secd_suvm *v, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void suvm_fail(struct secd_suvm *v, int r, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	suvm_finish(v, r, why);
}

static void suvm_advance(struct secd_suvm *v)
{
	uv_timer_stop(&v->timer);
	v->wait = SUVM_WAIT_NONE;
	v->step++;
	if (v->step >= v->nops)
		suvm_finish(v, 0, NULL);
	else
		suvm_step(v);
}

static void suvm_ignore(void *arg, const struct qmp_reply *r)
{
	(void)arg;
	(void)r;
}

/* The effect fails because QEMU's monitor closed (v->closed_err, v->closed_msg) and no exit
 * of the process told more: the reason is the close and QEMU's own last lines. */
static void suvm_closed_fail(struct secd_suvm *v)
{
	char tail[256];

	suvm_log_tail(suvm_su(v), v, tail, sizeof(tail));
	suvm_fail(v, v->closed_err, "QEMU's monitor closed (%s)%s%s", v->closed_msg,
		  tail[0] ? ": " : "", tail);
}

static void suvm_on_timeout(uv_timer_t *t)
{
	struct secd_suvm *v = t->data;
	struct secd_su *s = suvm_su(v);
	char key[8];

	snprintf(key, sizeof(key), "%u", v->index);
	switch (v->wait) {
	case SUVM_WAIT_EXIT:
		if (v->ops[v->step] == OP_QUIT && s->g && v->child) {
			log_info("%s: VM index %u: QEMU did not quit in time; killing it", v->d->who,
				 v->index);
			v->ops[v->step] = OP_KILL;
			guardc_kill(s->g, key, SIGKILL);
			suvm_wait(v, SUVM_WAIT_EXIT, SECD_SU_EXIT_WAIT_MS);
			return;
		}
		suvm_fail(v, -ETIMEDOUT, "QEMU (pid %d) was not reaped within %u ms", v->pid,
			  SECD_SU_EXIT_WAIT_MS);
		return;
	case SUVM_WAIT_GONE: /* the process lives on (or its exit was lost): the close says it */
		suvm_closed_fail(v);
		return;
	default: /* a QEMU this effect started goes again; a running one stays */
		v->discard = v->wait == SUVM_WAIT_SPAWN || v->wait == SUVM_WAIT_QMP;
		suvm_fail(v, -ETIMEDOUT, "QEMU did not answer within the deadline");
		return;
	}
}

static void suvm_wait(struct secd_suvm *v, enum secd_suvm_wait w, uint32_t ms)
{
	v->wait = w;
	uv_timer_start(&v->timer, suvm_on_timeout, ms, 0);
}

/* ---- QMP ---- */

static void suvm_stopped(void *arg, const struct qmp_reply *r)
{
	struct secd_suvm *v = arg;
	char why[96];

	if (r->err < 0) /* QEMU gone or refusing: the guard's EXITED tells the rest */
		return;
	snprintf(why, sizeof(why), "the guest did not shut down by itself: stopped after the "
		 "grace of /SHUTDOWN-VM");
	secd_su_vm_event(suvm_su(v), v->index, false, false, why);
}

/* /SHUTDOWN-VM's grace ran out without the guest's SHUTDOWN: stop it; the VM is DOWN. */
static void suvm_on_grace(uv_timer_t *t)
{
	struct secd_suvm *v = t->data;

	if (!v->qmp || qmp_stop(v->qmp, SECD_SU_QMP_CMD_MS, suvm_stopped, v) < 0)
		log_warnx("%s: VM index %u: cannot stop the guest after its shutdown grace",
			  v->d->who, v->index);
}

static void suvm_on_reply(void *arg, const struct qmp_reply *r)
{
	struct secd_suvm *v = arg;

	if (v->wait != SUVM_WAIT_REPLY)
		return; /* the effect ended meanwhile (failed, timed out) */
	if (r->err == -EREMOTEIO) {
		suvm_fail(v, -EREMOTEIO, "QEMU refused '%s': %s", r->command, r->error_desc);
		return;
	}
	if (r->err < 0 && v->ops[v->step] != OP_QUIT) { /* quit: QEMU may close first */
		suvm_fail(v, r->err, "QMP '%s': %s", r->command, strerror(-r->err));
		return;
	}
	if (v->ops[v->step] == OP_QUIT) { /* answered: now wait until the guard reaped it */
		if (!v->child)
			suvm_advance(v);
		else
			suvm_wait(v, SUVM_WAIT_EXIT, SECD_SU_EXIT_WAIT_MS);
		return;
	}
	if (v->ops[v->step] == OP_POWERDOWN) /* initiated: the guest has its grace from now */
		uv_timer_start(&v->pdtimer, suvm_on_grace,
			       v->eff && v->eff->grace_ms ? v->eff->grace_ms : 10000, 0);
	suvm_advance(v);
}

/* After a re-attach: a RUNNING VM whose QEMU is paused although an LM committed it here
 * (this secd stopped between the commit and the `cont`, docs/lm.md crash table row 8)
 * continues now: the commit decided. */
static void suvm_attach_status(void *arg, const struct qmp_reply *r)
{
	struct secd_suvm *v = arg;
	struct secd_su *s = suvm_su(v);
	const struct su_vm *vm = s->m ? su_model_vm_by_index(s->m, v->index) : NULL;
	const struct crd_vmdef *def = vm ? crd_owner_find(&s->m->own, &vm->vm_uuid) : NULL;
	struct qmp_status st;

	if (r->err < 0 || qmp_status_parse(r->ret, &st) < 0 || !vm || !def || !def->lm_id ||
	    vm->state != SU_VM_RUNNING || strcmp(st.status, "paused") || !v->qmp)
		return;
	log_info("%s: VM (%u,%s): committed by live migration %016" PRIx64 " but paused: "
		 "continuing it", s->d->who, v->index, vm->name, def->lm_id);
	secd_su_console(s, "%% VMS2050 VM (%u,%s) RESUMED ON SU '%s' AFTER A LIVE MIGRATION "
			"(THE SU DAEMON RESTARTED BEFORE IT)", v->index, vm->name, s->m->res.name);
	qmp_cont(v->qmp, SECD_SU_QMP_CMD_MS, suvm_ignore, v);
}

static void suvm_on_ready(void *arg, const json_t *version)
{
	struct secd_suvm *v = arg;

	v->qmp_ready = true;
	if (v->attach_check) {
		v->attach_check = false;
		qmp_query_status(v->qmp, SECD_SU_QMP_CMD_MS, suvm_attach_status, v);
	}
	if (v->wait == SUVM_WAIT_QMP)
		suvm_advance(v);
}

static void suvm_on_event(void *arg, const struct qmp_event *ev)
{
	struct secd_suvm *v = arg;
	struct secd_su *s = suvm_su(v);

	log_debug("%s: VM index %u: QMP event %s", v->d->who, v->index, ev->name);
	if (!strcmp(ev->name, "STOP") || !strcmp(ev->name, "RESUME"))
		secd_suvm_runlog(s, v, ev->name, ev->recv_ns);
	secd_lm_on_qmp_event(s, v->index, ev); /* an LM of this VM index sees every event */
	if (strcmp(ev->name, "SHUTDOWN"))
		return;
	/* a quit or kill of ours shows as SHUTDOWN with "guest": false: not the guest's */
	if (!json_is_true(json_object_get(ev->data, "guest")))
		return;
	uv_timer_stop(&v->pdtimer);
	secd_su_vm_event(s, v->index, false, false, "the guest shut down");
}

static void suvm_on_closed(void *arg, int err, const char *msg)
{
	struct secd_suvm *v = arg;

	v->qmp_ready = false;
	v->qmp = qmp_free(v->qmp);
	v->monitor_closed = true;
	if (v->wait == SUVM_WAIT_QMP || (v->wait == SUVM_WAIT_REPLY && v->ops[v->step] != OP_QUIT)) {
		v->discard = v->wait == SUVM_WAIT_QMP; /* a QEMU this effect started */
		v->closed_err = err;
		snprintf(v->closed_msg, sizeof(v->closed_msg), "%s", msg);
		if (v->child) { /* a killed QEMU's socket closes before its exit is reaped */
			suvm_wait(v, SUVM_WAIT_GONE, SECD_SU_GONE_WAIT_MS);
			return;
		}
		suvm_closed_fail(v);
	}
	/* otherwise the guard's EXITED tells what happened to the process */
}

static const struct qmp_callbacks suvm_qmp_cb = {
	.ready = suvm_on_ready,
	.event = suvm_on_event,
	.closed = suvm_on_closed,
};

static int suvm_connect(struct secd_su *s, struct secd_suvm *v, char *msg, size_t size)
{
	char path[SECD_PATH_MAX + 32];
	struct sec_err err = {0};
	int r;

	v->qmp = qmp_free(v->qmp);
	v->qmp_ready = false;
	v->monitor_closed = false;
	secd_suvm_path(s, v->index, "qmp", path, sizeof(path));
	if ((r = qmp_new(&s->d->loop, path, SECD_SU_QMP_CONNECT_MS, &suvm_qmp_cb, v, &v->qmp,
			 &err)) < 0)
		snprintf(msg, size, "QMP: %.200s", err.msg);
	return r;
}

/* ---- the guard ---- */

static int suvm_spawn(struct secd_su *s, struct secd_suvm *v, char *msg, size_t size)
{
	const struct su_vm *vm = suvm_def(s, v);
	const struct su_model *m;
	struct qemu_dev devs[SU_VM_DEVS_MAX];
	struct qemu_vm_spec spec;
	struct sec_err err = {0};
	char dir[SECD_PATH_MAX + 32], qmp[SECD_PATH_MAX + 32], con[SECD_PATH_MAX + 64],
		qlog[SECD_PATH_MAX + 64], key[8];
	char **argv = NULL;
	int r;

	if (!vm) {
		snprintf(msg, size, "VM index %u has no definition", v->index);
		return -ENOENT;
	}
	if (!s->g) {
		snprintf(msg, size, "sec-guard is not connected");
		return -ENOTCONN;
	}
	m = v->cmd && secd_sucmd_plan(v->cmd)->next ? secd_sucmd_plan(v->cmd)->next : s->m;
	/* the VM's disks; and a drive for every tape and local disk of the I/O configuration,
	 * with its medium only when assigned: assigning one later inserts the medium, and both
	 * ends of an LM have the same device set (vm2000.md §5 "Devices") */
	size_t n = 0;
	for (unsigned i = 0; i < m->res.io.n && n < SU_VM_DEVS_MAX; i++) {
		const struct su_iodev *io = &m->res.io.dev[i];
		const struct su_vmdev *vd = NULL;
		for (unsigned k = 0; k < vm->ndevs && !vd; k++)
			if (!strcmp(vm->devs[k].mn, io->mn))
				vd = &vm->devs[k];
		if (io->cls == SU_DEV_CONSOLE || (io->cls == SU_DEV_DISK && !vd))
			continue;
		devs[n++] = (struct qemu_dev){
			.mn = io->mn,
			.cls = io->cls == SU_DEV_TAPE ? QEMU_DEV_TAPE
			       : io->cls == SU_DEV_LOCAL_DISK ? QEMU_DEV_LOCAL_DISK
							       : QEMU_DEV_DISK,
			.backing = vd ? io->backing : NULL,
			.shared = vd && vd->usage == SU_USAGE_SHARED,
		};
	}
	secd_suvm_path(s, v->index, "dir", dir, sizeof(dir));
	secd_suvm_path(s, v->index, "qmp", qmp, sizeof(qmp));
	secd_suvm_path(s, v->index, "console.log", con, sizeof(con));
	secd_suvm_path(s, v->index, "qemu.log", qlog, sizeof(qlog));
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(msg, size, "cannot create '%.200s': %s", dir, strerror(errno));
		return -errno;
	}
	unlink(qmp); /* a socket of an earlier QEMU */
	spec = (struct qemu_vm_spec){
		.binary = s->d->cfg.su_qemu,
		.name = vm->name,
		.accel = s->accel,
		.memory_mib = (uint32_t)vm->memory_mib,
		.cpus = vm->cpus ? vm->cpus : 1,
		.init_only = true,
		.incoming_defer = v->eff && v->eff->lm_incoming,
		.devs = devs,
		.n_devs = n,
		.ipl_mn = vm->ipl_unit[0] ? vm->ipl_unit : NULL,
		.boot = QEMU_BOOT_AUTO,
		.append = strcmp(s->d->cfg.su_ipl_append, "none") ? s->d->cfg.su_ipl_append : NULL,
		.console_path = con,
		.qmp_path = qmp,
	};
	if ((r = qemu_argv_build(&spec, &argv, &err)) < 0) {
		snprintf(msg, size, "QEMU command line: %.250s", err.msg);
		return r;
	}
	snprintf(key, sizeof(key), "%u", v->index);
	guardc_forget(s->g, key); /* the record of an earlier QEMU (also a FENCED one) */
	v->qlog_from = suvm_log_size(s, v->index);
	r = guardc_spawn(s->g, key, (const char *const *)argv, qlog, dir);
	if (r > 0) {
		char *line = qemu_argv_to_string(argv);
		log_info("%s: VM (%u,%s): starting %s", s->d->who, v->index, vm->name,
			 line ? line : argv[0]);
		free(line);
		v->guard_seq = (uint32_t)r;
		snprintf(v->booted_ipl, sizeof(v->booted_ipl), "%s", vm->ipl_unit);
		r = 0;
	} else {
		snprintf(msg, size, "sec-guard: %s", strerror(-r));
	}
	qemu_argv_free(argv);
	return r;
}

void secd_suvm_on_spawn_result(struct secd_su *s, struct secd_suvm *v, int err, int32_t pid,
			       const char *text)
{
	char msg[256];

	if (err) {
		suvm_fail(v, -err, "sec-guard did not start QEMU: %s", text);
		return;
	}
	v->pid = pid;
	v->child = true;
	v->discard = false;
	memset(v->media, 0, sizeof(v->media)); /* a new QEMU has only its -drive media */
	if (suvm_connect(s, v, msg, sizeof(msg)) < 0) {
		v->discard = true;
		suvm_fail(v, -EIO, "%s", msg);
		return;
	}
	v->step++; /* OP_SPAWN done: OP_CONNECT waits for the handshake */
	suvm_wait(v, SUVM_WAIT_QMP, SECD_SU_QMP_CONNECT_MS + 1000);
}

/* What happened to a child, after the word "QEMU" (su_vm_qemu_gone() puts it first). */
static void suvm_describe_exit(const struct guard_child *c, char *buf, size_t size)
{
	if (c->flags & GUARD_CHILD_FENCED)
		snprintf(buf, size, "(pid %d) fenced by sec-guard (renewals stopped)", c->pid);
	else if (WIFEXITED(c->status))
		snprintf(buf, size, "(pid %d) exited with status %d", c->pid, WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(buf, size, "(pid %d) was killed by signal %d (%s)", c->pid,
			 WTERMSIG(c->status), strsignal(WTERMSIG(c->status)));
	else
		snprintf(buf, size, "(pid %d) ended (wait status 0x%x)", c->pid, (unsigned)c->status);
}

/* v's QEMU has ended (why: after the word "QEMU"): the effect waiting for it goes on or
 * fails, an LM target aborts, else the VM's state and an event say so. */
static void suvm_ended(struct secd_su *s, struct secd_suvm *v, bool fenced, const char *why)
{
	char tail[256];

	secd_suvm_runlog(s, v, "EXIT", clock_monotonic_ns());
	v->child = false;
	v->monitor_closed = false;
	v->pid = 0;
	v->booted_ipl[0] = 0;
	uv_timer_stop(&v->pdtimer);
	/* asked for (quit, kill) — a quit's exit may come before QEMU's answer to it */
	if (v->wait == SUVM_WAIT_EXIT || (v->wait == SUVM_WAIT_REPLY && v->ops[v->step] == OP_QUIT)) {
		v->qmp = qmp_free(v->qmp);
		v->qmp_ready = false;
		v->discard = false;
		suvm_advance(v);
		return;
	}
	if (v->cmd) { /* QEMU ended in the middle of an effect: that effect failed */
		suvm_log_tail(s, v, tail, sizeof(tail));
		suvm_fail(v, -ECHILD, "QEMU %s%s%s", why, tail[0] ? ": " : "", tail);
	}
	v->qmp = qmp_free(v->qmp); /* after the effect ended: its pending reply is ignored */
	v->qmp_ready = false;
	if (secd_lm_on_qemu_exit(s, v->index, why)) /* an LM target: its abort handles it */
		return;
	if (v->discard) { /* a QEMU of a failed start */
		v->discard = false;
		return;
	}
	log_warnx("%s: VM index %u: QEMU %s", s->d->who, v->index, why);
	secd_su_vm_event(s, v->index, true, fenced, why);
}

static void suvm_late_exited(uv_timer_t *t)
{
	struct secd_suvm *v = t->data;
	struct guard_child c = v->late_exit;

	secd_suvm_on_exited(suvm_su(v), v, &c);
}

void secd_suvm_on_exited(struct secd_su *s, struct secd_suvm *v, const struct guard_child *c)
{
	char why[200], key[8];
	struct fault_spec fs;

	/* tests: the guard's report comes late (docs/lm.md "Abort": the source's abort first) */
	if (!v->late && fault_check("su.exited", &fs) && fs.action == FAULT_DELAY) {
		v->late_exit = *c;
		v->late = true;
		uv_timer_start(&v->latetimer, suvm_late_exited, fs.arg, 0);
		return;
	}
	v->late = false;

	if (c->pid != v->pid && v->pid)
		log_debug("%s: VM index %u: exit of pid %d (current %d)", s->d->who, v->index,
			  c->pid, v->pid);
	snprintf(key, sizeof(key), "%u", v->index);
	if (s->g && !(c->flags & GUARD_CHILD_FENCED)) /* fenced/<key> stays until a start */
		guardc_forget(s->g, key);
	suvm_describe_exit(c, why, sizeof(why));
	suvm_ended(s, v, c->flags & GUARD_CHILD_FENCED, why);
}

void secd_suvm_on_gone(struct secd_su *s, struct secd_suvm *v)
{
	char why[160];

	snprintf(why, sizeof(why), "(pid %d) ended with its sec-guard", (int)v->pid);
	suvm_ended(s, v, false, why);
}

void secd_suvm_attach(struct secd_su *s, struct secd_suvm *v, int32_t pid)
{
	const struct su_vm *vm = s->m ? su_model_vm_by_index(s->m, v->index) : NULL;
	char msg[256];

	v->pid = pid;
	v->child = true;
	snprintf(v->booted_ipl, sizeof(v->booted_ipl), "%s", vm ? vm->ipl_unit : "");
	if (suvm_connect(s, v, msg, sizeof(msg)) < 0) {
		log_warnx("%s: VM index %u: cannot re-attach to QEMU pid %d: %s", s->d->who,
			  v->index, pid, msg);
		return;
	}
	v->attach_check = true;
	log_info("%s: VM (%u,%s): re-attached to its QEMU (pid %d)", s->d->who, v->index,
		 vm ? vm->name : "?", pid);
	secd_event(s->d, LB_NOTICE, "Sys-Mgmt", "VM (%u,%s) managed again after the SU daemon "
		   "restarted (QEMU pid %d kept running)", v->index, vm ? vm->name : "?", pid);
}

/* ---- effects ---- */

/* The node of the medium this secd put into mn's drive ("" = none, a -drive medium):
 * set != NULL records set ("" forgets). Returns the node, or NULL when there is none. */
const char *secd_suvm_media_node(struct secd_suvm *v, const char *mn, const char *set)
{
	size_t n = sizeof(v->media) / sizeof(v->media[0]), free_i = n;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v->media[i].mn, mn)) {
			if (set)
				snprintf(v->media[i].node, sizeof(v->media[i].node), "%s", set);
			return v->media[i].node[0] ? v->media[i].node : NULL;
		}
		if (!v->media[i].mn[0] && free_i == n)
			free_i = i;
	}
	if (set && *set && free_i < n) {
		snprintf(v->media[free_i].mn, sizeof(v->media[free_i].mn), "%s", mn);
		snprintf(v->media[free_i].node, sizeof(v->media[free_i].node), "%s", set);
		return v->media[free_i].node;
	}
	return NULL;
}

static void suvm_step(struct secd_suvm *v)
{
	struct secd_su *s = suvm_su(v);
	const struct su_iodev *io = s->m ? su_model_iodev(s->m, v->eff->mn) : NULL;
	char dev[16], node[32], key[8], msg[300];
	int r = 0;

	snprintf(dev, sizeof(dev), "dev-%s", v->eff->mn);
	snprintf(key, sizeof(key), "%u", v->index);
	switch (v->ops[v->step]) {
	case OP_KILL:
		if (!v->child) {
			suvm_advance(v);
			return;
		}
		guardc_kill(s->g, key, SIGKILL);
		suvm_wait(v, SUVM_WAIT_EXIT, SECD_SU_EXIT_WAIT_MS);
		return;
	case OP_QUIT:
		if (!v->child) {
			suvm_advance(v);
			return;
		}
		if (!v->qmp) {
			v->ops[v->step] = OP_KILL;
			suvm_step(v);
			return;
		}
		r = qmp_quit(v->qmp, SECD_SU_QMP_CMD_MS, suvm_on_reply, v);
		if (r == -ENOTCONN) { /* the monitor closed, its close not delivered yet: the
					 effect runs from a failed command's callback */
			v->ops[v->step] = OP_KILL;
			suvm_step(v);
			return;
		}
		break;
	case OP_SPAWN:
		if ((r = suvm_spawn(s, v, msg, sizeof(msg))) < 0) {
			suvm_fail(v, r, "%s", msg);
			return;
		}
		suvm_wait(v, SUVM_WAIT_SPAWN, SECD_SU_QMP_CMD_MS);
		return;
	case OP_CONNECT: /* reached only through secd_suvm_on_spawn_result() */
		return;
	case OP_CONT:
		r = v->qmp ? qmp_cont(v->qmp, SECD_SU_QMP_CMD_MS, suvm_on_reply, v) : -ENOTCONN;
		break;
	case OP_STOP:
		r = v->qmp ? qmp_stop(v->qmp, SECD_SU_QMP_CMD_MS, suvm_on_reply, v) : -ENOTCONN;
		break;
	case OP_RESET:
		r = v->qmp ? qmp_system_reset(v->qmp, SECD_SU_QMP_CMD_MS, suvm_on_reply, v)
			   : -ENOTCONN;
		break;
	case OP_POWERDOWN:
		r = v->qmp ? qmp_system_powerdown(v->qmp, SECD_SU_QMP_CMD_MS, suvm_on_reply, v)
			   : -ENOTCONN;
		break;
	case OP_OPEN_TRAY:
		r = v->qmp ? qmp_blockdev_open_tray(v->qmp, dev, true, SECD_SU_QMP_CMD_MS,
						    suvm_on_reply, v)
			   : -ENOTCONN;
		break;
	case OP_DETACH: {
		const char *ours = secd_suvm_media_node(v, v->eff->mn, NULL);
		r = v->qmp ? qmp_medium_detach(v->qmp, dev, ours, SECD_SU_QMP_CMD_MS, suvm_on_reply,
					       v)
			   : -ENOTCONN;
		if (r == 0)
			secd_suvm_media_node(v, v->eff->mn, ""); /* forgotten (the reply decides) */
		break;
	}
	case OP_ATTACH:
		if (!io) {
			suvm_fail(v, -ENOENT, "MN %s is not in the I/O configuration", v->eff->mn);
			return;
		}
		qmp_media_node_name(node, sizeof(node), io->mn, ++v->media_n); /* fresh each time */
		r = v->qmp ? qmp_medium_attach(v->qmp, dev, node, io->backing, io->cls == SU_DEV_TAPE,
					       !strcmp(qemu_cache_mode(io->backing), "none"),
					       SECD_SU_QMP_CMD_MS, suvm_on_reply, v)
			   : -ENOTCONN;
		if (r == 0)
			secd_suvm_media_node(v, io->mn, node);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0) {
		suvm_fail(v, r, "QMP: %s", r == -ENOTCONN ? "QEMU's monitor is not connected"
							   : strerror(-r));
		return;
	}
	suvm_wait(v, SUVM_WAIT_REPLY, SECD_SU_QMP_CMD_MS + 1000);
}

static int suvm_plan_ops(struct secd_su *s, struct secd_suvm *v, const struct su_effect *e,
			 char *msg, size_t size)
{
	const struct su_vm *vm = suvm_def(s, v);
	const struct su_iodev *io = e->mn[0] && s->m ? su_model_iodev(s->m, e->mn) : NULL;
	bool respawn = vm && vm->ipl_unit[0] && strcmp(vm->ipl_unit, v->booted_ipl);
	int n = 0;

	switch (e->kind) {
	case SU_EFF_QEMU_START:
		if (v->child) {
			snprintf(msg, size, "a QEMU (pid %d) still runs for VM index %u", v->pid,
				 v->index);
			return -EEXIST;
		}
		v->ops[n++] = OP_SPAWN;
		v->ops[n++] = OP_CONNECT;
		break;
	case SU_EFF_QEMU_CONT:
	case SU_EFF_QEMU_RESET_CONT:
		if (respawn || !v->child) { /* boot from the IPL unit: a fresh QEMU */
			v->ops[n++] = OP_KILL;
			v->ops[n++] = OP_SPAWN;
			v->ops[n++] = OP_CONNECT;
		} else if (e->kind == SU_EFF_QEMU_RESET_CONT) {
			v->ops[n++] = OP_RESET;
		}
		v->ops[n++] = OP_CONT;
		break;
	case SU_EFF_QEMU_STOP:
		v->ops[n++] = OP_STOP;
		break;
	case SU_EFF_QEMU_POWERDOWN:
		v->ops[n++] = OP_POWERDOWN;
		break;
	case SU_EFF_QEMU_QUIT:
		v->ops[n++] = OP_QUIT;
		break;
	case SU_EFF_DEVICE_ADD:
	case SU_EFF_MEDIUM_ATTACH:
	case SU_EFF_DEVICE_REMOVE:
	case SU_EFF_MEDIUM_DETACH: {
		bool add = e->kind == SU_EFF_DEVICE_ADD || e->kind == SU_EFF_MEDIUM_ATTACH;
		if (!io) {
			snprintf(msg, size, "MN %s is not in the I/O configuration", e->mn);
			return -ENOENT;
		}
		if (io->cls == SU_DEV_DISK || io->cls == SU_DEV_CONSOLE) {
			snprintf(msg, size, "MN %s (%s) cannot be %s a running VM on this SU: "
				 "assign disks while the VM is not initialized", e->mn,
				 su_dev_class_to_string(io->cls), add ? "added to" : "removed from");
			return -ENOTSUP;
		}
		if (!v->child) { /* no QEMU: the definition alone changes */
			v->nops = 0;
			return 0;
		}
		if (add) { /* the tray of an empty drive is closed: open it first */
			v->ops[n++] = OP_OPEN_TRAY;
			v->ops[n++] = OP_ATTACH;
		} else {
			v->ops[n++] = OP_DETACH;
		}
		break;
	}
	default:
		snprintf(msg, size, "effect %s is not carried out on a VM",
			 su_effect_kind_to_string(e->kind));
		return -EINVAL;
	}
	v->nops = n;
	return 0;
}

int secd_suvm_effect(struct secd_su *s, struct secd_sucmd *cmd, struct su_effect *e,
		     char *msg, size_t size)
{
	struct secd_suvm *v;
	int r;

	if (e->vm_index < SU_INDEX_MIN || e->vm_index > SU_INDEX_MAX) {
		snprintf(msg, size, "VM index %u is not a guest", e->vm_index);
		return -EINVAL;
	}
	v = &s->vm[e->vm_index];
	if (v->cmd) {
		snprintf(msg, size, "VM index %u is busy", e->vm_index);
		return -EBUSY;
	}
	v->cmd = cmd;
	v->eff = e;
	v->step = 0;
	if ((r = suvm_plan_ops(s, v, e, msg, size)) < 0) {
		v->cmd = NULL;
		v->eff = NULL;
		return r;
	}
	if (v->nops == 0) {
		v->cmd = NULL;
		v->eff = NULL;
		secd_sucmd_effect_done(s, cmd, 0, NULL);
		return 0;
	}
	suvm_step(v);
	return 0;
}

struct linelog *secd_suvm_console(struct secd_su *s, unsigned index)
{
	struct secd_suvm *v;
	char path[SECD_PATH_MAX + 64];
	struct sec_err err = {0};

	if (index < SU_INDEX_MIN || index > SU_INDEX_MAX)
		return NULL;
	v = &s->vm[index];
	if (!v->kvp) {
		secd_suvm_path(s, index, "console.log", path, sizeof(path));
		if (linelog_open(path, LINELOG_RAW, &v->kvp, &err) < 0) {
			log_warnx("%s: %s", s->d->who, err.msg);
			return NULL;
		}
	}
	linelog_refresh(v->kvp);
	return v->kvp;
}

void secd_suvm_close(struct secd_su *s, struct secd_suvm *v)
{
	v->cmd = NULL; /* pending replies of the freed connection are ignored */
	v->eff = NULL;
	v->wait = SUVM_WAIT_NONE;
	v->qmp = qmp_free(v->qmp);
	v->qmp_ready = false;
	if (v->timer_init) {
		uv_timer_stop(&v->timer);
		uv_close((uv_handle_t *)&v->timer, NULL);
		uv_close((uv_handle_t *)&v->pdtimer, NULL);
		uv_close((uv_handle_t *)&v->latetimer, NULL);
		v->timer_init = false;
	}
	v->cmd = NULL;
	v->eff = NULL;
}
