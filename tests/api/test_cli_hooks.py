#!/usr/bin/env python3
"""End-to-end stories of the shiplog CLI's receiver commands against the
real daemon: configuring an inbound webhook receiver (the secret read
from a file, never shown back), listing receivers, reading the
deliveries GitHub made to one, replaying a kept delivery, and the exit
codes of each.

Each test runs the CLI (build/debug/shiplog, through d.cli with
SHIPLOG_URL and SHIPLOG_TOKEN in its environment) and checks what it
printed and returned against what the API itself then answers
(d.request). The GitHub payloads are read from the shared fixtures
(../shared/fixtures/webhooks beside the repository) and sent byte for
byte, signed as GitHub signs.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SHIPLOG, api, check, eq, run_tests, uniq  # noqa: E402
from test_hooks import SECRET, fixture, github  # noqa: E402

COMMIT = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
REPO = "Codertocat/Hello-World"


def run(d, *args, token=True, want=None, stdin=None):
    """Runs the CLI; asserts the exit code when want is given; returns
    (exit code, stdout, stderr)."""
    if stdin is None:
        rc, out, err = d.cli(*args, token=token)
    else:
        e = dict(os.environ, SHIPLOG_URL=d.url,
                 SHIPLOG_TOKEN=d.token if token is True else token)
        p = subprocess.run([SHIPLOG] + list(args), input=stdin,
                           capture_output=True, text=True, env=e, timeout=60)
        rc, out, err = p.returncode, p.stdout, p.stderr
    if want is not None:
        eq(rc, want, "exit for %r (stdout %r, stderr %r)" % (args, out, err))
    return rc, out, err


def run_json(d, *args, want=0, **kw):
    _, out, _ = run(d, "--json", *args, want=want, **kw)
    return json.loads(out)


def rows(out):
    """The lines of a human table split into cells (header first)."""
    return [line.split() for line in out.splitlines() if line.strip()]


def write_file(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    f.write(text)
    f.close()
    return f.name


def fingerprint(secret):
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def catalog(d):
    """A service and an environment; returns (svc, env)."""
    svc, env = uniq("hello"), uniq("prod")
    api(d, "POST", "/v1/services", {"name": svc, "owner": "team-hooks"}, 201)
    api(d, "POST", "/v1/environments", {"name": env, "rank": 500}, 201)
    return svc, env


def put(d, name, *opts, secret=SECRET, want=0):
    """receiver put NAME with the secret in a file (a trailing newline,
    as an editor leaves it); returns (exit code, stdout, stderr)."""
    path = write_file(secret + "\n")
    try:
        return run(d, "receiver", "put", name, "--secret-file", path, *opts,
                   want=want)
    finally:
        os.unlink(path)


# --- receiver put, get, list, delete ----------------------------------------

def test_put_with_flags_then_get_shows_the_mappings_and_never_the_secret(d):
    svc, env = catalog(d)
    name = uniq("gh")
    _, out, err = put(d, name, "--source", "github",
                      "--service", REPO + "=" + svc,
                      "--env", "production=" + env,
                      "--event", "deployment", "--event", "deployment_status",
                      "--create-releases", want=0)
    eq(out, "receiver %s: deliver to %s/hooks/%s (source github)\n"
       % (name, d.url, name), "what put says")
    eq(err, "", "nothing on stderr")
    doc = api(d, "GET", "/v1/receivers/" + name, want=200)
    eq((doc["source"], doc["services"], doc["environments"], doc["events"],
        doc["create_releases"]),
       ("github", {REPO: svc}, {"production": env},
        ["deployment", "deployment_status"], True), "what was kept")
    # The fingerprint is the secret's without the file's line end.
    eq(doc["secret_fingerprint"], fingerprint(SECRET), "the secret sent")

    _, out, err = run(d, "receiver", "get", name, want=0)
    lines = out.splitlines()
    check("source: github" in lines, out)
    check("services.%s: %s" % (REPO, svc) in lines, out)
    check("environments.production: %s" % env in lines, out)
    check("secret_fingerprint: " + fingerprint(SECRET) in lines, out)
    check(SECRET not in out + err, "the secret is never shown: " + out)
    got = run_json(d, "receiver", "get", name)
    check("secret" not in got, got)
    check(SECRET not in json.dumps(got), got)

    # Put again: replaced, not merged; the answer is the document.
    doc = run_json(d, "receiver", "put", name, "--source", "gitlab",
                   "--secret-file", "-", stdin=SECRET + "-2\r\n")
    eq((doc["source"], doc["services"], doc["events"],
        doc["create_releases"], doc["revision"]),
       ("gitlab", {}, [], False, 2), "replaced")
    eq(doc["secret_fingerprint"], fingerprint(SECRET + "-2"),
       "the first line of standard input, without CR LF")


def test_put_from_a_file_and_from_what_get_printed(d):
    svc, env = catalog(d)
    name = uniq("gh")
    body = write_file(json.dumps(
        {"source": "github", "secret": SECRET,
         "services": {REPO: svc}, "environments": {"production": env}}))
    try:
        _, out, _ = run(d, "receiver", "put", name, "--file", body, want=0)
    finally:
        os.unlink(body)
    eq(out, "receiver %s: deliver to %s/hooks/%s (source github)\n"
       % (name, d.url, name), out)
    doc = api(d, "GET", "/v1/receivers/" + name, want=200)
    eq((doc["services"], doc["environments"], doc["secret_fingerprint"]),
       ({REPO: svc}, {"production": env}, fingerprint(SECRET)), doc)

    # What "receiver get --json" printed, edited, from standard input,
    # with a new secret from a file.
    got = run_json(d, "receiver", "get", name)
    got["events"] = ["deployment_status"]
    secret = write_file("another-secret-0123456789\n")
    try:
        doc = run_json(d, "receiver", "put", name, "--file", "-",
                       "--secret-file", secret, stdin=json.dumps(got))
    finally:
        os.unlink(secret)
    eq((doc["events"], doc["services"], doc["revision"],
        doc["secret_fingerprint"]),
       (["deployment_status"], {REPO: svc}, 2,
        fingerprint("another-secret-0123456789")), doc)


def test_list_shows_each_receiver_and_the_whole_url_to_deliver_to(d):
    svc, env = catalog(d)
    mapped, bare = uniq("gh"), uniq("gl")
    put(d, mapped, "--source", "github", "--service", REPO + "=" + svc,
        "--env", "production=" + env)
    put(d, bare, "--source", "gitlab")
    _, out, err = run(d, "receiver", "list", want=0)
    table = rows(out)
    eq(table[0], ["NAME", "SOURCE", "URL", "SERVICES", "ENVIRONMENTS"],
       "header")
    by_name = {r[0]: r for r in table[1:]}
    eq(by_name[mapped], [mapped, "github", "%s/hooks/%s" % (d.url, mapped),
                         "%s=%s" % (REPO, svc), "production=" + env],
       "the mapped receiver")
    eq(by_name[bare], [bare, "gitlab", "%s/hooks/%s" % (d.url, bare), "-",
                       "-"], "the bare receiver")
    check(SECRET not in out + err, out)
    page = run_json(d, "receiver", "list")
    eq({r["name"]: r["url"] for r in page["items"]}[mapped],
       "/hooks/" + mapped, "--json prints the server's page as it is")


def test_delete_removes_the_receiver(d):
    name = uniq("gh")
    put(d, name, "--source", "github")
    _, out, _ = run(d, "receiver", "delete", name, want=0)
    eq(out, "receiver %s deleted\n" % name, out)
    api(d, "GET", "/v1/receivers/" + name, want=404)
    _, out, err = run(d, "receiver", "get", name, want=1)
    eq(out, "", "nothing on stdout")
    check(name in err, err)


# --- deliveries and replay --------------------------------------------------

def test_deliveries_list_githubs_delivery_newest_first_with_its_outcome(d):
    svc, env = catalog(d)
    name = uniq("gh")
    put(d, name, "--source", "github", "--service", REPO + "=" + svc,
        "--env", "production=" + env)
    api(d, "POST", "/v1/releases", {"service": svc, "version": "1.0.0",
                                    "type": "minor", "commit": COMMIT}, 201)
    status, ping = github(d, name, "ping", b'{"zen": "Keep it logically '
                          b'awesome."}')
    eq((status, ping["outcome"]), (200, "ignored"), ping)
    status, doc = github(d, name, "deployment_status",
                         fixture("github", "deployment_status.json"))
    eq((status, doc["outcome"]), (200, "applied"), doc)

    _, out, _ = run(d, "receiver", "deliveries", name, want=0)
    table = rows(out)
    eq(table[0], ["ID", "AT", "EVENT", "OUTCOME", "DEPLOYMENT", "REASON"],
       "header")
    eq([r[:5] for r in table[1:]],
       [[str(doc["id"]), doc["at"], "deployment_status", "applied",
         str(doc["deployment"])],
        [str(ping["id"]), ping["at"], "ping", "ignored", "-"]],
       "newest first")
    eq(" ".join(table[2][5:]), ping["reason"], "the reason it was ignored")

    page = run_json(d, "receiver", "deliveries", name, "--limit", "1")
    eq([i["id"] for i in page["items"]], [doc["id"]], "--json: the page")
    eq(page["next_cursor"], str(doc["id"]), "and where the next begins")
    _, out, err = run(d, "receiver", "deliveries", name, "--limit", "1",
                      want=0)
    eq(len(rows(out)), 2, out)
    check("--cursor %d" % doc["id"] in err, err)
    _, out, _ = run(d, "receiver", "deliveries", name, "--limit", "1",
                    "--all", want=0)
    eq(len(rows(out)), 3, out)


def test_replay_prints_the_outcome_and_exits_by_it(d):
    svc, env = catalog(d)
    name = uniq("gh")
    put(d, name, "--source", "github", "--env", "production=" + env)
    status, first = github(d, name, "deployment_status",
                           fixture("github", "deployment_status.json"))
    eq((status, first["outcome"]), (200, "unmatched"), first)
    ident = str(first["id"])

    # Still unmatched: exit 1, the outcome and the reason on stdout.
    _, out, err = run(d, "receiver", "replay", name, ident, want=1)
    latest = api(d, "GET", "/v1/receivers/%s/deliveries?limit=1" % name,
                 want=200)["items"][0]
    eq((latest["replay_of"], latest["outcome"]), (first["id"], "unmatched"),
       latest)
    eq(out, "delivery %d (replay of %s): unmatched: %s\n"
       % (latest["id"], ident, latest["reason"]), "what replay says")
    check("'%s'" % REPO in out, out)
    eq(err, "", "an unmatched replay is no error message")
    doc = run_json(d, "receiver", "replay", name, ident, want=1)
    eq((doc["outcome"], doc["replay_of"]), ("unmatched", first["id"]), doc)

    # Mapped, and with the release the commit names: applied, exit 0.
    put(d, name, "--source", "github", "--env", "production=" + env,
        "--service", REPO + "=" + svc)
    api(d, "POST", "/v1/releases", {"service": svc, "version": "2.0.0",
                                    "type": "major", "commit": COMMIT}, 201)
    _, out, err = run(d, "receiver", "replay", name, ident, want=0)
    latest = api(d, "GET", "/v1/receivers/%s/deliveries?limit=1" % name,
                 want=200)["items"][0]
    eq(latest["outcome"], "applied", latest)
    eq(out, "delivery %d (replay of %s): applied, deployment %d succeeded\n"
       % (latest["id"], ident, latest["deployment"]), out)
    dep = api(d, "GET", "/v1/deployments/%d" % latest["deployment"], want=200)
    eq((dep["service"], dep["version"], dep["status"]),
       (svc, "2.0.0", "succeeded"), "the replay applied")

    # An ignored delivery replays as ignored: taken, exit 0.
    status, ping = github(d, name, "ping", b'{"zen": "Half measures are '
                          b'as bad as nothing at all."}')
    eq(ping["outcome"], "ignored", ping)
    doc = run_json(d, "receiver", "replay", name, str(ping["id"]), want=0)
    eq(doc["outcome"], "ignored", doc)

    # A delivery the receiver never had is the server's 404: exit 1.
    _, out, err = run(d, "receiver", "replay", name, "999999", want=1)
    eq(out, "", out)
    check("999999" in err, err)


# --- refusals and usage -----------------------------------------------------

def test_usage_errors_exit_2_with_one_message_and_send_nothing(d):
    name = uniq("bad")
    secret = write_file(SECRET + "\n")
    empty = write_file("\n")
    body = write_file(json.dumps({"source": "github"}))
    missing = os.path.join(tempfile.gettempdir(), uniq("no-such-file"))
    cases = [
        (["receiver", "put", name, "--secret-file", secret],
         "missing option --source"),
        (["receiver", "put", name, "--source", "github"],
         "missing option --secret-file"),
        (["receiver", "put", name, "--file", body, "--source", "github"],
         "--file gives the whole receiver; put --source in it"),
        (["receiver", "put", name, "--file", body],
         "has no secret: add --secret-file"),
        (["receiver", "put", name, "--file", "-", "--secret-file", "-"],
         "cannot both read standard input"),
        (["receiver", "put", name, "--source", "github", "--secret-file",
          missing], "cannot open " + missing),
        (["receiver", "put", name, "--source", "github", "--secret-file",
          empty], "the first line of %s is empty" % empty),
        (["receiver", "put", name, "--source", "github", "--secret-file",
          secret, "--service", REPO], "option '--service' needs key=value"),
        (["receiver", "put", name, "--source", "github", "--secret",
          SECRET], "unknown option '--secret'"),
        (["receiver", "put", "--source", "github", "--secret-file", secret],
         "missing argument: shiplog receiver put NAME"),
        (["receiver", "replay", name, "seven"],
         "the delivery id must be a positive whole number, not 'seven'"),
        (["receiver", "replay", name], "missing argument"),
        (["receiver", "deliveries", name, "--limit", "ten"],
         "option '--limit' needs a whole number"),
        (["receiver", "frobnicate"], "unknown command 'receiver frobnicate'"),
    ]
    try:
        for args, message in cases:
            rc, out, err = run(d, *args, stdin="")
            eq(rc, 2, "exit for %r (stderr %r)" % (args, err))
            eq(out, "", "stdout for %r" % args)
            check(message in err, "%r: %s" % (args, err))
            eq(err.count(message), 1, "said once: %r" % err)
    finally:
        for path in (secret, empty, body):
            os.unlink(path)
    api(d, "GET", "/v1/receivers/" + name, want=404)


def test_every_receiver_command_has_help(d):
    for sub in ("put", "list", "get", "delete", "deliveries", "replay"):
        _, out, err = run(d, "receiver", sub, "--help", want=0)
        check(out.startswith("usage: shiplog receiver " + sub), out)
        eq(err, "", err)
    _, out, _ = run(d, "receiver", "put", "--help", want=0)
    check("shell\n" in out and "history and ps" in out, out)
    check("github|gitlab" in out, out)
    _, out, _ = run(d, "receiver", "replay", "--help", want=0)
    check("receiver replay: applied or ignored" in out, out)
    check("a replayed delivery was unmatched or failed" in out, out)
    _, out, _ = run(d, "receiver", "--help", want=0)
    for sub in ("put", "list", "get", "delete", "deliveries", "replay"):
        check("shiplog receiver " + sub in out, "%s: %s" % (sub, out))


def test_a_deployer_may_read_receivers_but_not_configure_them(d):
    tok = api(d, "POST", "/v1/tokens", {"name": uniq("deployer"),
                                         "role": "deployer"}, 201)["token"]
    name, own = uniq("gh"), uniq("gh")
    put(d, own, "--source", "github")
    secret = write_file(SECRET + "\n")
    try:
        _, out, err = run(d, "receiver", "put", name, "--source", "github",
                          "--secret-file", secret, token=tok, want=1)
    finally:
        os.unlink(secret)
    eq(out, "", out)
    check("403" in err or "orbidden" in err, err)
    check(SECRET not in err, err)
    api(d, "GET", "/v1/receivers/" + name, want=404)
    _, out, _ = run(d, "receiver", "list", token=tok, want=0)
    check(own in out, out)
    run(d, "receiver", "delete", own, token=tok, want=1)
    api(d, "GET", "/v1/receivers/" + own, want=200)


def test_an_unreachable_server_exits_3(d):
    rc, out, err = run(d, "--url", "http://127.0.0.1:9", "receiver", "list")
    eq(rc, 3, err)
    eq(out, "", out)
    check(err.startswith("shiplog: "), err)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
