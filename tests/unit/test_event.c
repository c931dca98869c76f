/* test_event.c: every contract rule of event_parse, as one table plus edge cases. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"

#define NOW INT64_C(1795341600000)	/* 2026-11-22T10:00:00Z */
#define T0 INT64_C(1795339800000)	/* 2026-11-22T09:30:00Z */
#define MAX_FUTURE INT64_C(300000)	/* 5m, the default */

#define X16 "abcdefghijklmnop"
#define X128 X16 X16 X16 X16 X16 X16 X16 X16
#define X126 X16 X16 X16 X16 X16 X16 X16 "abcdefghijklmn"
#define E8 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" /* "éééé": 8 bytes */
#define E128 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8 E8

/* The start of a rating by agent a1, up to ts. */
#define RHEAD "{\"event_id\":\"e1\",\"type\":\"rating\",\"agent_id\":\"a1\","
/* The usual ts member, T0. */
#define TS0 "\"ts\":\"2026-11-22T09:30:00Z\""
/* A rating with every required field, then the given extra members. */
#define RATING(extra) RHEAD TS0 extra "}"
/* A score-4 rating with the given ts value. */
#define RATING_TS(ts) RHEAD "\"ts\":" ts ",\"score\":4}"
/* A score-4 rating with the given raw event_id and agent_id members. */
#define RATING_IDS(ids) "{\"type\":\"rating\"," ids "," TS0 ",\"score\":4}"
/* A complaint on ticket t1, then the given extra members. */
#define COMPLAINT(extra) "{\"event_id\":\"e2\",\"type\":\"complaint\",\"agent_id\":\"a1\"," \
	TS0 ",\"ticket_id\":\"t1\"" extra "}"
/* A ticket event of the given type with the given extra members. */
#define TICKET_EVENT(type, extra) "{\"event_id\":\"r1\",\"type\":\"" type "\"," \
	"\"agent_id\":\"a1\"," TS0 extra "}"
/* A status event e2 on ticket t1, then the given extra members. */
#define STATUS_EVENT(extra) "{\"event_id\":\"e2\",\"type\":\"status\",\"agent_id\":\"a1\"," \
	TS0 ",\"ticket_id\":\"t1\"" extra "}"

struct ecase {
	const char	*name;
	const char	*json;
	const char	*reason;	/* NULL: must be accepted */
	/* Expected fields of an accepted event; NULL strings mean "". */
	enum event_type	 type;
	const char	*event_id;
	const char	*agent_id;
	const char	*ticket_id;
	const char	*category;
	int64_t		 ts_ms;
	int		 score;
	int		 scale;
	enum severity	 severity;
	enum ticket_status status;
	const char	*queue;
	const char	*team_id;
	bool		 follow_up;
};

#define REJECT(n, j, r) { .name = n, .json = j, .reason = r }
#define OK_RATING(n, j, eid, aid, ts, sc, scl) { .name = n, .json = j, \
	.type = EVENT_RATING, .event_id = eid, .agent_id = aid, .ts_ms = ts, \
	.score = sc, .scale = scl, .severity = SEVERITY_NORMAL }
/* An accepted rating by a1 with the given ts and a score of 4 on scale 5. */
#define OK_TS(n, j, ts) OK_RATING(n, j, "e1", "a1", ts, 4, 5)
/* An accepted complaint e2 on t1 by a1 at T0. */
#define OK_COMPLAINT(n, j, cat, sev) { .name = n, .json = j, .type = EVENT_COMPLAINT, \
	.event_id = "e2", .agent_id = "a1", .ticket_id = "t1", .category = cat, \
	.ts_ms = T0, .severity = sev }
/* An accepted status event e2 on t1 by a1 at T0. */
#define OK_STATUS(n, j, st) { .name = n, .json = j, .type = EVENT_STATUS, \
	.event_id = "e2", .agent_id = "a1", .ticket_id = "t1", .ts_ms = T0, \
	.severity = SEVERITY_NORMAL, .status = st }

#define CJK_EVENT "\xe4\xba\x8b\xe4\xbb\xb6-1"			/* "事件-1" */
#define CJK_AGENT "\xe5\xae\xa2\xe6\x9c\x8d-\xe5\xbc\xa0\xe4\xb8\x89"	/* "客服-张三" */
#define ACCENT_AGENT "ag\xc3\xabnt-\xc3\xb8"			/* "agënt-ø" */

