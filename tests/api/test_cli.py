#!/usr/bin/env python3
"""End-to-end tests of the shiplog CLI against the real daemon.

Each test runs build/debug/shiplog as a subprocess against one shiplogd
started by the harness, and checks what the CLI printed and returned
against what the API itself then answers (d.request). A few tests use a
tiny local HTTP server instead, to see the exact headers the CLI sends
and how it treats 5xx and unreadable answers.
"""
import http.server
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, run_tests  # noqa: E402,F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "build", "debug", "shiplog")
SHA = "ab" * 32
_seq = itertools.count(1)


def uniq(prefix):
    """A slug no other test uses, so tests can share one daemon."""
    return "%s-%d" % (prefix, next(_seq))


def cli(d, *args, token=True, url=None, env=None):
    """Runs the CLI; returns (exit code, stdout, stderr)."""
    argv = [CLI, "--url", url or d.url]
    if token is True:
        argv += ["--token", d.token]
    elif token:
        argv += ["--token", token]
    e = {k: v for k, v in os.environ.items()
         if k not in ("SHIPLOG_URL", "SHIPLOG_TOKEN")}
    e.update(env or {})
    p = subprocess.run(argv + list(args), capture_output=True, text=True,
                       timeout=60, env=e)
    return p.returncode, p.stdout, p.stderr


def cli_json(d, *args):
    """Runs the CLI with --json, asserts exit 0, returns the parsed JSON."""
    rc, out, err = cli(d, "--json", *args)
    assert rc == 0, "exit %d for %r: %s" % (rc, args, err)
    return json.loads(out)


def check(cond, *what):
    if not cond:
        raise AssertionError(" ".join(str(w) for w in what))


def eq(got, want, what=""):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def api(d, method, path, body=None, want=None):
    status, _, doc = d.request(method, path, body)
    if want is not None:
        eq(status, want, "%s %s (%s)" % (method, path, doc))
    return doc


def make_service(d, name=None, **extra):
    name = name or uniq("svc")
    api(d, "POST", "/v1/services", dict(name=name, owner="team", **extra),
        201)
    return name


def make_env(d, name=None, rank=None, **extra):
    name = name or uniq("env")
    api(d, "POST", "/v1/environments",
        dict(name=name, rank=rank if rank is not None else next(_seq),
             **extra), 201)
    return name


def make_release(d, service, version, type_="minor"):
    return api(d, "POST", "/v1/releases",
               {"service": service, "version": version, "type": type_}, 201)


def table_rows(out):
    """Splits a human table into lists of cells (header first)."""
    return [line.split() for line in out.splitlines() if line.strip()]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- services ---------------------------------------------------------------

def test_service_create_sends_every_option(d):
    name = uniq("api")
    got = cli_json(d, "service", "create", name, "--owner", "payments",
                   "--tier", "2", "--repo", "https://git.example/api",
                   "--tag", "bu=retail", "--tag", "region=eu",
                   "--naming-template", "{service}-v{version}")
    eq(got["name"], name, "answer name")
    doc = api(d, "GET", "/v1/services/" + name, want=200)
    eq(doc["owner"], "payments", "owner")
    eq(doc["tier"], 2, "tier")
    eq(doc["repo"], "https://git.example/api", "repo")
    eq(doc["tags"], {"bu": "retail", "region": "eu"}, "tags")
    eq(doc["naming_template"], "{service}-v{version}", "template")


def test_service_list_prints_an_aligned_table(d):
    tag = uniq("list")
    a = make_service(d, tags={"t": tag})
    b = make_service(d, tags={"t": tag})
    rc, out, err = cli(d, "service", "list", "--tag", "t=" + tag)
    eq(rc, 0, "exit: " + err)
    rows = table_rows(out)
    eq(rows[0][:3], ["NAME", "OWNER", "TIER"], "header")
    eq(sorted(r[0] for r in rows[1:]), sorted([a, b]), "rows")
    lines = out.splitlines()
    check(lines[1].index("team") == lines[0].index("OWNER"),
          "OWNER column not aligned:\n" + out)


