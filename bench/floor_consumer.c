/* floor_consumer.c: benchmark 2's floor, a consumer that only writes the contract's stats. */
/*
 * Built by `make` as bench/floor_consumer (never installed) and started by
 * `bench/latency.py --consumer floor` in feedbackd's place:
 *
 *     bench/floor_consumer BROKERS TOPIC GROUP REDIS_PORT
 *
 * It consumes the load in a consumer group (librdkafka, fetch.wait.max.ms = 100 as
 * feedbackd) and, for what each poll brings, sends Redis the stats writes that feedbackd's
 * views send at a steady load over many agents: one write per changed agent. An agent's
 * first write has all 63 fields of a stats hash; after that, one HSET of the fields its
 * events change in every window (a rating on scale 5 changes 17, on scale 10 25, a complaint
 * 10, a message 2, a reply 22, updated_at included), then one ZADD GT fb:agents with every
 * agent changed. The hash keeps the commonest events' fields in front, as feedbackd's does
 * (Redis finds a field in a small hash by scanning it). Values are not figures but for
 * ratings_W, complaints_W and replies_W, which count the agent's events of that type (the
 * benchmark reads them to see whether the load is sustained); an agent's sixth complaint
 * writes its firing hash (fb:agent:{A}:alerts), so the quality-alert probes are seen.
 *
 * The writes go out as soon as they are made and a thread of their own reads and drops the
 * replies, so the consumer never waits for Redis. Nothing else: no dedupe, windows, rules,
 * checkpoint, routing, alerts topic or offsets of its own (librdkafka auto-commits). What
 * the machine spends with it, and the latency it gives, are the least that any consumer of
 * this load and this contract costs here.
 */
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "idmap.h"

enum floor_kind { RATING5, RATING10, COMPLAINT, MESSAGE, REPLY, FLOOR_KINDS };
#define K(x) (1u << (x))
#define RATINGS (K(RATING5) | K(RATING10))
#define ALL_KINDS (K(FLOOR_KINDS) - 1)
/* A mask bit beyond the kinds: the agent's first write, every field. */
#define FIRST K(FLOOR_KINDS)

/* The counts kept per agent, written as their window fields' values. */
enum floor_count { COUNT_RATINGS, COUNT_COMPLAINTS, COUNT_REPLIES, FLOOR_COUNTS, NOT_COUNTED = -1 };

static const char *const floor_windows[] = {"1h", "24h", "7d", "30d"};
#define WINDOWS (sizeof floor_windows / sizeof floor_windows[0])

/* A figure, in the hash's order; windowed ones have a field per window. */
static const struct floor_figure {
	const char *name;
	unsigned kinds;  /* the event kinds that change it */
	int count;       /* enum floor_count, or NOT_COUNTED */
	bool windowed;
} floor_figures[] = {
	{"updated_at", ALL_KINDS, NOT_COUNTED, false},
	{"ratings", RATINGS, COUNT_RATINGS, true},
	{"csat", RATINGS, NOT_COUNTED, true},
	{"score_avg", RATINGS, NOT_COUNTED, true},
	{"satisfied", RATINGS, NOT_COUNTED, true},
	{"dissatisfied", 0, NOT_COUNTED, true},
	{"neutral", 0, NOT_COUNTED, true},
	{"nps_ratings", K(RATING10), NOT_COUNTED, true},
	{"nps", K(RATING10), NOT_COUNTED, true},
	{"replies", K(REPLY), COUNT_REPLIES, true},
	{"resp_avg_s", K(REPLY), NOT_COUNTED, true},
	{"complaint_rate", K(COMPLAINT) | K(REPLY), NOT_COUNTED, true},
	{"reply_sla_met", K(REPLY), NOT_COUNTED, true},
	{"open_tickets", K(COMPLAINT) | K(MESSAGE) | K(REPLY), NOT_COUNTED, false},
	{"overdue_tickets", 0, NOT_COUNTED, false},
	{"complaints", K(COMPLAINT), COUNT_COMPLAINTS, true},
	{"resp_max_s", K(REPLY), NOT_COUNTED, true},
	{"reply_sla_missed", 0, NOT_COUNTED, true},
};
#define FIGURES (sizeof floor_figures / sizeof floor_figures[0])
#define FIELDS_MAX (FIGURES * WINDOWS)

/* The sixth complaint takes complaints_24h past complaints_above's default threshold (5). */
#define ALERT_AT_COMPLAINTS 6
/* Messages taken per poll before the writes go out. */
#define POLL_MAX 5000

/* One stats field: its name and which count, if any, is its value. */
struct floor_field {
	char name[32];
	unsigned kinds;
	int count;
};

struct floor_agent {
	unsigned counts[FLOOR_COUNTS];
	unsigned mask;      /* kinds changed since the last write (FIRST: never written) */
	bool alert;         /* its firing hash is due */
};

static struct floor_field fields[FIELDS_MAX];
static size_t nfields;
static struct floor_agent *agents;
static char **agent_ids;
static size_t nagents, cap_agents;
static struct idmap *agent_map;
static uint32_t *changed;
static size_t nchanged;
static volatile sig_atomic_t stopping;

