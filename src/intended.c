/* intended.c: the manager's copy of each device's configuration (SPEC S3).
 *
 * intended_dir holds one file per device, <name>.conf (Junos curly-brace
 * text) or <name>.xml (a <configuration>, or any XML a standard NETCONF
 * server takes in <config>). Each is read at start and on SIGHUP; a new or
 * changed file becomes a new intended version in the archive (under its own
 * key range, hashed like fetched versions) and moves the device per S3. An
 * accept (S4) makes the fetched configuration the manager's copy without
 * the file changing, so the file's own hash is kept with the device: only a
 * change of the file stages anything. Loop thread only. */
#include "intended.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "archive.h"
#include "log.h"
#include "loop.h"
#include "sched.h"
#include "store.h"
#include "worker.h"

#define INTENDED_MAX_SIZE (16u << 20)

bool intended_is_xml(const char *text, size_t len)
{
	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i < len && text[i] == '<';
}

/* A device name that is safe as a file name (no directories, no dot files). */
static bool intended_name_ok(const char *name)
{
	return *name && *name != '.' && !strchr(name, '/');
}

/* Reads dir/name.ext: 1 read, 0 no such file, -1 error (why in err). */
static int intended_read_one(const char *dir, const char *name, const char *ext, char **text, size_t *len,
			     char *err, size_t errlen)
{
	char path[512];
	struct stat st;
	int fd, rc = -1;
	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > INTENDED_MAX_SIZE) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path, INTENDED_MAX_SIZE);
		goto out;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *text + got, (size_t)st.st_size - got);
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "shorter than its size");
			free(*text);
			*text = NULL;
			goto out;
		}
		got += (size_t)n;
	}
	(*text)[got] = '\0';
	*len = got;
	rc = 1;
out:
	close(fd);
	return rc;
}

int intended_read_file(const char *dir, const char *name, char **text, size_t *len, char *err,
		       size_t errlen)
{
	char *conf = NULL, *xml = NULL;
	size_t conf_len = 0, xml_len = 0;
	*text = NULL;
	*len = 0;
	if (!intended_name_ok(name))
		return 0;
	int rc_conf = intended_read_one(dir, name, ".conf", &conf, &conf_len, err, errlen);
	if (rc_conf < 0)
		return -1;
	int rc_xml = intended_read_one(dir, name, ".xml", &xml, &xml_len, err, errlen);
	if (rc_xml < 0) {
		free(conf);
		return -1;
	}
	if (rc_conf && rc_xml) {
		snprintf(err, errlen, "both %s.conf and %s.xml exist: keep one", name, name);
		free(conf);
		free(xml);
		return -1;
	}
	if (rc_xml) {
		/* Refused now rather than by the device at deploy time. */
		xmlDocPtr doc = xmlReadMemory(xml, (int)xml_len, "intended.xml", NULL,
					      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (!doc) {
			const xmlError *e = xmlGetLastError();
			snprintf(err, errlen, "%s.xml is not well-formed XML (line %d: %s)", name, e ? e->line : 0,
				 e && e->message ? e->message : "parse error");
			/* libxml2's message ends with a newline */
			char *nl = strchr(err, '\n');
			if (nl)
				*nl = '\0';
			free(xml);
			return -1;
		}
		xmlFreeDoc(doc);
		*text = xml;
		*len = xml_len;
		return 1;
	}
	if (rc_conf) {
		if (intended_is_xml(conf, conf_len)) {
			snprintf(err, errlen, "%s.conf holds XML: name it %s.xml", name, name);
			free(conf);
			return -1;
		}
		*text = conf;
		*len = conf_len;
		return 1;
	}
	return 0;
}

/* Whether text is the newest fetched configuration of d (then staging it
 * is no divergence). */
static bool intended_equals_fetched(struct store *s, const struct device *d, const unsigned char sha[32])
{
	struct config_meta *list = NULL;
	size_t n = 0;
	bool same = store_config_list(s, d->index, &list, &n) == 0 && n > 0 &&
		    memcmp(list[n - 1].sha256, sha, 32) == 0;
	free(list);
	return same;
}

/* Stores text as d's intended version; S3 when it is a new one. */
static int intended_store(struct loop *l, struct device *d, const char *text, size_t len,
			  const char *source, bool divergence)
{
	uint32_t version = 0;
	rs_time_t now = loop_now(l);
	if (archive_store_txn(l->store, ARCHIVE_INTENDED_KEY(d->index), text, len, now, 0, source,
			      l->model.settings.config_versions_kept, &version, NULL) < 0)
		goto fail;
	if (version != d->intended_version) {
		d->intended_version = version;
		d->intended_time = now;
		log_info("device %s: intended configuration version %u stored (%s, %zu bytes)", d->name,
			 version, source, len);
		if (divergence) {
			sched_manager_changed(&l->model, d, now, &l->actions);
			return loop_apply(l);
		}
	}
	return loop_save_device(l, d);
fail:
	log_err("device %s: cannot store the intended configuration: %s", d->name, store_error(l->store));
	return -1;
}

int intended_sync(struct loop *l, const char *dir)
{
	int staged = 0;
	if (!dir || !*dir || !l->store)
		return 0;
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_err("intended_dir %s: %s", dir, errno ? strerror(errno) : "not a directory");
		return -1;
	}
	for (struct device *d = model_device_next(&l->model, 0); d; d = model_device_next(&l->model, d->index)) {
		char *text = NULL, err[300];
		size_t len = 0;
		unsigned char sha[32];
		int rc = intended_read_file(dir, d->name, &text, &len, err, sizeof(err));
		if (rc < 0)
			log_err("device %s: intended configuration refused: %s", d->name, err);
		if (rc <= 0)
			continue;
		if (archive_sha256(text, len, sha) == 0 && memcmp(sha, d->intended_file_sha, 32) != 0) {
			memcpy(d->intended_file_sha, sha, 32);
			if (intended_store(l, d, text, len, "intended file",
					   !intended_equals_fetched(l->store, d, sha)) == 0)
				staged++;
		}
		free(text);
	}
	return staged;
}

int intended_accept(struct loop *l, struct device *d, const char *text, size_t len)
{
	if (!l->store)
		return 0;
	return intended_store(l, d, text, len, "accepted", false);
}

int intended_on_config_fetched(struct loop *l, struct device *d, struct fetch_result *r)
{
	const struct job *j = model_job_by_id(&l->model, r->job);
	if (j && j->type == JOB_CONFIGURE_SYSLOG)
		return 0; /* fetches nothing (the next commit notification resyncs) */
	if (archive_on_config_fetched(l, d, r) < 0)
		return -1;
	/* In manager mode a fetch is an accept (a deploy's own check fetch
	 * already matches the copy). */
	if (l->model.settings.system_of_record == SOR_MANAGER && j && j->type != JOB_DEPLOY)
		intended_accept(l, d, r->config ? r->config : "", r->config_len);
	if (j && j->type == JOB_DEPLOY) {
		char stored[RS_REASON_MAX];
		snprintf(stored, sizeof(stored), "%s", r->reason);
		snprintf(r->reason, sizeof(r->reason), "intended version %u deployed; %s", d->intended_version,
			 stored);
	}
	return 0;
}

int intended_get(struct store *s, const struct device *d, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	if (!d->intended_version)
		return 1;
	return store_config_get(s, ARCHIVE_INTENDED_KEY(d->index), d->intended_version, NULL, text, len);
}
