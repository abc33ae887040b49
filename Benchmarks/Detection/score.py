#!/usr/bin/env python3
"""Detection benchmark: runs every sample of Benchmarks/Detection/corpora/*.jsonl through the real scanner
(`airlock scan --jsonl --format json`) and prints precision and recall per corpus, category, family and split.

    python3 Benchmarks/Detection/score.py [--airlock PATH] [--split dev|test|both] [--json FILE] [--show-misses]

The binary is --airlock, else .build/debug/airlock when it exists, else $AIRLOCK_BIN. Samples are batched: one
scanner process reads many payloads, one per line (a JSON string per line for --provider text, a JSON body per
line for the JSON providers).

Nothing this script prints or writes holds a sample's text or a secret: only counts, rates, families and, with
--show-misses, sample ids. The corpus line schema and the scoring rules are in README.md beside this file.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPORA = HERE / "corpora"
WINDOW = 8
BATCH = 400
PROVIDERS = ("text", "openai", "anthropic", "gemini")
CATEGORIES = ("secret", "lookalike", "code", "prose")

# Targets from issue 31, applied to the test halves. (metric key, comparison, bound)
TARGETS = [
    ("all secret corpora: secrets caught", "secret_recall", None, ">=", 0.98),
    ("all secret corpora: look-alikes flagged", "lookalike_flagged_rate", None, "<=", 0.02),
    ("gitleaks: true positives caught", "secret_recall", "secrets-gitleaks", ">=", 0.95),
    ("gitleaks: false positives flagged", "lookalike_flagged_rate", "secrets-gitleaks", "<=", 0.10),
    ("long tail: keys caught", "secret_recall", "secrets-longtail", ">=", 0.85),
    ("long tail: benign identifiers flagged", "lookalike_flagged_rate", "secrets-longtail", "<=", 0.05),
    ("config: secrets caught", "secret_recall", "secrets-config", ">=", 0.98),
    ("config: look-alikes flagged", "lookalike_flagged_rate", "secrets-config", "<=", 0.02),
    ("code lines removed", "code_lines_removed_rate", None, ">=", 0.95),
    ("prose samples untouched", "prose_untouched_rate", None, ">=", 0.99),
    ("prose lines around code kept", "keep_kept_code_rate", None, ">=", 0.98),
]


# --- Running the scanner -------------------------------------------------------------------------------------------

def find_binary(arg: str | None) -> str:
    if arg:
        return arg
    local = ROOT / ".build/debug/airlock"
    if local.exists():
        return str(local)
    env = os.environ.get("AIRLOCK_BIN")
    if env:
        return env
    sys.exit("score.py: no scanner binary; build it (swift build), pass --airlock PATH or set AIRLOCK_BIN")


def scan_args(provider: str, endpoint: str | None, code_action: str) -> list[str]:
    args = ["scan", "--jsonl", "--provider", provider, "--format", "json", "--code", code_action]
    if endpoint:
        args += ["--endpoint", endpoint]
    return args


def input_line(sample: dict) -> str:
    value = sample["payload"] if sample["provider"] == "text" else json.loads(sample["payload"])
    # One line per payload: a JSON string, or the body re-encoded compactly (same values, no raw line breaks).
    # Characters stay as they are, unless a lone surrogate could not be written as UTF-8.
    line = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return line


def run_batch(binary: str, args: list[str], lines: list[str]) -> list[dict]:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    try:
        proc = subprocess.run([binary, *args], input=data, capture_output=True, timeout=600)
        out = [ln for ln in proc.stdout.decode("utf-8", "replace").split("\n") if ln.strip()]
    except subprocess.TimeoutExpired:
        out = []
    if len(out) == len(lines):
        results = []
        for ln in out:
            try:
                results.append(json.loads(ln))
            except json.JSONDecodeError:
                results.append({"decision": "error", "error": {"code": "unreadable_output"}})
        return results
    if len(lines) == 1:
        return [{"decision": "error", "error": {"code": "scanner_failed"}}]
    # The process stopped part way (a crash or a timeout): run the lines again one by one, so one bad sample
    # costs only itself.
    return [r for ln in lines for r in run_batch(binary, args, [ln])]


def scan_all(binary: str, samples: list[dict], jobs: int) -> list[dict]:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        code_action = "monitor" if s["category"] in ("secret", "lookalike") else "redact"
        groups[(s["provider"], s.get("endpoint") or None, code_action)].append(i)
    tasks = []
    for (provider, endpoint, code_action), idxs in groups.items():
        args = scan_args(provider, endpoint, code_action)
        for k in range(0, len(idxs), BATCH):
            chunk = idxs[k:k + BATCH]
            tasks.append((args, chunk))
    results: list[dict | None] = [None] * len(samples)

    def work(task):
        args, chunk = task
        lines = []
        for i in chunk:
            try:
                lines.append(input_line(samples[i]))
            except (json.JSONDecodeError, TypeError):
                lines.append("null")
        return chunk, run_batch(binary, args, lines)

    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(jobs) as pool:
            done = list(pool.map(work, tasks))
    else:
        done = [work(t) for t in tasks]
    for chunk, res in done:
        for i, r in zip(chunk, res):
            results[i] = r
    return results  # type: ignore[return-value]


# --- Judging one sample -------------------------------------------------------------------------------------------

def strings_of(value) -> list[str]:
    """Every string in a JSON value, keys included, unescaped."""
    out: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                out.append(k)
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)
    return out


class View:
    """The texts a secret fragment or a code line is looked for in."""

    def __init__(self, sample: dict, result: dict):
        self.error = result.get("decision") == "error"
        self.blocked = result.get("decision") == "blocked" or ("output" not in result and not self.error)
        self.findings = result.get("findings") or []
        output = result.get("output")
        if sample["provider"] == "text":
            self.payload_texts = [sample["payload"]]
            self.output_texts = [output] if isinstance(output, str) else []
            self.unchanged = (not self.error and not self.blocked and output == sample["payload"])
        else:
            try:
                body = json.loads(sample["payload"])
            except json.JSONDecodeError:
                body = None
            self.payload_texts = strings_of(body)
            if output is None or self.blocked or self.error:
                self.output_texts = []
            else:
                # The escaped body as it goes on the wire, and every string unescaped.
                self.output_texts = [json.dumps(output, ensure_ascii=False)] + strings_of(output)
            self.unchanged = (not self.error and not self.blocked and output == body)
        self.out_bytes = [t.encode("utf-8") for t in self.output_texts]

    def contains(self, needle: bytes) -> bool:
        return any(needle in t for t in self.out_bytes)


def secret_leaked(view: View, secret: str, others: list[str]) -> bool:
    """True when a fragment of `secret` survives: any 8-byte window of it (the whole of it if shorter) found in
    the output, leaving out windows that the payload also holds outside its secrets (those are not the secret's)."""
    s = secret.encode("utf-8")
    if not s:
        return False
    if view.error:  # a payload the scanner could not read is not counted as protected
        return True
    base = []
    for t in view.payload_texts:
        b = t.encode("utf-8")
        for o in others:
            b = b.replace(o.encode("utf-8"), b"\0")
        base.append(b)
    if len(s) <= WINDOW:
        windows = {s}
    else:
        windows = {s[i:i + WINDOW] for i in range(len(s) - WINDOW + 1)}
    for w in windows:
        if view.contains(w) and not any(w in b for b in base):
            return True
    return False


def judge(sample: dict, result: dict) -> dict:
    v = View(sample, result)
    exp = sample.get("expect") or {}
    secrets = [x for x in exp.get("secrets") or [] if x]
    code_lines = exp.get("code_lines") or []
    keep = [x for x in exp.get("keep") or [] if x]
    secret_findings = [f for f in v.findings if f.get("category") == "secret"]
    j = {"error": v.error, "changed": not v.unchanged,
         "detectors": sorted({f.get("detector", "?") for f in secret_findings})}
    # Secrets longest first, so that removing them from the payload leaves no piece of a longer one.
    ordered = sorted(secrets, key=len, reverse=True)
    j["secrets"] = len(secrets)
    j["secrets_caught"] = sum(0 if secret_leaked(v, s, ordered) else 1 for s in secrets)
    j["flagged"] = bool(secret_findings) or not v.unchanged or v.error
    lines = [ln.strip() for ln in code_lines if len(ln.strip()) >= WINDOW]
    j["code_lines"] = len(lines)
    j["code_lines_removed"] = sum(0 if v.contains(ln.encode("utf-8")) else 1 for ln in lines)
    j["keep"] = len(keep)
    j["keep_kept"] = sum(1 if v.contains(k.encode("utf-8")) else 0 for k in keep)
    return j


# --- Aggregation --------------------------------------------------------------------------------------------------

def corpus_of(sample: dict) -> str:
    return sample["_corpus"]


class Tally:
    def __init__(self):
        self.n = defaultdict(int)

    def add(self, sample: dict, j: dict):
        c = sample["category"]
        n = self.n
        n[f"{c}_samples"] += 1
        n["errors"] += int(j["error"])
        if c == "secret":
            n["secrets"] += j["secrets"]
            n["secrets_caught"] += j["secrets_caught"]
            n["secret_samples_caught"] += int(j["secrets"] > 0 and j["secrets_caught"] == j["secrets"])
            n["secret_samples_flagged"] += int(j["flagged"])
        elif c == "lookalike":
            n["lookalike_flagged"] += int(j["flagged"])
        elif c == "code":
            n["code_lines"] += j["code_lines"]
            n["code_lines_removed"] += j["code_lines_removed"]
            n["code_samples_changed"] += int(j["changed"])
            n["keep_code"] += j["keep"]
            n["keep_kept_code"] += j["keep_kept"]
        elif c == "prose":
            n["prose_untouched"] += int(not j["changed"])
            n["keep_prose"] += j["keep"]
            n["keep_kept_prose"] += j["keep_kept"]
        if c in ("secret", "lookalike"):
            n["keep_secretcorpora"] += j["keep"]
            n["keep_kept_secretcorpora"] += j["keep_kept"]

    def metrics(self) -> dict:
        n = self.n

        def rate(a, b):
            return None if not n[b] else n[a] / n[b]

        m = {k: n[k] for k in sorted(n)}
        m["secret_recall"] = rate("secrets_caught", "secrets")
        m["secret_sample_recall"] = rate("secret_samples_caught", "secret_samples")
        m["lookalike_flagged_rate"] = rate("lookalike_flagged", "lookalike_samples")
        m["code_lines_removed_rate"] = rate("code_lines_removed", "code_lines")
        m["keep_kept_code_rate"] = rate("keep_kept_code", "keep_code")
        m["prose_untouched_rate"] = rate("prose_untouched", "prose_samples")
        m["keep_kept_secretcorpora_rate"] = rate("keep_kept_secretcorpora", "keep_secretcorpora")
        # Sample-level precision: of the samples the scanner altered or flagged, the share that should have been.
        tp = n["secret_samples_flagged"]
        fp = n["lookalike_flagged"]
        m["secret_precision"] = None if tp + fp == 0 else tp / (tp + fp)
        tp = n["code_samples_changed"]
        fp = n["prose_samples"] - n["prose_untouched"]
        m["code_precision"] = None if tp + fp == 0 else tp / (tp + fp)
        return m


def pct(x) -> str:
    return "    –" if x is None else f"{100 * x:5.1f}"


def table(title: str, header: list[str], rows: list[list[str]]):
    print(f"\n{title}\n")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) if not c.strip() or not (c.strip()[0].isdigit() or c.strip() == "–")
                                else c.rjust(w)
                                for i, (c, w) in enumerate(zip(r, widths))) + " |")


