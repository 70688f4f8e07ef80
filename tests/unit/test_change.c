/* test_change.c - what an audit entry says a write changed: the JSON
 * Patch made from the documents before and after (exact texts, as
 * docs/audit.md specifies them), and the entry's bytes in both shapes:
 * with a change, and as entries from before patches were written. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/entry.h"
#include "http/http.h"
#include "test.h"

/* The patch from before to after (JSON texts, NULL for none). */
static char *patch(const char *before, const char *after)
{
	json_t *b = before ? json_loads(before, 0, NULL) : NULL;
	json_t *a = after ? json_loads(after, 0, NULL) : NULL;
	char *p;

	CHECK(!before || b);
	CHECK(!after || a);
	p = sl_http_patch(b, a);
	json_decref(b);
	json_decref(a);
	return p;
}

/* The patch both ways: parsed, and read off the texts when they are
 * canonical (then the bytes must be the same). */
#define CHECK_PATCH(before, after, want)                                       \
	do {                                                                   \
		char *t_p = patch(before, after);                              \
		char *t_t = sl_http_patch_text(before, after);                 \
		CHECK_STR(t_p, want);                                          \
		if (t_t)                                                       \
			CHECK_STR(t_t, want);                                  \
		free(t_p);                                                     \
		free(t_t);                                                     \
	} while (0)

TEST(a_creation_adds_the_whole_object_and_a_deletion_replaces_it_with_null)
{
	CHECK_PATCH(NULL, "{\"b\":1,\"a\":[true]}",
		    "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"a\":[true],"
		    "\"b\":1}}]");
	CHECK_PATCH("{\"a\":1}", NULL,
		    "[{\"op\":\"replace\",\"path\":\"\",\"value\":null}]");
	CHECK_PATCH(NULL, NULL, "[]");
	CHECK_PATCH("{\"a\":{\"b\":[1,2]}}", "{\"a\":{\"b\":[1,2]}}", "[]");
}

TEST(an_update_says_only_what_changed_with_keys_in_byte_order)
{
	/* "Z" sorts before "a"; a key gone, a key new, a value changed,
	 * a value set to null (which a merge patch could not say). */
	CHECK_PATCH("{\"a\":1,\"gone\":true,\"same\":\"x\",\"z\":\"old\"}",
		    "{\"Z\":2,\"a\":null,\"same\":\"x\",\"z\":\"new\"}",
		    "[{\"op\":\"add\",\"path\":\"/Z\",\"value\":2},"
		    "{\"op\":\"replace\",\"path\":\"/a\",\"value\":null},"
		    "{\"op\":\"remove\",\"path\":\"/gone\"},"
		    "{\"op\":\"replace\",\"path\":\"/z\",\"value\":\"new\"}]");
	/* Nested objects are walked; a value that changes type is
	 * replaced whole. */
	CHECK_PATCH("{\"p\":{\"q\":{\"r\":1,\"s\":2}},\"t\":{\"u\":1}}",
		    "{\"p\":{\"q\":{\"r\":1,\"s\":3}},\"t\":[1]}",
		    "[{\"op\":\"replace\",\"path\":\"/p/q/s\",\"value\":3},"
		    "{\"op\":\"replace\",\"path\":\"/t\",\"value\":[1]}]");
}

TEST(an_array_that_grew_gets_its_new_elements_added_at_its_end)
{
	CHECK_PATCH("{\"ev\":[{\"n\":1}]}",
		    "{\"ev\":[{\"n\":1},{\"n\":2},{\"n\":3}]}",
		    "[{\"op\":\"add\",\"path\":\"/ev/-\",\"value\":{\"n\":2}},"
		    "{\"op\":\"add\",\"path\":\"/ev/-\",\"value\":{\"n\":3}}]");
	/* Shrunk, or changed inside: the array whole. */
	CHECK_PATCH("{\"ev\":[1,2]}", "{\"ev\":[1]}",
		    "[{\"op\":\"replace\",\"path\":\"/ev\",\"value\":[1]}]");
	CHECK_PATCH(
		"{\"ev\":[1,2]}", "{\"ev\":[3,2,4]}",
		"[{\"op\":\"replace\",\"path\":\"/ev\",\"value\":[3,2,4]}]");
}

