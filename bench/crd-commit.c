/* crd-commit.c — commit latency of a CRD region write (src/crd/region.c) against the same
 * number of parallel pwrite + fdatasync of the same size to the same files (threads, one
 * per file, O_DIRECT). Bench only (testing.md): never run by make check.
 *
 *   crd-commit [--dir DIR] [--writes N]
 *
 * For 1, 2 and 3 file-backed disks (1 = N 1; 2 = N 2; 3 = N 2 + the internal disk, which
 * the CRD writes after the external disks) and payloads of 4 KiB and 64 KiB in the default
 * unit region (1 MiB per copy), prints the median and p99 latency of both, in µs, and the
 * ratio of the medians. DIR (default: a new directory under /tmp) must be on the file system
 * to measure; the disk files (1 GiB, sparse) are removed at the end. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crd/io.h"
#include "crd/ondisk.h"
#include "crd/region.h"
#include "lib/parse.h"
#include "lib/clock.h"

#define DISKS_MAX 3

struct baseline {
	pthread_barrier_t start, end;
	int fd[DISKS_MAX];
	int n;
	void *buf;
	size_t len;
	uint64_t off;
	int rounds;
	int errors;
};

struct bthread {
	struct baseline *b;
	int i;
};

static void *baseline_main(void *arg)
{
	struct bthread *t = arg;
	struct baseline *b = t->b;

	for (int r = 0; r < b->rounds; r++) {
		pthread_barrier_wait(&b->start);
		if (pwrite(b->fd[t->i], b->buf, b->len, (off_t)b->off) != (ssize_t)b->len ||
		    fdatasync(b->fd[t->i]) < 0)
			__atomic_add_fetch(&b->errors, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&b->end);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void stats(uint64_t *v, int n, double *med, double *p99)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	*med = (double)v[n / 2] / 1000.0;
	*p99 = (double)v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1000.0;
}

static int run(const char *dir, int ndisks, size_t payload, int writes)
{
	char path[DISKS_MAX][512];
	struct crd_disk *disks[DISKS_MAX] = {0};
	struct crd_io_cfg cfg = {.io_timeout_ms = 10000};
	struct crd_region_disks rd = {0};
	struct crd_region_writer w;
	struct sec_err err = {0};
	struct baseline b = {0};
	pthread_t th[DISKS_MAX];
	struct bthread bt[DISKS_MAX];
	uint64_t *crd_ns = calloc((size_t)writes, sizeof(uint64_t));
	uint64_t *base_ns = calloc((size_t)writes, sizeof(uint64_t));
	uint8_t *p = malloc(payload);
	double cm, cp, bm, bp;
	int r = -1;

	if (!crd_ns || !base_ns || !p)
		goto out;
	for (size_t i = 0; i < payload; i++)
		p[i] = (uint8_t)('a' + i % 26);
	for (int i = 0; i < ndisks; i++) {
		int fd;
		snprintf(path[i], sizeof(path[i]), "%s/disk%d", dir, i);
		fd = open(path[i], O_CREAT | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)CRD_DEFAULT_SIZE) < 0) {
			perror(path[i]);
			goto out;
		}
		close(fd);
		if (crd_disk_open(path[i], &disks[i], &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
	}
	if (crd_geometry_make(CRD_DEFAULT_SIZE, 0, 0, &rd.geo) < 0 ||
	    crd_io_new(&cfg, disks, ndisks, &rd.io) < 0)
		goto out;
	rd.next = ndisks < 2 ? ndisks : 2;
	rd.ext[0] = 0;
	rd.ext[1] = 1;
	rd.internal = ndisks == 3 ? 2 : -1;
	crd_region_writer_init(&w, 1, 1, 1, 0);
	for (int i = 0; i < writes + 5; i++) { /* 5 warm-up writes */
		uint64_t t0 = clock_monotonic_ns();
		if (crd_region_write(&rd, &w, 0, p, payload, 0, NULL, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
		if (i >= 5)
			crd_ns[i - 5] = clock_monotonic_ns() - t0;
	}

	/* baseline: the same bytes (header block + payload) to the same files, in parallel */
	b.n = ndisks;
	b.len = CRD_BLOCK + (payload + CRD_BLOCK - 1) / CRD_BLOCK * CRD_BLOCK;
	b.off = crd_region_off(&rd.geo, 1, 0);
	b.buf = crd_buf_alloc(b.len);
	b.rounds = writes;
	if (!b.buf)
		goto out;
	memcpy((uint8_t *)b.buf + CRD_BLOCK, p, payload);
	for (int i = 0; i < ndisks; i++)
		b.fd[i] = crd_io_disk(rd.io, i)->fd; /* the same open files, O_DIRECT */
	pthread_barrier_init(&b.start, NULL, (unsigned)ndisks + 1);
	pthread_barrier_init(&b.end, NULL, (unsigned)ndisks + 1);
	for (int i = 0; i < ndisks; i++) {
		bt[i] = (struct bthread){&b, i};
		pthread_create(&th[i], NULL, baseline_main, &bt[i]);
	}
	for (int i = 0; i < writes; i++) {
		uint64_t t0 = clock_monotonic_ns();
		pthread_barrier_wait(&b.start);
		pthread_barrier_wait(&b.end);
		base_ns[i] = clock_monotonic_ns() - t0;
	}
	for (int i = 0; i < ndisks; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&b.start);
	pthread_barrier_destroy(&b.end);
	if (b.errors)
		fprintf(stderr, "baseline: %d write errors\n", b.errors);

	stats(crd_ns, writes, &cm, &cp);
	stats(base_ns, writes, &bm, &bp);
	printf("%5d  %7zu  %10.0f  %8.0f  %10.0f  %8.0f  %6.2f\n", ndisks, payload, cm, cp, bm,
	       bp, cm / bm);
	r = 0;
out:
	crd_io_free(rd.io);
	for (int i = 0; i < ndisks; i++) {
		crd_disk_close(disks[i]);
		unlink(path[i]);
	}
	free(b.buf);
	free(crd_ns);
	free(base_ns);
	free(p);
	return r;
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/crd-commit-XXXXXX";
	const char *dir = NULL;
	int writes = 200, r = 0;
	static const size_t payloads[] = {4096, 65536};

	uint32_t nw;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--writes") && i + 1 < argc &&
			   parse_u32(argv[i + 1], &nw) == 0 && nw <= 1000000) {
			writes = (int)nw;
			i++;
		} else {
			fprintf(stderr, "usage: crd-commit [--dir DIR] [--writes N]\n");
			return 2;
		}
	}
	if (writes < 1)
		writes = 1;
	if (!dir) {
		if (!mkdtemp(tmp)) {
			perror("mkdtemp");
			return 1;
		}
		dir = tmp;
	}
	printf("crd region commit latency, %d writes each, dir %s (µs)\n", writes, dir);
	printf("disks  payload  crd median  crd p99  base median  base p99  ratio\n");
	for (int n = 1; n <= DISKS_MAX && r == 0; n++)
		for (size_t k = 0; k < sizeof(payloads) / sizeof(payloads[0]) && r == 0; k++)
			r = run(dir, n, payloads[k], writes);
	if (dir == tmp)
		rmdir(tmp);
	return r ? 1 : 0;
}
