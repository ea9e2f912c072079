/* detach.c: going into the background without losing start-up errors.
 *
 * daemon(3) returns 0 to the shell before the daemon has opened anything, so
 * a locked or unusable state directory used to end in exit status 0 and no
 * word. Here the parent stays until the child has started (it writes one
 * byte on a pipe) or has died (end of file): then it exits with the child's
 * status. The working directory is kept, as relative paths in the
 * configuration (state_dir, keys, known_hosts) are read later too. */
#define _GNU_SOURCE /* pipe2 */
#include "detach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1;

static void parent_wait(int fd, pid_t child)
{
	char c;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	int st;
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	if (WIFEXITED(st))
		_exit(WEXITSTATUS(st));
	fprintf(stderr, "resyncd: died while starting (signal %d)\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	_exit(1);
}

int detach_begin(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		parent_wait(p[0], pid);
	}
	close(p[0]);
	ready_fd = p[1];
	setsid();
	return 0;
}

void detach_ready(void)
{
	if (ready_fd < 0)
		return;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	ssize_t n;
	do
		n = write(ready_fd, "1", 1);
	while (n < 0 && errno == EINTR);
	close(ready_fd);
	ready_fd = -1;
}
