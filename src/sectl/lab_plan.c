/* lab_plan.c — what a lab consists of: servers, units, ids, paths, addresses, its port
 * range and the admin password (lab.h). Pure, apart from binding test sockets. */
#include "sectl/lab.h"

#include "auth/key.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LAB_SU_ID_BASE 17     /* SUs 17.. */
#define LAB_SU_ID_BASE_BIG 33 /* .. or 33.. when there are more than 16 MUs */
#define LAB_HB_OFFSET 100     /* heartbeat port = base + 100 + unit id */
#define LAB_PORT_FIRST 20000
#define LAB_PORT_RANGES 140   /* 20000 + 300 k, k < 140: up to port 62000 */
#define LAB_ID_MAX (LAB_PORT_SPAN - 1 - LAB_HB_OFFSET) /* the heartbeat port stays in range */

struct lab *lab_new(void)
{
	return calloc(1, sizeof(struct lab));
}

struct lab *lab_free(struct lab *lab)
{
	free(lab);
	return NULL;
}

const char *lab_server_name(int server, char buf[16])
{
	snprintf(buf, 16, "server%d", server);
	return buf;
}

const char *lab_path(const struct lab *lab, const char *rel, char buf[LAB_PATH_MAX])
{
	snprintf(buf, LAB_PATH_MAX, "%s/%s", lab->dir, rel);
	return buf;
}

