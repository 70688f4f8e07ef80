"""test_malformed.py - a table of malformed requests, each one a test.

Every row is sent against a known world (a service, two environments
with targets, a release and two deployments) and must be answered with
the exact 4xx status as an RFC 9457 problem document naming the field,
and must change nothing: the audit log and every list and document are
compared before and after each row.

Row: (name, method, path, request, status, field, substring)
  request: {"body": JSON} | {"raw": bytes} plus optional "headers",
           "auth" (False: no Authorization), "token".
  path and header values may use {dep1} {dep2} {rel} (ids of the world).
  field: the errors[].field expected, or None.
  substring: expected (case-insensitive) in detail or an errors[].message.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, eq, run_tests  # noqa: E402

JSON_CT = {"Content-Type": "application/json"}


def raw(data, **extra):
    """A raw body sent as application/json."""
    r = {"raw": data, "headers": dict(JSON_CT)}
    r.update(extra)
    return r


def body(obj, **extra):
    r = {"body": obj}
    r.update(extra)
    return r


SVC = {"name": "svc2", "owner": "team"}


def svc(**kw):
    d = dict(SVC)
    d.update(kw)
    return body(d)


def env(**kw):
    d = {"name": "qa", "rank": 5}
    d.update(kw)
    return body(d)


def rel(**kw):
    d = {"service": "svc", "version": "2.0.0", "type": "major"}
    d.update(kw)
    return body(d)


def dep(**kw):
    d = {"release": "svc@1.0.0", "environment": "prod", "target": "us-east"}
    d.update(kw)
    return body(d)


ART = {"name": "app.tar.gz", "uri": "s3://b/app.tar.gz", "sha256": "a" * 64}


def art(**kw):
    a = dict(ART)
    a.update(kw)
    return a


EV = "/v1/deployments/{dep1}/events"
EV2 = "/v1/deployments/{dep2}/events"

TABLE = [
    # ---- JSON syntax (400) ----
    ("json_truncated", "POST", "/v1/services", raw(b'{"name":"x","owner":'),
     400, None, "not valid JSON"),
    ("json_trailing_garbage", "POST", "/v1/services",
     raw(b'{"name":"x","owner":"t"} xyz'), 400, None, "not valid JSON"),
    ("json_single_quotes", "POST", "/v1/services", raw(b"{'name':'x','owner':'t'}"),
     400, None, "not valid JSON"),
    ("json_nan", "POST", "/v1/services", raw(b'{"name":"x","owner":"t","tier":NaN}'),
     400, None, "not valid JSON"),
    ("json_duplicate_keys", "POST", "/v1/services",
     raw(b'{"name":"x","name":"y","owner":"t"}'), 400, None, "duplicate"),
    ("json_unescaped_control_char", "POST", "/v1/services",
     raw(b'{"name":"x","owner":"a\x01b"}'), 400, None, "control character"),
    ("json_non_utf8", "POST", "/v1/services", raw(b'{"name":"\xff","owner":"t"}'),
     400, None, "not valid JSON"),
    ("json_nul_escaped", "POST", "/v1/services", raw(b'{"name":"x","owner":"a\\u0000b"}'),
     400, None, "\\u0000"),
    ("body_array", "POST", "/v1/services", raw(b'[{"name":"x","owner":"t"}]'),
     400, None, "JSON object"),
    ("body_string", "POST", "/v1/services", raw(b'"svc"'), 400, None, "JSON"),
    ("body_number", "POST", "/v1/environments", raw(b"42"), 400, None, "JSON"),
    ("body_null", "POST", "/v1/releases", raw(b"null"), 400, None, "JSON"),
    ("body_empty_create", "POST", "/v1/services", raw(b""), 400, None, "body is required"),
    ("body_empty_event", "POST", EV, raw(b""), 400, None, "body is required"),
    ("body_empty_patch", "PATCH", "/v1/services/svc", raw(b""), 400, None,
     "body is required"),

    # ---- wrong types (422) ----
    ("type_name_int", "POST", "/v1/services", body({"name": 5, "owner": "t"}),
     422, "name", "must be a string"),
    ("type_tier_string", "POST", "/v1/services", svc(tier="2"), 422, "tier",
     "must be an integer"),
    ("type_tier_bool", "POST", "/v1/services", svc(tier=True), 422, "tier",
     "must be an integer"),
    ("type_tier_float", "POST", "/v1/services", svc(tier=2.5), 422, "tier",
     "must be an integer"),
    ("type_owner_null", "POST", "/v1/services", svc(owner=None), 422, "owner",
     "must not be null"),
    ("type_owner_object", "POST", "/v1/services", svc(owner={"t": 1}), 422, "owner",
     "must be a string"),
    ("type_tags_array", "POST", "/v1/services", svc(tags=["a"]), 422, "tags",
     "object of strings"),
    ("type_tag_value_int", "POST", "/v1/services", svc(tags={"a": 1}), 422, "tags.a",
     "must be a string"),
    ("type_protected_string", "POST", "/v1/environments", env(protected="yes"),
     422, "protected", "true or false"),
    ("type_rank_string", "POST", "/v1/environments", env(rank="5"), 422, "rank",
     "must be an integer"),
    ("type_targets_object", "POST", "/v1/environments", env(targets={"a": "b"}),
     422, "targets", "array of strings"),
    ("type_targets_item_int", "POST", "/v1/environments", env(targets=["eu", 1]),
     422, "targets[1]", "must be a string"),
    ("type_build_string", "POST", "/v1/releases", rel(build="ci"), 422, "build",
     "must be an object"),
    ("type_artifacts_object", "POST", "/v1/releases", rel(artifacts=ART), 422,
     "artifacts", "array of objects"),
    ("type_artifact_item_string", "POST", "/v1/releases", rel(artifacts=["x"]), 422,
     "artifacts[0]", "must be an object"),
    ("type_release_ref_bool", "POST", "/v1/deployments", dep(release=True), 422,
     "release", "a string or an integer id"),
    ("type_release_ref_zero", "POST", "/v1/deployments", dep(release=0), 422,
     "release", "positive id"),
    ("type_message_int", "POST", EV, body({"message": 7}), 422, "message",
     "must be a string"),
    ("type_reason_array", "POST", "/v1/deployments/{dep1}/rollback",
     body({"reason": ["x"]}), 422, "reason", "must be a string"),

    # ---- unknown fields (422, named) ----
    ("unknown_top_level", "POST", "/v1/services", svc(colour="red"), 422, "colour",
     "not a known field"),
    ("unknown_rollback_foo", "POST", "/v1/releases", rel(rollback={"foo": 1}), 422,
     "rollback.foo", "not a known field"),
    ("unknown_artifact_extra", "POST", "/v1/releases", rel(artifacts=[art(extra=1)]),
     422, "artifacts[0].extra", "not a known field"),
    ("unknown_build_x", "POST", "/v1/releases", rel(build={"url": "https://ci/1", "x": 1}),
     422, "build.x", "not a known field"),
    ("unknown_event_field", "POST", EV, body({"message": "m", "foo": 1}), 422, "foo",
     "not a known field"),
    ("unknown_patch_field", "PATCH", "/v1/services/svc", body({"ownr": "x"}), 422,
     "ownr", "not a known field"),

    # ---- missing required (422) ----
    ("missing_owner", "POST", "/v1/services", body({"name": "svc2"}), 422, "owner",
     "is required"),
    ("missing_rank", "POST", "/v1/environments", body({"name": "qa"}), 422, "rank",
     "is required"),
    ("missing_type", "POST", "/v1/releases", body({"service": "svc", "version": "2.0.0"}),
     422, "type", "is required"),
    ("missing_artifact_sha", "POST", "/v1/releases",
     rel(artifacts=[{"name": "a", "uri": "s3://a"}]), 422, "artifacts[0].sha256",
     "is required"),
    ("missing_environment", "POST", "/v1/deployments", body({"release": "svc@1.0.0"}),
     422, "environment", "is required"),
    ("missing_everything", "POST", "/v1/services", body({}), 422, "name", "is required"),
    ("missing_token_role", "POST", "/v1/tokens", body({"name": "bot"}), 422, "role",
     "is required"),

    # ---- lengths and text (422) ----
    ("owner_129_chars", "POST", "/v1/services", svc(owner="o" * 129), 422, "owner",
     "longer than 128"),
    ("notes_over_64k", "POST", "/v1/releases", rel(notes="n" * 65537), 422, "notes",
     "longer than 65536"),
    ("message_over_4k", "POST", EV, body({"message": "m" * 4097}), 422, "message",
     "longer than 4096"),
    ("owner_control_char", "POST", "/v1/services", svc(owner="a\u0001b"), 422, "owner",
     "control character"),
    ("owner_newline", "POST", "/v1/services", svc(owner="a\nb"), 422, "owner",
     "control character"),
    ("tag_value_257", "POST", "/v1/services", svc(tags={"a": "v" * 257}), 422, "tags.a",
     "256"),

    # ---- slugs ----
    ("slug_uppercase", "POST", "/v1/services", svc(name="Svc2"), 422, "name",
     "lowercase"),
    ("slug_leading_dash", "POST", "/v1/services", svc(name="-svc"), 422, "name", "'-'"),
    ("slug_64_chars", "POST", "/v1/services", svc(name="s" * 64), 422, "name",
     "longer than 63"),
    ("slug_empty", "POST", "/v1/services", svc(name=""), 422, "name", "must not be empty"),
    ("slug_target", "POST", "/v1/environments", env(targets=["EU_West"]), 422,
     "targets[0]", "lowercase"),

    # ---- ranges ----
    ("tier_0", "POST", "/v1/services", svc(tier=0), 422, "tier", "between 1 and 4"),
    ("tier_5", "POST", "/v1/services", svc(tier=5), 422, "tier", "between 1 and 4"),
    ("rank_minus_1", "POST", "/v1/environments", env(rank=-1), 422, "rank",
     "between 0 and 1000"),
    ("rank_1001", "POST", "/v1/environments", env(rank=1001), 422, "rank",
     "between 0 and 1000"),
    ("max_concurrent_10001", "POST", "/v1/environments", env(max_concurrent=10001), 422,
     "max_concurrent", "between 0 and 10000"),
    ("timezone_bad", "POST", "/v1/environments", env(timezone="Mars/Olympus/../x"), 422,
     "timezone", "timezone"),

    # ---- versions ----
    ("version_v_prefix", "POST", "/v1/releases", rel(version="v1.0.0"), 422, "version",
     "must not start with 'v'"),
    ("version_two_parts", "POST", "/v1/releases", rel(version="1.0"), 422, "version",
     "patch version is missing"),
    ("version_leading_zero", "POST", "/v1/releases", rel(version="01.0.0"), 422,
     "version", "leading zero"),
    ("version_empty_prerelease", "POST", "/v1/releases", rel(version="1.0.0-"), 422,
     "version", "pre-release identifier 1 is empty"),
    ("version_prerelease_leading_zero", "POST", "/v1/releases", rel(version="1.0.0-01"),
     422, "version", "pre-release identifier 1 has a leading zero"),
    ("version_empty_build", "POST", "/v1/releases", rel(version="1.0.0+"), 422,
     "version", "build metadata identifier 1 is empty"),
    ("version_double_dot", "POST", "/v1/releases", rel(version="1..0"), 422, "version",
     "minor version is missing"),
    ("version_200_chars", "POST", "/v1/releases", rel(version="1.0.0-" + "a" * 194), 422,
     "version", "longer than 128"),
    ("version_rollback_target", "POST", "/v1/releases",
     rel(rollback={"target_version": "1.0"}), 422, "rollback.target_version",
     "patch version is missing"),

    # ---- release fields ----
    ("release_type_bad", "POST", "/v1/releases", rel(type="huge"), 422, "type",
     "must be one of"),
    ("release_status_released", "POST", "/v1/releases", rel(status="released"), 422,
     "status", "draft or planned"),
    ("release_status_unknown", "POST", "/v1/releases", rel(status="shipped"), 422,
     "status", "must be one of"),
    ("sha256_63_chars", "POST", "/v1/releases", rel(artifacts=[art(sha256="a" * 63)]),
     422, "artifacts[0].sha256", "64"),
    ("sha256_non_hex", "POST", "/v1/releases", rel(artifacts=[art(sha256="g" * 64)]),
     422, "artifacts[0].sha256", "hex"),
    ("build_url_ftp", "POST", "/v1/releases", rel(build={"url": "ftp://x"}), 422,
     "build.url", "http:// or https://"),
    ("repo_url_no_host", "POST", "/v1/services", svc(repo="http://"), 422, "repo",
     "no host"),
    ("commit_non_hex", "POST", "/v1/releases", rel(commit="xyz1234"), 422, "commit",
     "hex"),
    ("commit_short", "POST", "/v1/releases", rel(commit="abc12"), 422, "commit",
     "at least 7"),
    ("tag_key_invalid", "POST", "/v1/releases", rel(tags={"Bad Key": "v"}), 422,
     "tags.Bad Key", "tags.Bad Key"),
    ("tags_33", "POST", "/v1/services", svc(tags={"k%d" % i: "v" for i in range(33)}),
     422, "tags", "at most 32"),
    ("release_unknown_service", "POST", "/v1/releases", rel(service="nosuch"), 422,
     "service", "does not exist"),
    ("release_duplicate", "POST", "/v1/releases", rel(version="1.0.0", type="minor"), 409,
     "version", "1.0.0"),

    # ---- deployments ----
    ("deploy_unknown_environment", "POST", "/v1/deployments", dep(environment="nowhere"),
     422, "environment", "does not exist"),
    ("deploy_unknown_release_version", "POST", "/v1/deployments",
     dep(release="svc@9.9.9"), 422, "release", "svc@9.9.9"),
    ("deploy_unknown_release_id", "POST", "/v1/deployments", dep(release=99999), 422,
     "release", "99999"),
    ("deploy_release_not_semver", "POST", "/v1/deployments", dep(release="svc@v1"), 422,
     "release", "svc@v1"),
    ("deploy_target_not_in_env", "POST", "/v1/deployments", dep(target="eu-west"), 422,
     "target", "no target 'eu-west'"),
    ("deploy_strategy_bad", "POST", "/v1/deployments", dep(strategy="big_bang"), 422,
     "strategy", "must be one of"),
    ("deploy_status_succeeded", "POST", "/v1/deployments", dep(status="succeeded"), 422,
     "status", "must be one of"),
    ("deploy_pipeline_ftp", "POST", "/v1/deployments", dep(pipeline_url="ftp://ci"), 422,
     "pipeline_url", "http:// or https://"),

    # ---- events ----
    ("event_no_fields", "POST", EV, body({}), 422, "status",
     "needs a status, a traffic_percent or a message"),
    ("event_only_source", "POST", EV, body({"source": "cli"}), 422, "status",
     "needs a status"),
    ("event_traffic_101", "POST", EV, body({"traffic_percent": 101}), 422,
     "traffic_percent", "between 0 and 100"),
    ("event_traffic_minus_1", "POST", EV, body({"traffic_percent": -1}), 422,
     "traffic_percent", "between 0 and 100"),
    ("event_traffic_string", "POST", EV, body({"traffic_percent": "50"}), 422,
     "traffic_percent", "must be an integer"),
    ("event_traffic_on_rolling", "POST", EV2, body({"traffic_percent": 10}), 422,
     "traffic_percent", "not rolling"),
    ("event_at_feb_30", "POST", EV, body({"message": "m", "at": "2026-02-30T00:00:00Z"}),
     422, "at", "day 30"),
    ("event_at_not_a_time", "POST", EV, body({"message": "m", "at": "yesterday"}), 422,
     "at", "RFC 3339"),
    ("event_source_bad", "POST", EV, body({"message": "m", "source": "email"}), 422,
     "source", "must be one of"),
    ("event_status_unknown", "POST", EV, body({"status": "done"}), 422, "status",
     "must be one of"),
    ("event_in_progress_to_queued", "POST", EV, body({"status": "queued"}), 409, "status",
     "from in_progress to queued"),
    ("event_queued_to_verified", "POST", EV2, body({"status": "verified"}), 409, "status",
     "from queued to verified"),
    ("event_unknown_deployment", "POST", "/v1/deployments/99999/events",
     body({"message": "m"}), 404, None, "99999"),
    ("rollback_nothing_before", "POST", "/v1/deployments/{dep1}/rollback", body({}), 409,
     "status", "nothing to roll back to"),
    ("rollback_queued", "POST", "/v1/deployments/{dep2}/rollback",
     body({"reason": "x"}), 409, "status", "queued deployment cannot be rolled back"),
    ("rollback_unknown_field", "POST", "/v1/deployments/{dep1}/rollback",
     body({"why": "x"}), 422, "why", "not a known field"),

    # ---- updates, conflicts, preconditions ----
    ("release_in_progress_to_draft", "PATCH", "/v1/releases/svc@1.0.0",
     body({"status": "draft"}), 409, "status", "from in_progress to draft"),
    ("release_patch_version", "PATCH", "/v1/releases/{rel}", body({"version": "1.0.1"}),
     422, "version", "cannot be changed"),
    ("service_patch_name", "PATCH", "/v1/services/svc", body({"name": "svc3"}), 422,
     "name", "cannot be changed"),
    ("service_patch_tier_0", "PATCH", "/v1/services/svc", body({"tier": 0}), 422, "tier",
     "between 1 and 4"),
    ("service_duplicate", "POST", "/v1/services", body({"name": "svc", "owner": "x"}),
     409, "name", "svc"),
    ("environment_duplicate", "POST", "/v1/environments",
     body({"name": "prod", "rank": 30}), 409, "name", "prod"),
    ("service_delete_with_releases", "DELETE", "/v1/services/svc", {}, 409, "name",
     "releases"),
    ("environment_delete_with_deployments", "DELETE", "/v1/environments/staging", {}, 409,
     "name", "deployments"),
    ("service_stale_if_match", "PATCH", "/v1/services/svc",
     body({"owner": "x"}, headers={"If-Match": '"99"'}), 412, None, "If-Match"),
    ("service_delete_stale_if_match", "DELETE", "/v1/services/svc",
     {"headers": {"If-Match": '"0"'}}, 412, None, "If-Match"),
    ("release_stale_if_match", "PATCH", "/v1/releases/{rel}",
     body({"notes": "x"}, headers={"If-Match": 'W/"42"'}), 412, None, "If-Match"),
    ("idempotency_key_300", "POST", "/v1/services",
     svc(), 400, "Idempotency-Key", "1 to 255"),
    ("idempotency_key_other_body", "POST", "/v1/services",
     body({"name": "svc", "owner": "someone-else"},
          headers={"Idempotency-Key": "world-svc"}), 422, "Idempotency-Key",
     "different request"),
    ("token_role_bad", "POST", "/v1/tokens", body({"name": "bot", "role": "god"}), 422,
     "role", "must be one of"),
    ("token_name_bad", "POST", "/v1/tokens", body({"name": "a b", "role": "auditor"}),
     422, "name", "letters, digits"),

    # ---- authentication (401) ----
    ("auth_missing", "POST", "/v1/services", body(dict(SVC), auth=False), 401, None,
     "Authorization: Bearer"),
    ("auth_wrong_token", "POST", "/v1/services", body(dict(SVC), token="not-a-real-token"), 401, None,
     "revoked"),
    ("auth_basic", "POST", "/v1/services",
     body(dict(SVC), auth=False,
          headers={"Authorization": "Basic YWRtaW46YWRtaW4="}), 401, None,
     "Bearer"),
    ("auth_missing_on_get", "GET", "/v1/services", {"auth": False}, 401, None, "Bearer"),

    # ---- media type and size ----
    ("content_type_text_plain", "POST", "/v1/services",
     {"raw": b'{"name":"svc2","owner":"t"}', "headers": {"Content-Type": "text/plain"}},
     415, None, "application/json"),
    ("content_type_none", "POST", "/v1/services", {"raw": b'{"name":"svc2","owner":"t"}'},
     415, None, "no Content-Type"),
    ("content_type_jsonx", "POST", "/v1/services",
     {"raw": b'{"name":"svc2","owner":"t"}',
      "headers": {"Content-Type": "application/jsonx"}}, 415, None, "application/json"),
    ("body_over_1mib", "POST", "/v1/releases",
     rel(notes="n" * (1024 * 1024 + 16)), 413, None, "larger than"),

    # ---- routes, methods, ids (400, 404, 405) ----
    ("route_unknown", "GET", "/v1/nothing", {}, 404, None, "no route"),
    ("route_unknown_post", "POST", "/v1/service", svc(), 404, None, "no route"),
    ("method_put_services", "PUT", "/v1/services", svc(), 405, None, "not allowed"),
    ("method_delete_release", "DELETE", "/v1/releases/{rel}", {}, 405, None,
     "not allowed"),
    ("method_patch_deployment", "PATCH", "/v1/deployments/{dep1}",
     body({"status": "failed"}), 405, None, "not allowed"),
    ("release_unknown_id", "GET", "/v1/releases/99999", {}, 404, None, "99999"),
    ("release_unknown_version", "GET", "/v1/releases/svc@9.9.9", {}, 404, None,
     "svc@9.9.9"),
    ("release_patch_unknown", "PATCH", "/v1/releases/svc@9.9.9", body({"notes": "x"}),
     404, None, "svc@9.9.9"),
    ("deployment_non_numeric", "GET", "/v1/deployments/abc", {}, 400, "id", "abc"),
    ("deployment_unknown", "GET", "/v1/deployments/99999", {}, 404, None, "99999"),
    ("deployment_events_non_numeric", "GET", "/v1/deployments/1x/events", {}, 400, "id",
     "1x"),
    ("service_patch_unknown", "PATCH", "/v1/services/nosuch", body({"owner": "x"}), 404,
     None, "nosuch"),
    ("environment_delete_unknown", "DELETE", "/v1/environments/nosuch", {}, 404, None,
     "nosuch"),

    # ---- query strings (400) ----
    ("query_limit_0", "GET", "/v1/services?limit=0", {}, 400, "limit",
     "between 1 and 500"),
    ("query_limit_abc", "GET", "/v1/services?limit=abc", {}, 400, "limit",
     "non-negative integer"),
    ("query_limit_501", "GET", "/v1/releases?limit=501", {}, 400, "limit",
     "between 1 and 500"),
    ("query_since_yesterday", "GET", "/v1/releases?since=yesterday", {}, 400, "since",
     "RFC 3339"),
    ("query_until_month_13", "GET", "/v1/deployments?until=2026-13-01T00:00:00Z", {}, 400,
     "until", "month 13"),
    ("query_tag_novalue", "GET", "/v1/releases?tag=novalue", {}, 400, "tag", "key=value"),
    ("query_tag_no_key", "GET", "/v1/status?tag==v", {}, 400, "tag", "key=value"),
    ("query_cursor_negative", "GET", "/v1/deployments?cursor=-5", {}, 400, "cursor",
     "non-negative integer"),
    ("query_audit_after_abc", "GET", "/v1/audit?after=abc", {}, 400, "after",
     "non-negative integer"),
]

# Per-row extras that do not fit the table's columns.
EXTRA_HEADERS = {
    "idempotency_key_300": {"Idempotency-Key": "k" * 300},
}

# The Allow header a 405 row must carry: exactly the path's methods.
ALLOW = {
    "method_put_services": "GET, POST",
    "method_delete_release": "GET, PATCH",
    "method_patch_deployment": "GET",
}

WORLD = {}


def ok(d, method, path, b=None, want=(200, 201)):
    s, h, r = d.request(method, path, b)
    check(s in want, "%s %s -> %s %r" % (method, path, s, r))
    return r


def world(d):
    """Creates the known world once."""
    if WORLD:
        return WORLD
    s, _, r = d.request("POST", "/v1/services",
                        {"name": "svc", "owner": "payments", "tier": 2,
                         "repo": "https://git.example/svc", "tags": {"team": "pay"}},
                        headers={"Idempotency-Key": "world-svc"})
    eq(s, 201, "create svc (%r)" % (r,))
    ok(d, "POST", "/v1/environments", {"name": "staging", "rank": 10,
                                        "targets": ["eu-west", "us-east"]})
    ok(d, "POST", "/v1/environments", {"name": "prod", "rank": 20, "protected": True,
                                        "targets": ["us-east"]})
    r = ok(d, "POST", "/v1/releases", {"service": "svc", "version": "1.0.0", "type": "major",
                                        "commit": "abcdef1", "artifacts": [ART]})
    WORLD["rel"] = r["id"]
    r = ok(d, "POST", "/v1/deployments", {"release": "svc@1.0.0", "environment": "staging",
                                          "target": "eu-west", "strategy": "canary",
                                          "status": "in_progress"})
    WORLD["dep1"] = r["id"]
    eq(r["status"], "in_progress", "dep1 status")
    r = ok(d, "POST", "/v1/deployments", {"release": WORLD["rel"], "environment": "prod",
                                          "target": "us-east"})
    WORLD["dep2"] = r["id"]
    eq(r["status"], "queued", "dep2 status")
    r = ok(d, "GET", "/v1/releases/svc@1.0.0")
    eq(r["status"], "in_progress", "release status")
    return WORLD


def all_items(d, path):
    """Every item of a list, following next_cursor."""
    items, cursor = [], None
    for _ in range(1000):
        sep = "&" if "?" in path else "?"
        p = path + ("%scursor=%s" % (sep, cursor) if cursor else "")
        r = ok(d, "GET", p, want=(200,))
        items.extend(r["items"])
        cursor = r.get("next_cursor")
        if not cursor:
            return items
    raise AssertionError("list %s does not end" % path)


def snapshot(d):
    snap = {
        "audit": all_items(d, "/v1/audit?limit=500"),
        "services": all_items(d, "/v1/services?limit=500"),
        "environments": all_items(d, "/v1/environments"),
        "releases": all_items(d, "/v1/releases?limit=500"),
        "deployments": all_items(d, "/v1/deployments?limit=500"),
        # last_used_at is bookkeeping, written behind the requests.
        "tokens": [{k: v for k, v in t.items() if k != "last_used_at"}
                   for t in ok(d, "GET", "/v1/tokens", want=(200,))["items"]],
    }
    for k in ("dep1", "dep2"):
        snap[k] = ok(d, "GET", "/v1/deployments/%d" % WORLD[k], want=(200,))
        snap[k + "_events"] = all_items(d, "/v1/deployments/%d/events" % WORLD[k])
    snap["release"] = ok(d, "GET", "/v1/releases/%d" % WORLD["rel"], want=(200,))
    snap["service"] = ok(d, "GET", "/v1/services/svc", want=(200,))
    return snap


def compare(before, after):
    for k in before:
        if before[k] != after[k]:
            if k == "audit":
                raise AssertionError("audit log grew from %d to %d entries: %r" % (
                    len(before[k]), len(after[k]), after[k][len(before[k]):]))
            raise AssertionError("%s changed:\nbefore %r\nafter  %r" % (
                k, before[k], after[k]))


def check_problem(name, status, hdrs, doc, want_status, field, substr):
    eq(status, want_status, name + ": status (body %r)" % (doc,))
    ct = hdrs.get("content-type", "")
    check(ct.split(";")[0].strip() == "application/problem+json",
          "%s: content-type %r" % (name, ct))
    check(isinstance(doc, dict), "%s: body is not a JSON object: %r" % (name, doc))
    t = doc.get("type")
    check(isinstance(t, str) and (t.startswith("https://") or t.startswith("http://")),
          "%s: type %r is not a URL" % (name, t))
    check(isinstance(doc.get("title"), str) and doc["title"],
          "%s: title %r" % (name, doc.get("title")))
    eq(doc.get("status"), want_status, name + ": body status")
    check(isinstance(doc.get("detail"), str) and doc["detail"],
          "%s: detail %r" % (name, doc.get("detail")))
    eq(doc.get("instance"), hdrs.get("x-request-id"), name + ": instance is the request id")
    errors = doc.get("errors") or []
    texts = [doc["detail"]]
    if field is not None:
        check(not doc["detail"].startswith(field + " " + field + " "),
              "%s: detail names the field twice: %r" % (name, doc["detail"]))
    if field is not None:
        check(isinstance(errors, list), "%s: errors %r" % (name, errors))
        hits = [e for e in errors if isinstance(e, dict) and e.get("field") == field]
        check(hits, "%s: no errors[] entry for field %r in %r" % (name, field, errors))
        for e in hits:
            check(isinstance(e.get("message"), str) and e["message"],
                  "%s: empty message for %r" % (name, field))
    for e in errors:
        if isinstance(e, dict) and isinstance(e.get("message"), str):
            texts.append(e["message"])
    if substr:
        check(any(substr.lower() in s.lower() for s in texts),
              "%s: %r not in detail/messages %r" % (name, substr, texts))
    if want_status == 401:
        check(hdrs.get("www-authenticate", "").startswith("Bearer"),
              "%s: www-authenticate %r" % (name, hdrs.get("www-authenticate")))
    if want_status == 405:
        check(hdrs.get("allow"), "%s: no Allow header" % name)
        got = sorted(m.strip() for m in hdrs["allow"].split(","))
        check(ALLOW.get(name) is None or got == sorted(ALLOW[name].split(", ")),
              "%s: Allow %r, want %r" % (name, hdrs["allow"], ALLOW.get(name)))


def fmt(s):
    return s.format(**WORLD) if isinstance(s, str) else s


def make_test(row):
    name, method, path, req, want_status, field, substr = row

    def test(d):
        world(d)
        kw = {}
        if "raw" in req:
            kw["raw"] = req["raw"]
        elif "body" in req:
            kw["body"] = req["body"]
        headers = {k: fmt(v) for k, v in req.get("headers", {}).items()}
        headers.update(EXTRA_HEADERS.get(name, {}))
        if headers:
            kw["headers"] = headers
        if "auth" in req:
            kw["auth"] = req["auth"]
        if "token" in req:
            kw["token"] = req["token"]
        before = snapshot(d)
        status, hdrs, doc = d.request(method, fmt(path), **kw)
        check(status < 500, "%s: server error %s %r" % (name, status, doc))
        check_problem(name, status, hdrs, doc, want_status, field, substr)
        compare(before, snapshot(d))

    test.__name__ = "test_" + name
    return test


def test_table_is_well_formed(d):
    names = [r[0] for r in TABLE]
    eq(len(names), len(set(names)), "row names are unique")
    check(len(TABLE) >= 60, "at least 60 rows")
    for r in TABLE:
        check(r[4] in (400, 401, 404, 405, 409, 412, 413, 415, 422), "%s status" % r[0])


def test_zz_snapshot_sees_a_write(d):
    """The snapshot is not blind: an accepted write shows up in it. Runs
    last (sorted name) since it changes the world."""
    world(d)
    before = snapshot(d)
    ok(d, "PATCH", "/v1/services/svc", {"owner": "payments-2"})
    try:
        compare(before, snapshot(d))
    except AssertionError as e:
        check("audit log grew from" in str(e), "audit is compared first: %s" % e)
        return
    raise AssertionError("a write went unnoticed by the snapshot")


for _row in TABLE:
    globals()["test_" + _row[0]] = make_test(_row)

if __name__ == "__main__":
    sys.exit(run_tests(globals()))
