/* lab.h — the local lab of `sectl lab up|status|down` (issue 3 "The local lab";
 * testing.md "Lab"; architecture.md §2): a complete installation on one machine, every unit
 * a `secd` process, every CRD disk a file under DIR, every address on loopback (or, with
 * --netns, each SE Server in its own network namespace on a bridge).
 *
 *   struct lab *lab = lab_new();
 *   lab_plan(lab, &opts, &err);          // names, unit ids, servers, addresses
 *   lab_setup_files(lab, pw, &err);      // CRD files, key, topology + init, configs
 *   lab_unit_start(lab, &lab->units[i], secd, &err);  ... lab_state_write(lab, &err);
 *   lab_observe(lab, &view);             // Master MU (CRD lease block), alive messages
 *   lab_units_stop(lab, stdout);         // SIGTERM by PID, SIGKILL after 10 s
 *   lab = lab_free(lab);
 *
 * DIR's layout (lab.json records it; docs in README "The local lab"):
 *   DIR/lab.json  DIR/sectl.conf  DIR/admin.password (0600)  DIR/cluster.key (0600)
 *   DIR/topology.json  DIR/crd/ext1  DIR/crd/ext2
 *   DIR/units/NAME/{secd.conf, secd.log, internal, data/}
 * Unit ids: MUs 1.., SUs 17.. (33.. when there are more than 16 MUs), then the simulated
 * units of --sim-units; API port base_port + unit id, heartbeat port base_port + 100 +
 * unit id. A simulated unit (SU x86 "sim<N>", servers in turn) is in the topology and
 * lab.json ("simulated": true) only: no secd, no files; something else answers its
 * heartbeat (bench/hb-sim --lab DIR); up waits for the real units only. Functions return 0 or
 * -errno with reterr naming the file, the unit or the command; nothing here logs. */
#ifndef SEC_SECTL_LAB_H
#define SEC_SECTL_LAB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "crd/ondisk.h"
#include "crd/timing.h"
#include "lib/err.h"

#define LAB_SERVERS_MAX 8
#define LAB_MUS_PER_SERVER_MAX 4
#define LAB_SUS_PER_SERVER_MAX 2
#define LAB_SIM_UNITS_MAX 128 /* --sim-units: units in the topology only (bench/hb-sim) */
#define LAB_UNITS_MAX \
	(LAB_SERVERS_MAX * (LAB_MUS_PER_SERVER_MAX + LAB_SUS_PER_SERVER_MAX) + LAB_SIM_UNITS_MAX)
#define LAB_PATH_MAX 1024 /* bytes of a path with its NUL (secd's SECD_PATH_MAX) */
#define LAB_DIR_MAX 800   /* bytes of DIR: its longest file must fit in LAB_PATH_MAX */
#define LAB_ADDR_MAX 64
#define LAB_PASSWORD_LEN 16
#define LAB_PORT_SPAN 300 /* ports base+1 .. base+LAB_PORT_SPAN-1 belong to one lab */

struct lab_unit {
	char name[16];           /* "mu1", "su2" */
	bool mu;                 /* an MU (else an SU: x86, or /390 with --su-type 390) */
	bool sim;                /* simulated: topology only, no secd (pid 0), no files */
	int server;              /* 1..n_servers: SE Server "server<N>" */
	uint32_t unit_id;
	pid_t pid;               /* 0 = not started */
	char api[LAB_ADDR_MAX];       /* "127.0.0.1:20301" */
	char heartbeat[LAB_ADDR_MAX]; /* "127.0.0.1:20401" */
	char config[LAB_PATH_MAX];    /* DIR/units/NAME/secd.conf */
	char log[LAB_PATH_MAX];       /* DIR/units/NAME/secd.log */
	/* SU (lab_su.c): its sec-guard and the lab's fake watchdog, started before secd */
	pid_t guard_pid;              /* 0 = not started (or the lab runs --no-guard) */
	pid_t fakewd_pid;
};

/* The shared devices of every SU's I/O configuration (lab_su.c; README "The local lab"). */
#define LAB_SHARED_DISKS 16            /* A000..A00F in DIR/disks/ */
#define LAB_DISK_MIB 64                /* size of each disk, tape and local disk file (sparse) */
#define LAB_GUEST_IMAGE "guest/secguest.elf" /* the demo guest, relative to the build dir */
#define LAB_SUN_PATH_MAX 108           /* sun_path: the guard's socket must fit */

