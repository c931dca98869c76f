// jsondoc.cpp: JSON syntax for one event with simdjson's on-demand API (C++17, C interface).
//
// On-demand only checks what is visited, so every value is walked, every string and key
// unescaped and every number's text checked: a document is refused where jansson
// (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) refused it, with the same class of fault for a
// single fault (of several, see enum jsondoc_status).

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "jsondoc.h"
#include "jsonlex.h"

namespace {

namespace od = simdjson::ondemand;

// The walk recurses, a few frames a level: 512 levels take under 1 MB of stack in the
// daemon and about 2.5 MB under ASan, both well inside the default 8 MiB (measured).
constexpr size_t max_depth = JSONDOC_MAX_DEPTH;
// Up to this many keys an object's duplicates are found by a scan, beyond it by a hash set.
constexpr size_t scan_keys = 16;

// The keys seen so far in one open object.
struct key_set {
	std::vector<std::string_view> list;
	std::unordered_set<std::string_view> set;

	// Forgets every key, keeping the memory for the next object.
	void clear()
	{
		list.clear();
		set.clear();
	}

	// False when k was seen already: checked as each key is read, as jansson does.
	[[gnu::noinline]] bool add(std::string_view k)
	{
		if (list.size() < scan_keys) {
			for (std::string_view s : list)
				if (s == k)
					return false;
			list.push_back(k);
			return true;
		}
		if (set.empty())
			set.insert(list.begin(), list.end());
		return set.insert(k).second;
	}
};

// A blank of the JSON grammar.
bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The token without the blanks on-demand leaves after it.
std::string_view trim(std::string_view tok)
{
	while (!tok.empty() && is_blank(tok.back()))
		tok.remove_suffix(1);
	return tok;
}

// True when the whole token is a JSON number; *real says it has a fraction or exponent.
bool number_syntax(std::string_view s, bool *real)
{
	return !s.empty() && jsonlex_number(s.data(), s.size(), real) == s.size();
}

// An integer's value, beyond int64 the bound of its sign (what jansson read after clamping).
int64_t integer_value(std::string_view s)
{
	bool neg = s[0] == '-';
	uint64_t v = 0, limit = neg ? UINT64_C(9223372036854775808) : INT64_MAX;

	for (size_t i = neg ? 1 : 0; i < s.size(); i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (limit - d) / 10)
			return neg ? INT64_MIN : INT64_MAX;
		v = v * 10 + d;
	}
	return neg ? (int64_t)(0 - v) : (int64_t)v;
}

// The class of fault a simdjson error code is.
jsondoc_status of(simdjson::error_code e)
{
	switch (e) {
	case simdjson::SUCCESS:
		return JSONDOC_OK;
	case simdjson::UTF8_ERROR:
		return JSONDOC_INVALID_UTF8;
	case simdjson::MEMALLOC:
		return JSONDOC_NO_MEMORY;
	default:
		return JSONDOC_NOT_JSON;
	}
}

} // namespace

struct jsondoc {
	od::parser parser;
	// The message, copied with the SIMDJSON_PADDING bytes on-demand may read past its end.
	std::vector<char> buf;
	std::vector<std::pair<std::string_view, jsondoc_value>> members;
	// One key set per depth, kept between documents so a parse allocates nothing.
	std::vector<key_set> keys;

	jsondoc_status parse(const char *in, size_t len);
	jsondoc_status iterate(const char *prefix, const char *in, size_t len, const char *suffix,
	    od::document &doc);
	// Not inlined into each other, so each level's frames stay small.
	[[gnu::noinline]] jsondoc_status value(od::value &v, size_t depth, jsondoc_value *out);
	[[gnu::noinline]] jsondoc_status object(od::object obj, size_t depth, bool top);
	[[gnu::noinline]] jsondoc_status array(od::array arr, size_t depth, bool single);
	[[gnu::noinline]] jsondoc_status nested(od::value &v, od::json_type t, size_t depth, jsondoc_value *out);
	[[gnu::noinline]] jsondoc_status string(od::value &v, jsondoc_value *out);
	[[gnu::noinline]] jsondoc_status field(od::field &f, size_t depth, bool top);
	jsondoc_status scalar(std::string_view tok, od::json_type t, jsondoc_value *out);
};

