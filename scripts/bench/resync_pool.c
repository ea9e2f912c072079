/* resync_pool.c: benchmark driver — fetches simulated devices' configurations
 * through resyncd's own worker pool (worker_pool_new + fetch_config), the
 * way the loop does, and prints the rate.
 *
 * usage: resync_pool PORT USER KEY KNOWN_HOSTS DEVICES CONCURRENCY ROUNDS
 * Device i (0-based) is at 127.0.0.(i+2), as scripts/devsim places them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "queue.h"
#include "fetch.h"
#include "netconf.h"
#include "worker.h"

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct worker_pool *pool;
	struct queue *results;
	unsigned devices, threads, rounds, total, ok = 0;
	double t0, t1;

	if (argc != 8) {
		fprintf(stderr, "usage: %s PORT USER KEY KNOWN_HOSTS DEVICES CONCURRENCY ROUNDS\n", argv[0]);
		return 2;
	}
	devices = (unsigned)atoi(argv[5]);
	threads = (unsigned)atoi(argv[6]);
	rounds = (unsigned)atoi(argv[7]);
	total = devices * rounds;
	log_init("resync_pool", 0, 0);
	if (netconf_global_init() < 0 || !(results = queue_new()))
		return 1;
	pool = worker_pool_new(threads, fetch_config, results);
	if (!pool)
		return 1;
	t0 = bench_now();
	for (unsigned i = 0; i < total; i++) {
		struct fetch_request *r = calloc(1, sizeof(*r));

		if (!r)
			return 1;
		r->job = i + 1;
		r->device = i % devices + 1;
		snprintf(r->name, sizeof(r->name), "r%u", i % devices + 1);
		snprintf(r->address, sizeof(r->address), "127.0.0.%u", i % devices + 2);
		r->port = (uint16_t)atoi(argv[1]);
		snprintf(r->user, sizeof(r->user), "%s", argv[2]);
		snprintf(r->key_path, sizeof(r->key_path), "%s", argv[3]);
		snprintf(r->known_hosts, sizeof(r->known_hosts), "%s", argv[4]);
		r->timeout_secs = 60;
		atomic_init(&r->cancel, 0);
		worker_submit(pool, r);
	}
	for (unsigned i = 0; i < total; i++) {
		struct fetch_result *res = queue_pop_wait(results);

		if (!res)
			break;
		if (res->ok && res->config && strstr(res->config, "host-name "))
			ok++;
		else
			fprintf(stderr, "r%u: %s\n", res->device, res->reason);
		fetch_result_free(res);
	}
	t1 = bench_now();
	worker_pool_free(pool);
	queue_free(results);
	netconf_global_cleanup();
	printf("%u %u %.3f\n", total, ok, t1 - t0);
	return ok == total ? 0 : 1;
}
