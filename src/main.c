/* main.c: options and configuration, then the daemon: open the store, restore
 * the model, start the edges, run the loop. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "archive.h"
#include "classify.h"
#include "config.h"
#include "detach.h"
#include "capture.h"
#include "dump.h"
#include "intended.h"
#include "hook.h"
#include "incident.h"
#include "incident_show.h"
#include "inventory.h"
#include "log.h"
#include "loop.h"
#include "recv_relp.h"
#include "recv_syslog.h"
#include "deploy.h"
#include "fetch.h"
#include "netconf.h"
#include "store.h"
#include "version.h"

#define DEFAULT_CONFIG "/etc/resyncd/resyncd.conf"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: resyncd [-c FILE] [-f] [-d] [--state-dir DIR]\n"
		"       resyncd --check-config [-c FILE]\n"
		"       resyncd --classify < syslog-lines\n"
		"       resyncd --diff DEVICE [V1 [V2]] [-c FILE]\n"
		"       resyncd --diff DEVICE --intended [-c FILE]\n"
		"       resyncd --dump-state [-c FILE]\n"
		"       resyncd --incident ID [-c FILE]\n"
		"\n"
		"Receives device syslog, recognises configuration commits, resynchronizes\n"
		"device configurations over SSH/NETCONF and reports over SNMP.\n"
		"\n"
		"  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
		"  -f, --foreground    stay in the foreground and log to stderr\n"
		"  -d, --debug         log debug messages too\n"
		"      --state-dir DIR state directory (overrides the file's state_dir)\n"
		"      --check-config  check the configuration file and exit\n"
		"      --classify      read syslog lines on stdin, print how resyncd reads them\n"
		"      --diff DEVICE [V1 [V2]]  unified diff of stored configuration versions\n"
		"      --intended      with --diff: the last fetched configuration against the\n"
		"                      intended one (what a deploy would change)\n"
		"      --show-secrets  with --diff: show passwords, keys and communities\n"
		"                      (hidden by default)\n"
		"      --dump-state    print stored devices, jobs and settings as TSV\n"
		"      --incident ID   print a stored incident and its captured output\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          print this help and exit\n");
}

enum { OPT_CHECK = 256, OPT_CLASSIFY, OPT_DIFF, OPT_DUMP, OPT_STATE_DIR, OPT_INTENDED, OPT_INCIDENT, OPT_SHOW_SECRETS };

static struct config cfg;

static void reload(struct loop *l)
{
	struct config fresh;
	char err[512];
	config_defaults(&fresh);
	if (config_load(cfg.path, &fresh, err, sizeof(err)) < 0) {
		log_err("reload refused, keeping the running configuration: %s", err);
		config_free(&fresh);
		return;
	}
	/* Keep runtime-only choices (state dir, listeners) from the start. */
	/* Profiles: the new set is in use before the old one goes. */
	struct incident_profiles *old = cfg.profiles;
	cfg.profiles = NULL;
	config_free(&cfg);
	cfg.profiles = fresh.profiles;
	loop_set_profiles(l, cfg.profiles);
	if (old) {
		incident_profiles_free(old);
		free(old);
	}
	log_info("reload: %zu event profiles", cfg.profiles ? cfg.profiles->n : 0);
	cfg.creds = fresh.creds;
	cfg.ncreds = fresh.ncreds;
	cfg.devices = fresh.devices;
	cfg.ndevices = fresh.ndevices;
	cfg.by_name = fresh.by_name;
	memcpy(cfg.known_hosts, fresh.known_hosts, sizeof(cfg.known_hosts));
	memcpy(cfg.intended_dir, fresh.intended_dir, sizeof(cfg.intended_dir));
	memcpy(cfg.manager_user, fresh.manager_user, sizeof(cfg.manager_user));
	cfg.deploy_confirm_timeout_secs = fresh.deploy_confirm_timeout_secs;
	cfg.configure_device_syslog = fresh.configure_device_syslog;
	memcpy(cfg.device_syslog_host, fresh.device_syslog_host, sizeof(cfg.device_syslog_host));
	cfg.device_syslog_port = fresh.device_syslog_port;
	cfg.settings = fresh.settings;
	memcpy(cfg.settings_given, fresh.settings_given, sizeof(cfg.settings_given));
	int n = inventory_sync(l, &cfg, "configuration reload");
	config_drop_devices(&cfg); /* the model has them now */
	log_info("reload: %d device change%s", n, n == 1 ? "" : "s");
	loop_reload_settings(l, &cfg);
	n = intended_sync(l, cfg.intended_dir);
	if (n > 0)
		log_info("reload: %d intended configurations staged", n);
	loop_configure_syslog_new(l);
}

/* One daemon per state directory: a second one would share the store and
 * both would schedule the same jobs. The lock lives as long as the process. */