def test_service_get_prints_key_value_lines(d):
    name = make_service(d, tier=1)
    rc, out, _ = cli(d, "service", "get", name)
    eq(rc, 0, "exit")
    check("name: %s\n" % name in out, out)
    check("tier: 1\n" in out, out)


def test_service_update_adds_a_tag_and_keeps_the_others(d):
    name = make_service(d, tags={"a": "1"})
    cli_json(d, "service", "update", name, "--tag", "b=2", "--tier", "4")
    doc = api(d, "GET", "/v1/services/" + name, want=200)
    eq(doc["tags"], {"a": "1", "b": "2"}, "tags")
    eq(doc["tier"], 4, "tier")
    eq(doc["owner"], "team", "owner untouched")


def test_service_delete_removes_it(d):
    name = make_service(d)
    rc, out, _ = cli(d, "service", "delete", name)
    eq(rc, 0, "exit")
    api(d, "GET", "/v1/services/" + name, want=404)


# --- environments -----------------------------------------------------------

def test_env_create_with_targets_and_protection(d):
    name = uniq("prod")
    cli_json(d, "env", "create", name, "--rank", "900", "--protected",
             "--target", "eu-west", "--target", "us-east",
             "--timezone", "Europe/Paris", "--max-concurrent", "2")
    doc = api(d, "GET", "/v1/environments/" + name, want=200)
    eq(doc["rank"], 900, "rank")
    eq(doc["protected"], True, "protected")
    eq(doc["targets"], ["eu-west", "us-east"], "targets")
    eq(doc["timezone"], "Europe/Paris", "timezone")
    eq(doc["max_concurrent"], 2, "max_concurrent")


def test_env_update_can_unprotect(d):
    name = make_env(d, protected=True)
    cli_json(d, "env", "update", name, "--no-protected")
    eq(api(d, "GET", "/v1/environments/" + name, want=200)["protected"],
       False, "protected")


def test_env_list_shows_the_environment(d):
    name = make_env(d)
    rc, out, _ = cli(d, "env", "list", "--all")
    eq(rc, 0, "exit")
    check(any(r[0] == name for r in table_rows(out)[1:]), out)


# --- releases ---------------------------------------------------------------

def test_release_create_splits_service_at_version(d):
    svc = make_service(d)
    got = cli_json(d, "release", "create", svc + "@1.2.3", "--type", "minor",
                   "--status", "planned", "--commit", "abcdef1",
                   "--git-tag", "v1.2.3", "--build-url", "https://ci/1",
                   "--builder", "jenkins",
                   "--artifact", "app=oci://reg/app@1.2.3@" + SHA,
                   "--change-request", "CHG0031337",
                   "--rollback-target", "1.2.2", "--notes", "fast",
                   "--known-issues", "none", "--tag", "train=q3")
    eq(got["service"], svc, "service")
    eq(got["version"], "1.2.3", "version")
    doc = api(d, "GET", "/v1/releases/%s@1.2.3" % svc, want=200)
    eq(doc["id"], got["id"], "id")
    eq(doc["status"], "planned", "status")
    eq(doc["commit"], "abcdef1", "commit")
    eq(doc["build"]["url"], "https://ci/1", "build.url")
    eq(doc["build"]["builder"], "jenkins", "build.builder")
    eq(doc["artifacts"][0]["name"], "app", "artifact name")
    eq(doc["artifacts"][0]["uri"], "oci://reg/app@1.2.3", "artifact uri")
    eq(doc["artifacts"][0]["sha256"], SHA, "artifact sha256")
    eq(doc["rollback"]["target_version"], "1.2.2", "rollback target")
    eq(doc["tags"], {"train": "q3"}, "tags")


