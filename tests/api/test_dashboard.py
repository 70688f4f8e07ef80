#!/usr/bin/env python3
"""The dashboard in a real browser: starts shiplogd (on the backend
SHIPLOG_TEST_BACKEND names, like every API suite) and runs
tests/browser/run.mjs against it, which drives Debian's chromium with
playwright-core. Its lines are this suite's lines; the daemon must also
exit cleanly (no sanitizer report).

SHIPLOG_TEST=PATTERN runs only the browser tests whose name holds it.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ROOT, TOKEN, Daemon, finish  # noqa: E402

RUNNER = os.path.join(ROOT, "tests", "browser", "run.mjs")
PLAYWRIGHT = os.path.join(ROOT, "web", "node_modules", "playwright-core")
CHROMIUM = os.environ.get("SHIPLOG_CHROMIUM", "/usr/bin/chromium")


def main():
    missing = [what for what, ok in (
        ("node", shutil.which("node")),
        ("playwright-core (npm ci in web/)", os.path.isdir(PLAYWRIGHT)),
        (CHROMIUM + " (Debian package chromium)", os.access(CHROMIUM, os.X_OK)),
    ) if not ok]
    if missing:
        print("FAIL the browser tests need: " + ", ".join(missing))
        print("0 passed, 1 failed")
        return 1
    # A retention period, so archive.test.mjs can archive the past.
    d = Daemon(args=["--retention-days", "30"])
    print("backend: " + d.backend, flush=True)
    d.start()
    passed = failed = 0
    try:
        env = dict(os.environ, SHIPLOG_URL=d.url, SHIPLOG_ADMIN_TOKEN=TOKEN,
                   SHIPLOG_SHOTS=os.path.join(BUILD, "screenshots",
                                              d.backend))
        p = subprocess.Popen(["node", RUNNER], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
        for line in p.stdout:
            if line.startswith("ok   "):
                passed += 1
            elif line.startswith("FAIL "):
                failed += 1
            # The runner's own summary is replaced by this suite's.
            if not (line[:1].isdigit() and " passed, " in line):
                print(line, end="", flush=True)
        rc = p.wait()
        if rc != 0 and failed == 0:
            failed += 1
            print("FAIL the browser runner exited with %d" % rc)
    finally:
        failed += finish(d)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