/* SIGTERM and SIGINT only ask the loop to end. */
static void floor_on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Lays the stats fields out in the hash's order. */
static void floor_fields_init(void)
{
	for (size_t f = 0; f < FIGURES; f++) {
		const struct floor_figure *fg = &floor_figures[f];
		for (size_t w = 0; w < (fg->windowed ? WINDOWS : 1); w++) {
			struct floor_field *fd = &fields[nfields++];
			if (fg->windowed)
				snprintf(fd->name, sizeof fd->name, "%s_%s", fg->name, floor_windows[w]);
			else
				snprintf(fd->name, sizeof fd->name, "%s", fg->name);
			fd->kinds = fg->kinds;
			fd->count = fg->count;
		}
	}
}

/* The kind of an event from its JSON text; MESSAGE when unknown. */
static enum floor_kind floor_kind_of(const char *v, size_t len)
{
	static const char tag[] = "\"type\":\"";
	const char *p = memmem(v, len, tag, sizeof tag - 1);

	if (p == NULL || (size_t)(v + len - p) < sizeof tag + 3)
		return MESSAGE;
	p += sizeof tag - 1;
	if (strncmp(p, "rating", 6) == 0)
		return memmem(v, len, "\"scale\":10", 10) != NULL ? RATING10 : RATING5;
	if (strncmp(p, "complaint", 9) == 0)
		return COMPLAINT;
	if (strncmp(p, "reply", 5) == 0)
		return REPLY;
	return MESSAGE;
}

/* The index of an agent, added on first sight; exits when out of memory. */
static uint32_t floor_agent(const char *id, size_t len)
{
	uint32_t i;

	if (idmap_get(agent_map, id, len, &i))
		return i;
	if (nagents == cap_agents) {
		cap_agents = cap_agents ? 2 * cap_agents : 16384;
		agents = realloc(agents, cap_agents * sizeof *agents);
		agent_ids = realloc(agent_ids, cap_agents * sizeof *agent_ids);
		changed = realloc(changed, cap_agents * sizeof *changed);
		if (agents == NULL || agent_ids == NULL || changed == NULL)
			abort();
	}
	i = (uint32_t)nagents++;
	memset(&agents[i], 0, sizeof agents[i]);
	agents[i].mask = FIRST;
	agent_ids[i] = strndup(id, len);
	if (agent_ids[i] == NULL || idmap_put(agent_map, id, len, i) < 0)
		abort();
	changed[nchanged++] = i;
	return i;
}

/* Counts one message's event for its agent (the message key). */
static void floor_take(const rd_kafka_message_t *m)
{
	enum floor_kind k;
	struct floor_agent *a;
	uint32_t i;

	if (m->err) {
		fprintf(stderr, "floor_consumer: %s\n", rd_kafka_message_errstr(m));
		return;
	}
	if (m->key_len == 0 || m->key_len > IDMAP_MAX_KEY)
		return;
	k = floor_kind_of(m->payload, m->len);
	i = floor_agent(m->key, m->key_len);  /* first: it may move agents */
	a = &agents[i];
	if (a->mask == 0)
		changed[nchanged++] = i;
	a->mask |= K(k);
	if (k == RATING5 || k == RATING10)
		a->counts[COUNT_RATINGS]++;
	else if (k == REPLY)
		a->counts[COUNT_REPLIES]++;
	else if (k == COMPLAINT && ++a->counts[COUNT_COMPLAINTS] == ALERT_AT_COMPLAINTS)
		a->alert = true;
}

/* The commands made since the last send, RESP. */
static char *out;
static size_t out_len, out_cap;

/* Adds one command to out; exits when out of memory. */
static void floor_out(int argc, const char **argv, const size_t *argl)
{
	char *cmd;
	long long n = redisFormatCommandArgv(&cmd, argc, argv, argl);

	if (n < 0)
		abort();
	if (out_len + (size_t)n > out_cap) {
		out_cap = 2 * (out_len + (size_t)n);
		if ((out = realloc(out, out_cap)) == NULL)
			abort();
	}
	memcpy(out + out_len, cmd, (size_t)n);
	out_len += (size_t)n;
	free(cmd);
}

/* Reads and drops Redis's replies, so that the consumer never waits for them. */
static void *floor_drain(void *arg)
{
	char buf[1 << 16];
	int fd = *(int *)arg;

	while (read(fd, buf, sizeof buf) > 0)
		;
	fprintf(stderr, "floor_consumer: redis closed the connection\n");
	exit(1);
}