def report_split(name: str, samples: list[dict], judged: list[dict], show_misses: bool) -> dict:
    by_corpus: dict[str, Tally] = defaultdict(Tally)
    by_family: dict[tuple, Tally] = defaultdict(Tally)
    total = Tally()
    misses: dict[tuple, list[str]] = defaultdict(list)
    for s, j in zip(samples, judged):
        total.add(s, j)
        by_corpus[corpus_of(s)].add(s, j)
        by_family[(corpus_of(s), s["category"], s.get("family", "?"))].add(s, j)
        c = s["category"]
        missed = ((c == "secret" and j["secrets_caught"] < j["secrets"]) or (c == "lookalike" and j["flagged"])
                  or (c == "code" and (j["code_lines_removed"] < j["code_lines"] or j["keep_kept"] < j["keep"]))
                  or (c == "prose" and j["changed"]) or j["error"])
        if missed:
            misses[(corpus_of(s), c, s.get("family", "?"))].append(s["id"])

    print(f"\n## Split: {name} ({len(samples)} samples)")
    m_all = total.metrics()
    secret_corpora = [c for c in sorted(by_corpus)
                      if by_corpus[c].n["secret_samples"] or by_corpus[c].n["lookalike_samples"]]
    other_corpora = [c for c in sorted(by_corpus) if c not in secret_corpora]

    def g(m, k):
        return str(m.get(k, 0))

    rows = []
    secret_total = Tally()
    for s_, j_ in zip(samples, judged):
        if s_["category"] in ("secret", "lookalike"):
            secret_total.add(s_, j_)
    for corpus, m in [(c, by_corpus[c].metrics()) for c in secret_corpora] + [("ALL", secret_total.metrics())]:
        rows.append([corpus, g(m, "secret_samples"), g(m, "secrets"), pct(m["secret_recall"]),
                     pct(m["secret_sample_recall"]), g(m, "lookalike_samples"), pct(m["lookalike_flagged_rate"]),
                     pct(m["secret_precision"]), g(m, "errors")])
    if secret_corpora:
        table(f"### {name}: secrets (%)",
              ["corpus", "secret samples", "secrets", "secrets caught", "samples fully caught", "look-alikes",
               "look-alikes flagged", "precision", "errors"], rows)
    rows = []
    code_total = Tally()
    for s_, j_ in zip(samples, judged):
        if s_["category"] in ("code", "prose"):
            code_total.add(s_, j_)
    for corpus, m in [(c, by_corpus[c].metrics()) for c in other_corpora] + [("ALL", code_total.metrics())]:
        rows.append([corpus, g(m, "code_samples"), g(m, "code_lines"), pct(m["code_lines_removed_rate"]),
                     g(m, "keep_code"), pct(m["keep_kept_code_rate"]), g(m, "prose_samples"),
                     pct(m["prose_untouched_rate"]), pct(m["code_precision"] if corpus == "ALL" else None),
                     g(m, "errors")])
    if other_corpora:
        table(f"### {name}: code and prose (%)",
              ["corpus", "code samples", "code lines", "code lines removed", "prose lines around code",
               "kept", "prose samples", "prose untouched", "precision", "errors"], rows)

    fam_rows = []
    for key in sorted(by_family, key=lambda k: (k[0], CATEGORIES.index(k[1]) if k[1] in CATEGORIES else 9, k[2])):
        corpus, cat, fam = key
        fm = by_family[key].metrics()
        n = fm.get(f"{cat}_samples", 0)
        if cat == "secret":
            val, detail = fm["secret_recall"], f"{fm['secrets_caught']}/{fm['secrets']} secrets caught"
        elif cat == "lookalike":
            val, detail = fm["lookalike_flagged_rate"], f"{fm['lookalike_flagged']}/{n} flagged"
        elif cat == "code":
            val = fm["code_lines_removed_rate"]
            detail = (f"{fm['code_lines_removed']}/{fm['code_lines']} lines removed, "
                      f"{fm['keep_kept_code']}/{fm['keep_code']} prose lines kept")
        else:
            val, detail = fm["prose_untouched_rate"], f"{fm['prose_untouched']}/{n} untouched"
        fam_rows.append([corpus, cat, fam, str(n), pct(val), detail])
    table(f"### {name}: per family (% = secrets caught, look-alikes flagged, code lines removed or prose untouched)",
          ["corpus", "category", "family", "samples", "%", "detail"], fam_rows)

    if show_misses:
        print(f"\n### {name}: missed samples (ids only)\n")
        for key in sorted(misses):
            print(f"- {key[0]} / {key[1]} / {key[2]}: {', '.join(misses[key])}")

    out = {"total": total.metrics(),
           "corpora": {c: t.metrics() for c, t in sorted(by_corpus.items())},
           "families": [{"corpus": k[0], "category": k[1], "family": k[2], **t.metrics()}
                        for k, t in sorted(by_family.items())],
           "missed_ids": {"/".join(k): v for k, v in sorted(misses.items())}}
    return out


