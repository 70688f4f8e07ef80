/* range.c - SemVer range parsing and matching (node-semver semantics).
 *
 * Every form of the syntax is lowered at parse time to plain comparators
 * (<, <=, =, >=, >) on full versions, so matching is a loop over
 * comparisons: "^1.2" becomes ">=1.2.0 <2.0.0", "1.x" becomes
 * ">=1.0.0 <2.0.0", "*" becomes no comparator at all, and a bound that can
 * never hold (">*", "<0.x" and the like) becomes the NEVER comparator. */
#include "core/range.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op {
	OP_NONE, /* a bare version: exact, or a wildcard range if partial */
	OP_EQ,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_CARET,
	OP_TILDE,
	OP_RUBY,  /* "~>": recognised only to reject it helpfully */
	OP_NEVER, /* lowered only: no version satisfies it */
};

/* Longest first, so ">=" is not read as ">" followed by "=". */
static const struct {
	const char *text;
	enum op op;
} operators[] = {
	{"~>", OP_RUBY}, {">=", OP_GE}, {"<=", OP_LE},	 {">", OP_GT},
	{"<", OP_LT},	 {"=", OP_EQ},	{"^", OP_CARET}, {"~", OP_TILDE},
};

struct comparator {
	enum op op; /* OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE or OP_NEVER */
	struct sl_semver v;
};

struct alternative {
	struct comparator *cmp;
	size_t n, cap;
};

struct sl_range {
	struct alternative *alt;
	size_t n, cap;
};

/* A version as written in a range, possibly partial: the first `known`
 * parts are numbers, the rest were wildcards or left out. When all three
 * are known, full holds the parsed version with its pre-release. */
struct partial {
	uint64_t num[3];
	int known;
	struct sl_semver full;
};

struct parser {
	const char *text;
	const char *p;
	struct sl_error *err;
};

/* Tokens quoted in messages are cut to this many characters. */
#define QUOTE_MAX 40

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_wildcard(char c)
{
	return c == 'x' || c == 'X' || c == '*';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* Returns the length of the token at p: everything up to whitespace, a
 * '|' or the end. Bad characters inside are diagnosed by parse_partial. */
static size_t token_len(const char *p)
{
	size_t n = 0;

	while (p[n] && !is_space(p[n]) && p[n] != '|')
		n++;
	return n;
}

static int at_bars(const char *p)
{
	return p[0] == '|' && p[1] == '|';
}

/* Fills err with the formatted message followed by the 1-based position
 * of at in the range text, and returns SL_EINVAL. */
__attribute__((format(printf, 3, 4))) static enum sl_err
fail(const struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(ps->err, SL_EINVAL, "range",
			    "%s (at character %zu)", msg,
			    (size_t)(at - ps->text) + 1);
}

/* Writes a quoted, printable description of byte c into buf ("'x'" or
 * "byte 0x07") for error messages, and returns buf. */
static const char *describe_char(char c, char *buf, size_t size)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7F)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02X", u);
	return buf;
}

/* Appends a comparator to a; takes ownership of v's strings. */
static void add(struct alternative *a, enum op op, struct sl_semver *v)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 4;
		a->cmp = sl_xrealloc(a->cmp, a->cap * sizeof(*a->cmp));
	}
	a->cmp[a->n].op = op;
	a->cmp[a->n].v = *v;
	a->n++;
	v->pre = v->build = NULL;
}

/* Appends op with the version n[0].n[1].n[2], no pre-release. */
static void add_nums(struct alternative *a, enum op op, const uint64_t n[3])
{
	struct sl_semver v = {n[0], n[1], n[2], NULL, NULL};

	add(a, op, &v);
}

static void add_never(struct alternative *a)
{
	static const uint64_t zero[3];

	add_nums(a, OP_NEVER, zero);
}

/* Adds ">= p": the full version with its pre-release, or the known parts
 * filled with zeros. A fully wild p adds nothing, as it bounds nothing. */
static void add_lower(struct alternative *a, struct partial *p)
{
	uint64_t n[3] = {0, 0, 0};

	if (p->known == 3) {
		add(a, OP_GE, &p->full);
		return;
	}
	for (int i = 0; i < p->known; i++)
		n[i] = p->num[i];
	if (p->known > 0)
		add_nums(a, OP_GE, n);
}

/* Sets out to p's known parts with part i incremented and later parts
 * zeroed ("next" version at that level). Returns 0 when part i is already
 * UINT64_MAX, meaning no such version exists. */
static int bump(const struct partial *p, int i, uint64_t out[3])
{
	SL_ASSERT(i >= 0 && i < p->known);
	if (p->num[i] == UINT64_MAX)
		return 0;
	for (int j = 0; j < 3; j++)
		out[j] = j < i ? p->num[j] : j == i ? p->num[i] + 1 : 0;
	return 1;
}

