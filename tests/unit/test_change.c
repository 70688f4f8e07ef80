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

#define CHECK_PATCH(before, after, want)                                       \
	do {                                                                   \
		char *t_p = patch(before, after);                              \
		CHECK_STR(t_p, want);                                          \
		free(t_p);                                                     \
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
	T(an_entry_with_a_change_is_written_with_its_keys_in_order),
	T(an_entry_from_before_patches_keeps_its_two_documents))