/* Appends one agent's stats write (and its firing hash when due). */
static void floor_append_agent(uint32_t i)
{
	static const char *argv[2 + 2 * FIELDS_MAX];
	static size_t argl[2 + 2 * FIELDS_MAX];
	static char values[FLOOR_COUNTS][16];
	char key[IDMAP_MAX_KEY + 32];
	struct floor_agent *a = &agents[i];
	int argc = 0;

	if (a->alert) {
		snprintf(key, sizeof key, "fb:agent:{%s}:alerts", agent_ids[i]);
		argv[0] = "HSET", argv[1] = key, argv[2] = "complaints_above", argv[3] = "1";
		for (int j = 0; j < 4; j++)
			argl[j] = strlen(argv[j]);
		floor_out(4, argv, argl);
		a->alert = false;
	}
	for (int c = 0; c < FLOOR_COUNTS; c++)
		snprintf(values[c], sizeof values[c], "%u", a->counts[c]);
	snprintf(key, sizeof key, "fb:agent:{%s}:stats", agent_ids[i]);
	argv[argc] = "HSET", argl[argc++] = 4;
	argv[argc] = key, argl[argc++] = strlen(key);
	for (size_t f = 0; f < nfields; f++) {
		if (!(a->mask & FIRST) && !(fields[f].kinds & a->mask))
			continue;
		argv[argc] = fields[f].name, argl[argc++] = strlen(fields[f].name);
		argv[argc] = fields[f].count == NOT_COUNTED ? "1" : values[fields[f].count];
		argl[argc] = strlen(argv[argc]);
		argc++;
	}
	a->mask = 0;
	floor_out(argc, argv, argl);
}

/* Sends the writes of every agent changed since the last call to Redis on fd. */
static void floor_write(int fd, long long now_ms)
{
	static const char **argv;
	static size_t *argl, cap;
	char now[24];

	if (nchanged == 0)
		return;
	if (cap < 3 + 2 * nchanged) {
		cap = 3 + 2 * cap_agents;
		argv = realloc(argv, cap * sizeof *argv);
		argl = realloc(argl, cap * sizeof *argl);
		if (argv == NULL || argl == NULL)
			abort();
	}
	snprintf(now, sizeof now, "%lld", now_ms);
	argv[0] = "ZADD", argl[0] = 4;
	argv[1] = "fb:agents", argl[1] = 9;
	argv[2] = "GT", argl[2] = 2;
	for (size_t j = 0; j < nchanged; j++) {
		floor_append_agent(changed[j]);
		argv[3 + 2 * j] = now, argl[3 + 2 * j] = strlen(now);
		argv[4 + 2 * j] = agent_ids[changed[j]], argl[4 + 2 * j] = strlen(agent_ids[changed[j]]);
	}
	floor_out((int)(3 + 2 * nchanged), argv, argl);
	nchanged = 0;
	for (size_t done = 0; done < out_len;) {
		ssize_t n = write(fd, out + done, out_len - done);
		if (n <= 0) {
			perror("floor_consumer: write to redis");
			exit(1);
		}
		done += (size_t)n;
	}
	out_len = 0;
}

/* A blocking TCP connection to Redis on the loopback PORT; exits when it cannot. */
static int floor_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
		perror("floor_consumer: redis");
		exit(1);
	}
	return fd;
}

/* A consumer in GROUP on TOPIC, reading a new group's partitions from their start. */
static rd_kafka_t *floor_consumer_new(const char *brokers, const char *topic, const char *group)
{
	static const char *const conf_kv[][2] = {
		{"auto.offset.reset", "earliest"},
		{"fetch.wait.max.ms", "100"},
		{"enable.partition.eof", "false"},
	};
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "group.id", group, err, sizeof err) != RD_KAFKA_CONF_OK)
		goto fail;
	for (size_t i = 0; i < sizeof conf_kv / sizeof conf_kv[0]; i++)
		if (rd_kafka_conf_set(conf, conf_kv[i][0], conf_kv[i][1], err, sizeof err) != RD_KAFKA_CONF_OK)
			goto fail;
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (rk == NULL)
		goto fail;
	rd_kafka_poll_set_consumer(rk);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, topics) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, sizeof err, "cannot subscribe to %s", topic);
		goto fail;
	}
	rd_kafka_topic_partition_list_destroy(topics);
	return rk;
fail:
	fprintf(stderr, "floor_consumer: %s\n", err);
	exit(1);
}

int main(int argc, char **argv)
{
	rd_kafka_t *rk;
	rd_kafka_message_t *m;
	pthread_t drainer;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: floor_consumer BROKERS TOPIC GROUP REDIS_PORT\n");
		return 2;
	}
	signal(SIGTERM, floor_on_signal);
	signal(SIGINT, floor_on_signal);
	floor_fields_init();
	if ((agent_map = idmap_new(65536)) == NULL)
		abort();
	fd = floor_connect(atoi(argv[4]));
	if (pthread_create(&drainer, NULL, floor_drain, &fd) != 0)
		abort();
	rk = floor_consumer_new(argv[1], argv[2], argv[3]);
	while (!stopping) {
		if ((m = rd_kafka_consumer_poll(rk, 100)) == NULL)
			continue;
		floor_take(m);
		rd_kafka_message_destroy(m);
		for (int n = 1; n < POLL_MAX && (m = rd_kafka_consumer_poll(rk, 0)) != NULL; n++) {
			floor_take(m);
			rd_kafka_message_destroy(m);
		}
		floor_write(fd, (long long)time(NULL) * 1000);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}
