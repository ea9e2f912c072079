/* udp_read_only.c: the floor of UDP syslog reception on this machine, for
 * scripts/bench/ingest: a receiver that reads datagrams as resyncd's UDP
 * thread does (recvmmsg, 64 buffers of 8193 bytes 8256 apart, the sender's
 * address, up to 16 calls a wake-up, the same 8 MB receive buffer request, and the
 * 300 us pause that recv_udp.c makes after a wake-up that read 16 or more,
 * but not the most, when the buffer has room) and does nothing with them
 * but count. What it spends per message is what the kernel charges any
 * receiver; resyncd's own work is what it spends above that. Each datagram
 * equal to MARKER (re)writes the count so far to OUT_FILE; it runs until
 * killed, so the script reads its CPU time as it reads the others'.
 *
 *   udp_read_only PORT MARKER OUT_FILE */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#define BATCH 64
#define ROUNDS 16
#define SLOT 8193
#define STRIDE 8256 /* recv_udp.c's ru_slot_size(8192) */

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), size = 8 << 20;
	static char buf[BATCH * STRIDE];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage peers[BATCH];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned long long got = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: udp_read_only PORT MARKER OUT_FILE\n");
		return 2;
	}
	size_t mlen = strlen(argv[2]);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("udp_read_only: socket");
		return 1;
	}
	for (int took = 0;;) {
		if (took >= 16 && took < ROUNDS * BATCH)
			nanosleep(&(struct timespec){ 0, 300000 }, NULL);
		took = 0;
		if (poll(&p, 1, -1) < 0)
			continue;
		for (int round = 0; round < ROUNDS; round++) {
			memset(m, 0, sizeof(m));
			for (int i = 0; i < BATCH; i++) {
				iov[i] = (struct iovec){ buf + (size_t)i * STRIDE, SLOT };
				m[i].msg_hdr.msg_iov = &iov[i];
				m[i].msg_hdr.msg_iovlen = 1;
				m[i].msg_hdr.msg_name = &peers[i];
				m[i].msg_hdr.msg_namelen = sizeof(peers[i]);
			}
			int n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			took += n;
			for (int i = 0; i < n; i++) {
				/* the marker, sent with its newline by the script */
				if (m[i].msg_len >= mlen && m[i].msg_len <= mlen + 1 && !memcmp(iov[i].iov_base, argv[2], mlen)) {
					FILE *f = fopen(argv[3], "w");
					if (f == NULL || fprintf(f, "%llu BENCH-END\n", got) < 0 || fclose(f) != 0)
						return 1;
					continue;
				}
				got++;
			}
			if (n < BATCH)
				break;
		}
	}
}