// Copies prefix, the message and suffix into the padded buffer and indexes them.
jsondoc_status
jsondoc::iterate(const char *prefix, const char *in, size_t len, const char *suffix,
    od::document &doc)
{
	size_t pl = std::strlen(prefix), sl = std::strlen(suffix), n = pl + len + sl;

	if (buf.size() < n + simdjson::SIMDJSON_PADDING)
		buf.resize(n + simdjson::SIMDJSON_PADDING);
	std::memcpy(buf.data(), prefix, pl);
	if (len > 0)
		std::memcpy(buf.data() + pl, in, len);
	std::memcpy(buf.data() + pl + len, suffix, sl);
	// A message larger than any before grows the parser's index, once.
	if (parser.capacity() < n) {
		simdjson::error_code e = parser.allocate(n, max_depth + 2);
		if (e)
			return of(e);
	}
	return of(parser.iterate(buf.data(), n, buf.size()).get(doc));
}

// Checks a number, string or literal; out, when given, receives its value.
jsondoc_status
jsondoc::scalar(std::string_view tok, od::json_type t, jsondoc_value *out)
{
	jsondoc_value v{};
	bool real;

	tok = trim(tok);
	if (t == od::json_type::number) {
		if (!number_syntax(tok, &real))
			return JSONDOC_NOT_JSON;
		v.kind = real ? JSONDOC_REAL : JSONDOC_INTEGER;
		// Only a top-level integer's value is read: the event's rules refuse every real.
		if (out != nullptr && !real)
			v.integer = integer_value(tok);
	} else if (t == od::json_type::boolean && (tok == "true" || tok == "false")) {
		v.kind = JSONDOC_BOOL;
		v.integer = tok == "true";
	}
	else if (t == od::json_type::null && tok == "null")
		v.kind = JSONDOC_NULL;
	else
		return JSONDOC_NOT_JSON;
	if (out != nullptr)
		*out = v;
	return JSONDOC_OK;
}

// An object or array value, walked; only a top-level member's kind is kept.
jsondoc_status
jsondoc::nested(od::value &v, od::json_type t, size_t depth, jsondoc_value *out)
{
	od::object obj;
	od::array arr;

	if (out != nullptr)
		out->kind = t == od::json_type::object ? JSONDOC_OBJECT : JSONDOC_ARRAY;
	if (t == od::json_type::object)
		return v.get_object().get(obj) ? JSONDOC_NOT_JSON : object(obj, depth, false);
	return v.get_array().get(arr) ? JSONDOC_NOT_JSON : array(arr, depth, false);
}

// A string, unescaped: bad escapes and lone surrogates are refused; \u0000 decodes to NUL.
jsondoc_status
jsondoc::string(od::value &v, jsondoc_value *out)
{
	std::string_view s;

	if (v.get_string().get(s))
		return JSONDOC_NOT_JSON;
	if (std::memchr(s.data(), '\0', s.size()) != nullptr)
		return JSONDOC_NUL_CHARACTER;
	if (out != nullptr) {
		*out = jsondoc_value{};
		out->kind = JSONDOC_STRING;
		out->str = s.data();
		out->len = s.size();
	}
	return JSONDOC_OK;
}

// Walks any value at depth (the top level is 1), unescaping strings and checking numbers.
jsondoc_status
jsondoc::value(od::value &v, size_t depth, jsondoc_value *out)
{
	od::json_type t;

	if (depth > max_depth)
		return JSONDOC_NOT_JSON;
	if (v.type().get(t))
		return JSONDOC_NOT_JSON;
	switch (t) {
	case od::json_type::object:
	case od::json_type::array:
		return nested(v, t, depth, out);
	case od::json_type::string:
		return string(v, out);
	default:
		return scalar(v.raw_json_token(), t, out);
	}
}

