#!/usr/bin/env python3
"""Inbound webhooks: receivers, senders proving themselves by their own
scheme, the real payloads GitHub publishes moving the record, redelivery
writing nothing, unmatched deliveries kept and replayed.

The payloads are read from the shared fixtures (../shared/fixtures/
webhooks beside the repository), never copied into the project; each
is sent byte for byte as GitHub would, signed as GitHub signs.
"""
import hashlib
import hmac
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Daemon, api, check, eq, run_tests, uniq  # noqa: E402

FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "webhooks")
SECRET = "a-receiver-secret-0123456789"


def fixture(*path):
    with open(os.path.join(FIXTURES, *path), "rb") as f:
        return f.read()


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body,
                                hashlib.sha256).hexdigest()


def github(d, receiver, event, body, secret=SECRET, delivery=None,
           signature=None):
    """Delivers body as GitHub does; (status, doc)."""
    h = {"X-GitHub-Event": event,
         "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
         "X-Hub-Signature-256": signature or sign(secret, body),
         "Content-Type": "application/json",
         "User-Agent": "GitHub-Hookshot/test"}
    status, _, doc = d.request("POST", "/hooks/" + receiver, raw=body,
                               headers=h, auth=False)
    return status, doc


def setup(d, **receiver):
    """A service, an environment and a receiver mapping GitHub's
    Codertocat/Hello-World and its "production" onto them."""
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("hello"), "owner": "team-hooks"}, want=201)["name"]
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("prod"), "rank": 900}, want=201)["name"]
    name = uniq("gh")
    body = {"source": "github", "secret": SECRET,
            "services": {"Codertocat/Hello-World": svc},
            "environments": {"production": env}}
    body.update(receiver)
    api(d, "PUT", "/v1/receivers/" + name, body, want=201)
    return name, svc, env


def audit_count(d):
    return len(api(d, "GET", "/v1/audit?limit=500", want=200)["items"])


def deliveries(d, name):
    return api(d, "GET", "/v1/receivers/%s/deliveries" % name,
               want=200)["items"]


def test_a_receiver_never_answers_its_secret_and_its_writes_are_audited(d):
    name = uniq("gh")
    doc = api(d, "PUT", "/v1/receivers/" + name,
              {"source": "github", "secret": SECRET}, want=201)
    check("secret" not in doc, doc)
    eq(doc["url"], "/hooks/" + name, "where senders deliver")
    eq(doc["secret_fingerprint"],
       hashlib.sha256(SECRET.encode()).hexdigest()[:12], "fingerprint")
    got = api(d, "GET", "/v1/receivers/" + name, want=200)
    check(SECRET not in json.dumps(got), "no secret in the GET")
    entries = api(d, "GET", "/v1/audit?object_type=receiver&object_id=" +
                  name, want=200)["items"]
    eq([e["action"] for e in entries], ["receiver.create"], "audited")
    check(SECRET not in json.dumps(entries), "no secret in the audit log")


def test_a_bad_receiver_is_refused_naming_each_field_and_nothing_is_kept(d):
    name = uniq("bad")
    status, _, doc = d.request("PUT", "/v1/receivers/" + name,
                               {"source": "svn", "secret": "short",
                                "services": {"": "x"}})
    eq(status, 422, doc)
    fields = sorted(e["field"] for e in doc["errors"])
    eq(fields, ["secret", "services.", "source"], "fields named")
    status, _, _ = d.request("GET", "/v1/receivers/" + name)
    eq(status, 404, "nothing kept")


def test_only_a_token_admin_configures_receivers(d):
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("rm"),
                                         "role": "release_manager"},
              want=201)["token"]
    status, _, doc = d.request("PUT", "/v1/receivers/" + uniq("x"),
                               {"source": "github", "secret": SECRET},
                               token=tok)
    eq(status, 403, doc)


