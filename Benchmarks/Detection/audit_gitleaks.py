#!/usr/bin/env python3
"""Which Airlock rule covers each gitleaks rule: the coverage table of Benchmarks/Detection/README.md.

For every rule of gitleaks' `cmd/generate/config/rules/*.go` it draws fresh true positives from the rule's own
generators (`gitleaks_samples.extract` with a seed of its own, so none is a corpus sample), runs them through
`airlock scan`, and records the detectors whose finding covers the secret. A rule is covered by a specific Airlock
rule when most of its samples are caught and a rule other than the generic ones catches them, by the generic
keyword and assignment detection when only those do, and not covered otherwise.

    python3 Benchmarks/Detection/audit_gitleaks.py [--mirror DIR] [--airlock PATH] [--write]

`--write` replaces the table between `<!-- gitleaks-coverage:start -->` and `<!-- gitleaks-coverage:end -->` in
the README; without it the table is printed. The end-to-end test `test_every_gitleaks_rule_has_a_row` checks that
every gitleaks rule id of the corpus has a row.
"""
from __future__ import annotations

import argparse
import base64
import collections
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import gitleaks_samples  # noqa: E402

COMMIT = "b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b"
README = HERE / "README.md"
START, END = "<!-- gitleaks-coverage:start -->", "<!-- gitleaks-coverage:end -->"
GENERIC = {"password-assignment", "secret-assignment", "token-assignment", "api-key-assignment",
           "credential-assignment", "key-value", "service-credential", "authorization-bearer",
           "authorization-basic", "authorization-header", "url-credentials", "cookie-header",
           "command-line-password"}
PER_RULE = 40
# Rules gitleaks itself describes as generic: covered by Airlock's generic detection by design.
GITLEAKS_GENERIC = {"generic-api-key"}
# Rules that match a file's path, not text: what a scrubber of request bodies does with such a file instead.
PATH_RULES = {"pkcs12-file": "a PKCS #12 file (.p12, .pfx) is binary: counted as `binary-file`, refused with "
                             "`scrub.binary: block`"}
# Rules whose samples gitleaks builds in a way the extractor does not evaluate: their secret's expression, drawn
# in contexts that name the service as gitleaks' expression requires.
DRAWN = {"dropbox-short-lived-api-token": ("dropbox", r"sl\.[a-zA-Z0-9_-]{135}"),
         "dropbox-long-lived-api-token": ("dropbox", r"[a-z0-9]{11}AAAAAAAAAA[a-zA-Z0-9_-]{43}")}
DRAWN_CONTEXTS = ("{I}_TOKEN={s}", '{i}_access_token: "{s}"', "const {i}Token = '{s}';", '{{"{i}": {{"token": "{s}"}}}}')


def gitleaks_sources(mirror: Path) -> dict[str, str]:
    repo = mirror / "gitleaks+gitleaks" / "repo"

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout

    paths = [p for p in git("ls-tree", "-r", "--name-only", COMMIT, "cmd/generate/config/rules/").split("\n")
             if p.endswith(".go") and not p.endswith("_test.go")]
    return {p: git("show", f"{COMMIT}:{p}") for p in paths}


def scan(binary: str, texts: list[str]) -> list[dict]:
    """One `airlock scan --jsonl` per 400 texts (its exit status says whether it found anything)."""
    results = []
    for i in range(0, len(texts), 400):
        data = "".join(json.dumps(t) + "\n" for t in texts[i:i + 400]).encode()
        proc = subprocess.run([binary, "scan", "--jsonl", "--format", "json", "--provider", "text", "--code",
                               "monitor"], input=data, capture_output=True, timeout=600)
        out = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
        if len(out) != len(texts[i:i + 400]):
            sys.exit(f"audit_gitleaks.py: the scanner stopped part way: {proc.stderr.decode()[-500:]}")
        results.extend(out)
    return results


def caught_by(text: str, secret: str, result: dict) -> set[str] | None:
    """Detectors whose findings took the secret out, or None when a fragment of it survived."""
    out = result.get("output", "")
    window = min(8, len(secret))
    for i in range(len(secret) - window + 1):
        piece = secret[i:i + window]
        if piece in out and piece not in text.replace(secret, ""):
            return None
    start = text.find(secret)
    end = start + len(secret)
    hits = {f["detector"] for f in result.get("findings", [])
            if f.get("category") == "secret" and f["start"] < end and f["end"] > start}
    return hits


