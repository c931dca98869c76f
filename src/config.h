/* config.h: the INI configuration, loaded and validated as a whole. */
#ifndef FEEDBACKD_CONFIG_H
#define FEEDBACKD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_diff.h"
#include "event.h"
#include "hostport.h"
#include "partitioner.h"
#include "policy.h"
#include "rule.h"
#include "teammap.h"
#include "window.h"

#define CONFIG_ERROR_SIZE 512
#define CONFIG_TOPICS_MAX 16
#define CONFIG_PASSTHROUGH_MAX 64

/* One "rdkafka.NAME = VALUE" line, handed to librdkafka untouched. */
struct config_passthrough {
	char *name; /* without the "rdkafka." prefix */
	char *value;
};

/* Where feedbackd finds its Redis primaries ([redis] mode). */
enum redis_mode {
	REDIS_MODE_STANDALONE,          /* one server: host and port, or socket */
	REDIS_MODE_CLUSTER,             /* a Redis Cluster, found from its seed nodes */
	REDIS_MODE_SENTINEL,            /* the primary the Sentinels name */
};

/* A list of endpoints ([redis] cluster, sentinels); count 0 when unset. */
struct config_hostports {
	int count;
	struct hostport at[HOSTPORT_LIST_MAX];
};

/* A team's quality rules: [rule.*] with the thresholds its team.TEAM.threshold keys set. */
struct config_rule_team {
	char team[EVENT_TEAM_MAX + 1];
	bool set[RULE_COUNT];
	int line[RULE_COUNT];                   /* where each was set */
	double threshold[RULE_COUNT];
	struct rule_config rules[RULE_COUNT];   /* made once the whole file is read */
};

/* One [calendar.NAME] section, built once the whole file is read. */
struct config_calendar {
	char name[POLICY_NAME_MAX];
	struct calendar *calendar;      /* owned */
};

struct config {
	/* Every "key = value" line of the file, as written (config_diff.c): what a reload changed. */
	struct config_setting *settings;
	size_t setting_count, settings_cap;
	char *path;

	/* [kafka] */
	char *brokers;                  /* "embedded" starts the mock cluster in-process */
	char *group;
	char *group_instance_id;        /* static group membership (the consumer's); NULL: dynamic */
	char *topics[CONFIG_TOPICS_MAX];
	size_t topic_count;
	char *dlq_topic;
	char *alerts_topic;
	int embedded_partitions;
	struct config_passthrough rdkafka[CONFIG_PASSTHROUGH_MAX];
	size_t rdkafka_count;

	/* [redis] */
	char *redis_host;
	int redis_port;
	char *redis_socket;             /* NULL unless set; wins over host/port */
	char *redis_user;
	char *redis_password;
	int redis_db;
	char *prefix;                   /* key prefix, "fb:" */
	int64_t redis_timeout_ms;       /* no reply for this long: the connection is dropped */
	int redis_wait_replicas;        /* WAIT for this many replicas after each commit; 0: none */
	enum redis_mode redis_mode;
	struct config_hostports redis_cluster;   /* seed nodes, mode cluster only */
	struct config_hostports redis_sentinels; /* mode sentinel only */
	char *redis_master_name;        /* the Sentinels' name of the primary */
	int redis_agents_shards;        /* keys the agent index is split into; 1: fb:agents */

	/* [windows] */
	struct windows windows;
	int64_t refresh_ms;

	/* [ingest] */
	int batch_size;                 /* a task commits at once when this many events wait */
	int64_t dedupe_horizon_ms;
	int64_t max_future_ms;          /* events further ahead are rejected */

	/* [sla] */
	int64_t reply_target_ms;                         /* messages and default */
	int64_t reply_target_severity_ms[SEVERITY_COUNT]; /* complaints, by severity */
	double at_risk;                                  /* fraction of target; 0 disables */
	int64_t pair_horizon_ms;                         /* how long an early reply waits */
	int64_t ticket_memory_ms;                        /* how long a ticket with no clock running is remembered */
	int64_t follow_up_within_ms;                     /* [recovery]: a complaint's follow-up is due this long after its answer */
	int64_t rating_within_ms;                        /* a rating this long after a complaint is its recovery's outcome */
	int64_t status_grace_ms;                         /* how long a stopped clock waits for late status events */

	/* [http] */
	char *http_listen;              /* "127.0.0.1:9187", or NULL when "off" */

	/* [appraisal] */
	char *appraisal_calendar;       /* the calendar whose time zone the months follow; NULL: UTC */
	struct calendar *appraisal;     /* it, resolved (cfg's, or calendar_always()) */

	/* [teams] */
	char *teams_map;                /* the map file's path as written; NULL: no map */
	struct teammap *teams;          /* read from it (config_teams.c); NULL: no map */
	/* [log] */
	int log_level;                  /* LOG_ERR..LOG_DEBUG from <syslog.h> */

	/* [engine] */
	int tasks;                      /* route topic partitions; 0: the first input topic's */
	char *route_topic;              /* never NULL once loaded: unset means "<group>.route" */
	enum partitioner_kind partitioner; /* the input producers' partitioner */
	int64_t flush_interval_ms;      /* how often a task's changes are committed to Redis */

	/* [rule.csat_below] ... [rule.response_time_above], by enum rule_id */
	struct rule_config rules[RULE_COUNT];
	/* Their team.TEAM.threshold keys, by team (config_rule_teams.c) */
	struct config_rule_team *rule_teams;
	size_t rule_team_count, rule_team_cap;

	/* [calendar.NAME], in file order; "always" is built in (calendar_always()), not listed. */
	struct config_calendar *calendars;
	size_t calendar_count;

	/*
	 * [policy.NAME], default excepted, in the order of their headers: a ticket takes the
	 * first that matches its opening event (policy_select), else policy_default.
	 * That is [policy.default], or when the file has none a policy of the defaults
	 * (config_policies_defaults), which config_defaults sets too. Their calendar pointers
	 * are cfg's calendars or calendar_always(), valid until config_free.
	 */
	struct policy *policies;
	size_t policy_count;
	struct policy policy_default;
};

/* Fills cfg with the built-in defaults. */
void config_defaults(struct config *cfg);

/* Loads path over the defaults; on error writes "file:line: reason" and returns false. */
bool config_load(struct config *cfg, const char *path, char *err, size_t err_size);

/* Frees every string, calendar and policy cfg owns; cfg may then be loaded again. */
void config_free(struct config *cfg);

#endif