def test_release_create_sends_dependencies_signatures_and_rollback_plan(d):
    svc, dep = make_service(d), make_service(d)
    # The signature may come before its artifact on the command line.
    cli_json(d, "release", "create", svc + "@2.0.0", "--type", "major",
             "--artifact-signature", "app=MEUCIQ-sig",
             "--artifact", "app=oci://reg/app@" + SHA,
             "--artifact", "docs=https://x/docs.tgz@" + SHA,
             "--dependency", dep + "@^2.1", "--dependency", dep + "@<3",
             "--rollback-criteria", "error rate above 1%",
             "--rollback-procedure", "helm rollback app")
    doc = api(d, "GET", "/v1/releases/%s@2.0.0" % svc, want=200)
    eq(doc["artifacts"][0].get("signature"), "MEUCIQ-sig", "signature")
    check("signature" not in doc["artifacts"][1], "unsigned: %r" % doc)
    eq(doc["dependencies"], [{"service": dep, "range": "^2.1"},
                             {"service": dep, "range": "<3"}],
       "dependencies")
    eq(doc["rollback"]["criteria"], "error rate above 1%", "criteria")
    eq(doc["rollback"]["procedure"], "helm rollback app", "procedure")
    cli_json(d, "release", "update", svc + "@2.0.0",
             "--dependency", dep + "@~2.2.0")
    doc = api(d, "GET", "/v1/releases/%s@2.0.0" % svc, want=200)
    eq(doc["dependencies"], [{"service": dep, "range": "~2.2.0"}],
       "dependencies replaced on update")


def test_bad_dependency_or_signature_is_a_usage_error(d):
    svc = make_service(d)
    for extra in (["--dependency", "no-range"],
                  ["--artifact-signature", "app=SIG"],
                  ["--artifact", "app=oci://x@" + SHA,
                   "--artifact-signature", "other=SIG"]):
        rc, _, err = cli(d, "release", "create", svc + "@1.0.0", "--type",
                         "minor", *extra)
        eq(rc, 2, "exit for %r: %s" % (extra, err))
    doc = api(d, "GET", "/v1/releases?service=" + svc, want=200)
    eq(doc["items"], [], "nothing created")


def test_release_create_without_at_is_a_usage_error(d):
    svc = make_service(d)
    rc, _, err = cli(d, "release", "create", svc, "--type", "minor")
    eq(rc, 2, "exit")
    check("--help" in err, err)
    doc = api(d, "GET", "/v1/releases?service=" + svc, want=200)
    eq(doc["items"], [], "nothing created")


def test_release_status_moves_the_release(d):
    svc = make_service(d)
    make_release(d, svc, "2.0.0", "major")
    rc, out, err = cli(d, "release", "status", svc + "@2.0.0", "planned")
    eq(rc, 0, "exit: " + err)
    check("status: planned" in out, out)
    eq(api(d, "GET", "/v1/releases/%s@2.0.0" % svc)["status"], "planned",
       "status")


def test_release_status_impossible_transition_exits_1(d):
    svc = make_service(d)
    make_release(d, svc, "2.0.0", "major")
    rc, _, err = cli(d, "release", "status", svc + "@2.0.0", "released")
    eq(rc, 1, "exit")
    check(err.startswith("shiplog: "), err)


def test_release_update_notes_and_tags(d):
    svc = make_service(d)
    rel = make_release(d, svc, "1.0.0")
    cli_json(d, "release", "update", str(rel["id"]), "--notes", "hello",
             "--tag", "k=v")
    doc = api(d, "GET", "/v1/releases/%d" % rel["id"], want=200)
    eq(doc["notes"], "hello", "notes")
    eq(doc["tags"], {"k": "v"}, "tags")


def test_release_list_filters_by_service(d):
    svc = make_service(d)
    make_release(d, svc, "1.0.0")
    make_release(d, svc, "1.1.0")
    make_release(d, make_service(d), "9.9.9")
    got = cli_json(d, "release", "list", "--service", svc)
    eq(sorted(r["version"] for r in got["items"]), ["1.0.0", "1.1.0"],
       "versions")
    rc, out, _ = cli(d, "release", "list", "--service", svc)
    eq(rc, 0, "exit")
    rows = table_rows(out)
    eq(rows[0][:5], ["ID", "SERVICE", "VERSION", "TYPE", "STATUS"],
       "header")
    eq(len(rows), 3, "rows:\n" + out)


# --- deployments and the matrix ---------------------------------------------

def deploy_setup(d):
    svc = make_service(d)
    env = make_env(d, targets=["eu-west"])
    make_release(d, svc, "1.0.0")
    return svc, env


