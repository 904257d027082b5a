/* crc32c-speed.c — throughput of src/lib/crc32c.c: the run-time choice (crc32c()), the
 * SSE4.2 path and the portable slicing-by-8 path, on 4 KiB, 64 KiB and 8 MiB buffers
 * (crd.md §2 blocks, the bench's region payload, a full region 0). Run by hand
 * (testing.md "bench"); results go into docs/benchmarks.md with the command.
 * Usage: crc32c-speed [SECONDS_PER_CASE] (default 0.5). Prints MB/s (10^6 bytes/s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/crc32c.h"

typedef uint32_t crc_fn(uint32_t crc, const void *buf, size_t len);

static double bench_one(crc_fn *fn, const unsigned char *buf, size_t len, double secs,
			uint32_t *sink)
{
	uint64_t t0 = clock_monotonic_ns(), t, bytes = 0;
	uint32_t c = 0;

	do {
		for (int i = 0; i < 8; i++) {
			c = fn(c, buf, len);
			bytes += len;
		}
		t = clock_monotonic_ns();
	} while (t - t0 < (uint64_t)(secs * 1e9));
	*sink ^= c;
	return (double)bytes / ((double)(t - t0) / 1e9) / 1e6;
}

int main(int argc, char **argv)
{
	static const size_t lens[] = {4096, 64 << 10, 8 << 20};
	double secs = argc > 1 ? atof(argv[1]) : 0.5;
	unsigned char *buf = malloc(8 << 20);
	uint32_t sink = 0;

	if (!buf || secs <= 0) {
		fprintf(stderr, "usage: crc32c-speed [SECONDS_PER_CASE]\n");
		return 2;
	}
	for (size_t i = 0; i < (8u << 20); i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	printf("crc32c() uses: %s\n", crc32c_impl_name());
	printf("%-10s %14s %14s %14s\n", "bytes", "crc32c MB/s", "sse4.2 MB/s", "sb8 MB/s");
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		double a = bench_one(crc32c, buf, lens[k], secs, &sink);
		double h = crc32c_hw_supported() ? bench_one(crc32c_hardware, buf, lens[k], secs, &sink)
						 : 0;
		double p = bench_one(crc32c_portable, buf, lens[k], secs, &sink);
		printf("%-10zu %14.0f %14.0f %14.0f\n", lens[k], a, h, p);
	}
	printf("(checksum sink %08x)\n", sink);
	free(buf);
	return 0;
}
