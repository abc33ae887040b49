"""The offline demo (run it with Examples/offline-demo): the test stand-in plays api.openai.com on 127.0.0.1, Airlock
runs in front of it, and the official OpenAI SDK sends one chat request through Airlock as an app would, with only
the environment `airlock env` prints."""

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "EndToEnd"))
from standin import start_standin  # noqa: E402

AIRLOCK = sys.argv[1]
# A made-up token in GitHub's format and a pasted function: what an app must not send to a provider.
FAKE_TOKEN = "ghp_" + "Cz7Qm2Lk9Vt4Rx8Wn3Bp6Hs1Dj5Fg0Ya9EeK"
PASTED = textwrap.dedent("""\
    def charge(card, amount):
        token = vault.lookup(card)
        if amount > LIMIT:
            raise ValueError(amount)
        return gateway.charge(token, amount)
""")
PROMPT = f"Deploy with {FAKE_TOKEN} please. Why does this fail?\n\n{PASTED}"
APP = f"""
import json, openai
client = openai.OpenAI(api_key="sk-demo-not-a-real-key", max_retries=0)
raw = client.chat.completions.with_raw_response.create(
    model="gpt-4o", messages=[{{"role": "user", "content": {PROMPT!r}}}])
print(json.dumps({{"reply": raw.parse().choices[0].message.content,
                  "x_airlock_scrubbed": raw.headers.get("x-airlock-scrubbed")}}))
"""


def section(title: str) -> None:
    print(f"\n== {title} ==")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="airlock-demo-"))
    server, ca = start_standin(work)
    allowlist = work / "allowlist.yaml"
    allowlist.write_text("version: 1\nentries:\n  - host: api.openai.com\n    provider: openai\n"
                         "    purpose: the demo's stand-in for OpenAI\n")
    state = work / "state"
    log = work / "airlock.log"
    airlock = subprocess.Popen(
        [AIRLOCK, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off", "--state-dir", str(state),
         "--allowlist", str(allowlist), "--upstream-ca", str(ca),
         "--connect-to", f"api.openai.com:443:127.0.0.1:{server.port}"],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=work)
    try:
        deadline = time.time() + 30
        while "airlock listening on " not in log.read_text(errors="replace"):
            if airlock.poll() is not None or time.time() > deadline:
                print(log.read_text(errors="replace"), file=sys.stderr)
                return 1
            time.sleep(0.05)
        address = log.read_text().split("airlock listening on ", 1)[1].split()[0]
        print(f"stand-in for api.openai.com on 127.0.0.1:{server.port}; Airlock on {address}")

        section("the app sends (OpenAI SDK, through HTTPS_PROXY)")
        print(PROMPT)
        (work / "app.py").write_text(APP)
        script = f'eval "$("{AIRLOCK}" env --state-dir "{state}" --listen {address})"\n"{sys.executable}" "{work / "app.py"}"'
        app = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
        if app.returncode != 0:
            print(app.stderr, file=sys.stderr)
            return 1
        told = json.loads(app.stdout)

        section("the provider received")
        received = json.loads(server.state.requests[-1].body)
        print(received["messages"][0]["content"])

        section("the app was told")
        print(f"X-Airlock-Scrubbed: {told['x_airlock_scrubbed']}")

        section("the ledger recorded (airlock ledger tail)")
        time.sleep(0.3)
        tail = subprocess.run([AIRLOCK, "ledger", "tail", "--state-dir", str(state), "--format", "jsonl"],
                              capture_output=True, text=True, timeout=30)
        for line in tail.stdout.splitlines():
            row = json.loads(line)
            shown = {k: row.get(k) for k in ("time", "method", "host", "path", "decision", "findings", "entry",
                                             "upstream_status", "request_bytes", "forwarded_bytes")}
            print(json.dumps(shown))
        return 0
    finally:
        airlock.terminate()
        airlock.wait(timeout=20)
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