def test_deploy_event_and_status_matrix(d):
    svc, env = deploy_setup(d)
    dep = cli_json(d, "deploy", svc + "@1.0.0", env, "--target", "eu-west",
                   "--status", "in_progress", "--deployer", "alice",
                   "--pipeline-url", "https://ci/run/7")
    eq(dep["service"], svc, "service")
    eq(dep["environment"], env, "environment")
    eq(dep["status"], "in_progress", "status")
    got = cli_json(d, "deploy", "event", str(dep["id"]), "--status",
                   "succeeded", "--message", "all green")
    eq(got["event"]["source"], "cli", "event source")
    eq(got["deployment"]["status"], "succeeded", "deployment status")
    doc = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
    eq(doc["deployer"], "alice", "deployer")
    eq(doc["pipeline_url"], "https://ci/run/7", "pipeline_url")
    check(any(e["source"] == "cli" and e["message"] == "all green"
              for e in doc["events"]), doc["events"])

    matrix = cli_json(d, "status", "--service", svc)
    eq(len(matrix["items"]), 1, "rows")
    eq(matrix["items"][0]["running"]["version"], "1.0.0", "running")
    rc, out, _ = cli(d, "status", "--service", svc, "--env", env)
    eq(rc, 0, "exit")
    rows = table_rows(out)
    eq(rows[0], ["SERVICE", "ENVIRONMENT", "TARGET", "RUNNING", "SINCE",
                 "LATEST", "BY"], "header")
    eq(rows[1][:4], [svc, env, "eu-west", "1.0.0"], "row")
    check("1.0.0 (succeeded)" in out, out)
    check(out.rstrip().endswith("alice"), out)


def test_status_shows_every_page_unless_one_is_asked_for(d):
    svc = uniq("svc")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "t"}, 201)
    api(d, "POST", "/v1/releases",
        {"service": svc, "version": "1.0.0", "type": "minor"}, 201)
    envs = []
    for rank in (1, 2, 3):
        env = uniq("env")
        api(d, "POST", "/v1/environments", {"name": env, "rank": rank}, 201)
        envs.append(env)
        api(d, "POST", "/v1/deployments",
            {"release": svc + "@1.0.0", "environment": env}, 201)
    # --limit asks for one page: its rows and a hint for the rest.
    rc, out, err = cli(d, "status", "--service", svc, "--limit", "1")
    eq(rc, 0, "exit")
    eq([r[1] for r in table_rows(out)[1:]], envs[:1], "one page")
    check("--cursor %s~%s~" % (svc, envs[0]) in err, err)
    page = cli_json(d, "status", "--service", svc, "--limit", "2")
    eq(page["next_cursor"], "%s~%s~" % (svc, envs[1]), "json page")
    nxt = cli_json(d, "status", "--service", svc, "--limit", "2",
                   "--cursor", page["next_cursor"])
    eq([r["environment"] for r in nxt["items"]], envs[2:], "next page")
    # --limit with --all, and plain "status", show the whole matrix.
    whole = cli_json(d, "status", "--service", svc, "--limit", "1", "--all")
    eq([r["environment"] for r in whole["items"]], envs, "--all")
    eq(whole["next_cursor"], None, "--all ends")
    rc, out, err = cli(d, "status", "--service", svc)
    eq([r[1] for r in table_rows(out)[1:]], envs, "plain status")
    check("more:" not in err, err)


def test_deploy_get_shows_the_timeline(d):
    svc, env = deploy_setup(d)
    dep = cli_json(d, "deploy", svc + "@1.0.0", env)
    cli_json(d, "deploy", "event", str(dep["id"]), "--status", "in_progress")
    rc, out, _ = cli(d, "deploy", "get", str(dep["id"]))
    eq(rc, 0, "exit")
    check("status: in_progress" in out, out)
    check("timeline:" in out, out)
    check(re.search(r"^SEQ\s+AT\s+STATUS", out, re.M), out)


def test_deploy_list_filters_by_environment(d):
    svc, env = deploy_setup(d)
    other = make_env(d)
    cli_json(d, "deploy", svc + "@1.0.0", env)
    cli_json(d, "deploy", svc + "@1.0.0", other)
    got = cli_json(d, "deploy", "list", "--service", svc, "--env", other)
    eq([x["environment"] for x in got["items"]], [other], "environments")