DIGITS, LOWER, UPPER = "0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALPHABETS = (DIGITS + "abcdef", DIGITS + "ABCDEF", DIGITS + LOWER, DIGITS + UPPER, DIGITS + LOWER + UPPER)


def refreshed(item: dict, regexes: dict[str, tuple[str, int]], rng: random.Random) -> dict:
    """The sample with each letter and digit of its secret drawn again from the smallest usual alphabet that holds
    them all (hex digits, digits and letters of one case, both cases), keeping the shortest prefix that the rule's expression needs (`xapp-1-`,
    `AGE-SECRET-KEY-1`), so that a literal sample such as `12345678-ABCD-…` (which Airlock rightly takes for a
    placeholder) becomes a random value of the same format. The sample is kept as it is when no such value
    matches the expression."""
    rx, group = regexes.get(item["rule"], (None, 0))
    secret = item["secret"]
    # Encoded structures (a JWT's JSON, base64 of `user:password`) are no longer themselves once redrawn.
    if not rx or "eyJ" in secret or "ZXlK" in secret or secret.endswith("="):
        return item
    try:
        compiled = gitleaks_samples.compile_go(rx)
    except (re.error, ValueError):
        return item
    m = compiled.search(item["text"])
    if not m:
        return item
    number = next((g for g in ([group] if group else range(1, (m.lastindex or 0) + 1)) if m.group(g)), 0)
    if m.group(number) != secret:
        return item
    for keep in range(0, len(secret)):
        tail = {ch for ch in secret[keep:] if ch.isascii() and ch.isalnum()}
        alphabet = next((a for a in ALPHABETS if tail <= set(a)), ALPHABETS[-1])
        for _ in range(6):
            fresh = secret[:keep] + "".join(
                rng.choice(alphabet) if ch.isascii() and ch.isalnum() else ch for ch in secret[keep:])
            text = item["text"][:m.start(number)] + fresh + item["text"][m.end(number):]
            m2 = compiled.search(text)
            if m2 and m2.group(number) == fresh and not any(
                    w in fresh.lower() for w in gitleaks_samples.PLACEHOLDER_WORDS):
                return {**item, "text": text, "secret": fresh}
    return item


def base64_jwts(rng: random.Random) -> list[dict]:
    """jwt-base64 samples (gitleaks builds its own with a helper the extractor does not evaluate): a token of a
    random header, payload and signature, base64-encoded as a whole, in a few contexts."""
    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    out = []
    contexts = ("{}", "token: {}", 'JWT_B64="{}"', "Authorization: Bearer {}", "data:\n  token: {}")
    for n in range(10):
        header = {"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
        if n % 2:
            header["kid"] = "".join(rng.choice(DIGITS + LOWER) for _ in range(16))
        claims = {"sub": "".join(rng.choice(DIGITS) for _ in range(10)), "iat": rng.randrange(1_600_000_000,
                  1_800_000_000), "scope": rng.choice(["read", "write", "admin"])}
        sig = bytes(rng.randrange(256) for _ in range(32))
        token = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}.{b64url(sig)}"
        secret = base64.b64encode(token.encode()).decode()
        out.append({"rule": "jwt-base64", "kind": "tp", "text": contexts[n % len(contexts)].format(secret),
                    "secret": secret})
    return out


def service_account_keys(rng: random.Random) -> list[dict]:
    """gcp-service-account samples (gitleaks' are whole key files): a key file of Google's documented layout with a
    random private key; the secret is the key's first line of base64."""
    out = []
    for n in range(4):
        lines = [base64.b64encode(bytes(rng.randrange(256) for _ in range(48))).decode() for _ in range(12)]
        key = "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(lines) + "\\n-----END PRIVATE KEY-----\\n"
        text = ('{\n  "type": "service_account",\n  "project_id": "demo-%d",\n  "private_key_id": "%s",\n'
                '  "private_key": "%s",\n  "client_email": "ci@demo-%d.iam.gserviceaccount.com"\n}'
                % (n, "".join(rng.choice(DIGITS + "abcdef") for _ in range(40)), key, n))
        out.append({"rule": "gcp-service-account", "kind": "tp", "text": text, "secret": lines[0]})
    return out


