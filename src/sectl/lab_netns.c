/* lab_netns.c — `sectl lab up --netns` (architecture.md §2; testing.md "fault"): each SE
 * Server in its own network namespace sl<tag>s<N>, joined by a veth (sl<tag>v<N> in the
 * root namespace, eth0 inside) to the bridge sl<tag>br in the root namespace; server N's
 * units listen on 10.251.x.N, the bridge has 10.251.x.254. A test cuts server N with an nft
 * DROP on sl<tag>v<N>. Built with ip(8) (iproute2), needs root. See lab.h. */
#include "sectl/lab.h"

#include "lib/crc32c.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define IP_ARGS_MAX 16

void lab_netns_server(const struct lab *lab, int server, char ns[16], char veth[16],
		      char addr[16])
{
	snprintf(ns, 16, "sl%ss%d", lab->netns.tag, server);
	snprintf(veth, 16, "sl%sv%d", lab->netns.tag, server);
	snprintf(addr, 16, "10.251.%d.%d", lab->netns.subnet, server);
}

/* True when an interface of this (the root) namespace has an address in 10.251.x.0/24. */
static bool subnet_used(int x)
{
	struct ifaddrs *ifa, *p;
	bool used = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (p = ifa; p; p = p->ifa_next) {
		if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET)
			continue;
		uint32_t a = ntohl(((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr.s_addr);
		used |= (a >> 8) == ((10u << 16) | (251u << 8) | (unsigned)x);
	}
	freeifaddrs(ifa);
	return used;
}

static bool exists(const char *fmt, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), fmt, name);
	return access(path, F_OK) == 0;
}

int lab_netns_plan(struct lab *lab, struct sec_err *err)
{
	uint32_t h = crc32c(0, lab->dir, strlen(lab->dir));
	char ns[16], veth[16], addr[16];

	if (geteuid() != 0)
		return sec_errf(err, -EPERM, "--netns needs root (network namespaces, veth, bridge)");
	snprintf(lab->netns.tag, sizeof(lab->netns.tag), "%06x", h & 0xffffffu);
	snprintf(lab->netns.bridge, sizeof(lab->netns.bridge), "sl%sbr", lab->netns.tag);
	lab->netns.subnet = -1;
	for (int k = 0; k < 256 && lab->netns.subnet < 0; k++) {
		int x = (int)((h >> 24) + (uint32_t)k) % 256;
		if (!subnet_used(x))
			lab->netns.subnet = x;
	}
	if (lab->netns.subnet < 0)
		return sec_errf(err, -EADDRINUSE, "every 10.251.x.0/24 is in use on this host");
	if (exists("/sys/class/net/%s", lab->netns.bridge))
		return sec_errf(err, -EEXIST, "the bridge '%s' exists: another lab with this "
				"directory runs (sectl lab down --dir %s)", lab->netns.bridge, lab->dir);
	for (int s = 1; s <= lab->n_servers; s++) {
		lab_netns_server(lab, s, ns, veth, addr);
		if (exists("/run/netns/%s", ns))
			return sec_errf(err, -EEXIST, "the network namespace '%s' exists: another "
					"lab with this directory runs (sectl lab down --dir %s)",
					ns, lab->dir);
	}
	return 0;
}