def test_release_list_filters_by_environment(d):
    svc, env = deploy_setup(d)
    make_release(d, svc, "1.1.0")
    cli_json(d, "deploy", svc + "@1.0.0", env)
    got = cli_json(d, "release", "list", "--service", svc, "--env", env)
    eq([x["version"] for x in got["items"]], ["1.0.0"], "deployed there")
    got = cli_json(d, "release", "list", "--service", svc)
    eq(len(got["items"]), 2, "both without --env")


def test_deploy_list_filters_by_release_type_and_tag(d):
    svc, env = deploy_setup(d)
    api(d, "POST", "/v1/releases", {"service": svc, "version": "1.0.1",
                                    "type": "hotfix",
                                    "tags": {"train": "q4"}}, 201)
    cli_json(d, "deploy", svc + "@1.0.0", env)
    cli_json(d, "deploy", svc + "@1.0.1", env)
    got = cli_json(d, "deploy", "list", "--service", svc, "--type", "hotfix")
    eq([x["version"] for x in got["items"]], ["1.0.1"], "by type")
    got = cli_json(d, "deploy", "list", "--service", svc, "--tag",
                   "train=q4")
    eq([x["version"] for x in got["items"]], ["1.0.1"], "by tag")
    got = cli_json(d, "deploy", "list", "--service", svc, "--type", "minor")
    eq([x["version"] for x in got["items"]], ["1.0.0"], "the other type")


def test_deploy_event_source_defaults_to_cli_and_can_be_given(d):
    svc, env = deploy_setup(d)
    dep = cli_json(d, "deploy", svc + "@1.0.0", env)
    cli_json(d, "deploy", "event", str(dep["id"]), "--message", "a")
    cli_json(d, "deploy", "event", str(dep["id"]), "--message", "b",
             "--source", "health_check")
    doc = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
    eq([(e["message"], e["source"]) for e in doc["events"]
        if e.get("message") in ("a", "b")],
       [("a", "cli"), ("b", "health_check")], "sources")


def test_deploy_event_traffic_needs_canary(d):
    svc, env = deploy_setup(d)
    dep = cli_json(d, "deploy", svc + "@1.0.0", env, "--strategy", "canary",
                   "--status", "in_progress")
    got = cli_json(d, "deploy", "event", str(dep["id"]), "--traffic", "25")
    eq(got["deployment"]["traffic_percent"], 25, "traffic")
    rolling = cli_json(d, "deploy", svc + "@1.0.0", env, "--status",
                       "in_progress")
    rc, _, err = cli(d, "deploy", "event", str(rolling["id"]), "--traffic",
                     "25")
    eq(rc, 1, "exit for traffic on rolling: " + err)


def test_deploy_rollback_returns_to_the_previous_version(d):
    svc, env = deploy_setup(d)
    make_release(d, svc, "1.1.0")
    for v in ("1.0.0", "1.1.0"):
        dep = cli_json(d, "deploy", "%s@%s" % (svc, v), env, "--status",
                       "in_progress")
        cli_json(d, "deploy", "event", str(dep["id"]), "--status",
                 "succeeded")
    back = cli_json(d, "deploy", "rollback", str(dep["id"]), "--reason",
                    "errors up")
    eq(back["version"], "1.0.0", "version")
    eq(back["rollback_of"], dep["id"], "rollback_of")
    eq(api(d, "GET", "/v1/deployments/%d" % dep["id"])["status"],
       "rolled_back", "old status")


# --- lists, audit, tokens ---------------------------------------------------

def test_all_follows_next_cursor(d):
    tag = uniq("page")
    names = sorted(make_service(d, tags={"p": tag}) for _ in range(5))
    page = cli_json(d, "service", "list", "--tag", "p=" + tag, "--limit",
                    "2")
    eq(len(page["items"]), 2, "one page")
    check(page["next_cursor"], "next_cursor", page)
    every = cli_json(d, "service", "list", "--tag", "p=" + tag, "--limit",
                     "2", "--all")
    eq(sorted(s["name"] for s in every["items"]), names, "all pages")
    eq(every["next_cursor"], None, "exhausted")
    rc, out, err = cli(d, "service", "list", "--tag", "p=" + tag,
                       "--limit", "2")
    eq(rc, 0, "exit")
    check("--all" in err, "hint about more pages: " + err)