// One member of an object at depth: key checks, then its value; kept at the top level.
jsondoc_status
jsondoc::field(od::field &f, size_t depth, bool top)
{
	std::string_view k;
	jsondoc_value v{};
	jsondoc_status st;

	if (f.unescaped_key().get(k))
		return JSONDOC_NOT_JSON;
	if (std::memchr(k.data(), '\0', k.size()) != nullptr)
		return JSONDOC_NUL_CHARACTER;
	// keys may grow deeper down, so the set is looked up again each time.
	if (!keys[depth - 1].add(k))
		return JSONDOC_DUPLICATE_KEY;
	if ((st = value(f.value(), depth + 1, top ? &v : nullptr)) != JSONDOC_OK)
		return st;
	if (top)
		members.emplace_back(k, v);
	return JSONDOC_OK;
}

// Walks an object's members; at the top level keeps them for jsondoc_get.
jsondoc_status
jsondoc::object(od::object obj, size_t depth, bool top)
{
	jsondoc_status st;

	if (keys.size() < depth)
		keys.resize(depth);
	keys[depth - 1].clear();
	for (auto res : obj) {
		od::field f;

		if (std::move(res).get(f))
			return JSONDOC_NOT_JSON;
		if ((st = field(f, depth, top)) != JSONDOC_OK)
			return st;
	}
	return JSONDOC_OK;
}

// Walks an array's elements; single refuses a second one (see parse).
jsondoc_status
jsondoc::array(od::array arr, size_t depth, bool single)
{
	jsondoc_status st;
	size_t n = 0;

	for (auto res : arr) {
		od::value v;

		if (std::move(res).get(v) || (single && n++ > 0))
			return JSONDOC_NOT_JSON;
		if ((st = value(v, depth + 1, nullptr)) != JSONDOC_OK)
			return st;
	}
	return JSONDOC_OK;
}

// Validates one document and keeps its top-level members.
jsondoc_status
jsondoc::parse(const char *in, size_t len)
{
	od::document doc;
	od::json_type t;
	jsondoc_status st;
	const char *loc;

	members.clear();
	if ((st = iterate("", in, len, "", doc)) != JSONDOC_OK)
		return st;
	if (doc.type().get(t))
		return JSONDOC_NOT_JSON;
	if (t == od::json_type::object) {
		od::object obj;
		if (doc.get_object().get(obj))
			return JSONDOC_NOT_JSON;
		st = object(obj, 1, true);
	} else {
		od::array arr;
		/*
		 * On-demand reads a scalar document apart; as the one element of an array it is
		 * walked like any other value, and "1, 2" is refused as jansson does.
		 */
		if (t != od::json_type::array &&
		    (st = iterate("[", in, len, "]", doc)) != JSONDOC_OK)
			return st;
		if (doc.get_array().get(arr))
			return JSONDOC_NOT_JSON;
		st = t == od::json_type::array ? array(arr, 1, false) : array(arr, 0, true);
	}
	if (st != JSONDOC_OK)
		return st;
	// Only blanks may follow: on-demand says so by having no location left.
	if (!doc.current_location().get(loc))
		return JSONDOC_NOT_JSON;
	return t == od::json_type::object ? JSONDOC_OK : JSONDOC_NOT_OBJECT;
}

extern "C" {

// The calling thread's parser, freed at thread (or process) exit; made again after a failure.
struct jsondoc *
jsondoc_thread(void)
{
	static thread_local std::unique_ptr<jsondoc> doc;

	if (!doc)
		doc.reset(new (std::nothrow) jsondoc());
	return doc.get();
}

// Validates one JSON document that must be an object; C++ exceptions never cross into C.
enum jsondoc_status
jsondoc_parse(struct jsondoc *doc, const char *buf, size_t len)
{
	try {
		return doc->parse(buf, len);
	} catch (const std::bad_alloc &) {
		doc->members.clear();
		return JSONDOC_NO_MEMORY;
	} catch (...) {
		doc->members.clear();
		return JSONDOC_NOT_JSON;
	}
}

// The value of a top-level member after JSONDOC_OK; NULL when absent.
const struct jsondoc_value *
jsondoc_get(const struct jsondoc *doc, const char *key)
{
	std::string_view k(key);

	for (const auto &m : doc->members)
		if (m.first == k)
			return &m.second;
	return nullptr;
}

} // extern "C"
