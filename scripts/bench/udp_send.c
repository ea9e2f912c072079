/* udp_send.c: benchmark sender: sends COUNT syslog datagrams, cycling through
 * the lines of FILE, to HOST:PORT with sendmmsg(), at most RATE per second
 * (0 = as fast as the socket takes them). Prints the seconds it took. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: udp_send HOST PORT FILE COUNT [RATE]\n");
		return 2;
	}
	FILE *f = fopen(argv[3], "r");
	long count = atol(argv[4]);
	double rate = argc > 5 ? atof(argv[5]) : 0;
	char **lines = NULL, *line = NULL;
	size_t nlines = 0, cap = 0;
	ssize_t n;

	if (f == NULL) {
		perror(argv[3]);
		return 1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		lines[nlines++] = strdup(line);
	}
	fclose(f);
	if (nlines == 0)
		return 1;

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sndbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	connect(fd, (struct sockaddr *)&sa, sizeof(sa));

	enum { BATCH = 64 };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	double t0 = now();
	long sent = 0;

	while (sent < count) {
		int b = count - sent < BATCH ? (int)(count - sent) : BATCH;

		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < b; i++) {
			const char *l = lines[(size_t)(sent + i) % nlines];

			iov[i].iov_base = (void *)l;
			iov[i].iov_len = strlen(l);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int k = sendmmsg(fd, msgs, (unsigned)b, 0);
		if (k > 0)
			sent += k;
		if (rate > 0) {
			double ahead = (double)sent / rate - (now() - t0);

			if (ahead > 0.0005)
				usleep((useconds_t)(ahead * 1e6));
		}
	}
	printf("%.3f\n", now() - t0);
	return 0;
}