def test_audit_list_shows_writes(d):
    name = make_service(d)
    got = cli_json(d, "audit", "list", "--all")
    seqs = [e["seq"] for e in got["items"]]
    eq(seqs, sorted(seqs), "ordered")
    check(any(e["object_id"] == name for e in got["items"]),
          "no audit entry for", name)
    last = seqs[-1]
    eq(cli_json(d, "audit", "list", "--after", str(last))["items"], [],
       "after the last")
    rc, out, _ = cli(d, "audit", "list", "--limit", "3")
    eq(rc, 0, "exit")
    eq(table_rows(out)[0][:4], ["SEQ", "AT", "ACTOR", "ACTION"], "header")


def test_token_create_list_revoke(d):
    name = uniq("ci")
    rc, out, err = cli(d, "--json", "token", "create", "--name", name,
                       "--role", "deployer")
    eq(rc, 0, "exit: " + err)
    tok = json.loads(out)
    check(tok["token"], "secret shown", tok)
    check("once" in err, "warning: " + err)
    rc, _, _ = cli(d, "service", "list", token=tok["token"])
    eq(rc, 0, "the new token works")
    listed = cli_json(d, "token", "list", "--all")
    mine = [t for t in listed["items"] if t["name"] == name]
    eq(len(mine), 1, "listed once")
    check("token" not in mine[0], "secret not listed", mine[0])
    rc, out, _ = cli(d, "token", "revoke", str(tok["id"]))
    eq(rc, 0, "revoke")
    rc, _, _ = cli(d, "service", "list", token=tok["token"])
    eq(rc, 1, "revoked token refused")


def test_token_expiry_and_last_use_in_create_list_and_get(d):
    import time
    name = uniq("brief")
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                            time.gmtime(int(time.time()) + 3600))
    tok = cli_json(d, "token", "create", "--name", name, "--role",
                   "auditor", "--expires", expires)
    eq(tok["expires_at"], expires, "expires_at sent")
    eq(tok["last_used_at"], None, "unused")
    rc, _, _ = cli(d, "service", "list", token=tok["token"])
    eq(rc, 0, "it works before its expiry")
    deadline = time.time() + 6
    while True:
        got = cli_json(d, "token", "get", str(tok["id"]))
        if got["last_used_at"] or time.time() > deadline:
            break
        time.sleep(0.2)
    check(got["last_used_at"], "last_used_at after use: %r" % got)
    check("token" not in got, "no secret: %r" % got)
    rc, out, err = cli(d, "token", "list", "--all")
    eq(rc, 0, "list: " + err)
    rows = table_rows(out)
    head = rows[0]
    for col in ("EXPIRES", "LAST_USED", "REVOKED"):
        check(col in head, "column %s in %r" % (col, head))
    mine = [r for r in rows if len(r) > 1 and r[1] == name]
    eq(len(mine), 1, "listed:\n" + out)
    eq(mine[0][head.index("EXPIRES")], expires, "EXPIRES cell")
    eq(mine[0][head.index("LAST_USED")], got["last_used_at"],
       "LAST_USED cell")
    listed = cli_json(d, "token", "list", "--all")
    me = [t for t in listed["items"] if t["name"] == name][0]
    eq(me["expires_at"], expires, "--json expires_at")
    eq(me["last_used_at"], got["last_used_at"], "--json last_used_at")


def test_token_create_with_a_past_expiry_exits_1_and_says_why(d):
    name = uniq("late")
    rc, out, err = cli(d, "token", "create", "--name", name, "--role",
                       "auditor", "--expires", "2020-01-01T00:00:00Z")
    eq(rc, 1, "exit")
    eq(err, "shiplog: Invalid request: expires_at: must be in the future\n",
       "stderr")
    eq(out, "", "stdout")


# --- exit codes and errors --------------------------------------------------