TEST(keys_with_tilde_and_slash_are_escaped_as_json_pointer_tokens)
{
	CHECK_PATCH(
		"{\"a/b\":1,\"c~d\":{\"~/\":1}}",
		"{\"a/b\":2,\"c~d\":{\"~/\":2}}",
		"[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":2},"
		"{\"op\":\"replace\",\"path\":\"/c~0d/~0~1\",\"value\":2}]");
}

TEST(the_texts_are_read_without_parsing_only_when_canonical)
{
	char *t;

	/* Canonical: read off the texts, an escape in a value is fine. */
	t = sl_http_patch_text("{\"a\":\"x\\n\",\"b\":[1]}",
			       "{\"a\":\"x\\n\",\"b\":[1,2.5]}");
	CHECK_STR(t, "[{\"op\":\"add\",\"path\":\"/b/-\",\"value\":2.5}]");
	free(t);
	t = sl_http_patch_text(NULL, NULL);
	CHECK_STR(t, "[]");
	free(t);
	/* Not vouched for: keys out of order, a blank, an escape in a
	 * key, -0.0, a truncated text. */
	CHECK(!sl_http_patch_text("{\"b\":1,\"a\":2}", "{}"));
	CHECK(!sl_http_patch_text("{}", "{\"a\": 2}"));
	CHECK(!sl_http_patch_text("{\"a\\n\":1}", "{}"));
	CHECK(!sl_http_patch_text("{\"a\":-0.0}", "{}"));
	CHECK(!sl_http_patch_text("{\"a\":[1,2}", "{}"));
	CHECK(!sl_http_patch_text("{\"a\":1}x", "{}"));
}

/* A random value, nested up to depth; keys from a small set so that
 * two documents share most of them. */
static json_t *random_value(unsigned *seed, int depth)
{
	static const char *const keys[] = {"a",	      "b",	  "ab", "a/b",
					   "c~d",     "\xc3\xa9", "Z",	"q\"",
					   "traffic", "z"};
	static const char *const strs[] = {"",
					   "x",
					   "with \"quote\"",
					   "line\nbreak",
					   "\xe2\x82\xac",
					   "tab\t",
					   "/slash"};
	int kind = rand_r(seed) % (depth > 0 ? 8 : 6);
	json_t *v;

	switch (kind) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rand_r(seed) % 2);
	case 2:
		return json_integer(rand_r(seed) % 200 - 100);
	case 3:
		return json_real((rand_r(seed) % 2000 - 1000) / 8.0);
	case 4:
	case 5:
		return json_string(strs[rand_r(seed) % 7]);
	case 6:
		v = json_array();
		for (int i = rand_r(seed) % 4; i > 0; i--)
			json_array_append_new(v, random_value(seed, depth - 1));
		return v;
	default:
		v = json_object();
		for (int i = rand_r(seed) % 5; i > 0; i--)
			json_object_set_new(v, keys[rand_r(seed) % 10],
					    random_value(seed, depth - 1));
		return v;
	}
}

/* v changed a little: a member set, removed or added, an array grown,
 * or a change inside a nested object. */
static void mutate(json_t *v, unsigned *seed)
{
	static const char *const keys[] = {"a", "b", "traffic", "a/b", "n"};
	const char *k = keys[rand_r(seed) % 5];
	json_t *in = json_object_get(v, k);

	switch (rand_r(seed) % 5) {
	case 0:
		json_object_set_new(v, k, random_value(seed, 2));
		break;
	case 1:
		json_object_del(v, k);
		break;
	case 2:
		if (json_is_array(in))
			json_array_append_new(in, random_value(seed, 1));
		else
			json_object_set_new(v, k, json_array());
		break;
	case 3:
		if (json_is_object(in))
			mutate(in, seed);
		break;
	default:
		break;
	}
}