static const struct ecase cases[] = {
	/* Ratings and their score rules. */
	OK_RATING("rating, default scale", RATING(",\"score\":4"), "e1", "a1", T0, 4, 5),
	OK_RATING("scale 5 low bound", RATING(",\"score\":1,\"scale\":5"), "e1", "a1", T0, 1, 5),
	OK_RATING("scale 5 high bound", RATING(",\"score\":5"), "e1", "a1", T0, 5, 5),
	OK_RATING("scale 10 score 0", RATING(",\"score\":0,\"scale\":10"), "e1", "a1", T0, 0, 10),
	OK_RATING("scale 10 score 10", RATING(",\"scale\":10,\"score\":10"), "e1", "a1", T0, 10,
	    10),
	REJECT("scale 10 score 11", RATING(",\"score\":11,\"scale\":10"), "score out of range"),
	REJECT("scale 10 score -1", RATING(",\"score\":-1,\"scale\":10"), "score out of range"),
	REJECT("scale 5 score 0", RATING(",\"score\":0"), "score out of range"),
	REJECT("scale 5 score 6", RATING(",\"score\":6,\"scale\":5"), "score out of range"),
	REJECT("score beyond int", RATING(",\"score\":4294967301"), "score out of range"),
	/* Numbers jansson cannot hold are read as the largest it can, with sign and kind. */
	REJECT("score beyond int64", RATING(",\"score\":99999999999999999999"), "score out of range"),
	REJECT("score below int64", RATING(",\"score\":-99999999999999999999"),
	    "score out of range"),
	REJECT("score real beyond double", RATING(",\"score\":1e400"), "wrong type: score"),
	REJECT("scale beyond int64", RATING(",\"score\":4,\"scale\":99999999999999999999"),
	    "bad scale"),
	REJECT("scale 7", RATING(",\"score\":4,\"scale\":7"), "bad scale"),
	REJECT("scale 5.0 real", RATING(",\"score\":4,\"scale\":5.0"), "wrong type: scale"),
	REJECT("scale string", RATING(",\"score\":4,\"scale\":\"10\""), "wrong type: scale"),
	REJECT("score 4.0 real", RATING(",\"score\":4.0"), "wrong type: score"),
	REJECT("score string", RATING(",\"score\":\"4\""), "wrong type: score"),
	REJECT("score null", RATING(",\"score\":null"), "wrong type: score"),
	REJECT("score missing", RATING(""), "missing field: score"),
	{ .name = "rating with optional ticket and category",
	  .json = RATING(",\"score\":3,\"ticket_id\":\"t9\",\"category\":\"billing\""),
	  .type = EVENT_RATING, .event_id = "e1", .agent_id = "a1", .ticket_id = "t9",
	  .category = "billing", .ts_ms = T0, .score = 3, .scale = 5,
	  .severity = SEVERITY_NORMAL },
	OK_RATING("severity ignored on a rating", RATING(",\"score\":2,\"severity\":\"urgent\""),
	    "e1", "a1", T0, 2, 5),

	/* Both ts forms, fractions, offsets, the future limit. */
	OK_TS("ts integer ms", RATING_TS("1795339800000"), T0),
	OK_TS("ts integer 0", RATING_TS("0"), 0),
	REJECT("ts integer negative", RATING_TS("-1"), "bad ts"),
	REJECT("ts real", RATING_TS("1795339800000.0"), "wrong type: ts"),
	REJECT("ts null", RATING_TS("null"), "wrong type: ts"),
	REJECT("ts missing", RHEAD "\"score\":4}", "missing field: ts"),
	OK_TS("ts fraction 1 digit", RATING_TS("\"2026-11-22T09:30:00.5Z\""), T0 + 500),
	OK_TS("ts fraction 3 digits", RATING_TS("\"2026-11-22T09:30:00.123Z\""), T0 + 123),
	OK_TS("ts fraction 9 digits", RATING_TS("\"2026-11-22T09:30:00.987654321Z\""), T0 + 987),
	OK_TS("ts +02:00", RATING_TS("\"2026-11-22T11:30:00+02:00\""), T0),
	OK_TS("ts -05:30", RATING_TS("\"2026-11-22T04:00:00-05:30\""), T0),
	OK_TS("ts lowercase t and z", RATING_TS("\"2026-11-22t09:30:00z\""), T0),
	REJECT("ts without zone", RATING_TS("\"2026-11-22T09:30:00\""), "bad ts"),
	REJECT("ts 2023-02-29", RATING_TS("\"2023-02-29T09:30:00Z\""), "bad ts"),
	REJECT("ts words", RATING_TS("\"yesterday\""), "bad ts"),
	OK_TS("ts 4 min ahead", RATING_TS("\"2026-11-22T10:04:00Z\""), NOW + 240000),
	OK_TS("ts exactly 5 min ahead", RATING_TS("\"2026-11-22T10:05:00Z\""), NOW + 300000),
	REJECT("ts 5 min 1 ms ahead", RATING_TS("\"2026-11-22T10:05:00.001Z\""),
	    "ts in the future"),
	REJECT("ts 6 min ahead", RATING_TS("\"2026-11-22T10:06:00Z\""), "ts in the future"),
	REJECT("ts integer 6 min ahead", RATING_TS("1795341960000"), "ts in the future"),
	REJECT("ts integer max", RATING_TS("9223372036854775807"), "ts in the future"),
	REJECT("ts integer beyond int64", RATING_TS("99999999999999999999"), "ts in the future"),
	REJECT("ts integer below int64", RATING_TS("-99999999999999999999"), "bad ts"),
	REJECT("ts real beyond double", RATING_TS("1e400"), "wrong type: ts"),

	/* Identifiers: lengths in bytes, unicode, control characters. */
	OK_RATING("accented agent id",
	    RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"" ACCENT_AGENT "\""),
	    "e1", ACCENT_AGENT, T0, 4, 5),
	OK_RATING("escaped accented agent id",
	    RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"ag\\u00ebnt-\\u00f8\""),
	    "e1", ACCENT_AGENT, T0, 4, 5),
	OK_RATING("CJK agent and event ids",
	    RATING_IDS("\"event_id\":\"" CJK_EVENT "\",\"agent_id\":\"" CJK_AGENT "\""),
	    CJK_EVENT, CJK_AGENT, T0, 4, 5),
	OK_RATING("surrogate pair agent id",
	    RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"\\ud83d\\ude00\""),
	    "e1", "\xf0\x9f\x98\x80", T0, 4, 5),
	OK_RATING("event_id 128 bytes", RATING_IDS("\"event_id\":\"" X128 "\",\"agent_id\":\"a1\""),
	    X128, "a1", T0, 4, 5),
	REJECT("event_id 129 bytes", RATING_IDS("\"event_id\":\"" X128 "x\",\"agent_id\":\"a1\""),
	    "bad length: event_id"),
	REJECT("event_id empty", RATING_IDS("\"event_id\":\"\",\"agent_id\":\"a1\""),
	    "bad length: event_id"),
	REJECT("event_id number", RATING_IDS("\"event_id\":17,\"agent_id\":\"a1\""),
	    "wrong type: event_id"),
	REJECT("event_id missing", RATING_IDS("\"agent_id\":\"a1\""), "missing field: event_id"),
	OK_RATING("agent_id 128 bytes of 2-byte chars",
	    RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"" E128 "\""), "e1", E128, T0, 4, 5),
	REJECT("agent_id 129 bytes", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"" E128 "x\""),
	    "bad length: agent_id"),
	REJECT("agent_id empty", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"\""),
	    "bad length: agent_id"),
	REJECT("agent_id missing", RATING_IDS("\"event_id\":\"e1\""), "missing field: agent_id"),
	REJECT("agent_id null", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":null"),
	    "wrong type: agent_id"),
	REJECT("agent_id array", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":[\"a1\"]"),
	    "wrong type: agent_id"),
	REJECT("agent_id with \\u0001",
	    RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"a\\u0001b\""),
	    "control character: agent_id"),
	REJECT("agent_id with \\n", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"a\\nb\""),
	    "control character: agent_id"),
	REJECT("agent_id with raw DEL", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"a\x7f\""),
	    "control character: agent_id"),
	REJECT("agent_id with \\u007f", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"\\u007f\""),
	    "control character: agent_id"),
	REJECT("agent_id with \\u0000", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"a\\u0000\""),
	    "nul character"),

	/* Types and tickets. */
	REJECT("type review", TICKET_EVENT("review", ",\"ticket_id\":\"t1\""), "unknown type"),
	REJECT("type in capitals", TICKET_EVENT("RATING", ",\"score\":4"), "unknown type"),
	REJECT("type number", "{\"event_id\":\"e1\",\"type\":1,\"agent_id\":\"a1\"," TS0 "}",
	    "wrong type: type"),
	REJECT("type missing", "{\"event_id\":\"e1\",\"agent_id\":\"a1\"," TS0 "}",
	    "missing field: type"),
	{ .name = "message, rating and complaint members ignored",
	  .json = TICKET_EVENT("message",
	      ",\"ticket_id\":\"t1\",\"severity\":\"nope\",\"score\":99,\"scale\":7"),
	  .type = EVENT_MESSAGE, .event_id = "r1", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL },
	{ .name = "reply, 128-byte ticket",
	  .json = TICKET_EVENT("reply", ",\"ticket_id\":\"" X128 "\""),
	  .type = EVENT_REPLY, .event_id = "r1", .agent_id = "a1", .ticket_id = X128,
	  .ts_ms = T0, .severity = SEVERITY_NORMAL },
	REJECT("ticket_id missing on reply", TICKET_EVENT("reply", ""), "missing field: ticket_id"),
	REJECT("ticket_id missing on message", TICKET_EVENT("message", ""),
	    "missing field: ticket_id"),
	REJECT("ticket_id missing on complaint", TICKET_EVENT("complaint", ""),
	    "missing field: ticket_id"),
	REJECT("ticket_id 129 bytes", TICKET_EVENT("reply", ",\"ticket_id\":\"" X128 "x\""),
	    "bad length: ticket_id"),
	REJECT("ticket_id empty", TICKET_EVENT("reply", ",\"ticket_id\":\"\""),
	    "bad length: ticket_id"),
	REJECT("ticket_id number", TICKET_EVENT("reply", ",\"ticket_id\":42"),
	    "wrong type: ticket_id"),
	REJECT("ticket_id wrong type on rating", RATING(",\"score\":4,\"ticket_id\":42"),
	    "wrong type: ticket_id"),

	/* Complaint severity. */
	OK_COMPLAINT("complaint default severity", COMPLAINT(""), NULL, SEVERITY_NORMAL),
	OK_COMPLAINT("complaint critical", COMPLAINT(",\"severity\":\"critical\""), NULL,
	    SEVERITY_CRITICAL),
	OK_COMPLAINT("complaint low", COMPLAINT(",\"severity\":\"low\""), NULL, SEVERITY_LOW),
	OK_COMPLAINT("complaint high", COMPLAINT(",\"severity\":\"high\""), NULL, SEVERITY_HIGH),
	OK_COMPLAINT("complaint normal", COMPLAINT(",\"severity\":\"normal\""), NULL,
	    SEVERITY_NORMAL),
	REJECT("complaint unknown severity", COMPLAINT(",\"severity\":\"urgent\""),
	    "unknown severity"),
	REJECT("complaint severity in capitals", COMPLAINT(",\"severity\":\"HIGH\""),
	    "unknown severity"),
	REJECT("complaint severity number", COMPLAINT(",\"severity\":3"), "wrong type: severity"),

	/* Status events: the status is required, and only they read it. */
	OK_STATUS("status open", STATUS_EVENT(",\"status\":\"open\""), STATUS_OPEN),
	OK_STATUS("status pending", STATUS_EVENT(",\"status\":\"pending\""), STATUS_PENDING),
	OK_STATUS("status on_hold", STATUS_EVENT(",\"status\":\"on_hold\""), STATUS_ON_HOLD),
	OK_STATUS("status solved", STATUS_EVENT(",\"status\":\"solved\""), STATUS_SOLVED),
	OK_STATUS("status reopened", STATUS_EVENT(",\"status\":\"reopened\""), STATUS_REOPENED),
	REJECT("status missing", STATUS_EVENT(""), "missing field: status"),
	REJECT("status unknown", STATUS_EVENT(",\"status\":\"closed\""), "unknown status"),
	REJECT("status in capitals", STATUS_EVENT(",\"status\":\"PENDING\""), "unknown status"),
	REJECT("status null", STATUS_EVENT(",\"status\":null"), "wrong type: status"),
	REJECT("status event without ticket_id",
	    "{\"event_id\":\"e2\",\"type\":\"status\",\"agent_id\":\"a1\"," TS0 ",\"status\":\"open\"}",
	    "missing field: ticket_id"),
	OK_COMPLAINT("status ignored on a complaint", COMPLAINT(",\"status\":\"nope\""), NULL,
	    SEVERITY_NORMAL),

	/* Service recovery: a follow_up event is a follow-up; a reply may be marked one. */
	{ .name = "follow_up event", .json = TICKET_EVENT("follow_up", ",\"ticket_id\":\"t1\""),
	  .type = EVENT_FOLLOW_UP, .event_id = "r1", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL, .follow_up = true },
	REJECT("follow_up without ticket_id", TICKET_EVENT("follow_up", ""), "missing field: ticket_id"),
	{ .name = "reply marked follow_up", .json = TICKET_EVENT("reply", ",\"ticket_id\":\"t1\",\"follow_up\":true"),
	  .type = EVENT_REPLY, .event_id = "r1", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL, .follow_up = true },
	{ .name = "reply follow_up false", .json = TICKET_EVENT("reply", ",\"ticket_id\":\"t1\",\"follow_up\":false"),
	  .type = EVENT_REPLY, .event_id = "r1", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL },
	REJECT("reply follow_up string", TICKET_EVENT("reply", ",\"ticket_id\":\"t1\",\"follow_up\":\"yes\""),
	    "wrong type: follow_up"),
	REJECT("reply follow_up 1", TICKET_EVENT("reply", ",\"ticket_id\":\"t1\",\"follow_up\":1"),
	    "wrong type: follow_up"),
	OK_COMPLAINT("follow_up ignored on a complaint", COMPLAINT(",\"follow_up\":true"), NULL,
	    SEVERITY_NORMAL),

	/* The optional queue, which policies match on. */
	{ .name = "queue on a message", .json = TICKET_EVENT("message",
	      ",\"ticket_id\":\"t1\",\"queue\":\"vip\""),
	  .type = EVENT_MESSAGE, .event_id = "r1", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL, .queue = "vip" },
	{ .name = "queue 128 bytes", .json = COMPLAINT(",\"queue\":\"" X128 "\""),
	  .type = EVENT_COMPLAINT, .event_id = "e2", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL, .queue = X128 },
	REJECT("queue 129 bytes", COMPLAINT(",\"queue\":\"" X128 "x\""), "bad length: queue"),
	REJECT("queue number", COMPLAINT(",\"queue\":1"), "wrong type: queue"),
	REJECT("queue control character", COMPLAINT(",\"queue\":\"a\\nb\""),
	    "control character: queue"),
	/* The optional team, which wins over [teams] map. */
	{ .name = "team_id on a complaint", .json = COMPLAINT(",\"team_id\":\"billing-emea\""),
	  .type = EVENT_COMPLAINT, .event_id = "e2", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL, .team_id = "billing-emea" },
	{ .name = "team_id 126 bytes", .json = COMPLAINT(",\"team_id\":\"" X126 "\""),
	  .type = EVENT_COMPLAINT, .event_id = "e2", .agent_id = "a1", .ticket_id = "t1",
	  .ts_ms = T0, .severity = SEVERITY_NORMAL, .team_id = X126 },
	REJECT("team_id empty", COMPLAINT(",\"team_id\":\"\""), "bad length: team_id"),
	REJECT("team_id 127 bytes", COMPLAINT(",\"team_id\":\"" X126 "x\""), "bad length: team_id"),
	REJECT("team_id null", COMPLAINT(",\"team_id\":null"), "wrong type: team_id"),
	REJECT("team_id control character", COMPLAINT(",\"team_id\":\"a\\u007fb\""),
	    "control character: team_id"),
	/* queue is checked first */
	REJECT("queue then team_id", COMPLAINT(",\"queue\":1,\"team_id\":2"), "wrong type: queue"),

	/* Category and unknown fields. */
	OK_COMPLAINT("category 128 bytes", COMPLAINT(",\"category\":\"" X128 "\""), X128,
	    SEVERITY_NORMAL),
	OK_COMPLAINT("category empty", COMPLAINT(",\"category\":\"\""), NULL, SEVERITY_NORMAL),
	REJECT("category 129 bytes", COMPLAINT(",\"category\":\"" X128 "x\""),
	    "bad length: category"),
	REJECT("category number", COMPLAINT(",\"category\":5"), "wrong type: category"),
	OK_COMPLAINT("unknown fields ignored",
	    COMPLAINT(",\"extra\":{\"nested\":[1,2,{\"x\":null}]},\"comment\":\"hi\",\"v\":2.5"),
	    NULL, SEVERITY_NORMAL),
	OK_RATING("unknown real beyond double", RATING(",\"score\":4,\"extra\":1e400"), "e1", "a1",
	    T0, 4, 5),
	OK_RATING("unknown integer of 30 digits",
	    RATING(",\"score\":4,\"extra\":123456789012345678901234567890"), "e1", "a1", T0, 4, 5),
	OK_RATING("unknown extreme numbers, every form and nested",
	    RATING(",\"x\":[1E+400,-1e400,0.5e-400,-99999999999999999999],\"score\":5,"
	    "\"y\":{\"z\":[2.5e999]}"), "e1", "a1", T0, 5, 5),
	{ .name = "digits in strings kept beside a clamped number",
	  .json = RATING_IDS("\"event_id\":\"99999999999999999999\",\"agent_id\":\"a\\\"1e400\","
	      "\"category\":\"-1e400 \\\\\",\"extra\":1e400"),
	  .type = EVENT_RATING, .event_id = "99999999999999999999", .agent_id = "a\"1e400",
	  .category = "-1e400 \\", .ts_ms = T0, .score = 4, .scale = 5,
	  .severity = SEVERITY_NORMAL },
	OK_COMPLAINT("unknown extreme number last before the brace",
	    COMPLAINT(",\"extra\":-1e400"), NULL, SEVERITY_NORMAL),
	OK_TS("whitespace around members", " {\n\t\"event_id\" : \"e1\" , \"type\":\"rating\","
	    "\"agent_id\":\"a1\"," TS0 ",\"score\":4 }\n", T0),

	/* Not a valid JSON object at all. */
	REJECT("empty input", "", "not json"),
	REJECT("whitespace only", "  \n", "not json"),
	REJECT("truncated object", "{\"event_id\":\"e1\"", "not json"),
	REJECT("trailing junk", RATING(",\"score\":4") "x", "not json"),
	REJECT("two objects", RATING(",\"score\":4") RATING(",\"score\":4"), "not json"),
	REJECT("array", "[{\"event_id\":\"e1\"}]", "not an object"),
	REJECT("number", "42", "not an object"),
	REJECT("string", "\"rating\"", "not an object"),
	REJECT("null", "null", "not an object"),
	REJECT("duplicate key",
	    RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"a1\",\"agent_id\":\"a2\""),
	    "duplicate key"),
	REJECT("duplicate unknown key", RATING(",\"score\":4,\"x\":1,\"x\":1"), "duplicate key"),
	REJECT("invalid utf-8 byte", RATING_IDS("\"event_id\":\"e\xff\",\"agent_id\":\"a1\""),
	    "invalid utf-8"),
	REJECT("overlong utf-8", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"\xc0\xaf\""),
	    "invalid utf-8"),
	REJECT("truncated utf-8", RATING_IDS("\"event_id\":\"e1\",\"agent_id\":\"\xe5\xae\""),
	    "invalid utf-8"),

	/* A clamped number hides no other fault: the second decode reports it. */
	REJECT("extreme number, then invalid utf-8",
	    RATING(",\"score\":4,\"extra\":1e400,\"x\":\"\xff\""), "invalid utf-8"),
	REJECT("extreme number, then \\u0000",
	    RATING(",\"score\":4,\"extra\":1e400,\"x\":\"\\u0000\""), "nul character"),
	REJECT("extreme number, then a duplicate key",
	    RATING(",\"score\":4,\"extra\":1e400,\"extra\":1"), "duplicate key"),
	REJECT("extreme number, then truncated", RHEAD TS0 ",\"score\":4,\"extra\":1e400",
	    "not json"),
	REJECT("extreme number in a string left open", RHEAD TS0 ",\"score\":99999999999999999999,"
	    "\"x\":\"1e400}", "not json"),
	REJECT("bare extreme real", "1e400", "not an object"),
	REJECT("bare extreme integer", "-99999999999999999999", "not an object"),

	/* The whole document is checked, at any depth, as jansson checked it. */
	REJECT("escaped duplicate key", RATING(",\"score\":4,\"a\":1,\"\\u0061\":2"),
	    "duplicate key"),
	REJECT("nested duplicate key", RATING(",\"score\":4,\"x\":[{\"y\":{\"k\":1,\"k\":2}}]"),
	    "duplicate key"),
	OK_RATING("same key in sibling objects", RATING(",\"score\":4,\"x\":[{\"k\":1},{\"k\":2}]"),
	    "e1", "a1", T0, 4, 5),
	REJECT("nested \\u0000", RATING(",\"score\":4,\"x\":{\"y\":[\"a\\u0000\"]}"),
	    "nul character"),
	REJECT("\\u0000 in a key", RATING(",\"score\":4,\"a\\u0000\":1"), "nul character"),
	REJECT("invalid escape", RATING(",\"score\":4,\"x\":\"\\x\""), "not json"),
	REJECT("bad \\u escape", RATING(",\"score\":4,\"x\":\"\\u12G4\""), "not json"),
	REJECT("lone high surrogate", RATING(",\"score\":4,\"x\":\"\\ud800\""), "not json"),
	REJECT("lone low surrogate", RATING(",\"score\":4,\"x\":\"\\udc00\""), "not json"),
	REJECT("trailing comma in object", RATING(",\"score\":4,"), "not json"),
	REJECT("trailing comma in array", RATING(",\"score\":4,\"x\":[1,]"), "not json"),
	REJECT("missing comma in nested array", RATING(",\"score\":4,\"x\":[1 2]"), "not json"),
	REJECT("leading zero", RATING(",\"score\":04"), "not json"),
	REJECT("nested leading zero", RATING(",\"score\":4,\"x\":[01]"), "not json"),
	REJECT("nested bad number", RATING(",\"score\":4,\"x\":{\"y\":1.}"), "not json"),
	REJECT("nested bad literal", RATING(",\"score\":4,\"x\":[tru]"), "not json"),
	REJECT("raw control character in a nested string",
	    RATING(",\"score\":4,\"x\":[\"a\tb\"]"), "not json"),
	REJECT("closing bracket after the object", RATING(",\"score\":4") "]", "not json"),
	REJECT("two numbers", "1 2", "not json"),
	REJECT("number, comma, object", "1,{}", "not json"),
	REJECT("byte order mark", "\xef\xbb\xbf" RATING(",\"score\":4"), "not json"),
	REJECT("array holding a duplicate key", "[{\"a\":1,\"a\":2}]", "duplicate key"),
	REJECT("string holding \\u0000", "\"\\u0000\"", "nul character"),
	REJECT("bare true", " true ", "not an object"),
	OK_RATING("huge numbers nested in unknown fields",
	    RATING(",\"score\":4,\"x\":[[1e400,[-99999999999999999999]],{\"y\":[[-1E+999]]}]"),
	    "e1", "a1", T0, 4, 5),
	REJECT("scale below int64", RATING(",\"score\":4,\"scale\":-99999999999999999999"),
	    "bad scale"),
	REJECT("scale real beyond double", RATING(",\"score\":4,\"scale\":-1e400"),
	    "wrong type: scale"),
};