def test_not_found_exits_1_with_the_problem(d):
    rc, out, err = cli(d, "service", "get", "no-such-service")
    eq(rc, 1, "exit")
    eq(out, "", "stdout")
    check(err.startswith("shiplog: "), err)


def test_invalid_body_exits_1_and_names_the_field(d):
    rc, _, err = cli(d, "service", "create", "Bad_Name", "--owner", "x")
    eq(rc, 1, "exit")
    check(re.search(r"^shiplog: Invalid request: name: ", err, re.M), err)


def test_each_error_is_printed_once_to_stderr_with_title_and_field(d):
    rc, out, err = cli(d, "service", "create", uniq("svc"), "--tier", "9")
    eq(rc, 1, "exit")
    eq(out, "", "stdout")
    eq(sorted(err.splitlines()), [
        "shiplog: Invalid request: owner: is required",
        "shiplog: Invalid request: tier: must be between 1 and 4",
    ], "stderr")
    name = make_service(d)
    rc, _, err = cli(d, "service", "create", name, "--owner", "x")
    eq(rc, 1, "exit")
    eq(err, "shiplog: Conflict: name: service '%s' already exists\n" % name,
       "one line for a conflict")
    rc, _, err = cli(d, "release", "list", "--since", "2026-12-24")
    eq(rc, 1, "exit")
    eq(len(err.splitlines()), 1, "one line: " + err)
    check(err.startswith("shiplog: Malformed request: since: must be an "
                         "RFC 3339 date-time such as "), err)
    rc, _, err = cli(d, "service", "get", "no-such-service")
    eq(err, "shiplog: Not found: service 'no-such-service' not found\n",
       "no errors array: title and detail")


def test_duplicate_exits_1(d):
    name = make_service(d)
    rc, _, _ = cli(d, "service", "create", name, "--owner", "x")
    eq(rc, 1, "exit")


def test_missing_token_exits_1(d):
    rc, _, err = cli(d, "service", "list", token=False)
    eq(rc, 1, "exit")
    check("SHIPLOG_TOKEN" in err, err)


def test_usage_errors_exit_2_and_send_nothing(d):
    name = uniq("usage")
    cases = [
        [],
        ["frobnicate"],
        ["service"],
        ["service", "explode"],
        ["service", "create"],
        ["service", "create", name, "--owner", "o", "--tier", "abc"],
        ["service", "create", name, "--owner", "o", "--bogus"],
        ["service", "create", name, "--owner"],
        ["service", "create", name, "extra", "--owner", "o"],
        ["service", "create", name, "--owner", "o", "--tag", "novalue"],
        ["release", "create", name + "@1.0.0", "--type", "minor",
         "--artifact", "no-digest"],
        ["deploy", "event", "1"],
        ["service", "update", name],
    ]
    for args in cases:
        rc, out, err = cli(d, *args)
        eq(rc, 2, "exit for %r (%s)" % (args, err))
        check("--help" in err, "hint for %r: %s" % (args, err))
    api(d, "GET", "/v1/services/" + name, want=404)


def test_unreachable_server_exits_3(d):
    rc, _, err = cli(d, "service", "list",
                     url="http://127.0.0.1:%d" % free_port())
    eq(rc, 3, "exit")
    check(err.startswith("shiplog: "), err)


def test_help_at_every_level_exits_0(d):
    cmds = [[], ["service"], ["env"], ["release"], ["deploy"], ["status"],
            ["audit"], ["token"]]
    for group, subs in [("service", "create list get update delete"),
                        ("env", "create list get update delete"),
                        ("release", "create list get status update"),
                        ("deploy", "list get event rollback"),
                        ("audit", "list"), ("token", "create list revoke")]:
        cmds += [[group, s] for s in subs.split()]
    for args in cmds:
        for flag in ("--help", "-h"):
            rc, out, err = cli(d, *args, flag, token=False,
                               url="http://127.0.0.1:1")
            eq(rc, 0, "exit for %r %s: %s" % (args, flag, err))
            check(out.startswith("usage: shiplog"), args, out)
    rc, out, _ = cli(d, "--help")
    check("exit codes" in out, out)
    rc, out, _ = cli(d, "--version")
    eq(rc, 0, "version exit")
    check(out.startswith("shiplog "), out)