TEST(read_off_the_texts_the_patch_is_the_parsed_ones_byte_for_byte)
{
	unsigned seed = 20261204;
	int read = 0;

	for (int i = 0; i < 4000; i++) {
		json_t *b = json_object(), *a;
		char *bt, *at, *want, *got;

		json_object_set_new(b, "traffic", json_array());
		for (int j = rand_r(&seed) % 6; j > 0; j--)
			json_object_set_new(b, j % 2 ? "a" : "b",
					    random_value(&seed, 3));
		a = json_deep_copy(b);
		for (int j = rand_r(&seed) % 4; j >= 0; j--)
			mutate(a, &seed);
		bt = sl_http_canon(b);
		at = sl_http_canon(a);
		want = i % 10 == 0   ? sl_http_patch(NULL, a)
		       : i % 10 == 1 ? sl_http_patch(b, NULL)
				     : sl_http_patch(b, a);
		got = i % 10 == 0   ? sl_http_patch_text(NULL, at)
		      : i % 10 == 1 ? sl_http_patch_text(bt, NULL)
				    : sl_http_patch_text(bt, at);
		if (got) {
			read++;
			CHECK_STR(got, want);
		} else {
			/* Only a key with an escape sends it the parsed
			 * way here. */
			CHECK(strstr(bt, "q\\\"") || strstr(at, "q\\\""));
		}
		free(bt);
		free(at);
		free(want);
		free(got);
		json_decref(a);
		json_decref(b);
	}
	/* Most pairs were read off their texts, not parsed. */
	CHECK(read > 2000);
}

TEST(an_entry_with_a_change_is_written_with_its_keys_in_order)
{
	struct sl_entry e = {
		.seq = 42,
		.at = 1764496800000001,
		.actor = "ci \"bot\"\\",
		.action = "service.update",
		.object_type = "service",
		.object_id = "pay\nments\x01",
		.change = "[{\"op\":\"remove\",\"path\":\"/x\"}]",
		.before = "{\"ignored\":1}",
		.via = "grant:3",
	};
	size_t len = 0;
	char *b = sl_entry_bytes(&e, &len);

	CHECK_STR(b, "{\"action\":\"service.update\",\"actor\":\"ci "
		     "\\\"bot\\\"\\\\\",\"at\":1764496800000001,\"change\":[{"
		     "\"op\":\"remove\",\"path\":\"/x\"}],\"object_id\":"
		     "\"pay\\nments\\u0001\",\"object_type\":\"service\","
		     "\"request_id\":null,\"seq\":42,\"via\":\"grant:3\"}");
	CHECK_INT(len, strlen(b));
	free(b);
}

TEST(an_entry_from_before_patches_keeps_its_two_documents)
{
	struct sl_entry e = {
		.seq = 7,
		.at = -5,
		.actor = "a",
		.action = "service.delete",
		.object_type = "service",
		.object_id = "s",
		.request_id = "rq",
		.before = "{\"name\":\"s\"}",
	};
	char *buf = sl_xstrdup("xy");
	size_t used = 2, cap = 3, n;

	/* Appended after what the buffer holds, as a bundle is built. */
	n = sl_entry_append(&e, &buf, &used, &cap);
	CHECK_STR(buf, "xy{\"action\":\"service.delete\",\"actor\":\"a\","
		       "\"after\":null,\"at\":-5,\"before\":{\"name\":\"s\"},"
		       "\"object_id\":\"s\",\"object_type\":\"service\","
		       "\"request_id\":\"rq\",\"seq\":7,\"via\":null}");
	CHECK_INT(n + 2, used);
	CHECK_INT(used, strlen(buf));
	CHECK(cap > used);
	free(buf);
}

TEST_MAIN(
	T(a_creation_adds_the_whole_object_and_a_deletion_replaces_it_with_null),
	T(an_update_says_only_what_changed_with_keys_in_byte_order),
	T(an_array_that_grew_gets_its_new_elements_added_at_its_end),
	T(keys_with_tilde_and_slash_are_escaped_as_json_pointer_tokens),
	T(the_texts_are_read_without_parsing_only_when_canonical),
	T(read_off_the_texts_the_patch_is_the_parsed_ones_byte_for_byte),
	T(an_entry_with_a_change_is_written_with_its_keys_in_order),
	T(an_entry_from_before_patches_keeps_its_two_documents))
