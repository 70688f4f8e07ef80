/* schema.c - checking bodies against field tables. */
#include "http/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/validate.h"
#include "core/vocab.h"

void sl_verrs_add(struct sl_verrs *v, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (v->n >= SL_VERR_MAX)
		return;
	snprintf(v->e[v->n].field, sizeof(v->e[v->n].field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(v->e[v->n].message, sizeof(v->e[v->n].message), fmt, ap);
	va_end(ap);
	v->n++;
}

static const char *type_word(enum sl_ftype t)
{
	static const char *const words[] = {
		[SL_FT_STRING] = "a string",
		[SL_FT_INT] = "an integer",
		[SL_FT_BOOL] = "true or false",
		[SL_FT_TAGS] = "an object of strings",
		[SL_FT_STRINGS] = "an array of strings",
		[SL_FT_OBJECT] = "an object",
		[SL_FT_OBJECTS] = "an array of objects",
		[SL_FT_REF] = "a string or an integer id",
		[SL_FT_MAP] = "an object of strings",
		[SL_FT_NUMBER] = "a number",
	};
	return words[t];
}

/* Checks one string value; returns 0 when valid. */
static int check_string(const struct sl_field *f, const char *path,
			const char *s, size_t len, struct sl_verrs *errs)
{
	struct sl_error err = {0};

	if (strlen(s) != len) {
		sl_verrs_add(errs, path, "must not contain NUL characters");
		return -1;
	}
	if (f->min && (int64_t)len < f->min) {
		if (f->min == 1)
			sl_verrs_add(errs, path, "must not be empty");
		else
			sl_verrs_add(errs, path,
				     "must be at least %lld characters",
				     (long long)f->min);
		return -1;
	}
	if (sl_valid_text(s, f->max ? (size_t)f->max : 1024,
			  (f->flags & SL_F_MULTILINE) != 0, path, &err)) {
		sl_verrs_add(errs, path, "%s", err.message);
		return -1;
	}
	if (f->choices) {
		char list[200];

		if (sl_vocab_index(f->choices, s) >= 0)
			return 0;
		sl_vocab_join(f->choices, ", ", list, sizeof(list));
		sl_verrs_add(errs, path, "must be one of: %s", list);
		return -1;
	}
	if (f->check && f->check(s, path, &err)) {
		sl_verrs_add(errs, path, "%s", err.message);
		return -1;
	}
	return 0;
}

static void check_value(const struct sl_field *f, const char *path,
			const json_t *v, int update, struct sl_verrs *errs)
{
	char sub[128];
	size_t i;
	const char *key;
	json_t *item;

	if (json_is_null(v)) {
		if (!(f->flags & SL_F_NULLABLE))
			sl_verrs_add(errs, path, "must not be null");
		return;
	}
	switch (f->type) {
	case SL_FT_STRING:
		if (!json_is_string(v))
			goto type;
		check_string(f, path, json_string_value(v),
			     json_string_length(v), errs);
		return;
	case SL_FT_REF:
		if (json_is_integer(v)) {
			if (json_integer_value(v) < 1)
				sl_verrs_add(errs, path,
					     "must be a positive id");
			return;
		}
		if (!json_is_string(v))
			goto type;
		check_string(f, path, json_string_value(v),
			     json_string_length(v), errs);
		return;
	case SL_FT_INT:
		if (!json_is_integer(v))
			goto type;
		if (json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			sl_verrs_add(errs, path,
				     "must be between %lld and %lld",
				     (long long)f->min, (long long)f->max);
		return;
	case SL_FT_BOOL:
		if (!json_is_boolean(v))
			goto type;
		return;
	case SL_FT_NUMBER:
		if (!json_is_number(v))
			goto type;
		if (json_number_value(v) < (double)f->min ||
		    json_number_value(v) > (double)f->max)
			sl_verrs_add(errs, path,
				     "must be between %lld and %lld",
				     (long long)f->min, (long long)f->max);
		return;
	case SL_FT_TAGS:
		if (!json_is_object(v))
			goto type;
		if ((int64_t)json_object_size(v) > f->max)
			sl_verrs_add(errs, path, "must have at most %lld tags",
				     (long long)f->max);
		json_object_foreach((json_t *)v, key, item)
		{
			struct sl_error err = {0};

			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (sl_valid_tag_key(key, sub, &err))
				sl_verrs_add(errs, sub, "%s", err.message);
			else if (!json_is_string(item))
				sl_verrs_add(errs, sub, "must be a string");
			else if (sl_valid_tag_value(json_string_value(item),
						    sub, &err))
				sl_verrs_add(errs, sub, "%s", err.message);
		}
		return;
	case SL_FT_MAP:
		if (!json_is_object(v))
			goto type;
		if ((int64_t)json_object_size(v) > 256)
			sl_verrs_add(errs, path, "must have at most 256 names");
		json_object_foreach((json_t *)v, key, item)
		{
			struct sl_error err = {0};

			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (!*key || sl_valid_text(key, 255, 0, sub, &err))
				sl_verrs_add(errs, sub,
					     "must be a name of 1 to 255 "
					     "characters, without control "
					     "characters");
			else if (!json_is_string(item))
				sl_verrs_add(errs, sub, "must be a string");
			else
				check_string(f, sub, json_string_value(item),
					     json_string_length(item), errs);
		}
		return;
	case SL_FT_STRINGS:
		if (!json_is_array(v))
			goto type;
		if ((int64_t)json_array_size(v) > 64)
			sl_verrs_add(errs, path, "must have at most 64 items");
		json_array_foreach(v, i, item)
		{
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (!json_is_string(item))
				sl_verrs_add(errs, sub, "must be a string");
			else
				check_string(f, sub, json_string_value(item),
					     json_string_length(item), errs);
		}
		return;
	case SL_FT_OBJECT:
		if (!json_is_object(v))
			goto type;
		sl_schema_check(v, f->sub, path, 0, errs);
		return;
	case SL_FT_OBJECTS:
		if (!json_is_array(v))
			goto type;
		if ((int64_t)json_array_size(v) > f->max)
			sl_verrs_add(errs, path, "must have at most %lld items",
				     (long long)f->max);
		json_array_foreach(v, i, item)
		{
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (!json_is_object(item))
				sl_verrs_add(errs, sub, "must be an object");
			else
				sl_schema_check(item, f->sub, sub, 0, errs);
		}
		return;
	}
type:
	(void)update;
	sl_verrs_add(errs, path, "must be %s", type_word(f->type));
}

void sl_schema_check(const json_t *obj, const struct sl_field *fields,
		     const char *prefix, int update, struct sl_verrs *errs)
{
	const char *key;
	json_t *v;
	char path[128];

	json_object_foreach((json_t *)obj, key, v)
	{
		const struct sl_field *f = fields;

		while (f->name && strcmp(f->name, key) != 0)
			f++;
		snprintf(path, sizeof(path), "%s%s%s", prefix,
			 *prefix ? "." : "", key);
		if (!f->name) {
			sl_verrs_add(errs, path, "is not a known field");
			continue;
		}
		if (update && (f->flags & SL_F_IMMUTABLE)) {
			sl_verrs_add(errs, path, "cannot be changed");
			continue;
		}
		check_value(f, path, v, update, errs);
	}
	if (update)
		return;
	for (const struct sl_field *f = fields; f->name; f++) {
		if ((f->flags & SL_F_REQUIRED) &&
		    !json_object_get(obj, f->name)) {
			snprintf(path, sizeof(path), "%s%s%s", prefix,
				 *prefix ? "." : "", f->name);
			sl_verrs_add(errs, path, "is required");
		}
	}
}

json_t *sl_schema_enum(const char *const *choices)
{
	json_t *e = json_array();

	for (const char *const *c = choices; *c; c++)
		json_array_append_new(e, json_string(*c));
	return e;
}

static json_t *field_schema(const struct sl_field *f)
{
	json_t *s = json_object();

	switch (f->type) {
	case SL_FT_STRING:
		json_object_set_new(s, "type", json_string("string"));
		if (f->max)
			json_object_set_new(s, "maxLength",
					    json_integer(f->max));
		if (f->choices)
			json_object_set_new(s, "enum",
					    sl_schema_enum(f->choices));
		break;
	case SL_FT_REF:
		json_object_set_new(s, "type",
				    json_pack("[ss]", "string", "integer"));
		break;
	case SL_FT_INT:
		json_object_set_new(s, "type", json_string("integer"));
		json_object_set_new(s, "minimum", json_integer(f->min));
		json_object_set_new(s, "maximum", json_integer(f->max));
		break;
	case SL_FT_BOOL:
		json_object_set_new(s, "type", json_string("boolean"));
		break;
	case SL_FT_NUMBER:
		json_object_set_new(s, "type", json_string("number"));
		json_object_set_new(s, "minimum", json_integer(f->min));
		json_object_set_new(s, "maximum", json_integer(f->max));
		break;
	case SL_FT_TAGS:
	case SL_FT_MAP:
		json_object_set_new(s, "type", json_string("object"));
		json_object_set_new(s, "additionalProperties",
				    json_pack("{ss}", "type", "string"));
		break;
	case SL_FT_STRINGS:
		json_object_set_new(s, "type", json_string("array"));
		json_object_set_new(s, "items",
				    json_pack("{ss}", "type", "string"));
		if (f->choices)
			json_object_set_new(json_object_get(s, "items"), "enum",
					    sl_schema_enum(f->choices));
		break;
	case SL_FT_OBJECT:
		json_decref(s);
		s = sl_schema_json(f->sub);
		break;
	case SL_FT_OBJECTS:
		json_object_set_new(s, "type", json_string("array"));
		json_object_set_new(s, "items", sl_schema_json(f->sub));
		json_object_set_new(s, "maxItems", json_integer(f->max));
		break;
	}
	if (f->flags & SL_F_NULLABLE) {
		json_t *any =
			json_pack("{s:[o,{ss}]}", "anyOf", s, "type", "null");
		s = any;
	}
	if (f->doc)
		json_object_set_new(s, "description", json_string(f->doc));
	return s;
}

json_t *sl_schema_json(const struct sl_field *fields)
{
	json_t *props = json_object(), *req = json_array();

	for (const struct sl_field *f = fields; f->name; f++) {
		json_object_set_new(props, f->name, field_schema(f));
		if (f->flags & SL_F_REQUIRED)
			json_array_append_new(req, json_string(f->name));
	}
	return json_pack("{ss so so sb}", "type", "object", "properties", props,
			 "required", req, "additionalProperties", 0);
}