/* Compares a string field of an accepted event; expected NULL means "". */
static void
check_str(const char *name, const char *field, const char *got, const char *want)
{
	if (want == NULL)
		want = "";
	if (strcmp(got, want) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", name, field, got, want);
}

/* Every row of the table: the exact reason, or every parsed field. */
static void
test_table(void **state)
{
	size_t	n = sizeof cases / sizeof cases[0];

	(void)state;
	assert_true(n >= 35);
	for (size_t i = 0; i < n; i++) {
		const struct ecase	*c = &cases[i];
		struct event		 ev;
		char			 reason[EVENT_REASON_SIZE] = "unset";
		bool			 ok;

		memset(&ev, 0x5a, sizeof ev);
		ok = event_parse(c->json, strlen(c->json), NOW, MAX_FUTURE, &ev, reason,
		    sizeof reason);
		if (c->reason != NULL) {
			if (ok)
				fail_msg("%s: accepted, want \"%s\"", c->name, c->reason);
			if (strcmp(reason, c->reason) != 0)
				fail_msg("%s: reason \"%s\", want \"%s\"", c->name, reason,
				    c->reason);
			continue;
		}
		if (!ok)
			fail_msg("%s: rejected with \"%s\"", c->name, reason);
		if (ev.type != c->type)
			fail_msg("%s: type %d, want %d", c->name, ev.type, c->type);
		check_str(c->name, "event_id", ev.event_id, c->event_id);
		check_str(c->name, "agent_id", ev.agent_id, c->agent_id);
		check_str(c->name, "ticket_id", ev.ticket_id, c->ticket_id);
		check_str(c->name, "category", ev.category, c->category);
		if (ev.ts_ms != c->ts_ms)
			fail_msg("%s: ts %lld, want %lld", c->name, (long long)ev.ts_ms,
			    (long long)c->ts_ms);
		if (ev.score != c->score || ev.scale != c->scale)
			fail_msg("%s: score %d/%d, want %d/%d", c->name, ev.score, ev.scale,
			    c->score, c->scale);
		if (ev.severity != c->severity)
			fail_msg("%s: severity %d, want %d", c->name, ev.severity,
			    c->severity);
		if (ev.status != c->status)
			fail_msg("%s: status %d, want %d", c->name, ev.status, c->status);
		check_str(c->name, "queue", ev.queue, c->queue);
		check_str(c->name, "team_id", ev.team_id, c->team_id);
		if (ev.follow_up != c->follow_up)
			fail_msg("%s: follow_up %d, want %d", c->name, ev.follow_up, c->follow_up);
	}
}

/* Size limit: exactly EVENT_MAX_BYTES is read, one more is refused unread. */
static void
test_size_limit(void **state)
{
	const char	*head = RATING(",\"score\":4");
	size_t		 hl = strlen(head);
	char		*buf = malloc(EVENT_MAX_BYTES + 2);
	struct event	 ev;
	char		 reason[EVENT_REASON_SIZE];

	(void)state;
	assert_non_null(buf);
	/* A valid event padded with trailing blanks to the limit. */
	memcpy(buf, head, hl);
	memset(buf + hl, ' ', EVENT_MAX_BYTES + 1 - hl);
	assert_true(event_parse(buf, EVENT_MAX_BYTES, NOW, MAX_FUTURE, &ev, reason,
	    sizeof reason));
	assert_int_equal(ev.score, 4);
	assert_false(event_parse(buf, EVENT_MAX_BYTES + 1, NOW, MAX_FUTURE, &ev, reason,
	    sizeof reason));
	assert_string_equal(reason, "too large");
	/* Oversize garbage says "too large", proving the check comes before decoding. */
	memset(buf, 'x', EVENT_MAX_BYTES + 1);
	assert_false(event_parse(buf, EVENT_MAX_BYTES + 1, NOW, MAX_FUTURE, &ev, reason,
	    sizeof reason));
	assert_string_equal(reason, "too large");
	free(buf);
}

/* Only len bytes are read: the buffer need not be NUL-terminated. */
static void
test_length_bound(void **state)
{
	const char	*json = RATING(",\"score\":4") "garbage after the message";
	size_t		 len = strlen(RATING(",\"score\":4"));
	char		*copy = malloc(len);
	struct event	 ev;
	char		 reason[EVENT_REASON_SIZE];

	(void)state;
	assert_non_null(copy);
	assert_true(event_parse(json, len, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_false(event_parse(json, len + 1, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "not json");
	/* An exact-size heap copy: ASan catches any read past its end. */
	memcpy(copy, json, len);
	assert_true(event_parse(copy, len, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(ev.event_id, "e1");
	free(copy);
}

/* The future limit follows max_future_ms and now_ms, not a constant. */
static void
test_future_limit(void **state)
{
	const char	*json = RHEAD "\"ts\":1795341600000,\"score\":4}";
	struct event	 ev;
	char		 reason[EVENT_REASON_SIZE];

	(void)state;
	assert_true(event_parse(json, strlen(json), NOW, 0, &ev, reason, sizeof reason));
	assert_false(event_parse(json, strlen(json), NOW - 1, 0, &ev, reason, sizeof reason));
	assert_string_equal(reason, "ts in the future");
	assert_true(event_parse(json, strlen(json), NOW - 1, 1, &ev, reason, sizeof reason));
	/* Old events are never refused here; lateness is decided by the windows. */
	assert_true(event_parse(json, strlen(json), NOW + INT64_C(86400000) * 365, 0, &ev,
	    reason, sizeof reason));
}

/* A rejected event leaves out untouched; a small reason buffer is truncated safely. */
static void
test_reject_outputs(void **state)
{
	const char	*json = RATING(",\"score\":9");
	struct event	 ev, before;
	char		 reason[8];

	(void)state;
	memset(&ev, 0x33, sizeof ev);
	before = ev;
	assert_false(event_parse(json, strlen(json), NOW, MAX_FUTURE, &ev, reason,
	    sizeof reason));
	assert_memory_equal(&ev, &before, sizeof ev);
	assert_string_equal(reason, "score o");
	/* No reason buffer at all is allowed. */
	assert_false(event_parse(json, strlen(json), NOW, MAX_FUTURE, &ev, NULL, 0));
}

/* The contract names of types and severities. */
static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(event_type_name(EVENT_RATING), "rating");
	assert_string_equal(event_type_name(EVENT_COMPLAINT), "complaint");
	assert_string_equal(event_type_name(EVENT_MESSAGE), "message");
	assert_string_equal(event_type_name(EVENT_REPLY), "reply");
	assert_string_equal(severity_name(SEVERITY_LOW), "low");
	assert_string_equal(severity_name(SEVERITY_NORMAL), "normal");
	assert_string_equal(severity_name(SEVERITY_HIGH), "high");
	assert_string_equal(severity_name(SEVERITY_CRITICAL), "critical");
	assert_string_equal(severity_name((enum severity)SEVERITY_COUNT), "unknown");
	assert_string_equal(event_type_name(EVENT_STATUS), "status");
	assert_string_equal(event_type_name(EVENT_FOLLOW_UP), "follow_up");
	assert_string_equal(event_type_name((enum event_type)EVENT_TYPE_COUNT), "unknown");
	assert_string_equal(ticket_status_name(STATUS_OPEN), "open");
	assert_string_equal(ticket_status_name(STATUS_PENDING), "pending");
	assert_string_equal(ticket_status_name(STATUS_ON_HOLD), "on_hold");
	assert_string_equal(ticket_status_name(STATUS_SOLVED), "solved");
	assert_string_equal(ticket_status_name(STATUS_REOPENED), "reopened");
	assert_string_equal(ticket_status_name((enum ticket_status)TICKET_STATUS_COUNT), "unknown");
}

/* A rejected message's type, when it has a valid one, for counting dead letters by type. */
static void
test_rejected_type(void **state)
{
	static const struct {
		const char	*text;
		int		 type;
	} msgs[] = {
		{ "{\"type\":\"rating\",\"event_id\":\"e1\"}", EVENT_RATING },
		{ "{\"event_id\":\"e1\",\"type\":\"reply\",\"ts\":\"soon\"}", EVENT_REPLY },
		{ "{\"type\":\"complaint\",\"severity\":\"urgent\"}", EVENT_COMPLAINT },
		{ "{\"type\":\"message\"}", EVENT_MESSAGE },
		{ "{\"type\":\"survey\"}", -1 },
		{ "{\"type\":3}", -1 },
		{ "{\"not\":\"an event\"}", -1 },
		{ "[\"rating\"]", -1 },
		{ "\"rating\"", -1 },
		{ "garbage", -1 },
		{ "", -1 },
		/* Rejected for what jansson cannot read, with the type still plain to see. */
		{ "{\"type\":\"rating\",\"score\":99999999999999999999}", EVENT_RATING },
		{ "{\"type\":\"rating\",\"extra\":1e400,\"event_id\":7}", EVENT_RATING },
		{ "{\"agent_id\":\"\xff\xfe\",\"type\":\"complaint\"}", EVENT_COMPLAINT },
		{ "{\"agent_id\":\"a\\u0000\",\"type\":\"reply\"}", EVENT_REPLY },
		{ "{\"type\":\"message\",\"x\":1,\"x\":2}", EVENT_MESSAGE },
		/* Only the top level counts, and the last "type" there. */
		{ "{\"x\":{\"type\":\"rating\"}}", -1 },
		{ "{\"x\":[{\"type\":\"rating\"}],\"y\":\"\\\"type\\\":\\\"rating\\\"\"}", -1 },
		{ "{\"x\":{\"type\":\"rating\"},\"type\":\"reply\"}", EVENT_REPLY },
		{ "{\"type\":\"rating\",\"type\":\"complaint\"}", EVENT_COMPLAINT },
		{ "{\"type\":\"rating\",\"type\":null}", -1 },
		{ "{\"type\":[\"rating\"]}", -1 },
		{ "{\"type\":{\"type\":\"rating\"}}", -1 },
		/* An escaped type is not read; nor is a type in a broken object. */
		{ "{\"type\":\"r\\u0061ting\"}", -1 },
		{ "{\"type\":\"rating\\u0000\"}", -1 },
		{ "{\"type\":\"rating\"", -1 },
		{ "{\"type\":\"rating\"} x", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
		assert_int_equal(event_rejected_type(msgs[i].text, strlen(msgs[i].text)), msgs[i].type);
	assert_int_equal(event_rejected_type(NULL, 0), -1);
	assert_int_equal(event_rejected_type(NULL, 10), -1);
}

/* Fills a len-byte rating whose "pad" member makes up the length, with extra members after it. */
static char *
padded_rating(size_t len, const char *extra)
{
	const char	*head = "{\"event_id\":\"e1\",\"type\":\"rating\",\"pad\":\"";
	size_t		 hl = strlen(head), el = strlen(extra);
	char		*buf = malloc(len);

	assert_non_null(buf);
	assert_true(len > hl + el + 2);
	memcpy(buf, head, hl);
	memset(buf + hl, 'x', len - hl - el - 2);
	memcpy(buf + len - el - 2, "\"", 1);
	memcpy(buf + len - el - 1, extra, el);
	buf[len - 1] = '}';
	return buf;
}

/* The type of a rejected message of any size, and with faults elsewhere, is still read. */
static void
test_rejected_type_large(void **state)
{
	static const struct {
		size_t		 len;
		const char	*extra;
		const char	*reason;
	} msgs[] = {
		{ 70000, "", "too large" },
		{ 1000000, "", "too large" },
		{ 70000, ",\"agent_id\":\"\xff\"", "too large" },
		{ 4096, ",\"agent_id\":\"\xff\"", "invalid utf-8" },
		{ 4096, ",\"agent_id\":\"a\\u0000\"", "nul character" },
		{ 4096, ",\"agent_id\":\"a1\",\"ts\":-99999999999999999999", "bad ts" },
		{ EVENT_MAX_BYTES, ",\"score\":1e400", "missing field: agent_id" },
	};
	struct event	ev;
	char		reason[EVENT_REASON_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		char	*buf = padded_rating(msgs[i].len, msgs[i].extra);

		assert_false(event_parse(buf, msgs[i].len, NOW, MAX_FUTURE, &ev, reason,
		    sizeof reason));
		assert_string_equal(reason, msgs[i].reason);
		assert_int_equal(event_rejected_type(buf, msgs[i].len), EVENT_RATING);
		free(buf);
	}
}

/* A Kafka tombstone (NULL value) is told apart from an empty value. */
static void
test_null_value(void **state)
{
	struct event	ev;
	char		reason[EVENT_REASON_SIZE];

	(void)state;
	assert_false(event_parse(NULL, 0, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "null value");
	/* Whatever length comes with it, and before the size check. */
	assert_false(event_parse(NULL, EVENT_MAX_BYTES + 1, NOW, MAX_FUTURE, &ev, reason,
	    sizeof reason));
	assert_string_equal(reason, "null value");
	assert_false(event_parse("", 0, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "not json");
}

/*
 * A 64 KiB object of 3,000 distinct keys parses, and a repeat of the last is found. (That
 * it takes no quadratic time is a cost, measured by bench/parse, not asserted here.)
 */
static void
test_many_keys(void **state)
{
	const char	*head = RATING(",\"score\":4");
	size_t		 hl = strlen(head) - 1, o = hl;
	char		*buf = malloc(EVENT_MAX_BYTES);
	struct event	 ev;
	char		 reason[EVENT_REASON_SIZE];

	(void)state;
	assert_non_null(buf);
	memcpy(buf, head, hl);
	for (int i = 0; i < 3000; i++)
		o += (size_t)snprintf(buf + o, EVENT_MAX_BYTES - o, ",\"key-%07d\":%d", i, i);
	assert_true(o < EVENT_MAX_BYTES - 16);
	/* Blanks pad it to the limit; the last member comes back as a duplicate below. */
	memset(buf + o, ' ', EVENT_MAX_BYTES - o - 1);
	buf[EVENT_MAX_BYTES - 1] = '}';
	assert_true(event_parse(buf, EVENT_MAX_BYTES, NOW, MAX_FUTURE, &ev, reason,
	    sizeof reason));
	memcpy(buf + o, ",\"key-0002999\":1}", 17);
	assert_false(event_parse(buf, o + 17, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "duplicate key");
	free(buf);
}

/* Builds {"x": OPEN... 1 CLOSE...} with n levels of open/close around the 1; returns its length. */
static size_t
nested(char *buf, size_t n, const char *open, const char *close)
{
	size_t	o = (size_t)sprintf(buf, "{\"x\":");

	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(buf + o, "%s", open);
	buf[o++] = '1';
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(buf + o, "%s", close);
	buf[o++] = '}';
	return o;
}

/* Nesting is bounded: 512 values deep, the top level being 1 (docs/events.md). */
static void
test_depth(void **state)
{
	char		*buf = malloc(8 * 512 + 16);
	struct event	 ev;
	char		 reason[EVENT_REASON_SIZE];
	size_t		 len;

	(void)state;
	assert_non_null(buf);
	/* An object holding 510 arrays, or 510 objects, around a 1: the 1 is at depth 512. */
	len = nested(buf, 510, "[", "]");
	assert_false(event_parse(buf, len, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "missing field: event_id");
	len = nested(buf, 510, "{\"a\":", "}");
	assert_false(event_parse(buf, len, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "missing field: event_id");
	/* One more level puts the 1 at depth 513. */
	len = nested(buf, 511, "[", "]");
	assert_false(event_parse(buf, len, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "not json");
	len = nested(buf, 511, "{\"a\":", "}");
	assert_false(event_parse(buf, len, NOW, MAX_FUTURE, &ev, reason, sizeof reason));
	assert_string_equal(reason, "not json");
	free(buf);
}

/* Runs the event tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_future_limit),
		cmocka_unit_test(test_reject_outputs),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rejected_type),
		cmocka_unit_test(test_rejected_type_large),
		cmocka_unit_test(test_null_value),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