def test_githubs_published_test_vector_is_accepted_and_a_wrong_one_is_not(d):
    # github/docs: secret "It's a Secret to Everybody", body
    # "Hello, World!" give this signature.
    name = uniq("vec")
    api(d, "PUT", "/v1/receivers/" + name,
        {"source": "github", "secret": "It's a Secret to Everybody"},
        want=201)
    body = fixture("github", "signature-test-vector.body.txt")
    eq(body, b"Hello, World!", "the published body")
    vector = ("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c"
              "46f4379c8b043e17")
    before = audit_count(d)
    status, doc = github(d, name, "ping", body, signature=vector[:-1] + "8")
    eq(status, 401, doc)
    eq(doc["status"], 401, "a problem document")
    check("X-Hub-Signature-256" in doc["detail"], doc["detail"])
    status, doc = github(d, name, "ping", body, signature=None,
                         secret="another secret")
    eq(status, 401, "signed with another secret")
    eq(deliveries(d, name), [], "refused deliveries are not kept")
    eq(audit_count(d), before, "and write nothing")
    status, doc = github(d, name, "ping", body, signature=vector)
    eq(status, 200, doc)
    # Authentic, but not JSON: kept as failed, with the reason.
    eq(doc["outcome"], "failed", doc)
    check("not JSON" in doc["reason"], doc["reason"])


def test_githubs_deployment_then_deployment_status_move_the_record(d):
    name, svc, env = setup(d)
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "1.0.0", "type": "minor",
               "commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"},
              want=201)
    status, doc = github(d, name, "deployment",
                         fixture("github", "deployment.json"))
    eq(status, 200, doc)
    eq(doc["outcome"], "applied", doc)
    dep = api(d, "GET", "/v1/deployments/%d" % doc["deployment"], want=200)
    eq((dep["release_id"], dep["environment"], dep["status"],
        dep["deployer"]), (rel["id"], env, "queued", "receiver:" + name),
       "the deployment GitHub created")
    status, doc = github(d, name, "deployment_status",
                         fixture("github", "deployment_status.json"))
    eq((status, doc["outcome"], doc["deployment"], doc["status"]),
       (200, "applied", dep["id"], "succeeded"), doc)
    dep = api(d, "GET", "/v1/deployments/%d" % dep["id"], want=200)
    eq(dep["status"], "succeeded", "moved by deployment_status")
    eq([(e["status"], e["source"]) for e in dep["events"]],
       [("queued", "webhook"), ("in_progress", "webhook"),
        ("succeeded", "webhook")], "its timeline")
    running = api(d, "GET", "/v1/status?service=" + svc, want=200)["items"]
    eq([(r["environment"], r["running"]["version"]) for r in running],
       [(env, "1.0.0")], "the matrix")