/* Binds a socket of type to 127.0.0.1:port and closes it. */
static bool port_bindable(int type, unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	if (type == SOCK_STREAM) /* as a listener will: TIME_WAIT leftovers do not count */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

bool lab_ports_free(const struct lab *lab, unsigned base, unsigned *ret_port)
{
	for (int i = 0; i < lab->n_units; i++) {
		unsigned api = base + lab->units[i].unit_id;
		unsigned hb = api + LAB_HB_OFFSET;
		/* both protocols on both ports: the API may add UDP, the heartbeat TCP */
		if (!port_bindable(SOCK_STREAM, api) || !port_bindable(SOCK_DGRAM, api)) {
			*ret_port = api;
			return false;
		}
		if (!port_bindable(SOCK_STREAM, hb) || !port_bindable(SOCK_DGRAM, hb)) {
			*ret_port = hb;
			return false;
		}
	}
	return true;
}

/* The kernel's ephemeral port range (outgoing connections, QEMU's `tcp:...:0` migration
 * ports): a lab range inside it can find a port taken later, when `add-server` needs it. */
static void ephemeral_range(unsigned *lo, unsigned *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	*lo = 32768;
	*hi = 60999;
	if (f) {
		if (fscanf(f, "%u %u", lo, hi) != 2 || *lo > *hi) {
			*lo = 32768;
			*hi = 60999;
		}
		fclose(f);
	}
}

/* base_port: the given one, checked, or the first free range in random order, outside the
 * ephemeral port range when any range is (else any range). */
static int plan_ports(struct lab *lab, unsigned given, struct sec_err *err)
{
	unsigned order[LAB_PORT_RANGES], busy = 0;

	if (given) {
		if (given + LAB_PORT_SPAN > 65536)
			return sec_errf(err, -EINVAL, "--base-port %u: the lab needs ports up to %u",
					given, given + LAB_PORT_SPAN - 1);
		if (!lab_ports_free(lab, given, &busy))
			return sec_errf(err, -EADDRINUSE, "--base-port %u: port %u is in use on "
					"127.0.0.1", given, busy);
		lab->base_port = given;
		return 0;
	}
	for (unsigned k = 0; k < LAB_PORT_RANGES; k++)
		order[k] = k;
	for (unsigned k = LAB_PORT_RANGES - 1; k > 0; k--) { /* Fisher-Yates */
		unsigned j = randombytes_uniform(k + 1), t = order[k];
		order[k] = order[j];
		order[j] = t;
	}
	unsigned lo, hi;
	ephemeral_range(&lo, &hi);
	for (int pass = 0; pass < 2; pass++)
		for (unsigned k = 0; k < LAB_PORT_RANGES; k++) {
			unsigned base = LAB_PORT_FIRST + LAB_PORT_SPAN * order[k];
			bool ephemeral = base + LAB_PORT_SPAN > lo && base <= hi;
			if (pass == 0 && ephemeral)
				continue;
			if (lab_ports_free(lab, base, &busy)) {
				lab->base_port = base;
				return 0;
			}
		}
	return sec_errf(err, -EADDRINUSE, "no free port range for the lab on 127.0.0.1 "
			"(tried 20000 + 300 k); give one with --base-port");
}

/* The listen address of unit u: 127.0.0.1, or its server's namespace address. */
static void plan_addresses(struct lab *lab, struct lab_unit *u)
{
	char ns[16], veth[16], host[16] = "127.0.0.1";

	if (lab->netns.on)
		lab_netns_server(lab, u->server, ns, veth, host);
	snprintf(u->api, sizeof(u->api), "%s:%u", host, lab->base_port + u->unit_id);
	snprintf(u->heartbeat, sizeof(u->heartbeat), "%s:%u", host,
		 lab->base_port + LAB_HB_OFFSET + u->unit_id);
}

static void plan_unit(struct lab *lab, bool mu, int index, int per_server, uint32_t id)
{
	struct lab_unit *u = &lab->units[lab->n_units++];

	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s%d", mu ? "mu" : "su", index);
	u->mu = mu;
	u->unit_id = id;
	if (per_server == 0) { /* simulated: servers in turn; no config, no log */
		snprintf(u->name, sizeof(u->name), "sim%d", index);
		u->sim = true;
		u->server = (index - 1) % lab->n_servers + 1;
		return;
	}
	u->server = (index - 1) / per_server + 1;
	char rel[64], path[LAB_PATH_MAX];
	snprintf(rel, sizeof(rel), "units/%s/secd.conf", u->name);
	memcpy(u->config, lab_path(lab, rel, path), sizeof(path));
	snprintf(rel, sizeof(rel), "units/%s/secd.log", u->name);
	memcpy(u->log, lab_path(lab, rel, path), sizeof(path));
}

int lab_plan(struct lab *lab, const struct lab_opts *o, struct sec_err *err)
{
	int n_mu = o->servers * o->mus_per_server, n_su = o->servers * o->sus_per_server;
	uint32_t su_base = n_mu > 16 ? LAB_SU_ID_BASE_BIG : LAB_SU_ID_BASE;
	int r;

	if (o->servers < 1 || o->servers > LAB_SERVERS_MAX)
		return sec_errf(err, -EINVAL, "--servers %d is out of range 1..%d", o->servers,
				LAB_SERVERS_MAX);
	if (o->mus_per_server < 1 || o->mus_per_server > LAB_MUS_PER_SERVER_MAX)
		return sec_errf(err, -EINVAL, "--mus-per-server %d is out of range 1..%d",
				o->mus_per_server, LAB_MUS_PER_SERVER_MAX);
	if (o->sus_per_server < 0 || o->sus_per_server > LAB_SUS_PER_SERVER_MAX)
		return sec_errf(err, -EINVAL, "--sus-per-server %d is out of range 0..%d",
				o->sus_per_server, LAB_SUS_PER_SERVER_MAX);
	if (o->sim_units < 0 || o->sim_units > LAB_SIM_UNITS_MAX ||
	    su_base + (uint32_t)(n_su + o->sim_units) - 1 > LAB_ID_MAX)
		return sec_errf(err, -EINVAL, "--sim-units %d is out of range 0..%d (unit ids up "
				"to %d)", o->sim_units, LAB_SIM_UNITS_MAX, LAB_ID_MAX);
	if (o->sim_units && o->netns)
		return sec_errf(err, -EINVAL, "--sim-units cannot be combined with --netns");
	if (o->dir[0] != '/' || strlen(o->dir) >= LAB_DIR_MAX)
		return sec_errf(err, -ENAMETOOLONG, "lab directory '%s': needs an absolute path "
				"shorter than %d bytes", o->dir, LAB_DIR_MAX);
	snprintf(lab->dir, sizeof(lab->dir), "%s", o->dir);
	lab->profile = o->profile;
	lab->n_servers = o->servers;
	lab->mus_per_server = o->mus_per_server;
	lab->sus_per_server = o->sus_per_server;
	lab->sim_units = o->sim_units;
	lab->netns.on = o->netns;
	lab->faults = o->faults;
	lab->su390 = o->su390;
	lab->no_guard = o->no_guard;
	lab->n_units = 0;
	for (int i = 1; i <= n_mu; i++)
		plan_unit(lab, true, i, o->mus_per_server, (uint32_t)i);
	for (int i = 1; i <= n_su; i++)
		plan_unit(lab, false, i, o->sus_per_server, su_base + (uint32_t)i - 1);
	for (int i = 1; i <= o->sim_units; i++)
		plan_unit(lab, false, i, 0, su_base + (uint32_t)(n_su + i) - 1);
	if (auth_init() < 0)
		return sec_errf(err, -EIO, "cannot initialise libsodium");
	if ((r = plan_ports(lab, o->base_port, err)) < 0)
		return r;
	if (lab->netns.on && (r = lab_netns_plan(lab, err)) < 0)
		return r;
	for (int i = 0; i < lab->n_units; i++)
		plan_addresses(lab, &lab->units[i]);
	return 0;
}

/* The number in a lab unit's name ("mu12" -> 12), 0 when none. */
static int name_index(const char *name)
{
	const char *p = name;

	while (*p && (*p < '0' || *p > '9'))
		p++;
	return atoi(p);
}

static bool id_used(const struct lab *lab, uint32_t id)
{
	for (int i = 0; i < lab->n_units; i++)
		if (lab->units[i].unit_id == id)
			return true;
	return false;
}

/* The next unit id from base that no unit of the lab (started or planned, removed ones
 * included: their slots stay on the CRD) has and whose ports bind now. */
static int next_id(const struct lab *lab, uint32_t base, uint32_t *ret, struct sec_err *err)
{
	for (uint32_t id = base; id + LAB_HB_OFFSET < LAB_PORT_SPAN && id <= CRD_UNITS_MAX; id++) {
		unsigned api = lab->base_port + id, hb = api + LAB_HB_OFFSET;
		if (id_used(lab, id))
			continue;
		if (!port_bindable(SOCK_STREAM, api) || !port_bindable(SOCK_DGRAM, api) ||
		    !port_bindable(SOCK_STREAM, hb) || !port_bindable(SOCK_DGRAM, hb))
			continue;
		*ret = id;
		return 0;
	}
	return sec_errf(err, -EADDRINUSE, "no free unit id with free ports from %u in the lab's "
			"port range %u..%u", base, lab->base_port, lab->base_port + LAB_PORT_SPAN - 1);
}

int lab_plan_add_server(struct lab *lab, int mus, int sus, struct sec_err *err)
{
	int server = lab->n_servers + 1, mu_index = 0, su_index = 0, n_mu = 0;
	uint32_t su_base = LAB_SU_ID_BASE, id = 0;
	int r;

	if (server > LAB_SERVERS_MAX)
		return sec_errf(err, -E2BIG, "the lab has %d SE Servers already (at most %d)",
				lab->n_servers, LAB_SERVERS_MAX);
	if (mus < 0 || mus > LAB_MUS_PER_SERVER_MAX || sus < 0 || sus > LAB_SUS_PER_SERVER_MAX ||
	    mus + sus == 0)
		return sec_errf(err, -EINVAL, "a new server needs 0..%d MUs and 0..%d SUs, at least "
				"one unit", LAB_MUS_PER_SERVER_MAX, LAB_SUS_PER_SERVER_MAX);
	if (lab->n_units + mus + sus > LAB_UNITS_MAX)
		return sec_errf(err, -E2BIG, "the lab would have more than %d units", LAB_UNITS_MAX);
	if (lab->netns.on)
		return sec_errf(err, -EOPNOTSUPP, "add-server does not support a lab with --netns "
				"(its namespaces are made by 'up')");
	for (int i = 0; i < lab->n_units; i++) {
		int k = name_index(lab->units[i].name);
		if (lab->units[i].mu) {
			mu_index = k > mu_index ? k : mu_index;
			n_mu++;
		} else {
			su_index = k > su_index ? k : su_index;
		}
	}
	if (n_mu + mus > 16)
		su_base = LAB_SU_ID_BASE_BIG;
	for (int i = 0; i < mus + sus; i++) {
		bool mu = i < mus;
		if ((r = next_id(lab, mu ? 1 : su_base, &id, err)) < 0)
			return r;
		if (mu && id >= su_base)
			return sec_errf(err, -E2BIG, "no MU unit id below the SUs' %u is free", su_base);
		plan_unit(lab, mu, mu ? ++mu_index : ++su_index, 1, id);
		lab->units[lab->n_units - 1].server = server;
		plan_addresses(lab, &lab->units[lab->n_units - 1]);
	}
	lab->n_servers = server;
	return 0;
}

int lab_password_generate(char buf[LAB_PASSWORD_LEN + 1])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz"  /* no l, o */
				       "ABCDEFGHJKLMNPQRSTUVWXYZ"  /* no I, O */
				       "23456789";                 /* no 0, 1 */

	if (auth_init() < 0)
		return -EIO;
	for (int i = 0; i < LAB_PASSWORD_LEN; i++)
		buf[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	buf[LAB_PASSWORD_LEN] = '\0';
	return 0;
}