/* --netns: one network namespace per SE Server, veths on one bridge (lab_netns.c). */
struct lab_netns {
	bool on;
	char tag[7];        /* 6 hex digits of a hash of DIR */
	int subnet;         /* x of 10.251.x.0/24 */
	char bridge[16];    /* "sl<tag>br", address 10.251.x.254 */
	bool created;       /* this process (up) created it: undo on failure */
};

struct lab {
	char dir[LAB_DIR_MAX]; /* absolute, no trailing '/' */
	enum crd_profile profile;
	int n_servers, mus_per_server, sus_per_server, sim_units;
	unsigned base_port;
	struct lab_netns netns;
	bool faults;           /* --faults: each unit reads SECLUSTER_FAULT_FILE=DIR/units/NAME/faults */
	bool no_guard;         /* --no-guard: SUs run secd only (no sec-guard, no guests) */
	bool su390;            /* --su-type 390: the SUs are SU /390 (x86 QEMU under them) */
	char guest_image[LAB_PATH_MAX]; /* what A000 was copied from; "" = a placeholder */
	int n_units;
	struct lab_unit units[LAB_UNITS_MAX]; /* MUs first (unit id order), SUs, simulated */
};

/* What `sectl lab up` was asked for (lab_plan). */
struct lab_opts {
	const char *dir;      /* absolute */
	int servers;          /* 1..8 */
	int mus_per_server;   /* 1..4 */
	int sus_per_server;   /* 0..2 */
	int sim_units;        /* 0..LAB_SIM_UNITS_MAX; not with netns */
	enum crd_profile profile; /* test or lab */
	unsigned base_port;   /* 0 = pick a free range */
	bool netns;
	bool faults;          /* a fault file per unit (lab_unit_start) */
	bool no_guard;        /* SUs without sec-guard and the fake watchdog */
	bool su390;           /* --su-type 390 */
	const char *guest_image; /* --guest-image PATH (absolute), NULL = look for it */
};

/* A zeroed lab, or NULL (ENOMEM). lab_free accepts NULL and returns NULL. */
struct lab *lab_new(void);
struct lab *lab_free(struct lab *lab);

/* ---- lab_plan.c ---- */

/* Fills lab from o: servers, units (names, ids, servers), file paths and addresses (the
 * netns addresses when o->netns; lab_netns_plan first). Picks base_port when 0 (random
 * order among 20000 + 300 k, every port of the range bindable on 127.0.0.1) or checks the
 * given one. -EINVAL bad counts, -ENAMETOOLONG DIR, -EADDRINUSE no free range / a port of
 * the given one in use (named). */
int lab_plan(struct lab *lab, const struct lab_opts *o, struct sec_err *reterr);
/* `add-server`: appends SE Server "server<n_servers + 1>" with mus MUs and sus SUs (each
 * 0..the per-server maximum, at least one unit): names after the highest of their kind
 * ("mu5"), the next unit ids of their kind that no unit of lab.json has (removed ones
 * included: their slots stay on the CRD) and whose ports bind now, paths and addresses as
 * lab_plan. -E2BIG (too many servers or units), -EINVAL, -EOPNOTSUPP (--netns),
 * -EADDRINUSE. */
int lab_plan_add_server(struct lab *lab, int mus, int sus, struct sec_err *reterr);
/* "server<N>" of a unit, into buf[16]. */
const char *lab_server_name(int server, char buf[16]);
/* DIR/<rel> into buf (LAB_PATH_MAX). */
const char *lab_path(const struct lab *lab, const char *rel, char buf[LAB_PATH_MAX]);
/* True when every port of base (API and heartbeat of each unit id, TCP and UDP) can be
 * bound on 127.0.0.1 now; else *ret_port is the first that cannot. */
bool lab_ports_free(const struct lab *lab, unsigned base, unsigned *ret_port);
/* A random password of LAB_PASSWORD_LEN characters from an alphabet without look-alikes
 * (no 0/O, 1/l/I), into buf[LAB_PASSWORD_LEN + 1]. -EIO when libsodium cannot start. */
int lab_password_generate(char buf[LAB_PASSWORD_LEN + 1]);

/* ---- lab_setup.c ---- */