/* Adds "< the next version at part i"; when there is no next version
 * every version is below it, so nothing is added. */
static void add_upper_before(struct alternative *a, const struct partial *p,
			     int i)
{
	uint64_t n[3];

	if (bump(p, i, n))
		add_nums(a, OP_LT, n);
}

/* Lowers "op p" to plain comparators in a. Consumes p->full. */
static void lower(struct alternative *a, enum op op, struct partial *p)
{
	uint64_t n[3];
	int i;

	if (p->known == 3 && op != OP_CARET && op != OP_TILDE) {
		add(a, op == OP_NONE ? OP_EQ : op, &p->full);
		return;
	}
	if (p->known == 0) {
		/* "*", ">=*" and "<=*" allow everything, "<*" and ">*"
		 * nothing; "^*" and "~*" are "*". */
		if (op == OP_LT || op == OP_GT)
			add_never(a);
		return;
	}
	switch (op) {
	case OP_NONE:
	case OP_EQ:
		add_lower(a, p);
		add_upper_before(a, p, p->known - 1);
		break;
	case OP_GT:
		/* ">1.2" is ">=1.3.0": above everything 1.2.x. */
		if (bump(p, p->known - 1, n))
			add_nums(a, OP_GE, n);
		else
			add_never(a);
		break;
	case OP_GE:
		add_lower(a, p);
		break;
	case OP_LT:
		for (i = 0; i < 3; i++)
			n[i] = i < p->known ? p->num[i] : 0;
		add_nums(a, OP_LT, n);
		break;
	case OP_LE:
		/* "<=1.2" is "<1.3.0": up to everything 1.2.x. */
		add_upper_before(a, p, p->known - 1);
		break;
	case OP_CARET:
		/* Changes are allowed to the right of the first non-zero
		 * part; with none, only at the last part written. */
		for (i = 0; i < p->known && p->num[i] == 0; i++)
			;
		if (i == p->known)
			i = p->known - 1;
		add_lower(a, p);
		add_upper_before(a, p, i);
		break;
	case OP_TILDE:
		/* Patch-level changes when the minor is given, else
		 * minor-level. */
		i = p->known == 1 ? 0 : 1;
		add_lower(a, p);
		add_upper_before(a, p, i);
		break;
	default:
		SL_ASSERT(!"an operator lower() knows");
	}
}

/* Reads one MAJOR, MINOR or PATCH part [s, s + len) of a partial version
 * into p. Returns SL_OK or SL_EINVAL with the parser's err filled. */
static enum sl_err parse_part(const struct parser *ps, const char *tok,
			      size_t tok_len, const char *s, size_t len, int i,
			      struct partial *p)
{
	static const char *const names[] = {"major", "minor", "patch"};
	int tl = tok_len > QUOTE_MAX ? QUOTE_MAX : (int)tok_len;
	uint64_t n = 0;
	char cbuf[16];

	if (len == 0)
		return fail(ps, tok, "%s version is missing in '%.*s'",
			    names[i], tl, tok);
	if (len == 1 && is_wildcard(s[0])) {
		p->num[i] = 0;
		return SL_OK;
	}
	if (p->known < i)
		return fail(ps, tok,
			    "a number cannot follow a wildcard in '%.*s'; "
			    "write '%.*s'",
			    tl, tok, (int)(s - tok - 1), tok);
	for (size_t k = 0; k < len; k++) {
		unsigned d;

		if (!is_digit(s[k]))
			return fail(ps, s + k,
				    "invalid character %s in %s version of "
				    "'%.*s'",
				    describe_char(s[k], cbuf, sizeof(cbuf)),
				    names[i], tl, tok);
		d = (unsigned)(s[k] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return fail(ps, tok,
				    "%s version in '%.*s' is larger than "
				    "18446744073709551615",
				    names[i], tl, tok);
		n = n * 10 + d;
	}
	if (len > 1 && s[0] == '0')
		return fail(ps, tok, "%s version has a leading zero in '%.*s'",
			    names[i], tl, tok);
	p->num[i] = n;
	p->known = i + 1;
	return SL_OK;
}

/* Parses the version token [tok, tok + len), full or partial, into p.
 * Returns SL_OK (p->full then needs sl_semver_fini when p->known is 3) or
 * SL_EINVAL with the parser's err filled and nothing to free. */
static enum sl_err parse_partial(const struct parser *ps, const char *tok,
				 size_t len, struct partial *p)
{
	int tl = len > QUOTE_MAX ? QUOTE_MAX : (int)len;
	size_t core_len, start, nparts = 0;
	char cbuf[16];
	enum sl_err rc;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < len; i++) {
		char c = tok[i];
		const char *hint = "";

