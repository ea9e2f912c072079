/* archive.h: the configuration archive — versions of each device's fetched
 * configuration in the store, keyed by SHA-256, newest N kept.
 *
 * Runs on the loop thread (the only store writer); `resyncd --diff` reads the
 * same store from another process. */
#ifndef RESYNCD_ARCHIVE_H
#define RESYNCD_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "store.h"
#include "worker.h"

struct loop;

/* The manager's copy (intended versions, SPEC S3) is kept like fetched
 * versions, under the device index with the top bit set: its own key range,
 * its own version numbers. Device indexes stay below 2^31. */
#define ARCHIVE_INTENDED_BIT 0x80000000u
#define ARCHIVE_INTENDED_KEY(index) ((uint32_t)(index) | ARCHIVE_INTENDED_BIT)

/* SHA-256 of text: 0, or -1 on an OpenSSL error. */
int archive_sha256(const char *text, size_t len, unsigned char out[32]);

/* Stores text as a new version of device unless it equals the newest one (same
 * SHA-256). Records time, size, lines added/removed against the previous
 * version; then deletes the oldest versions beyond keep (0 = keep all).
 * Call inside store_begin()/store_commit(). *version_out gets the newest
 * version. Returns 1 stored, 0 unchanged, -1 error (store_error()). */
int archive_store(struct store *s, uint32_t device, const char *text, size_t len, rs_time_t now,
		  rs_time_t commit_time, const char *commit_user, uint32_t keep,
		  uint32_t *version_out, struct config_meta *meta_out);
/* archive_store() in a transaction of its own (store_txn: repeated if a
 * tool's reads deadlocked with it). */
int archive_store_txn(struct store *s, uint32_t key, const char *text, size_t len, rs_time_t now,
		      rs_time_t commit_time, const char *user, uint32_t keep, uint32_t *version,
		      struct config_meta *meta);

/* loop->on_config_fetched: archives r's configuration in its own transaction
 * and sets d->config_version; on failure fills r->reason and returns -1. */
int archive_on_config_fetched(struct loop *l, struct device *d, struct fetch_result *r);

/* Deletes every stored version of a device, fetched and intended (device removed). */
int archive_forget(struct store *s, uint32_t device);

/* `resyncd --diff DEVICE [V1 [V2]]`: unified diff between two stored versions
 * of the device (by name or address); default the last two, with one version
 * given, that one against the newest. argv holds the optional V1, V2.
 * With `intended` (--intended, no versions): the last fetched version against
 * the newest intended one. Secrets are hidden unless show_secrets
 * (--show-secrets); the stored versions stay whole. Returns the exit status:
 * 0 ok, 1 error, 2 usage. */
int archive_diff_main(const char *state_dir, const char *device_name, bool intended, bool show_secrets,
		      int argc, char **argv, FILE *out);

#endif
