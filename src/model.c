/* model.c: devices, jobs and settings, with O(log n) ordered lookups (the
 * MIB's GETNEXT) and O(1) lookups by name and address (ingestion). */
#include "model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void device_free(struct device *d);
static void key_name(const struct device *d, const char **key, size_t *len);
static void key_short(const struct device *d, const char **key, size_t *len);
static void key_addr(const struct device *d, const char **key, size_t *len);

int job_cmp(const struct job *a, const struct job *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Scheduler nodes ordered by due time, ties broken by job then position
 * (a job's bulk after its own tasks) so the order is total and stable. */
int sched_node_cmp(const struct sched_node *a, const struct sched_node *b)
{
	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	if (a->job->id != b->job->id)
		return a->job->id < b->job->id ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

RB_GENERATE(job_tree, job, by_id, job_cmp)
RB_GENERATE(sched_tree, sched_node, by_due, sched_node_cmp)

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	settings_defaults(&m->settings);
	devindex_init(&m->devices);
	devhash_init(&m->by_name, key_name);
	devhash_init(&m->by_addr, key_addr);
	devhash_init(&m->by_short, key_short);
	RB_INIT(&m->jobs);
	RB_INIT(&m->timers);
	m->next_device_index = 1;
	retained_init(&m->retained);
	m->next_job_id = 1;
}

void model_free(struct model *m)
{
	struct job *j, *jn;
	m->ready_head = m->ready_tail = NULL; /* its nodes go with their jobs */
	RB_FOREACH_SAFE(j, job_tree, &m->jobs, jn)
		model_job_free(m, j);
	struct device *d;
	devhash_free(&m->by_name);
	devhash_free(&m->by_addr);
	devhash_free(&m->by_short);
	MODEL_FOREACH_DEVICE(m, it, d) /* the walk reads the index's pages, not the devices */
		device_free(d);
	devindex_free(&m->devices);
	m->ndevices = 0;
	retained_free(&m->retained);
}

/* ---- settings ---------------------------------------------------------- */

struct setting_def {
	const char *name;
	int64_t min, max, def;
	size_t offset;
};

#define SETTING(n, lo, hi, dflt, field) { n, lo, hi, dflt, offsetof(struct settings, field) }
static const struct setting_def setting_defs[SET_COUNT] = {
	[SET_AUTO_RESYNC_ENABLED] = SETTING("autoResyncEnabled", 0, 1, 1, auto_resync_enabled),
	[SET_AUTO_RESYNC_WAIT_SECS] = SETTING("autoResyncWaitSecs", 0, 86400, 20, auto_resync_wait_secs),
	[SET_DAMPER_INTERVAL_SECS] = SETTING("damperIntervalSecs", 1, 86400, 20, damper_interval_secs),
	[SET_SYSTEM_OF_RECORD] = SETTING("systemOfRecord", SOR_NETWORK, SOR_MANAGER, SOR_NETWORK, system_of_record),
	[SET_MAX_CONCURRENT_RESYNCS] = SETTING("maxConcurrentResyncs", 1, 1024, 8, max_concurrent_resyncs),
	[SET_RESYNC_TIMEOUT_SECS] = SETTING("resyncTimeoutSecs", 1, 3600, 60, resync_timeout_secs),
	[SET_JOB_RETENTION_DAYS] = SETTING("jobRetentionDays", 0, 3650, 7, job_retention_days),
	[SET_JOB_RETENTION_COUNT] = SETTING("jobRetentionCount", 0, 10000000, 10000, job_retention_count),
	[SET_CONFIG_VERSIONS_KEPT] = SETTING("configVersionsKept", 1, 10000, 50, config_versions_kept),
	[SET_INCIDENT_RETENTION_DAYS] = SETTING("incidentRetentionDays", 0, 3650, 30, incident_retention_days),
	[SET_INCIDENT_RETENTION_COUNT] = SETTING("incidentRetentionCount", 0, 10000000, 10000,
						 incident_retention_count),
	[SET_EVENT_RATE_CAP] = SETTING("eventRateCap", 0, 1000000, 100, event_rate_cap),
	[SET_INVENTORY_RESYNC_INTERVAL_SECS] = SETTING("inventoryResyncIntervalSecs", 0, 2592000, 0,
						       inventory_resync_interval_secs),
	[SET_DEVICE_HISTORY_RETENTION_DAYS] = SETTING("deviceHistoryRetentionDays", 0, 3650, 30,
						      device_history_retention_days),
};

const char *settings_name(enum setting_id id)
{
	return (unsigned)id < SET_COUNT ? setting_defs[id].name : "unknown";
}

void settings_defaults(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < SET_COUNT; i++)
		settings_set(s, (enum setting_id)i, setting_defs[i].def, NULL);
}

enum setting_error settings_validate(enum setting_id id, int64_t value, const char **why)
{
	static char buf[96];
	if ((unsigned)id >= SET_COUNT) {
		if (why)
			*why = "no such setting";
		return SETERR_UNKNOWN;
	}
	const struct setting_def *d = &setting_defs[id];
	if (value < d->min || value > d->max) {
		if (why) {
			snprintf(buf, sizeof(buf), "%s must be within %lld..%lld", d->name,
				 (long long)d->min, (long long)d->max);
			*why = buf;
		}
		return SETERR_RANGE;
	}
	return SETERR_OK;
}

/* Every setting but the bool and the enum is a uint32_t field. */
int64_t settings_get(const struct settings *s, enum setting_id id)
{
	switch (id) {
	case SET_AUTO_RESYNC_ENABLED:
		return s->auto_resync_enabled;
	case SET_SYSTEM_OF_RECORD:
		return s->system_of_record;
	default:
		if ((unsigned)id >= SET_COUNT)
			return -1;
		return *(const uint32_t *)((const char *)s + setting_defs[id].offset);
	}
}

enum setting_error settings_set(struct settings *s, enum setting_id id, int64_t value, const char **why)
{
	enum setting_error e = settings_validate(id, value, why);
	if (e != SETERR_OK)
		return e;
	switch (id) {
	case SET_AUTO_RESYNC_ENABLED:
		s->auto_resync_enabled = value != 0;
		break;
	case SET_SYSTEM_OF_RECORD:
		s->system_of_record = (enum system_of_record)value;
		break;
	default:
		*(uint32_t *)((char *)s + setting_defs[id].offset) = (uint32_t)value;
	}
	return SETERR_OK;
}

/* ---- device strings ----------------------------------------------------- */

/* What an empty field points at; never freed. */
static const char empty_str[] = "";

/* Interned strings: one reference-counted copy per distinct value. */
struct istr {
	UT_hash_handle hh;
	uint32_t refs;
	char s[];
};
static struct istr *istr_pool;

static struct istr *istr_of(const char *s)
{
	return (struct istr *)(void *)(s - offsetof(struct istr, s));
}

static void istr_release(const char *s)
{
	if (!s || s == empty_str)
		return;
	struct istr *e = istr_of(s);
	if (--e->refs == 0) {
		HASH_DEL(istr_pool, e);
		free(e);
	}
}

static void own_release(const char *s)
{
	if (s && s != empty_str)
		free((void *)s);
}

int model_str_set(const char **field, const char *value, size_t max)
{
	size_t len = value && max ? strnlen(value, max - 1) : 0;
	const char *copy = empty_str;
	if (len) {
		char *p = malloc(len + 1);
		if (!p)
			return -1;
		memcpy(p, value, len);
		p[len] = '\0';
		copy = p;
	}
	own_release(*field);
	*field = copy;
	return 0;
}

int model_istr_set(const char **field, const char *value, size_t max)
{
	size_t len = value && max ? strnlen(value, max - 1) : 0;
	const char *shared = empty_str;
	if (len) {
		struct istr *e = NULL;
		HASH_FIND(hh, istr_pool, value, len, e);
		if (!e) {
			e = malloc(sizeof(*e) + len + 1);
			if (!e)
				return -1;
			e->refs = 0;
			memcpy(e->s, value, len);
			e->s[len] = '\0';
			HASH_ADD_KEYPTR(hh, istr_pool, e->s, len, e);
		}
		e->refs++;
		shared = e->s;
	}
	istr_release(*field);
	*field = shared;
	return 0;
}

/* Every string field of struct device that is not in its block, by kind:
 * initialised to "" with the device and freed with it. */
#define DEVICE_STR(f) offsetof(struct device, f)
static const size_t device_str_fields[] = {
	DEVICE_STR(last_commit_comment), DEVICE_STR(pending_comment),
};
static const size_t device_istr_fields[] = {
	DEVICE_STR(credential), DEVICE_STR(last_commit_user), DEVICE_STR(last_resync_reason),
	DEVICE_STR(pending_user), DEVICE_STR(config_commit_user),
};
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const char **device_field(struct device *d, size_t offset)
{
	return (const char **)(void *)((char *)d + offset);
}

static void name_key(char *dst, const char *name)
{
	size_t i = 0;
	for (; name[i] && i < RS_NAME_MAX - 1; i++)
		dst[i] = (char)tolower((unsigned char)name[i]);
	dst[i] = '\0';
}

/* A device and its fixed strings in one allocation: the record, then room
 * for the address it is added with (model_device_set_address puts it
 * there; a later, longer one gets its own copy), then the name and, when
 * the name has capitals, its lower-case key (the by-name hashes' key). A
 * malloc'd string costs at least 32 bytes of heap; three of them a device
 * were a fifth of its memory. name is shorter than RS_NAME_MAX. */
static struct device *device_new(const char *name, const char *address)
{
	size_t nlen = strlen(name), alen = address ? strlen(address) : 0;
	size_t room = alen && alen < RS_ADDR_MAX ? alen + 1 : 0;
	char key[RS_NAME_MAX];
	name_key(key, name);
	bool apart = strcmp(key, name) != 0;
	struct device *d = calloc(1, sizeof(*d) + room + (nlen + 1) * (apart ? 2 : 1));
	if (!d)
		return NULL;
	char *tail = (char *)(d + 1);
	d->addr_room = (uint8_t)room;
	memcpy(tail + room, name, nlen + 1);
	if (apart)
		memcpy(tail + room + nlen + 1, key, nlen + 1);
	d->name = tail + room;
	d->name_len = (uint8_t)nlen & 0x7f;
	d->key_apart = apart;
	d->address = empty_str;
	for (size_t i = 0; i < NFIELDS(device_str_fields); i++)
		*device_field(d, device_str_fields[i]) = empty_str;
	for (size_t i = 0; i < NFIELDS(device_istr_fields); i++)
		*device_field(d, device_istr_fields[i]) = empty_str;
	return d;
}

/* The room for the address in d's block (addr_room bytes). */
static char *address_room(struct device *d)
{
	return (char *)(d + 1);
}

/* Frees d's address if it is an own copy, not in its block. */
static void address_release(struct device *d)
{
	if (d->address != address_room(d))
		own_release(d->address);
}

/* The lower-case key of d's name: the name itself when it has no capitals. */
static const char *device_key(const struct device *d)
{
	return d->key_apart ? d->name + d->name_len + 1 : d->name;
}

static void device_free(struct device *d)
{
	address_release(d);
	for (size_t i = 0; i < NFIELDS(device_str_fields); i++)
		own_release(*device_field(d, device_str_fields[i]));
	for (size_t i = 0; i < NFIELDS(device_istr_fields); i++)
		istr_release(*device_field(d, device_istr_fields[i]));
	free(d);
}

/* ---- devices ----------------------------------------------------------- */

/* The short name of an FQDN, unless the host is an IPv4 literal. */
size_t model_short_name_len(const char *host)
{
	const char *dot = strchr(host, '.');
	if (!dot)
		return strlen(host);
	for (const char *p = host; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return (size_t)(dot - host);
	return strlen(host);
}

/* The keys of the model's three hashes. */
static void key_name(const struct device *d, const char **key, size_t *len)
{
	*key = device_key(d);
	*len = d->name_len;
}

static void key_short(const struct device *d, const char **key, size_t *len)
{
	*key = device_key(d);
	*len = model_short_name_len(*key);
}

static void key_addr(const struct device *d, const char **key, size_t *len)
{
	*key = d->address;
	*len = strlen(d->address);
}

struct device *model_device_add(struct model *m, uint32_t index, const char *name,
				const char *address, rs_time_t now)
{
	if (!name || !*name || strlen(name) >= RS_NAME_MAX || strlen(address ? address : "") >= RS_ADDR_MAX)
		return NULL;
	if (model_device_by_name(m, name))
		return NULL;
	if (index == 0 && (index = model_device_free_index(m)) == 0)
		return NULL;
	if (model_index_held(m, index))
		return NULL;
	struct device *d = device_new(name, address);
	if (!d)
		return NULL;
	d->index = index;
	if (devindex_add(&m->devices, d) < 0) {
		device_free(d);
		return NULL;
	}
	if (devhash_add(&m->by_name, d) < 0) {
		devindex_del(&m->devices, index);
		device_free(d);
		return NULL;
	}
	d->ssh_port = 830;
	d->managed_status = MS_UNKNOWN;
	d->conn_status = CONN_UNKNOWN;
	d->last_resync_result = RESULT_NONE;
	const char *key = device_key(d);
	size_t slen = model_short_name_len(key);
	/* Out of memory here only costs the short-name match of this device. */
	if (slen < d->name_len && !devhash_find(&m->by_short, key, slen))
		devhash_add(&m->by_short, d);
	if (address && *address)
		model_device_set_address(m, d, address);
	if (index >= m->next_device_index)
		m->next_device_index = (uint64_t)index + 1;
	m->ndevices++;
	m->status_count[d->managed_status]++;
	m->devices_last_change = now;
	return d;
}

int model_device_set_address(struct model *m, struct device *d, const char *address)
{
	size_t len = strlen(address);
	if (len >= RS_ADDR_MAX)
		return -1;
	if (strcmp(address, d->address) == 0)
		return 0;
	/* In the device's block when it fits (the address it was added with
	 * does), else an own copy. */
	bool in_block = len && len < d->addr_room;
	const char *copy = empty_str;
	if (!in_block && model_str_set(&copy, address, RS_ADDR_MAX) < 0)
		return -1;
	/* Out of the hash first: its key is the string about to be replaced. */
	devhash_del(&m->by_addr, d);
	address_release(d);
	if (in_block)
		copy = memcpy(address_room(d), address, len + 1);
	d->address = copy;
	/* Two devices may share an address (behind NAT): the first one keeps it. */
	if (*address && !model_device_by_addr(m, address) && devhash_add(&m->by_addr, d) < 0)
		return -1;
	return 0;
}

int model_device_remove(struct model *m, uint32_t index)
{
	struct device *d = model_device_by_index(m, index);
	if (!d)
		return -1;
	model_device_set_address(m, d, "");
	devhash_del(&m->by_name, d);
	devhash_del(&m->by_short, d);
	devindex_del(&m->devices, index);
	m->status_count[d->managed_status]--;
	m->ndevices--;
	device_free(d);
	return 0;
}

uint32_t model_device_free_index(struct model *m)
{
	if (m->next_device_index <= UINT32_MAX)
		return (uint32_t)m->next_device_index;
	/* Every index was handed out once: the lowest no device or kept
	 * history holds (only ever after a row was made at the top of the
	 * range, so the walk is rare). */
	for (uint64_t want = 1; want <= UINT32_MAX; want++)
		if (!model_index_held(m, (uint32_t)want))
			return (uint32_t)want;
	return 0;
}

bool model_index_held(struct model *m, uint32_t index)
{
	return model_device_by_index(m, index) || retained_by_index(&m->retained, index);
}

struct retained *model_retain(struct model *m, uint32_t index, const char *name, rs_time_t removed,
			      uint32_t config_version, uint32_t intended_version)
{
	if (index >= m->next_device_index)
		m->next_device_index = (uint64_t)index + 1;
	return retained_add(&m->retained, index, name, removed, config_version, intended_version);
}

struct device *model_device_by_index(struct model *m, uint32_t index)
{
	return devindex_find(&m->devices, index);
}

struct device *model_device_next(struct model *m, uint32_t index)
{
	if (index == UINT32_MAX)
		return NULL;
	return devindex_ceil(&m->devices, index + 1);
}

struct device *model_device_by_name(struct model *m, const char *name)
{
	char key[RS_NAME_MAX];
	if (strlen(name) >= RS_NAME_MAX)
		return NULL;
	name_key(key, name);
	return devhash_find(&m->by_name, key, strlen(key));
}

struct device *model_device_by_addr(struct model *m, const char *address)
{
	return address && *address ? devhash_find(&m->by_addr, address, strlen(address)) : NULL;
}

/* The device a host name means: exact, FQDN against a short name, short
 * name against an FQDN. */
static struct device *match_name(struct model *m, const char *host)
{
	struct device *d = model_device_by_name(m, host);
	if (!d) {
		/* FQDN in the message, device named by its short name. */
		char shortname[RS_NAME_MAX];
		size_t n = model_short_name_len(host);
		if (n < strlen(host) && n < sizeof(shortname)) {
			memcpy(shortname, host, n);
			shortname[n] = '\0';
			d = model_device_by_name(m, shortname);
		}
	}
	if (!d && !strchr(host, '.') && strlen(host) < RS_NAME_MAX) {
		/* Short name in the message, device named by its FQDN. */
		char key[RS_NAME_MAX];
		name_key(key, host);
		d = devhash_find(&m->by_short, key, strlen(key));
	}
	return d;
}

struct device *model_device_name_clash(struct model *m, const char *name)
{
	return name && *name ? match_name(m, name) : NULL;
}

struct device *model_device_match(struct model *m, const char *host, const char *sender_addr)
{
	struct device *d = NULL;
	if (host && *host) {
		d = match_name(m, host);
		if (!d)
			d = model_device_by_addr(m, host);
	}
	if (!d)
		d = model_device_by_addr(m, sender_addr);
	return d;
}

void model_device_set_status(struct model *m, struct device *d, enum managed_status st, rs_time_t now)
{
	if (d->managed_status == st)
		return;
	m->status_count[d->managed_status]--;
	m->status_count[st]++;
	d->managed_status = st;
	m->devices_last_change = now;
}

/* ---- jobs -------------------------------------------------------------- */

/* by_device for tasks not in device order: positions sorted by device. */
static const struct task *sort_tasks;

static int by_device_cmp(const void *a, const void *b)
{
	uint32_t da = sort_tasks[*(const uint32_t *)a].device, db = sort_tasks[*(const uint32_t *)b].device;
	return da < db ? -1 : da > db;
}

/* Counts them by state and indexes them by
 * device: O(n log n) once per job, so each later lookup is O(log n). */
static int job_index_tasks(struct job *j)
{
	bool sorted = true;
	memset(j->nstate, 0, sizeof(j->nstate));
	j->first_failed = 0;
	for (uint32_t i = 0; i < j->ntasks; i++) {
		struct task *t = &j->tasks[i];
		if ((unsigned)t->state <= TASK_STATE_COUNT)
			j->nstate[t->state]++;
		if (t->state == TASK_FAILED && !j->first_failed)
			j->first_failed = i + 1;
		if (i && j->tasks[i - 1].device >= t->device)
			sorted = false;
	}
	free(j->by_device);
	j->by_device = NULL;
	if (sorted)
		return 0;
	j->by_device = malloc(j->ntasks * sizeof(*j->by_device));
	if (!j->by_device)
		return -1;
	for (uint32_t i = 0; i < j->ntasks; i++)
		j->by_device[i] = i;
	sort_tasks = j->tasks; /* the loop thread only */
	qsort(j->by_device, j->ntasks, sizeof(*j->by_device), by_device_cmp);
	return 0;
}

static void job_insert(struct model *m, struct job *j)
{
	j->bulk = (struct sched_node){ .job = j, .pos = SCHED_BULK, .due = j->scheduled_start };
	j->bulk_next = 0;
	j->own = NULL;
	j->nqueued = 0;
	RB_INSERT(job_tree, &m->jobs, j);
	m->njobs++;
}

struct job *model_job_new(struct model *m, enum job_type type, const char *user,
			  const uint32_t *devices, uint32_t ndevices, rs_time_t due)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->tasks = calloc(ndevices ? ndevices : 1, sizeof(*j->tasks));
	if (!j->tasks) {
		free(j);
		return NULL;
	}
	j->type = type;
	j->state = JOB_SCHEDULED;
	j->scheduled_start = due;
	strlcpy(j->user, user ? user : "system", sizeof(j->user));
	j->ntasks = ndevices;
	for (uint32_t i = 0; i < ndevices; i++) {
		j->tasks[i].device = devices[i];
		j->tasks[i].state = TASK_PENDING;
	}
	if (job_index_tasks(j) < 0) {
		free(j->tasks);
		free(j);
		return NULL;
	}
	j->id = m->next_job_id++;
	job_insert(m, j);
	m->jobc.created++;
	return j;
}

struct job *model_job_restore(struct model *m, const struct job *src)
{
	/* A record that counts tasks it does not carry is damaged, not empty. */
	if (model_job_by_id(m, src->id) || (src->ntasks && !src->tasks))
		return NULL;
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return NULL;
	*j = *src;
	j->by_device = NULL;
	j->tasks = calloc(src->ntasks ? src->ntasks : 1, sizeof(*j->tasks));
	if (!j->tasks) {
		free(j);
		return NULL;
	}
	for (uint32_t i = 0; i < src->ntasks; i++) {
		j->tasks[i] = src->tasks[i];
		/* The copy owns the reason from now on. */
		src->tasks[i].reason = NULL;
	}
	if (job_index_tasks(j) < 0) {
		free(j->tasks);
		free(j);
		return NULL;
	}
	job_insert(m, j);
	if (j->id >= m->next_job_id)
		m->next_job_id = j->id + 1;
	return j;
}

struct task *model_job_task(const struct job *j, uint32_t device)
{
	uint32_t lo = 0, hi = j->ntasks;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct task *t = &j->tasks[j->by_device ? j->by_device[mid] : mid];
		if (t->device == device)
			return t;
		if (t->device < device)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool task_state_final(enum task_state s)
{
	return s != TASK_PENDING && s != TASK_RUNNING;
}

uint32_t model_job_done(const struct job *j)
{
	return j->nstate[TASK_OK] + j->nstate[TASK_FAILED] + j->nstate[TASK_SKIPPED] + j->nstate[TASK_CANCELLED];
}

void model_task_set_state(struct job *j, struct task *t, enum task_state st, const char *reason,
			  rs_time_t now)
{
	j->nstate[t->state]--;
	j->nstate[st]++;
	if (st == TASK_FAILED && !j->first_failed)
		j->first_failed = (uint32_t)(t - j->tasks) + 1;
	t->state = st;
	if (task_state_final(st))
		t->end = now;
	/* Interned: 100,000 tasks failing with "connection refused" share one copy. */
	if (reason)
		model_istr_set(&t->reason, reason, RS_REASON_MAX);
}

struct job *model_job_by_id(struct model *m, uint32_t id)
{
	struct job key = { .id = id };
	return RB_FIND(job_tree, &m->jobs, &key);
}

struct job *model_job_next(struct model *m, uint32_t id)
{
	if (id == UINT32_MAX)
		return NULL;
	struct job key = { .id = id + 1 };
	return RB_NFIND(job_tree, &m->jobs, &key);
}

void model_job_free(struct model *m, struct job *j)
{
	/* Not while a node of it waits in the ready FIFO (sched_purge_select). */
	if (j->bulk.in_timer)
		RB_REMOVE(sched_tree, &m->timers, &j->bulk);
	while (j->own) {
		struct sched_node *n = j->own;
		if (n->in_timer)
			RB_REMOVE(sched_tree, &m->timers, n);
		j->own = n->next_own;
		free(n);
	}
	RB_REMOVE(job_tree, &m->jobs, j);
	m->njobs--;
	for (uint32_t i = 0; i < j->ntasks; i++)
		model_istr_set(&j->tasks[i].reason, NULL, 0);
	free(j->by_device);
	free(j->tasks);
	free(j);
}

/* ---- names ------------------------------------------------------------- */

const char *managed_status_name(enum managed_status s)
{
	static const char *const names[] = { "?", "unknown", "inSync", "outOfSync", "synchronizing",
					     "deviceChanged", "managerChanged", "managerAndDeviceChanged" };
	return (unsigned)s <= MS_COUNT ? names[s] : "?";
}

const char *job_state_name(enum job_state s)
{
	static const char *const names[] = { "?", "scheduled", "inProgress", "success", "failure", "cancelled" };
	return (unsigned)s <= JOB_CANCELLED ? names[s] : "?";
}

const char *job_type_name(enum job_type t)
{
	static const char *const names[] = { "?", "autoResync", "manualResync", "inventoryResync", "deploy",
					     "dataCapture", "configureSyslog" };
	return (unsigned)t <= JOB_TYPE_LAST ? names[t] : "?";
}

const char *task_state_name(enum task_state s)
{
	static const char *const names[] = { "?", "pending", "running", "ok", "failed", "skipped", "cancelled" };
	return (unsigned)s <= TASK_STATE_COUNT ? names[s] : "?";
}

const char *conn_status_name(enum conn_status s)
{
	static const char *const names[] = { "?", "unknown", "up", "down" };
	return (unsigned)s <= CONN_DOWN ? names[s] : "?";
}

bool job_state_final(enum job_state s)
{
	return s == JOB_SUCCESS || s == JOB_FAILURE || s == JOB_CANCELLED;
}