def rule_regexes(sources: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Rule id -> (expression, secret group), evaluated the way the sample extractor does."""
    out = {}
    for path in sorted(sources):
        toks = gitleaks_samples.tokenize(sources[path])
        funcs, _ = gitleaks_samples.functions(toks)
        for _, body in funcs:
            ev = gitleaks_samples.Evaluator(random.Random(0), {})
            for st in gitleaks_samples.statements(body):
                if not (st and st[0][0] == "ident" and st[0][1] in ("tps", "fps")):
                    gitleaks_samples.run_assignment(ev, st)
            rid, rx, group = gitleaks_samples.rule_fields(ev, body)
            if rid and isinstance(rx, str):
                out[rid] = (rx, group)
    return out


def audit(binary: str, mirror: Path) -> list[tuple[str, str, str, int, int]]:
    sources = gitleaks_sources(mirror)
    items, _ = gitleaks_samples.extract(sources, seed=2031)
    regexes, rng = rule_regexes(sources), random.Random(2031)
    items = [refreshed(it, regexes, rng) if it["kind"] == "tp" else it for it in items]
    items += base64_jwts(rng) + service_account_keys(rng)
    for rule, (ident, secret_rx) in DRAWN.items():
        for n in range(8):
            secret = gitleaks_samples.draw(secret_rx, rng)
            text = DRAWN_CONTEXTS[n % len(DRAWN_CONTEXTS)].format(i=ident, I=ident.upper(), s=secret)
            items.append({"rule": rule, "kind": "tp", "text": text, "secret": secret})
    per_rule: dict[str, list[dict]] = collections.defaultdict(list)
    for it in items:
        if it["kind"] == "tp" and len(per_rule[it["rule"]]) < PER_RULE and len(it["text"]) < 6000:
            per_rule[it["rule"]].append(it)
    rules = sorted({it["rule"] for it in items} | set(regexes) | set(PATH_RULES))
    flat = [it for r in rules for it in per_rule.get(r, [])]
    results = scan(binary, [it["text"] for it in flat])
    by_rule = collections.defaultdict(list)
    for it, res in zip(flat, results):
        by_rule[it["rule"]].append(caught_by(it["text"], it["secret"], res))
    rows = []
    for rule in rules:
        outcomes = by_rule.get(rule, [])
        caught = [o for o in outcomes if o is not None]
        counts = collections.Counter(d for o in caught for d in o)
        specific = [d for d, _ in counts.most_common() if d not in GENERIC]
        generic = [d for d, _ in counts.most_common() if d in GENERIC]
        if rule in PATH_RULES:
            kind, names = "path rule", PATH_RULES[rule]
        elif not outcomes:
            kind, names = "no generated sample", ""
        elif len(caught) * 2 < len(outcomes):
            kind, names = "not covered", ", ".join(f"`{d}`" for d in specific + generic)
        elif specific and rule not in GITLEAKS_GENERIC:
            kind, names = "rule", ", ".join(f"`{d}`" for d in specific[:3])
        else:
            kind, names = "generic", ", ".join(f"`{d}`" for d in generic[:3])
        rows.append((rule, kind, names, len(caught), len(outcomes)))
    return rows


def table(rows) -> str:
    kinds = collections.Counter(r[1] for r in rows)
    lines = [f"{len(rows)} gitleaks rules: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ".", "",
             "| gitleaks rule | covered by | Airlock rule | fresh samples caught |", "|---|---|---|---|"]
    for rule, kind, names, caught, total in rows:
        lines.append(f"| `{rule}` | {kind} | {names} | {caught}/{total} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirror", default=os.environ.get("DETECTION_MIRROR", "/work/.mirror"))
    ap.add_argument("--airlock", default=str(HERE.parent.parent / ".build" / "debug" / "airlock"))
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    text = table(audit(args.airlock, Path(args.mirror)))
    if not args.write:
        print(text)
        return 0
    readme = README.read_text()
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(head + START + "\n" + text + "\n" + END + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