def test_a_redelivery_answers_the_first_and_writes_nothing(d):
    name, svc, env = setup(d)
    api(d, "POST", "/v1/releases",
        {"service": svc, "version": "1.0.0", "type": "minor",
         "commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}, want=201)
    body = fixture("github", "deployment_status.with-installation.json")
    delivery = str(uuid.uuid4())
    status, first = github(d, name, "deployment_status", body,
                           delivery=delivery)
    eq((status, first["outcome"]), (200, "applied"), first)
    before = audit_count(d)
    events = len(api(d, "GET", "/v1/deployments/%d" % first["deployment"],
                     want=200)["events"])
    status, again = github(d, name, "deployment_status", body,
                           delivery=delivery)
    eq(status, 200, again)
    eq(again["redelivered"], True, "said so")
    eq(again["id"], first["id"], "the first delivery's record")
    eq(audit_count(d), before, "no audit entry")
    eq(len(api(d, "GET", "/v1/deployments/%d" % first["deployment"],
               want=200)["events"]), events, "no event")
    eq(len(deliveries(d, name)), 1, "one delivery kept")


def test_an_unmatched_delivery_is_kept_and_replays_once_mapped(d):
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("hello"), "owner": "team-hooks"}, want=201)["name"]
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("prod"), "rank": 901}, want=201)["name"]
    name = uniq("gh")
    api(d, "PUT", "/v1/receivers/" + name,
        {"source": "github", "secret": SECRET,
         "environments": {"production": env}}, want=201)
    status, doc = github(d, name, "deployment_status",
                         fixture("github", "deployment_status.json"))
    eq((status, doc["outcome"]), (200, "unmatched"), doc)
    check("'Codertocat/Hello-World'" in doc["reason"], doc["reason"])
    eq(doc["deployment"], None, "nothing created")
    # The service's repo URL is the repository: replaying now matches it,
    # but no release has the commit and the receiver makes none.
    api(d, "PATCH", "/v1/services/" + svc,
        {"repo": "https://github.com/codertocat/hello-world.git"}, want=200)
    status, again = d.request("POST", "/v1/receivers/%s/deliveries/%d/replay"
                              % (name, doc["id"]))[0:3:2]
    eq((status, again["outcome"], again["replay_of"]),
       (200, "unmatched", doc["id"]), again)
    check("no release of %s has commit f95f852" % svc in again["reason"],
          again["reason"])
    api(d, "POST", "/v1/releases",
        {"service": svc, "version": "2.0.0", "type": "major",
         "commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}, want=201)
    status, third = d.request("POST", "/v1/receivers/%s/deliveries/%d/replay"
                              % (name, doc["id"]))[0:3:2]
    eq((status, third["outcome"]), (200, "applied"), third)
    dep = api(d, "GET", "/v1/deployments/%d" % third["deployment"], want=200)
    eq((dep["service"], dep["version"], dep["status"]),
       (svc, "2.0.0", "succeeded"), "the replay applied")
    eq([x["outcome"] for x in deliveries(d, name)],
       ["applied", "unmatched", "unmatched"], "newest first")


def test_ping_and_unknown_events_are_acknowledged_and_kept_as_ignored(d):
    name, _, _ = setup(d)
    status, doc = github(d, name, "ping", b'{"zen": "Design for failure."}')
    eq((status, doc["outcome"]), (200, "ignored"), doc)
    status, doc = github(d, name, "star", b'{"action": "created"}')
    eq((status, doc["outcome"]), (200, "ignored"), doc)
    check("star" in doc["reason"], doc["reason"])


def test_a_body_over_the_limit_is_refused_with_413(d):
    name, _, _ = setup(d)
    body = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
    status, doc = github(d, name, "ping", body)
    eq(status, 413, doc)
    eq(deliveries(d, name), [], "nothing kept")


def generic(d, receiver, doc, secret=SECRET):
    body = json.dumps(doc).encode()
    status, _, answer = d.request(
        "POST", "/hooks/" + receiver, raw=body, auth=False,
        headers={"X-Shiplog-Signature": sign(secret, body),
                 "Content-Type": "application/json"})
    return status, answer


def test_shiplogs_own_format_applies_and_a_bad_one_is_422_kept_nowhere(d):
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("gen"), "owner": "team-hooks"}, want=201)["name"]
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("stage"), "rank": 902}, want=201)["name"]
    api(d, "POST", "/v1/releases", {"service": svc, "version": "3.1.0",
                                    "type": "minor", "git_tag": "v3.1.0"},
        want=201)
    name = uniq("gen")
    api(d, "PUT", "/v1/receivers/" + name,
        {"source": "generic", "secret": SECRET}, want=201)
    status, doc = generic(d, name, {"event": "deployment", "service": svc,
                                    "environment": env, "tag": "v3.1.0",
                                    "status": "in_progress",
                                    "deployment": "run-77"})
    eq((status, doc["outcome"]), (200, "applied"), doc)
    status, doc2 = generic(d, name, {"event": "deployment", "service": svc,
                                     "environment": env, "tag": "v3.1.0",
                                     "status": "succeeded",
                                     "deployment": "run-77"})
    eq((doc2["outcome"], doc2["deployment"], doc2["status"]),
       ("applied", doc["deployment"], "succeeded"), "the same deployment")
    before = len(deliveries(d, name))
    status, bad = generic(d, name, {"event": "deployment", "service": svc,
                                    "environment": env, "tag": "v3.1.0",
                                    "status": "done"})
    eq(status, 422, bad)
    check("status" in json.dumps(bad.get("errors", bad)), bad)
    eq(len(deliveries(d, name)), before, "a refused delivery is not kept")
    status, bad = generic(d, name, {"event": "deployment"},
                          secret="not the secret at all")
    eq(status, 401, bad)


