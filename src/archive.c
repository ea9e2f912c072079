/* archive.c: configuration versions per device on top of the store's
 * store_config_* primitives: SHA-256 (OpenSSL EVP) to skip unchanged
 * configurations, line counts from archive_diff.c, pruning to the newest N,
 * and the `resyncd --diff` command. */
#include "archive.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "archive_diff.h"
#include "config_view.h"
#include "intended.h"
#include "log.h"
#include "loop.h"
#include "store.h"

int archive_sha256(const char *text, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	return EVP_Digest(text, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

int archive_store(struct store *s, uint32_t device, const char *text, size_t len, rs_time_t now,
		  rs_time_t commit_time, const char *commit_user, uint32_t keep,
		  uint32_t *version_out, struct config_meta *meta_out)
{
	struct config_meta *list = NULL, meta;
	size_t n = 0;
	char *prev = NULL;
	size_t prev_len = 0;
	int rc = -1;

	if (len > UINT32_MAX)
		return -1;
	memset(&meta, 0, sizeof(meta));
	if (archive_sha256(text, len, meta.sha256) < 0)
		return -1;
	if (store_config_list(s, device, &list, &n) < 0)
		goto out;
	if (n > 0 && memcmp(list[n - 1].sha256, meta.sha256, 32) == 0) {
		/* Unchanged since the newest version: nothing to keep twice. */
		*version_out = list[n - 1].version;
		if (meta_out)
			*meta_out = list[n - 1];
		rc = 0;
		goto out;
	}
	meta.device = device;
	meta.version = n > 0 ? list[n - 1].version + 1 : 1;
	meta.fetched = now;
	meta.commit_time = commit_time;
	snprintf(meta.commit_user, sizeof(meta.commit_user), "%s", commit_user ? commit_user : "");
	meta.size = (uint32_t)len;
	if (n > 0) {
		if (store_config_get(s, device, list[n - 1].version, NULL, &prev, &prev_len) != 0)
			goto out;
	}
	/* The first version counts every line as added. */
	if (archive_diff_count(prev ? prev : "", prev_len, text, len, &meta.lines_added,
			       &meta.lines_removed) < 0 ||
	    store_config_put(s, &meta, text, len) < 0)
		goto out;
	/* n old versions plus the new one: drop the oldest beyond keep. */
	for (size_t i = 0; keep > 0 && i + keep < n + 1; i++)
		if (store_config_del(s, device, list[i].version) < 0)
			goto out;
	*version_out = meta.version;
	if (meta_out)
		*meta_out = meta;
	rc = 1;
out:
	free(prev);
	free(list);
	return rc;
}

static int archive_forget_key(struct store *s, uint32_t key)
{
	struct config_meta *list = NULL;
	size_t n = 0;
	int rc = store_config_list(s, key, &list, &n);

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = store_config_del(s, key, list[i].version);
	free(list);
	return rc < 0 ? -1 : 0;
}

int archive_forget(struct store *s, uint32_t device)
{
	if (archive_forget_key(s, device) < 0)
		return -1;
	return archive_forget_key(s, ARCHIVE_INTENDED_KEY(device));
}

/* One archive_store() as a store_txn() body: what to store, what it did. */
struct archive_txn {
	uint32_t key;
	const char *text;
	size_t len;
	rs_time_t now, commit_time;
	const char *user;
	uint32_t keep;
	uint32_t version;
	struct config_meta *meta;
	int stored;                      /* archive_store()'s result: 1 new version, 0 unchanged */
};

static int archive_txn_body(struct store *s, void *ctx)
{
	struct archive_txn *t = ctx;
	t->stored = archive_store(s, t->key, t->text, t->len, t->now, t->commit_time, t->user, t->keep,
				  &t->version, t->meta);
	return t->stored < 0 ? -1 : 0;
}

int archive_store_txn(struct store *s, uint32_t key, const char *text, size_t len, rs_time_t now,
		      rs_time_t commit_time, const char *user, uint32_t keep, uint32_t *version,
		      struct config_meta *meta)
{
	struct archive_txn t = { key, text, len, now, commit_time, user, keep, 0, meta, 0 };
	if (store_txn(s, archive_txn_body, &t) < 0)
		return -1;
	*version = t.version;
	return t.stored;
}

int archive_on_config_fetched(struct loop *l, struct device *d, struct fetch_result *r)
{
	struct config_meta meta;
	uint32_t version = 0;
	int rc;

	if (!l->store) {
		d->config_version++; /* in-memory only: count, keep nothing */
		return 0;
	}
	rc = archive_store_txn(l->store, d->index, r->config ? r->config : "", r->config_len, loop_now(l),
			       r->commit_time, r->commit_user, l->model.settings.config_versions_kept, &version,
			       &meta);
	if (rc < 0)
		goto fail;
	d->config_version = version;
	if (rc > 0)
		snprintf(r->reason, sizeof(r->reason),
			 "configuration version %" PRIu32 " stored (+%" PRIu32 "/-%" PRIu32 " lines, %" PRIu32 " bytes)",
			 version, meta.lines_added, meta.lines_removed, meta.size);
	else
		snprintf(r->reason, sizeof(r->reason), "configuration unchanged (version %" PRIu32 ")",
			 version);
	return 0;
fail:
	snprintf(r->reason, sizeof(r->reason), "cannot archive the configuration: %s",
		 store_error(l->store));
	log_err("device %s: %s", d->name, r->reason);
	return -1;
}

static void archive_label(char *buf, size_t len, const char *name, const struct config_meta *m)
{
	char when[32] = "", committed[48] = "";
	time_t t = (time_t)(m->fetched / RS_USEC_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	/* The device's own commit time (junos:commit-seconds or
	 * <get-commit-information/>), beside when resyncd fetched it. */
	t = (time_t)(m->commit_time / RS_USEC_PER_SEC);
	if (m->commit_time && gmtime_r(&t, &tm))
		strftime(committed, sizeof(committed), " at %Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(buf, len, "%s version %" PRIu32 "\t%s%s%s%s", name, m->version, when,
		 m->commit_user[0] || committed[0] ? " committed" : "",
		 m->commit_user[0] ? " by " : "", m->commit_user);
	if (committed[0] && strlen(buf) + strlen(committed) < len)
		strcat(buf, committed);
}

static int archive_parse_version(const char *s, uint32_t *v)
{
	char *end = NULL;
	unsigned long x = strtoul(s, &end, 10);

	if (!*s || !end || *end || x == 0 || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* The newest version stored under key, 0 if none (-1 error). */
static int archive_newest(struct store *s, uint32_t key, uint32_t *version)
{
	struct config_meta *list = NULL;
	size_t n = 0;

	if (store_config_list(s, key, &list, &n) < 0)
		return -1;
	*version = n ? list[n - 1].version : 0;
	free(list);
	return 0;
}

/* Replaces *text (an XML configuration, or NULL) by its config_view form. */
static int archive_view_xml(char **text, size_t *len)
{
	char *v;
	size_t n;
	if (!*text)
		return 0;
	if (config_view_xml(*text, *len, &v, &n) < 0)
		return -1;
	free(*text);
	*text = v;
	*len = n;
	return 0;
}

int archive_diff_main(const char *state_dir, const char *device_name, bool intended, bool show_secrets,
		      int argc, char **argv, FILE *out)
{
	struct store *s = NULL;
	struct model m;
	struct config_meta *list = NULL, ma, mb;
	size_t n = 0;
	char *ta = NULL, *tb = NULL, la[160], lb[160], err[1024], name[RS_NAME_MAX + 16];
	size_t alen = 0, blen = 0;
	uint32_t va = 0, vb = 0, ka, kb;
	struct device *d;
	int have_settings, status = 1;

	model_init(&m);
	if (!device_name || argc > (intended ? 0 : 2) || (argc >= 1 && archive_parse_version(argv[0], &va) < 0) ||
	    (argc == 2 && archive_parse_version(argv[1], &vb) < 0)) {
		fprintf(stderr, "usage: resyncd --diff DEVICE [V1 [V2]]  (versions are numbers > 0)\n"
				"       resyncd --diff DEVICE --intended\n");
		model_free(&m);
		return 2;
	}
	if (store_open_tool(state_dir, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "resyncd: %s\n", err);
		goto out;
	}
	if (store_load_retrying(s, &m, &have_settings) < 0) {
		fprintf(stderr, "resyncd: cannot read the store: %s\n", store_error(s));
		goto out;
	}
	d = model_device_by_name(&m, device_name);
	if (!d)
		d = model_device_by_addr(&m, device_name);
	if (!d) {
		fprintf(stderr, "resyncd: no device %s\n", device_name);
		goto out;
	}
	/* --intended: the last fetched configuration (a) against the manager's
	 * copy (b), so the diff reads as what a deploy would change. */
	ka = d->index;
	kb = intended ? ARCHIVE_INTENDED_KEY(d->index) : d->index;
	if (store_config_list(s, kb, &list, &n) < 0) {
		fprintf(stderr, "resyncd: %s\n", store_error(s));
		goto out;
	}
	if (n == 0) {
		fprintf(stderr, "resyncd: device %s has no stored %sconfiguration\n", d->name,
			intended ? "intended " : "");
		goto out;
	}
	if (intended) {
		vb = list[n - 1].version;
		if (archive_newest(s, ka, &va) < 0) {
			fprintf(stderr, "resyncd: %s\n", store_error(s));
			goto out;
		}
	} else if (argc == 0) {
		vb = list[n - 1].version;
		va = n > 1 ? list[n - 2].version : 0; /* 0: against nothing */
	} else if (argc == 1) {
		vb = list[n - 1].version;
	}
	if (va && store_config_get(s, ka, va, &ma, &ta, &alen) != 0) {
		fprintf(stderr, "resyncd: device %s has no version %" PRIu32 "\n", d->name, va);
		goto out;
	}
	if (store_config_get(s, kb, vb, &mb, &tb, &blen) != 0) {
		fprintf(stderr, "resyncd: device %s has no version %" PRIu32 "\n", d->name, vb);
		goto out;
	}
	/* XML on both sides: compare the rendered forms, so indentation,
	 * namespace declarations and commit stamps do not mark every line. A
	 * first version (against nothing) shows as it is stored. */
	if (ta && intended_is_xml(ta, alen) && intended_is_xml(tb, blen) &&
	    (archive_view_xml(&ta, &alen) < 0 || archive_view_xml(&tb, &blen) < 0)) {
		fprintf(stderr, "resyncd: device %s: a stored XML configuration is not well-formed\n", d->name);
		goto out;
	}
	if (va)
		archive_label(la, sizeof(la), d->name, &ma);
	else
		snprintf(la, sizeof(la), "/dev/null");
	snprintf(name, sizeof(name), "%s%s", d->name, intended ? " intended" : "");
	archive_label(lb, sizeof(lb), name, &mb);
	if (archive_diff_unified(ta ? ta : "", alen, tb, blen, la, lb, 3, !show_secrets, out) < 0) {
		fprintf(stderr, "resyncd: out of memory\n");
		goto out;
	}
	status = 0;
out:
	free(ta);
	free(tb);
	free(list);
	model_free(&m);
	if (s)
		store_close(s);
	return status;
}