static int claim_state_dir(const char *dir)
{
	char path[sizeof(cfg.state_dir) + 16];
	snprintf(path, sizeof(path), "%s/resyncd.pid", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_err("another resyncd is running on %s (%s)", dir, fd < 0 ? strerror(errno) : "locked");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char pid[24];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, (size_t)n) != n)
		log_warn("cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* The workers' one entry: a data capture (E4), or a deploy or a resync fetch. */
static void run_request(struct fetch_request *req, struct fetch_result *res)
{
	if (req->incident)
		capture_run(req, res);
	else
		deploy_or_fetch(req, res);
}

static void on_incident(struct loop *l, const struct incident *i, const struct device *d, bool opened)
{
	hook_run(incident_profile_by_name(l->incidents.profiles, i->profile), i, d, opened);
}

static int run_daemon(int foreground, int debug)
{
	log_init("resyncd", !foreground, debug);
	/* Detached, the parent waits until the daemon runs or has failed to
	 * start, and exits with its status; until then errors go to stderr too. */
	if (!foreground && detach_begin() < 0) {
		fprintf(stderr, "resyncd: cannot detach: %s\n", strerror(errno));
		return 1;
	}
	log_errors_to_stderr(!foreground);
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit (ulimit -f, prlimit) makes a write fail with EFBIG,
	 * handled like a full disk, instead of killing the daemon. */
	signal(SIGXFSZ, SIG_IGN);
	struct store *store;
	char err[1024];
	if (store_open(cfg.state_dir, &store, err, sizeof(err)) < 0) {
		log_err("cannot open the state directory: %s", err);
		return 1;
	}
	if (claim_state_dir(cfg.state_dir) < 0) {
		store_close(store);
		return 1;
	}
	fetch_fn fetch = NULL;
	if (netconf_global_init() < 0) {
		log_err("cannot initialise libssh2");
		store_close(store);
		return 1;
	}
	fetch = run_request;
	struct loop l;
	if (loop_init(&l, store, &cfg, fetch) < 0) {
		log_err("cannot start the event loop");
		store_close(store);
		return 1;
	}
	l.on_reload = reload;
	l.on_config_fetched = intended_on_config_fetched;
	l.on_incident = on_incident;
	if (loop_restore(&l) < -1) { /* a damaged database: running on it would lose or invent state */
		log_err("cannot read the store: %s", store_error(store));
		loop_free(&l);
		netconf_global_cleanup();
		store_close(store);
		return 1;
	}
	int rc = 0;
	/* The edges: syslog receivers, then the SNMP face. Nothing they receive
	 * is handled before loop_run. */
	if (recv_syslog_start(&l, &cfg) < 0 || recv_relp_start(&l, &cfg) < 0)
		rc = 1;
	if (rc == 0 && agent_start(&l, &cfg) < 0)
		rc = 1;
	/* The file's devices once the SNMP face is up, so that deviceAdded and
	 * the initial resync's notifications (J7) are sent, not muted. */
	inventory_sync(&l, &cfg, "configuration");
	config_drop_devices(&cfg); /* the model has them now: no second copy */
	intended_sync(&l, cfg.intended_dir);
	loop_configure_syslog_new(&l);
	/* What start-up freed (the file's parse tree and device list, the
	 * addition's batches) goes back to the system before the daemon runs:
	 * with 100,000 devices glibc keeps most of a megabyte otherwise. */
	malloc_trim(0);
	if (rc == 0) {
		log_info("resyncd %s running: %u devices, state in %s", RESYNCD_VERSION, l.model.ndevices,
			 cfg.state_dir);
		log_errors_to_stderr(0);
		detach_ready();
	}
	if (rc == 0 && loop_run(&l) < 0)
		rc = 1;
	/* Edges stop in reverse order, before the loop's state goes. */
	agent_stop();
	recv_relp_stop();
	recv_syslog_stop();
	loop_free(&l);
	netconf_global_cleanup(); /* workers have ended */
	store_close(store);
	log_info("stopped");
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "classify", no_argument, NULL, OPT_CLASSIFY },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "dump-state", no_argument, NULL, OPT_DUMP },
		{ "incident", required_argument, NULL, OPT_INCIDENT },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "intended", no_argument, NULL, OPT_INTENDED },
		{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *state_dir = NULL, *incident_id = NULL;
	int foreground = 0, debug = 0, mode = 0, intended = 0, show_secrets = 0, c;
	while ((c = getopt_long(argc, argv, "c:fdVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'V':
			printf("resyncd %s\n", RESYNCD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_STATE_DIR:
			state_dir = optarg;
			break;
		case OPT_INTENDED:
			intended = 1;
			break;
		case OPT_SHOW_SECRETS:
			show_secrets = 1;
			break;
		case OPT_INCIDENT:
			incident_id = optarg;
			mode = c;
			break;
		case OPT_CHECK:
		case OPT_CLASSIFY:
		case OPT_DIFF:
		case OPT_DUMP:
			mode = c;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* --classify needs no configuration */
	if (mode == OPT_CLASSIFY)
		return classify_main(stdin, stdout) < 0 ? 1 : 0;
	config_defaults(&cfg);
	char err[512];
	if ((path || access(DEFAULT_CONFIG, F_OK) == 0) &&
	    config_load(path ? path : DEFAULT_CONFIG, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "resyncd: %s\n", err);
		return 1;
	}
	if (state_dir)
		snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state_dir);
	int rc;
	switch (mode) {
	case OPT_CHECK: {
		size_t warnings = config_check_files(&cfg, stderr);

		printf("%s: OK (%zu devices, %zu credential sets, %zu event profiles)%s\n",
		       path ? path : DEFAULT_CONFIG, cfg.ndevices, cfg.ncreds, cfg.profiles ? cfg.profiles->n : 0,
		       warnings ? ", with warnings above" : "");
		rc = 0;
		break;
	}
	case OPT_DUMP:
		rc = dump_state(cfg.state_dir, stdout) < 0;
		break;
	case OPT_INCIDENT:
		rc = incident_show_main(cfg.state_dir, incident_id, stdout) != 0;
		break;
	case OPT_DIFF:
		/* --diff DEVICE [V1 [V2]] */
		rc = archive_diff_main(cfg.state_dir, optind < argc ? argv[optind] : NULL, intended, show_secrets,
				       optind < argc ? argc - optind - 1 : 0, argv + optind + 1, stdout);
		break;
	default:
		rc = run_daemon(foreground, debug);
	}
	config_free(&cfg);
	return rc;
}