def check_targets(name: str, summary: dict) -> list[dict]:
    rows, res = [], []
    for label, key, corpus, op, bound in TARGETS:
        src = summary["total"] if corpus is None else summary["corpora"].get(corpus)
        if corpus is None and key in ("secret_recall", "lookalike_flagged_rate"):
            src = summary.get("secret_corpora_total", src)
        val = None if src is None else src.get(key)
        ok = None if val is None else (val >= bound if op == ">=" else val <= bound)
        rows.append([label, f"{op} {100 * bound:.0f}", "–" if val is None else f"{100 * val:6.2f}",
                     "–" if ok is None else ("met" if ok else "NOT met")])
        res.append({"target": label, "metric": key, "corpus": corpus, "op": op, "bound": bound, "value": val,
                    "met": ok})
    table(f"### {name}: targets of issue 31", ["target", "bound %", "value %", ""], rows)
    return res


def load(paths: list[Path]) -> list[dict]:
    samples, seen = [], set()
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                s = json.loads(line)
                problems = [k for k in ("id", "split", "category", "provider", "payload") if k not in s]
                if problems or s["category"] not in CATEGORIES or s["provider"] not in PROVIDERS:
                    sys.exit(f"score.py: {p.name}:{n}: not a corpus sample (missing {problems} or bad value)")
                if s["id"] in seen:
                    sys.exit(f"score.py: {p.name}:{n}: duplicate id {s['id']}")
                seen.add(s["id"])
                s["_corpus"] = p.stem
                samples.append(s)
    return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--airlock", help="scanner binary (default .build/debug/airlock, else $AIRLOCK_BIN)")
    ap.add_argument("--split", choices=("dev", "test", "both"), default="both")
    ap.add_argument("--json", metavar="FILE", help="write a machine-readable summary here")
    ap.add_argument("--show-misses", action="store_true", help="list the ids (never contents) of missed samples")
    ap.add_argument("--corpus", action="append", metavar="NAME",
                    help="only this corpus (file stem, e.g. secrets-config); repeatable")
    ap.add_argument("--jobs", type=int, default=2, help="scanner processes at once (default 2)")
    args = ap.parse_args()

    binary = find_binary(args.airlock)
    paths = sorted(Path(p) for p in glob.glob(str(CORPORA / "*.jsonl")))
    if args.corpus:
        paths = [p for p in paths if p.stem in args.corpus]
    if not paths:
        sys.exit(f"score.py: no corpora under {CORPORA}")
    samples = load(paths)
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    samples = [s for s in samples if s["split"] in splits]
    results = scan_all(binary, samples, max(1, args.jobs))
    judged = [judge(s, r) for s, r in zip(samples, results)]

    print(f"# Detection benchmark: {len(samples)} samples from {len(paths)} corpora, scanner {binary}")
    print("Secret and look-alike samples are scanned with --code monitor (the secret pass alone); code and prose "
          "samples with the defaults.")
    summary = {"scanner": binary, "splits": {}}
    for name in splits:
        idx = [i for i, s in enumerate(samples) if s["split"] == name]
        ss, jj = [samples[i] for i in idx], [judged[i] for i in idx]
        part = report_split(name, ss, jj, args.show_misses)
        secret_corpora = Tally()
        for s, j in zip(ss, jj):
            if s["category"] in ("secret", "lookalike"):
                secret_corpora.add(s, j)
        part["secret_corpora_total"] = secret_corpora.metrics()
        part["targets"] = check_targets(name, part)
        summary["splits"][name] = part
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