/* Creates the files of a new lab in lab->dir (which exists, mode 0700, empty): the CRD
 * files (external set ext1+ext2 and one internal disk per unit recording that set; local
 * files: --unsafe-crd-fs), cluster.key, topology.json, region 0 by `cluster init` with
 * the account 'admin' and password (written to admin.password, 0600), and every unit's
 * directory and secd.conf, each checked as `secd -n` does. Returns 0 or -errno with
 * reterr naming the file. */
int lab_setup_files(const struct lab *lab, const char *password, struct sec_err *reterr);
/* The files of a unit added to a running lab (add-server): its directory, data directory,
 * internal CRD disk (recording the disk set of DIR/crd/ext1) and secd.conf (checked). */
int lab_setup_unit_files(const struct lab *lab, const struct lab_unit *u,
			 struct sec_err *reterr);
/* The text of unit u's secd.conf into buf[size]. -ENOSPC when it does not fit. */
int lab_unit_config(const struct lab *lab, const struct lab_unit *u, char *buf, size_t size);
/* DIR/sectl.conf: [sectl] api = every MU's API address; token_file = sectl.token. */
int lab_write_sectl_conf(const struct lab *lab, struct sec_err *reterr);
/* Writes text to path atomically: path.tmp (mode), fsync, rename, fsync of the dir. */
int lab_write_file_atomic(const char *path, const char *text, unsigned mode,
			  struct sec_err *reterr);

/* ---- lab_state.c ---- */

/* DIR/lab.json, written atomically: profile, servers, netns, every unit with its pid. */
int lab_state_write(const struct lab *lab, struct sec_err *reterr);
/* Reads DIR/lab.json into *lab. -ENOENT: no lab in dir; -EINVAL: not a lab.json
 * (reterr names the field). */
int lab_state_read(const char *dir, struct lab *lab, struct sec_err *reterr);
/* The lab.json document (new reference), or NULL (ENOMEM). */
json_t *lab_state_to_json(const struct lab *lab);

/* What the CRD shows now (lab_observe). */
struct lab_view {
	int master;          /* index into lab->units of the Master MU, or -1 */
	uint64_t term;       /* its lease term */
	bool alive[LAB_UNITS_MAX]; /* the unit's slot says RUNNING (it has started) */
	uint64_t incarnation[LAB_UNITS_MAX]; /* of that RUNNING slot (0 = none): a restarted
					      * unit shows a new one */
	int read_err;        /* 0, or why neither external disk could be read */
};

/* Reads the master lease and the slots of DIR/crd/ext1 and ext2 (the newer lease record,
 * by term then counter): the Master MU is the holder when the lease is not released, the
 * holder is an MU of the lab and its process runs (lab_unit_running). */
void lab_observe(const struct lab *lab, struct lab_view *ret);

/* ---- lab_proc.c ---- */

/* The secd to run: $SECLUSTER_SECD, else dirname(/proc/self/exe)/../secd/secd (build
 * tree), else dirname(/proc/self/exe)/secd (installed). -ENOENT names what was tried. */
int lab_find_secd(char buf[LAB_PATH_MAX], struct sec_err *reterr);
/* Starts `secd --role mu|su --config FILE` for u: its own session, stdin /dev/null,
 * stdout and stderr appended to u->log, no other fd, in its server's namespace with
 * --netns; with lab->faults, SECLUSTER_FAULT_FILE=DIR/units/NAME/faults in its environment
 * (the file is created empty when missing: lib/fault.h rules, re-read when it changes).
 * Sets u->pid. */
int lab_unit_start(const struct lab *lab, struct lab_unit *u, const char *secd,
		   struct sec_err *reterr);
/* Forks prog (argv, envp; NULL = environ) for unit u as lab_unit_start does (own
 * session, stdin /dev/null, stdout and stderr appended to log, no other fd, u's namespace
 * with --netns); the pid into *ret. 0 or -errno naming the unit. */
int lab_spawn(const struct lab *lab, const struct lab_unit *u, const char *prog,
	      char *const argv[], char *const envp[], const char *log, pid_t *ret,
	      struct sec_err *reterr);
/* True when /proc/PID/cmdline runs a program whose argv[0] basename contains prog, with
 * an argument equal to arg (a recycled pid is not taken for ours; a zombie does not run). */
bool lab_pid_runs(pid_t pid, const char *prog, const char *arg);
/* True when u->pid is a live process that runs secd with u's config (so that a recycled
 * pid is not taken for ours; a zombie is not running), or a live child of this process
 * (`up`: ours also before its exec). Reaps u->pid if it is our child and has ended. */