/* The path of ip(8): the usual places, as root's PATH may lack sbin. */
static const char *ip_path(void)
{
	static const char *const paths[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip",
					    "/bin/ip"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* Runs ip with the arguments (NULL-terminated); its stderr becomes the error message. */
static int run_ip(struct sec_err *err, ...)
{
	char *argv[IP_ARGS_MAX + 2], msg[512] = "", cmd[256] = "ip";
	const char *ip = ip_path();
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0, argc = 1, r;
	ssize_t n = 0, got;
	va_list ap;
	pid_t pid;

	if (!ip)
		return sec_errf(err, -ENOENT, "ip (iproute2) not found: run scripts/install-deps.sh");
	argv[0] = (char *)ip;
	va_start(ap, err);
	for (char *a; argc <= IP_ARGS_MAX && (a = va_arg(ap, char *));) {
		argv[argc++] = a;
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", a);
	}
	va_end(ap);
	argv[argc] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return sec_errf(err, -errno, "cannot run '%s': %s", cmd, strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	r = posix_spawn(&pid, ip, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r) {
		close(pipefd[0]);
		return sec_errf(err, -r, "cannot run '%s': %s", cmd, strerror(r));
	}
	while (n < (ssize_t)sizeof(msg) - 1 &&
	       (got = read(pipefd[0], msg + n, sizeof(msg) - 1 - (size_t)n)) > 0)
		n += got;
	close(pipefd[0]);
	msg[n] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return sec_errf(err, -EIO, "'%s' failed: %s", cmd, msg[0] ? msg : "(no message)");
	return 0;
}

static int server_up(const struct lab *lab, int s, struct sec_err *err)
{
	char ns[16], veth[16], addr[16], cidr[24];
	int r;

	lab_netns_server(lab, s, ns, veth, addr);
	snprintf(cidr, sizeof(cidr), "%s/24", addr);
	if ((r = run_ip(err, "netns", "add", ns, NULL)) < 0 ||
	    (r = run_ip(err, "link", "add", veth, "type", "veth", "peer", "name", "eth0",
			"netns", ns, NULL)) < 0 ||
	    (r = run_ip(err, "link", "set", veth, "master", lab->netns.bridge, NULL)) < 0 ||
	    (r = run_ip(err, "link", "set", veth, "up", NULL)) < 0 ||
	    (r = run_ip(err, "-n", ns, "addr", "add", cidr, "dev", "eth0", NULL)) < 0 ||
	    (r = run_ip(err, "-n", ns, "link", "set", "eth0", "up", NULL)) < 0 ||
	    (r = run_ip(err, "-n", ns, "link", "set", "lo", "up", NULL)) < 0)
		return r;
	return 0;
}

int lab_netns_up(struct lab *lab, struct sec_err *err)
{
	char cidr[24];
	int r;

	snprintf(cidr, sizeof(cidr), "10.251.%d.254/24", lab->netns.subnet);
	lab->netns.created = true; /* from here on, a failure undoes what exists */
	if ((r = run_ip(err, "link", "add", lab->netns.bridge, "type", "bridge", NULL)) < 0 ||
	    (r = run_ip(err, "addr", "add", cidr, "dev", lab->netns.bridge, NULL)) < 0 ||
	    (r = run_ip(err, "link", "set", lab->netns.bridge, "up", NULL)) < 0)
		goto fail;
	for (int s = 1; s <= lab->n_servers; s++)
		if ((r = server_up(lab, s, err)) < 0)
			goto fail;
	return 0;
fail:
	lab_netns_down(lab, NULL);
	return r;
}

void lab_netns_down(const struct lab *lab, FILE *out)
{
	char ns[16], veth[16], addr[16];
	struct sec_err err;

	if (!lab->netns.on)
		return;
	for (int s = 1; s <= lab->n_servers; s++) {
		lab_netns_server(lab, s, ns, veth, addr);
		if (exists("/sys/class/net/%s", veth))
			run_ip(&err, "link", "del", veth, NULL); /* both ends */
		if (exists("/run/netns/%s", ns)) {
			if (run_ip(&err, "netns", "del", ns, NULL) == 0 && out)
				fprintf(out, "removed network namespace %s (server%d)\n", ns, s);
			else if (out)
				fprintf(out, "cannot remove network namespace %s: %s\n", ns, err.msg);
		}
	}
	if (exists("/sys/class/net/%s", lab->netns.bridge)) {
		if (run_ip(&err, "link", "del", lab->netns.bridge, NULL) == 0 && out)
			fprintf(out, "removed bridge %s\n", lab->netns.bridge);
		else if (out)
			fprintf(out, "cannot remove bridge %s: %s\n", lab->netns.bridge, err.msg);
	}
}

int lab_netns_open(const struct lab *lab, int server)
{
	char ns[16], veth[16], addr[16], path[64];
	int fd;

	lab_netns_server(lab, server, ns, veth, addr);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