		if (is_alnum(c) || c == '.' || c == '*' || c == '-' || c == '+')
			continue;
		if (strchr("<>=^~", c))
			hint = "; put a space before each operator";
		else if (c == ',' || c == '&')
			hint = "; separate comparators with spaces and "
			       "alternatives with '||'";
		return fail(ps, tok + i, "invalid character %s%s",
			    describe_char(c, cbuf, sizeof(cbuf)), hint);
	}
	if (tok[0] == 'v' || tok[0] == 'V')
		return fail(ps, tok,
			    "a version must not start with '%c'; write "
			    "'%.*s'",
			    tok[0], tl - 1, tok + 1);
	if (tok[0] == '-')
		return fail(ps, tok,
			    "a '-' must stand between two versions with "
			    "spaces around it, as in '1.2.3 - 2.3.4'");

	for (core_len = 0; core_len < len; core_len++)
		if (tok[core_len] == '-' || tok[core_len] == '+')
			break;
	for (start = 0; start <= core_len; nparts++) {
		size_t end = start;

		while (end < core_len && tok[end] != '.')
			end++;
		if (nparts == 3)
			return fail(ps, tok,
				    "'%.*s' has more than three parts; "
				    "expected MAJOR.MINOR.PATCH",
				    tl, tok);
		rc = parse_part(ps, tok, len, tok + start, end - start,
				(int)nparts, p);
		if (rc)
			return rc;
		start = end + 1;
	}
	if (core_len < len && p->known < 3)
		return fail(ps, tok,
			    "'%.*s' has a pre-release or build but not a "
			    "full MAJOR.MINOR.PATCH version",
			    tl, tok);
	if (p->known == 3) {
		/* Let the one SemVer parser judge the pre-release and build
		 * parts, so ranges accept exactly the versions it does. */
		struct sl_error verr = {0};
		char *s = sl_xstrndup(tok, len);

		rc = sl_semver_parse(s, &p->full, &verr);
		free(s);
		if (rc)
			return fail(ps, tok, "invalid version '%.*s': %s", tl,
				    tok, verr.message);
	}
	return SL_OK;
}

/* Parses the upper end of a hyphen range whose lower end lo was just read
 * and whose '-' is at dash, and lowers both into a. */
static enum sl_err parse_hyphen(struct parser *ps, struct alternative *a,
				const char *lo_tok, size_t lo_len,
				struct partial *lo, const char *dash)
{
	const char *tok = skip_space(dash + 1);
	size_t len = token_len(tok);
	int tl = lo_len > QUOTE_MAX ? QUOTE_MAX : (int)lo_len;
	struct partial hi;
	enum sl_err rc;

	if (len == 0)
		return fail(ps, dash,
			    "the hyphen range '%.*s -' has no upper version",
			    tl, lo_tok);
	if (strchr("<>=^~", tok[0]))
		return fail(ps, tok,
			    "the upper version of a hyphen range takes no "
			    "operator");
	rc = parse_partial(ps, tok, len, &hi);
	if (rc)
		return rc;
	add_lower(a, lo);
	if (hi.known == 3)
		add(a, OP_LE, &hi.full);
	else if (hi.known > 0)
		add_upper_before(a, &hi, hi.known - 1);
	ps->p = tok + len;
	return SL_OK;
}

/* Parses one comparator (or hyphen range) at ps->p into a and advances
 * past it. */
static enum sl_err parse_comparator(struct parser *ps, struct alternative *a)
{
	const char *start = ps->p, *tok, *next;
	enum op op = OP_NONE;
	struct partial part;
	size_t len, oplen = 0;
	enum sl_err rc;

	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
		oplen = strlen(operators[i].text);
		if (strncmp(start, operators[i].text, oplen) == 0) {
			op = operators[i].op;
			break;
		}
		oplen = 0;
	}
	tok = skip_space(start + oplen);
	len = token_len(tok);
	if (op == OP_RUBY)
		return fail(ps, start,
			    "'~>' (Ruby-style) is not supported; write "
			    "'~%.*s' for the same range",
			    len > QUOTE_MAX ? QUOTE_MAX : (int)len, tok);
	if (len == 0) {
		if (op != OP_NONE)
			return fail(ps, start,
				    "'%.*s' is not followed by a version",
				    (int)oplen, start);
		return fail(ps, start,
			    "a single '|' is not an operator; write '||' "
			    "between alternatives");
	}
	rc = parse_partial(ps, tok, len, &part);
	if (rc)
		return rc;
	ps->p = tok + len;

	next = skip_space(ps->p);
	if (op == OP_NONE && next > ps->p && next[0] == '-' &&
	    (next[1] == '\0' || is_space(next[1]))) {
		rc = parse_hyphen(ps, a, tok, len, &part, next);
		sl_semver_fini(&part.full);
		return rc;
	}
	lower(a, op, &part);
	sl_semver_fini(&part.full);
	return SL_OK;
}