bool lab_unit_running(const struct lab_unit *u);
/* SIGTERM to every running unit, up to 10 s for them to end, then SIGKILL (and 5 s more);
 * prints one line per unit stopped to out (NULL: silent). Returns how many were running. */
int lab_units_stop(const struct lab *lab, FILE *out);
/* The last n lines of path to out, each indented by two spaces. */
void lab_print_tail(const char *path, int n, FILE *out);

/* ---- lab_su.c: what an SU has beyond an MU ---- */

/* The programs a lab runs (lab_find_bins). */
struct lab_bins {
	char secd[LAB_PATH_MAX];
	char guard[LAB_PATH_MAX];  /* "" when the lab needs none (no SU, or --no-guard) */
	char fakewd[LAB_PATH_MAX];
};

/* secd (lab_find_secd) and, when the lab has an SU that is not simulated and not
 * lab->no_guard, sec-guard and sec-fakewd: $SECLUSTER_GUARD / $SECLUSTER_FAKEWD, else
 * dirname(/proc/self/exe)/../guard/ (build tree), else next to sectl. -ENOENT names what
 * was tried and how to go on (build src/guard, or --no-guard). */
int lab_find_bins(const struct lab *lab, struct lab_bins *ret, struct sec_err *reterr);
/* The demo guest image for A000: path (--guest-image: must be a readable file, else
 * -ENOENT), or <build dir>/guest/secguest.elf found from /proc/self/exe
 * (dirname/../../guest/), or $SECLUSTER_GUEST_IMAGE. Sets lab->guest_image, or leaves it
 * "" when none was found (A000 is then a placeholder and up says so). */
int lab_find_guest_image(struct lab *lab, const char *path, struct sec_err *reterr);
/* The devices every SU shares, created when missing (add-server may add the first SU):
 * DIR/disks/A000.img (a copy of lab->guest_image, or an empty placeholder of
 * LAB_DISK_MIB), A001..A00F.img (sparse, zero; A001 the demo guest's marker disk) and
 * DIR/tapes/T0.img. Returns 0 or -errno naming the file. */
int lab_su_shared_files(const struct lab *lab, struct sec_err *reterr);
/* An SU's own files: DIR/units/NAME/L0.img (sparse) and DIR/units/NAME/io.conf (the I/O
 * configuration of shared.md: A000-A00F, T0, L0). Checks that the guard socket path fits
 * in sun_path (-ENAMETOOLONG: choose a shorter DIR). */
int lab_su_unit_files(const struct lab *lab, const struct lab_unit *u, struct sec_err *reterr);
/* The [su] section of u's secd.conf into buf[size]. -ENOSPC. */
int lab_su_config(const struct lab *lab, const struct lab_unit *u, char *buf, size_t size);
/* DIR/units/NAME/data/guard.sock and DIR/units/NAME/fakewd.sock into buf. */
const char *lab_su_guard_socket(const struct lab *lab, const struct lab_unit *u,
				char buf[LAB_PATH_MAX]);
const char *lab_su_fakewd_socket(const struct lab *lab, const struct lab_unit *u,
				 char buf[LAB_PATH_MAX]);
/* Starts whatever of u does not run: for an SU (unless --no-guard) sec-guard, then
 * sec-fakewd of the guard's process group (docs/guard.md "Processes"; a fake watchdog left
 * from an earlier guard is ended first), each waited for until its socket exists (10 s),
 * then secd (lab_unit_start). Sets the pids. On failure what this call started is stopped
 * again. */
int lab_unit_start_all(const struct lab *lab, struct lab_unit *u, const struct lab_bins *b,
		       struct sec_err *reterr);
/* True when u's recorded guard / fake watchdog pid runs that program for u. */
bool lab_guard_running(const struct lab_unit *u);
bool lab_fakewd_running(const struct lab_unit *u);
/* The QEMU processes of u: the live children of its running guard (a /proc scan; the
 * guard's own LIST is for its one client, secd). Returns how many (at most max). */
int lab_qemu_pids(const struct lab_unit *u, pid_t *ret, int max);
/* Stops the guards and fake watchdogs of the lab (after lab_units_stop stopped secd): SIGTERM,
 * up to 10 s, then SIGKILL; lines to out (NULL: silent). Returns how many ran. */
int lab_guards_stop(const struct lab *lab, FILE *out);

/* ---- lab.c, lab_add.c: the commands ---- */

