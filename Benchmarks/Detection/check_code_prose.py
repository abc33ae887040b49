#!/usr/bin/env python3
"""Run the scanner over the CODE and PROSE corpora and print figures per family, shape and split.

    python3 Benchmarks/Detection/check_code_prose.py --airlock /tmp/airlock-ref/airlock [--json out.json]

Code: share of expect.code_lines (8 characters or more, stripped) whose text no longer
appears in the rewritten text, as score.py counts them, and share of expect.keep
strings that survive byte for byte; broken down by language, shape and provider.
Prose: share of samples whose text comes back unchanged.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ENDPOINT = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages",
            "gemini": "/v1beta/models/gemini-2.0-flash:generateContent"}


def texts(node):
    """All user-visible strings of a request body, in order."""
    out = []
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("text", "content") and isinstance(v, str):
                out.append(v)
            elif isinstance(v, (dict, list)):
                out.extend(texts(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(texts(v))
    return out


def scan(airlock, provider, payloads):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for p in payloads:
            f.write((json.dumps(p, ensure_ascii=False) if provider == "text" else p) + "\n")
        name = f.name
    cmd = [airlock, "scan", "--jsonl", "--provider", provider, "--format", "json"]
    if provider in ENDPOINT:
        cmd += ["--endpoint", ENDPOINT[provider]]
    r = subprocess.run(cmd + [name], capture_output=True, text=True)
    os.unlink(name)
    res = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    if len(res) != len(payloads):
        sys.exit(f"scanner returned {len(res)} results for {len(payloads)} payloads ({provider}): {r.stderr[:300]}")
    return res


def run(airlock, files):
    samples = [json.loads(l) for f in files for l in open(f, encoding="utf-8") if l.strip()]
    by_provider = defaultdict(list)
    for s in samples:
        by_provider[s["provider"]].append(s)
    for prov, ss in by_provider.items():
        for s, r in zip(ss, scan(airlock, prov, [s["payload"] for s in ss])):
            out = r.get("output")
            if prov == "text":
                s["_in"], s["_out"] = [s["payload"]], [out if isinstance(out, str) else s["payload"]]
            else:
                s["_in"] = texts(json.loads(s["payload"]))
                s["_out"] = texts(out if not isinstance(out, str) else json.loads(out))
            s["_decision"] = r.get("decision")
            s["_detectors"] = sorted({f.get("detector", "") for f in r.get("findings", [])})
    return samples


def pct(a, b):
    return f"{100.0 * a / b:5.1f}%" if b else "   - "


def report(samples):
    figs = {"code": {}, "prose": {}}
    code = defaultdict(lambda: [0, 0, 0, 0, 0])   # removed, total lines, kept, total keep, samples
    prose = defaultdict(lambda: [0, 0])
    for s in samples:
        sp = s["split"]
        if s["category"] == "code":
            # the benchmark's rule (README.md): a code line of 8 or more characters (stripped) is removed
            # when its text no longer appears anywhere in the output
            joined = "\n".join(s["_out"])
            lines = [l.strip() for l in s["expect"]["code_lines"] if len(l.strip()) >= 8]
            removed = sum(1 for l in lines if l not in joined)
            kept = sum(1 for k in s["expect"]["keep"] if k in joined)
            shape = s.get("shape", "?")
            shape_g = "short" if shape.startswith("short") else shape
            for key in ((s["family"], sp), ("shape:" + shape, sp), ("shape:" + shape_g + "*", sp) if shape_g != shape else None,
                        ("provider:" + s["provider"], sp), ("ALL", sp)):
                if key is None:
                    continue
                c = code[key]
                c[0] += removed
                c[1] += len(lines)
                c[2] += kept
                c[3] += len(s["expect"]["keep"])
                c[4] += 1
        else:
            same = s["_in"] == s["_out"]
            for key in ((s["family"], sp), ("ALL", sp)):
                prose[key][0] += same
                prose[key][1] += 1
            s["_same"] = same
    print("CODE: lines removed | prose kept around code        dev                         test")
    keys = sorted({k for k, _ in code}, key=lambda k: (k.startswith(("shape:", "provider:", "ALL")), k))
    for k in keys:
        d, t = code[(k, "dev")], code[(k, "test")]
        print(f"  {k:24s} {pct(d[0], d[1])} {pct(d[2], d[3])} (n={d[4]:3d})   {pct(t[0], t[1])} {pct(t[2], t[3])} (n={t[4]:3d})")
        figs["code"][k] = {"dev": {"lines_removed": d[0], "lines": d[1], "keep_kept": d[2], "keep": d[3], "samples": d[4]},
                           "test": {"lines_removed": t[0], "lines": t[1], "keep_kept": t[2], "keep": t[3], "samples": t[4]}}
    print("PROSE: samples untouched           dev               test")
    for k in sorted({k for k, _ in prose}, key=lambda k: (k == "ALL", k)):
        d, t = prose[(k, "dev")], prose[(k, "test")]
        print(f"  {k:24s} {pct(d[0], d[1])} (n={d[1]:3d})   {pct(t[0], t[1])} (n={t[1]:3d})")
        figs["prose"][k] = {"dev": {"untouched": d[0], "samples": d[1]}, "test": {"untouched": t[0], "samples": t[1]}}
    return figs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--airlock", default="/tmp/airlock-ref/airlock")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--misses", help="write ids of failing dev samples with their detectors here")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(HERE, "corpora", "code-*.jsonl")) +
                              glob.glob(os.path.join(HERE, "corpora", "prose-*.jsonl")))
    samples = run(a.airlock, files)
    figs = report(samples)
    if a.json:
        json.dump(figs, open(a.json, "w"), indent=1)
    if a.misses:
        with open(a.misses, "w") as f:
            for s in samples:
                if s["split"] == "dev" and s["category"] == "prose" and not s.get("_same", True):
                    f.write(f"{s['id']}\t{','.join(s['_detectors'])}\n")


if __name__ == "__main__":
    main()