/* Parses the comparators of one alternative, up to "||" or the end. */
static enum sl_err parse_alternative(struct parser *ps, struct alternative *a)
{
	enum sl_err rc;

	ps->p = skip_space(ps->p);
	if (at_bars(ps->p))
		return fail(ps, ps->p,
			    "an alternative is empty: nothing before '||'");
	for (;;) {
		ps->p = skip_space(ps->p);
		if (!*ps->p || at_bars(ps->p))
			return SL_OK;
		rc = parse_comparator(ps, a);
		if (rc)
			return rc;
	}
}

enum sl_err sl_range_parse(const char *text, struct sl_range **out,
			   struct sl_error *err)
{
	struct parser ps = {text ? text : "", NULL, err};
	struct sl_range *r;
	enum sl_err rc = SL_OK;

	*out = NULL;
	if (strnlen(ps.text, SL_RANGE_MAX_LEN + 1) > SL_RANGE_MAX_LEN)
		return sl_error_set(err, SL_EINVAL, "range",
				    "range is longer than %d characters",
				    SL_RANGE_MAX_LEN);
	ps.p = skip_space(ps.text);
	if (!*ps.p)
		return sl_error_set(err, SL_EINVAL, "range",
				    "range is empty; write for example "
				    "'^1.2.3', '>=1.2.0 <2.0.0', or '*' for "
				    "any version");

	r = sl_xcalloc(1, sizeof(*r));
	for (;;) {
		struct alternative *a;

		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 2;
			r->alt = sl_xrealloc(r->alt, r->cap * sizeof(*r->alt));
		}
		a = &r->alt[r->n++];
		memset(a, 0, sizeof(*a));
		rc = parse_alternative(&ps, a);
		if (rc)
			goto out;
		if (!*ps.p)
			break;
		SL_ASSERT(at_bars(ps.p));
		if (!*skip_space(ps.p + 2)) {
			rc = fail(&ps, ps.p,
				  "an alternative is empty: nothing after "
				  "'||'");
			goto out;
		}
		ps.p += 2;
	}
out:
	if (rc) {
		sl_range_free(r);
		return rc;
	}
	*out = r;
	return SL_OK;
}

void sl_range_free(struct sl_range *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->alt[i].n; j++)
			sl_semver_fini(&r->alt[i].cmp[j].v);
		free(r->alt[i].cmp);
	}
	free(r->alt);
	free(r);
}

static int holds(const struct comparator *c, const struct sl_semver *v)
{
	int k;

	if (c->op == OP_NEVER)
		return 0;
	k = sl_semver_compare(v, &c->v);
	switch (c->op) {
	case OP_EQ:
		return k == 0;
	case OP_LT:
		return k < 0;
	case OP_LE:
		return k <= 0;
	case OP_GT:
		return k > 0;
	case OP_GE:
		return k >= 0;
	default:
		SL_ASSERT(!"a lowered comparator");
	}
	return 0;
}

/* Returns 1 when every comparator of a holds for v and, if v is a
 * pre-release, one of them opts in to pre-releases of v's
 * MAJOR.MINOR.PATCH by carrying a pre-release tag itself. */
static int alternative_matches(const struct alternative *a,
			       const struct sl_semver *v)
{
	for (size_t i = 0; i < a->n; i++)
		if (!holds(&a->cmp[i], v))
			return 0;
	if (!v->pre)
		return 1;
	for (size_t i = 0; i < a->n; i++) {
		const struct sl_semver *c = &a->cmp[i].v;

		if (c->pre && c->major == v->major && c->minor == v->minor &&
		    c->patch == v->patch)
			return 1;
	}
	return 0;
}

int sl_range_match(const struct sl_range *r, const struct sl_semver *v)
{
	SL_ASSERT(r && v);
	for (size_t i = 0; i < r->n; i++)
		if (alternative_matches(&r->alt[i], v))
			return 1;
	return 0;
}

int sl_range_satisfies(const char *range, const char *version,
		       struct sl_error *err)
{
	struct sl_range *r;
	struct sl_semver v;
	int result;

	if (sl_range_parse(range, &r, err))
		return -1;
	if (sl_semver_parse(version, &v, err)) {
		sl_range_free(r);
		return -1;
	}
	result = sl_range_match(r, &v);
	sl_semver_fini(&v);
	sl_range_free(r);
	return result;
}