/* DIR as an absolute path without a trailing '/' into out. -ENAMETOOLONG, -EINVAL (a ','). */
int lab_absolute_dir(const char *arg, char out[LAB_DIR_MAX], struct sec_err *reterr);
/* An exclusive flock on DIR (one lab command at a time); returns the fd or -errno. */
int lab_lock_dir(const char *dir, struct sec_err *reterr);
/* `sectl lab add-server --dir DIR [--mus M] [--sus K]` (lab_add.c): a new SE Server with
 * its units added to the running lab through the Master MU (the API, as admin), its
 * units' files made and their secd started and recorded in lab.json. Exit status. */
int lab_cmd_add_server(int argc, char **argv);
/* A client of the lab's API (DIR/sectl.conf) logged in as admin with DIR/admin.password
 * (the token in memory only) into *ret (free with sectl_client_free). 0 or -errno with
 * reterr (lab_add.c). */
struct sectl_client;
int lab_api_client(const struct lab *lab, struct sectl_client **ret, struct sec_err *reterr);
/* `up --su-cluster` (lab_suc.c): the two SUs of SU Cluster SUC1 — the first SU of server1
 * and of server2, or the first two SUs with one server — into a and b (indexes into
 * lab->units), or -EINVAL naming what is missing. */
int lab_su_cluster_pick(const struct lab *lab, int *a, int *b, struct sec_err *reterr);
/* After up: creates SU Cluster SUC1 of those SUs through the API (active), waits (15 s;
 * 30 s with the lab profile) until the Cluster Manager shows its status, and prints it.
 * 0 or -errno with reterr. */
int lab_su_cluster_up(const struct lab *lab, struct sec_err *reterr);
/* ---- lab_cmd.c: `sectl lab start|kill` (the commands; lab.c dispatches) ---- */

/* `sectl lab start --dir DIR UNIT`: starts the secd of a unit that does not run (killed,
 * or stopped by `lab down`) with its configuration, as `up` did (an SU's fake watchdog and
 * guard first, when they do not run), records the new PID in
 * lab.json and waits (15 s; 30 s with the lab profile) until its alive message with a new
 * incarnation is on the CRD. `--help`: its usage on stdout, exit 0. Exit 0, 1 (the unit
 * runs already, no such unit, it ended: the end of its log), 2 usage. */
int lab_cmd_start(int argc, char **argv);
/* `sectl lab kill --dir DIR UNIT [--signal KILL|TERM|STOP|CONT|HUP] [--only
 * secd,guard,fakewd,qemu]` (default KILL, every process of the unit; issue 7): sends the
 * signal to the recorded PIDs that still run the unit's programs (QEMUs: the guard's
 * children), never by name; after KILL or TERM waits (10 s) until they have ended. One
 * line per process on stdout: "killed the secd of su1 (pid N) with SIGKILL", "ended the
 * guard of su1 (pid N) with SIGTERM", "sent SIGSTOP to the QEMU of su1 (pid N)"; nothing
 * running: "nothing to kill: nothing of su1 runs (recorded secd pid N)", exit 0.
 * lab.json is not changed (`start` records new PIDs). `--help`: usage, exit 0. Exit 0,
 * 1 (no such unit, an MU or a --no-guard SU with --only other than secd, a process could
 * not be signalled or still runs), 2 usage. */
int lab_cmd_kill(int argc, char **argv);

/* ---- lab_netns.c ---- */

/* Names and the /24 of --netns for lab->dir (the first 10.251.x.0/24 from the hash that
 * no interface uses). -EPERM not root. */
int lab_netns_plan(struct lab *lab, struct sec_err *reterr);
/* The namespace and address of server N into ns[16] and addr[16]. */
void lab_netns_server(const struct lab *lab, int server, char ns[16], char veth[16],
		      char addr[16]);
/* Creates the bridge, one namespace and veth per server (ip(8)); undoes its part on
 * failure. -ENOENT no ip(8); -EEXIST a namespace of that name exists. */
int lab_netns_up(struct lab *lab, struct sec_err *reterr);
/* Removes the namespaces, veths and the bridge (missing ones are fine); prints what it
 * removed to out (NULL: silent). */
void lab_netns_down(const struct lab *lab, FILE *out);
/* The fd (O_CLOEXEC) of server N's namespace for setns(2), or -errno. */
int lab_netns_open(const struct lab *lab, int server);

#endif