def test_environment_variables_and_options_after_the_command(d):
    name = make_service(d)
    rc, out, err = subprocess_env_cli(d, ["service", "get", name, "--json"])
    eq(rc, 0, "exit: " + err)
    eq(json.loads(out)["name"], name, "name")


def subprocess_env_cli(d, args):
    e = dict(os.environ, SHIPLOG_URL=d.url + "/", SHIPLOG_TOKEN=d.token)
    p = subprocess.run([CLI] + args, capture_output=True, text=True,
                       timeout=60, env=e)
    return p.returncode, p.stdout, p.stderr


# --- the wire, seen by a fake server ----------------------------------------

class FakeServer:
    """Answers every request with a fixed status and body and records what
    it was sent."""

    def __init__(self, status=201, body=b'{"id": 1}'):
        self.seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                outer.seen.append((self.command, self.path,
                                   {k.lower(): v for k, v in
                                    self.headers.items()},
                                   self.rfile.read(n)))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = answer

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_every_post_carries_a_fresh_idempotency_key(d):
    with FakeServer() as f:
        for _ in range(2):
            rc, _, err = cli(d, "service", "create", "x", "--owner", "o",
                             url=f.url, token="secret-t")
            eq(rc, 0, "exit: " + err)
        keys = []
        for method, path, headers, body in f.seen:
            eq((method, path), ("POST", "/v1/services"), "request")
            eq(headers.get("authorization"), "Bearer secret-t", "auth")
            eq(headers.get("content-type"), "application/json", "type")
            eq(json.loads(body), {"name": "x", "owner": "o"}, "body")
            key = headers.get("idempotency-key", "")
            check(re.fullmatch(r"[0-9a-f]{32}", key), "key", key)
            keys.append(key)
        check(keys[0] != keys[1], "keys differ", keys)


def test_a_stable_idempotency_key_makes_a_retried_deploy_write_once(d):
    svc = make_service(d)
    env = make_env(d)
    make_release(d, svc, "1.0.0")
    args = ("--json", "--idempotency-key", "ci-run-%s" % svc,
            "deploy", svc + "@1.0.0", env)
    rc1, out1, err1 = cli(d, *args)
    eq(rc1, 0, "first: " + err1)
    rc2, out2, err2 = cli(d, *args)
    eq(rc2, 0, "retry: " + err2)
    eq(json.loads(out2)["id"], json.loads(out1)["id"], "same deployment")
    listed = api(d, "GET", "/v1/deployments?service=" + svc, want=200)
    eq(len(listed["items"]), 1, "deployments written")
    rc3, _, err3 = cli(d, "deploy", svc + "@1.0.0", env,
                       env={"SHIPLOG_IDEMPOTENCY_KEY": "ci-run-%s" % svc})
    eq(rc3, 0, "from the environment: " + err3)
    listed = api(d, "GET", "/v1/deployments?service=" + svc, want=200)
    eq(len(listed["items"]), 1, "deployments after the env-var retry")
    # The same job key on a different write is a different request: it
    # is written, not refused as a reused key.
    dep = json.loads(out1)["id"]
    rc4, _, err4 = cli(d, "deploy", "event", str(dep), "--status",
                       "in_progress",
                       env={"SHIPLOG_IDEMPOTENCY_KEY": "ci-run-%s" % svc})
    eq(rc4, 0, "a second, different write of the job: " + err4)
    eq(api(d, "GET", "/v1/deployments/%d" % dep)["status"], "in_progress",
       "the event was written")


def test_server_error_exits_3(d):
    problem = json.dumps({"title": "Store unavailable", "status": 503,
                          "detail": "the database is locked"}).encode()
    with FakeServer(503, problem) as f:
        rc, _, err = cli(d, "service", "list", url=f.url)
        eq(rc, 3, "exit")
        check("Store unavailable: the database is locked" in err, err)


def test_unreadable_answer_exits_3(d):
    with FakeServer(200, b"<html>proxy</html>") as f:
        rc, _, err = cli(d, "service", "get", "x", url=f.url)
        eq(rc, 3, "exit")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
