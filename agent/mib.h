/* mib.h: what the agent's MIB handler files share: their handlers (exported
 * so the unit tests can call them with hand-built requests), their
 * registration, and small helpers for OIDs, DateAndTime and SET checks. */
#ifndef RESYNCD_AGENT_MIB_H
#define RESYNCD_AGENT_MIB_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct loop;

/* The loop every handler reads and changes (set by mib_*_register). */
extern struct loop *mib_loop;

#define MIB_HANDLER_ARGS                                                                          \
	netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,                      \
		netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests

int mib_settings_handler(MIB_HANDLER_ARGS);
int mib_status_handler(MIB_HANDLER_ARGS);
int mib_devices_handler(MIB_HANDLER_ARGS);
int mib_jobs_handler(MIB_HANDLER_ARGS);
int mib_jobdevs_handler(MIB_HANDLER_ARGS);
int mib_incidents_handler(MIB_HANDLER_ARGS);
int mib_control_handler(MIB_HANDLER_ARGS);

int mib_settings_register(void);
int mib_status_register(void);
int mib_devices_register(void);
int mib_jobs_register(void);
int mib_incidents_register(void);
int mib_control_register(void);

/* Registers handler_fn at a subtree; 0 or -1. */
/* RESERVE2 of a SET: if the store cannot be written now, the SET is refused
 * with resourceUnavailable before anything changes (true then). */
bool mib_store_refuses(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests);

int mib_register(const char *name, Netsnmp_Node_Handler *fn, const oid *root, size_t len, int modes);

/* Where a GETNEXT of `name` enters the table whose OID is table[0..tlen).
 * Returns false when name lies past the table. Otherwise *col is the first
 * column to look in (clamped to [mincol, maxcol]) and idx/idxlen the index
 * sub-ids after which to look (idxlen 0: from the first row). */
bool mib_table_next_pos(const oid *name, size_t len, const oid *table, size_t tlen, unsigned mincol,
			unsigned maxcol, unsigned *col, const oid **idx, size_t *idxlen);

/* A table indexed by one uint32 (devices, jobs). next() returns the first
 * row whose index is > after (one RB-tree step) and sets *index, or NULL;
 * get_col() fills vb with one column of that row. A table whose column
 * numbers have gaps (numbers given to objects of another release) says
 * which exist with has_col (NULL: all from first_col to last_col). */
struct mib_u32_table {
	const oid *oid;
	size_t oid_len;
	unsigned first_col, last_col;
	const void *(*next)(struct model *m, uint32_t after, uint32_t *index);
	void (*get_col)(netsnmp_variable_list *vb, const void *row, unsigned col);
	bool (*has_col)(unsigned col);
};

/* The device and job tables (agentx_direct.c answers their GETNEXTs too). */
extern const struct mib_u32_table mib_device_table, mib_job_table, mib_incident_table;

/* GETNEXT in such a table: O(log n) per column tried. */
void mib_u32_table_getnext(netsnmp_request_info *r, struct model *m, const struct mib_u32_table *t);
/* GET in such a table: noSuchObject outside its columns, noSuchInstance for
 * an index no row has; one next() step. */
void mib_u32_table_get(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r, struct model *m,
		       const struct mib_u32_table *t);

/* How a table answers one request of a PDU in each mode. */
struct mib_request_ops {
	/* A table indexed by one uint32 answers GET and GETNEXT from this
	 * (get and getnext NULL then). */
	const struct mib_u32_table *table;
	void (*get)(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r);
	void (*getnext)(netsnmp_request_info *r);
	/* Each SET phase (RESERVE1, RESERVE2, COMMIT): checks, then applies at
	 * commit. NULL: a read-only table, refused notWritable at RESERVE1. */
	void (*set)(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r);
};
/* A handler's loop over the requests not yet processed; SNMP_ERR_NOERROR
 * (errors are set on the requests). */
int mib_requests(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests,
		 const struct mib_request_ops *ops);

/* For GET/SET: splits name into column and index when it lies inside the
 * table's entry. Returns false if it does not name an entry column. */
bool mib_table_instance(const oid *name, size_t len, const oid *table, size_t tlen, unsigned *col,
			const oid **idx, size_t *idxlen);

/* Same for a scalar group: the sub-id of the scalar a GET/SET names (instance
 * .0 required; *exact false otherwise), or the next scalar for a GETNEXT. */
bool mib_scalar_instance(const oid *name, size_t len, const oid *group, size_t glen, unsigned first,
			 unsigned last, unsigned *sub, bool *exact);
bool mib_scalar_next(const oid *name, size_t len, const oid *group, size_t glen, unsigned first,
		     unsigned last, unsigned *sub);

/* A scalar group's place in the MIB and how to read one of its scalars. */
struct mib_scalar_group {
	const oid *oid;
	size_t oid_len;
	unsigned first, last;
	void (*get_one)(netsnmp_variable_list *vb, unsigned sub);
	bool (*exists)(unsigned sub);  /* NULL: every sub-id first..last is a scalar */
};
/* Answers a GET or GETNEXT of request r in group g; false for other modes. */
bool mib_scalar_group_read(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r,
			   const struct mib_scalar_group *g);

/* GETNEXT answer: sets vb's name to prefix.sub1[.sub2[.sub3[.sub4]]] (nsub
 * sub-ids). Returns false, and marks vb "nothing after this here", unless
 * that name is strictly after the question vb holds: the caller then sets
 * no value. */
bool mib_set_name(netsnmp_variable_list *vb, const oid *prefix, size_t plen, const oid *subs, size_t nsub);

/* Typed value setters (no allocation for short values). */
void mib_set_int(netsnmp_variable_list *vb, long v);
void mib_set_uint(netsnmp_variable_list *vb, u_char type, unsigned long v);
void mib_set_u64(netsnmp_variable_list *vb, uint64_t v);
void mib_set_str(netsnmp_variable_list *vb, const char *s);
void mib_set_datetime(netsnmp_variable_list *vb, rs_time_t t);

/* DateAndTime (SNMPv2-TC) of t in UTC, 11 octets; 8 zero octets for 0 (never). */
size_t mib_datetime(rs_time_t t, u_char out[11]);
/* The time a DateAndTime of 8 or 11 octets names (its UTC offset applied);
 * -1 if it is not a valid one. */
int mib_parse_datetime(const u_char *v, size_t len, rs_time_t *t);

/* Who a SET comes from, for the log: community or user and peer address. */
void mib_who(netsnmp_agent_request_info *reqinfo, char *buf, size_t len);

/* Marks a GETNEXT request "nothing after this here": ASN_NULL, OID left as
 * asked, so the agent tries the next subtree. Never ASN_PRIV_RETRY. */
void mib_no_next(netsnmp_request_info *r);
void mib_no_next_vb(netsnmp_variable_list *vb);

/* SET phases in which the handlers check (reserve) and apply (commit). */
bool mib_is_check_phase(int mode);

#endif