def test_gitlabs_deployment_hook_with_its_token_moves_the_record(d):
    svc = api(d, "POST", "/v1/services",
              {"name": uniq("gl"), "owner": "team-hooks",
               "repo": "http://10.126.0.2:3000/root/test-deployment-webhooks"},
              want=201)["name"]
    env = api(d, "POST", "/v1/environments",
              {"name": uniq("staging"), "rank": 903}, want=201)["name"]
    rel = api(d, "POST", "/v1/releases",
              {"service": svc, "version": "0.4.0", "type": "minor",
               "commit": "279484c09fbe69ededfced8c1bb6e6d24616b468"},
              want=201)
    name = uniq("gl")
    api(d, "PUT", "/v1/receivers/" + name,
        {"source": "gitlab", "secret": SECRET,
         "environments": {"staging": env}}, want=201)
    body = fixture("gitlab", "deployment.json")
    h = {"X-Gitlab-Event": "Deployment Hook", "X-Gitlab-Token": SECRET,
         "Idempotency-Key": str(uuid.uuid4()),
         "Content-Type": "application/json"}
    status, _, doc = d.request("POST", "/hooks/" + name, raw=body,
                               headers=dict(h, **{"X-Gitlab-Token": "wrong"}),
                               auth=False)
    eq(status, 401, "a wrong token")
    status, _, doc = d.request("POST", "/hooks/" + name, raw=body, headers=h,
                               auth=False)
    eq((status, doc["outcome"], doc["status"]), (200, "applied", "succeeded"),
       doc)
    dep = api(d, "GET", "/v1/deployments/%d" % doc["deployment"], want=200)
    eq((dep["release_id"], dep["environment"], dep["status"]),
       (rel["id"], env, "succeeded"), "matched by the whole commit and the "
       "repo URL, in the mapped environment")


def test_a_deployment_and_its_status_sent_at_once_make_one_deployment(d):
    import threading
    for _ in range(4):
        name, svc, env = setup(d)
        api(d, "POST", "/v1/releases",
            {"service": svc, "version": "1.0.0", "type": "minor",
             "commit": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}, want=201)
        got = []
        sends = [("deployment", fixture("github", "deployment.json")),
                 ("deployment_status",
                  fixture("github", "deployment_status.json"))]
        threads = [threading.Thread(target=lambda e=e, b=b: got.append(
            github(d, name, e, b))) for e, b in sends]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        eq(sorted(s for s, _ in got), [200, 200], got)
        deps = api(d, "GET", "/v1/deployments?service=" + svc,
                   want=200)["items"]
        eq([x["status"] for x in deps], ["succeeded"],
           "one deployment, whichever came first")


def test_cdevents_ids_are_unique_per_source_so_the_key_is_both(d):
    """CloudEvents ids are unique within their source: the same ce-id from
    two sources is two deliveries, the same pair again is a redelivery."""
    name = uniq("cd")
    api(d, "PUT", "/v1/receivers/" + name,
        {"source": "cdevents", "secret": SECRET}, want=201)
    body = fixture("cdevents", "service_deployed.json")

    def send(source):
        h = {"ce-specversion": "1.0", "ce-id": "build-1",
             "ce-source": source,
             "ce-type": json.loads(body)["context"]["type"],
             "X-Shiplog-Signature": sign(SECRET, body),
             "Content-Type": "application/json"}
        status, _, doc = d.request("POST", "/hooks/" + name, raw=body,
                                   headers=h, auth=False)
        eq(status, 200, "delivered: %s" % doc)
        return doc

    first = send("/ci/one")
    again = send("/ci/one")
    other = send("/ci/two")
    eq(again["id"], first["id"], "the same source and id: the first")
    check(other["id"] != first["id"], "another source: another delivery")
    eq(sorted(x["delivery_id"] for x in deliveries(d, name)),
       ["/ci/one build-1", "/ci/two build-1"], "kept under source and id")


def test_an_unknown_receiver_is_404(d):
    status, doc = github(d, uniq("nobody"), "ping", b"{}")
    eq(status, 404, doc)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
