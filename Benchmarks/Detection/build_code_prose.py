#!/usr/bin/env python3
"""Build the CODE and PROSE detection corpora from fetched public repositories.

The repositories are read from git snapshots under $AIRLOCK_MIRROR (default
/work/.mirror, one `owner+name/repo` git directory each) at the commit pinned in
REPOS below; they are never committed.  Every sample records the repository,
path, commit and licence it came from.

    python3 Benchmarks/Detection/build_code_prose.py            # writes corpora/code-*.jsonl, prose-*.jsonl
    python3 Benchmarks/Detection/build_code_prose.py --check    # also runs the scanner and prints figures

Output is deterministic: file choice, snippet windows, chat templates and the
dev/test split are derived from hashes of the source repository and path.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpora")
MIRROR = os.environ.get("AIRLOCK_MIRROR", "/work/.mirror")

# repository -> (commit, licence)
REPOS = {
    "BurntSushi/ripgrep": ("3fce3b5bb0236da2df6d99672afb8a719642eca7", "MIT OR Unlicense"),
    "google/gson": ("9835b6f90192f79cdf5300c528fc6212455fb6c1", "Apache-2.0"),
    "square/moshi": ("889013ec2edb8d8034902662a1dc8c4f3b3f8111", "Apache-2.0"),
    "sinatra/sinatra": ("cb22afd7902b566b6eaba6c4ea89739494a65d12", "MIT"),
    "JamesNK/Newtonsoft.Json": ("09bb545d72969ad7fb4ea07db0d5c34f4fc07877", "MIT"),
    "scopt/scopt": ("75cd14c9e1f517e9d1beb8de9e3427e40630f1cb", "MIT"),
    "elixir-plug/plug": ("a898c454a04ca5ffad306bd751a15c7ac9ff6927", "Apache-2.0"),
    "haskell/aeson": ("40b03e5334b0571b986528b635fb874a86b31725", "BSD-3-Clause"),
    "rxi/lume": ("98847e7812cf28d3d64b289b03fad71dc704547d", "MIT"),
    "rxi/json.lua": ("dbf4b2dd2eb7c23be2773c89eb059dadd6436f94", "MIT"),
    "kikito/inspect.lua": ("a8ca3120dfec48801036eaeff9335ab7a096dd24", "MIT"),
    "kikito/middleclass": ("aa8f88b31715d7a58cc52d4bc6721d55e6c84f92", "MIT"),
    "rxi/classic": ("e5610756c98ac2f8facd7ab90c94e1a097ecd2c6", "MIT"),
    "antirez/sds": ("5347739b1581fcba74fd5cab1fc21d2aef317d71", "BSD-2-Clause"),
    "jupyter-widgets/ipywidgets": ("fbc0d6e9cd63727b5951f2bf559f1a5769e4455d", "BSD-3-Clause"),
    "pressly/goose": ("520411a16119bd3b332613d1ff8312c4cc249673", "MIT"),
    "pester/Pester": ("ec8ca45bc782a055cf3c87bdb60a497f5a77536f", "Apache-2.0"),
    "nvm-sh/nvm": ("b17550a0b9ab691439815dfccc8b73e3a59fa103", "MIT"),
    "docker/awesome-compose": ("18f59bdb09ecf520dd5758fbf90dec314baec545", "CC0-1.0"),
    "terraform-aws-modules/terraform-aws-vpc": ("82d1929e669efef4e2ad00611b8a68e7a56e049c", "Apache-2.0"),
    "ipython/ipython": ("7f0ee55684f08f5af18190aa58d4bb3018fb20d2", "BSD-3-Clause"),
    "jupyter/notebook": ("1cabcced0af1f7d6e43f06cec6883576399d6ac1", "BSD-3-Clause"),
    "psf/requests": ("1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e", "Apache-2.0"),
    "expressjs/express": ("a3714473feb3d2908add734d340e7755fd85e0a3", "MIT"),
    "colinhacks/zod": ("e516c3baf22615e20934116abebfed6c000222c2", "MIT"),
    "spf13/cobra": ("adbc8813901bba65827259daa8e22ff94ec1f30e", "Apache-2.0"),
    "DaveGamble/cJSON": ("a29814f285cc531c00223743ad3c55cd38c0dc56", "MIT"),
    "fmtlib/fmt": ("60ccad511fd680cb91d8b60a315759f71c67bef9", "MIT"),
    "guzzle/guzzle": ("2779e868a00289e1b1fd854af030c43a06f4bcb4", "MIT"),
    "apple/swift-argument-parser": ("2f77f2fccb6e84fecff338c37b199e33e7dfd119", "Apache-2.0"),
    "tiangolo/fastapi": ("6d9dc39fcb3eb3bcd9c2a693683d68311d1618e0", "MIT"),
    "rust-lang/book": ("917544888a55e4da7109bdba8c88c893c0da70f4", "MIT OR Apache-2.0"),
    "pytest-dev/pytest": ("df87db7b0462fb764ef73fa00561adf8ad047572", "MIT"),
    "KaTeX/KaTeX": ("a11ce7289b735a2c1970cddbd858c5b894da9c2b", "MIT"),
    "googleapis/release-please": ("fdaca293b5c9215c7bcae72dd228ba9558120817", "Apache-2.0"),
    "kubernetes/examples": ("279e8e4fe314f6cb7bc55fa3fbc21bbeaa48c0ea", "Apache-2.0"),
    "maruel/panicparse": ("da0aba9faf6cbc1094b5e2910b4c2756b264d1e7", "Apache-2.0"),
    "ruby/error_highlight": ("d945ffd2aa4e6c36665195b6a5db8a73ac5339af", "MIT"),
    "rspec/rspec-core": ("aec5f49485d97908183dbe790a7fefb8baaa8091", "MIT"),
    "deivid-rodriguez/byebug": ("25476b18d97172fecd61056d36255f311aa4a73c", "BSD-2-Clause"),
    "ThalesGroup/chaos-engine": ("89dc4af6a3b4705a1082d6f42fd50c77d7ca6174", "Apache-2.0"),
    "tstack/lnav": ("bb0005f96c8dc486ee0b9005a4562be0ef61c878", "BSD-2-Clause"),
    "alibaba/arthas": ("a5ecd7a84a93da8761b396fae2eee95301b3d6ff", "Apache-2.0"),
    "cvxpy/cvxpy": ("fee2fa912a11fb8806ef8b4be7a4d702a583a300", "Apache-2.0"),
    "pkg/errors": ("87f8819acf6dc28bf5d3c14b334268236d686f48", "BSD-2-Clause"),
}


# --------------------------------------------------------------------------- git access

def gitdir(repo):
    base = os.path.join(MIRROR, repo.replace("/", "+"), "repo")
    return os.path.join(base, ".git") if os.path.isdir(os.path.join(base, ".git")) else base


def git(repo, *args):
    return subprocess.run(["git", "-C", gitdir(repo), *args], capture_output=True, check=True).stdout


COMMITS = {}


def commit_of(repo):
    if repo not in COMMITS:
        pinned = REPOS[repo][0]
        COMMITS[repo] = pinned or git(repo, "rev-parse", "HEAD").decode().strip()
    return COMMITS[repo]


def ls(repo):
    out = git(repo, "ls-tree", "-r", "--name-only", commit_of(repo)).decode("utf-8", "replace")
    return sorted(out.splitlines())


def show(repo, path):
    try:
        raw = git(repo, "show", f"{commit_of(repo)}:{path}")
    except subprocess.CalledProcessError:
        return None
    try:
        return raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None


def source(repo, path):
    return {"repo": repo, "path": path, "commit": commit_of(repo), "license": REPOS[repo][1]}


# --------------------------------------------------------------------------- determinism

def h(*parts):
    return int(hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest(), 16)


def split_of(repo, path):
    """The benchmark's split rule (README.md): SHA-256 of "repo:path", first byte even means dev."""
    return "dev" if hashlib.sha256(f"{repo}:{path}".encode()).digest()[0] % 2 == 0 else "test"


class Rng:
    def __init__(self, *seed):
        self.state = h(*seed)

    def next(self):
        self.state = h(self.state)
        return self.state

    def randint(self, a, b):
        return a + self.next() % (b - a + 1)

    def choice(self, seq):
        return seq[self.next() % len(seq)]


# --------------------------------------------------------------------------- chat bodies

ENDPOINTS = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
    "gemini": "/v1beta/models/gemini-2.0-flash:generateContent",
}


def body(provider, parts):
    """parts: list of text parts of one user message."""
    if provider == "text":
        return "".join(parts)
    if provider == "openai":
        content = parts[0] if len(parts) == 1 else [{"type": "text", "text": p} for p in parts]
        return json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}, ensure_ascii=False)
    if provider == "anthropic":
        content = parts[0] if len(parts) == 1 else [{"type": "text", "text": p} for p in parts]
        return json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 1024,
                           "messages": [{"role": "user", "content": content}]}, ensure_ascii=False)
    if provider == "gemini":
        return json.dumps({"contents": [{"role": "user", "parts": [{"text": p} for p in parts]}]}, ensure_ascii=False)
    raise ValueError(provider)


def sample(id_, split, category, family, provider, parts, expect, src, **extra):
    d = {"id": id_, "split": split, "category": category, "family": family, "provider": provider}
    if provider != "text":
        d["endpoint"] = ENDPOINTS[provider]
    d["payload"] = body(provider, parts)
    d["expect"] = expect
    d["source"] = src
    d.update(extra)
    return d


# --------------------------------------------------------------------------- code corpus

# family, fence label, repo, include regex, exclude regex, number of files
CODE = [
    ("rust", "rust", "BurntSushi/ripgrep", r"^crates/[^/]+/src/.*\.rs$", r"tests?/|/tests\.rs$", 5),
    ("java", "java", "google/gson", r"^gson/src/main/java/.*\.java$", r"package-info", 5),
    ("kotlin", "kotlin", "square/moshi", r"\.kt$", r"[Tt]est", 5),
    ("ruby", "ruby", "sinatra/sinatra", r"^(lib|sinatra-contrib/lib|rack-protection/lib)/.*\.rb$", r"version\.rb$", 5),
    ("csharp", "csharp", "JamesNK/Newtonsoft.Json", r"^Src/Newtonsoft\.Json/.*\.cs$", r"Tests|AssemblyInfo", 5),
    ("scala", "scala", "scopt/scopt", r"\.scala$", r"project/", 5),
    ("elixir", "elixir", "elixir-plug/plug", r"^lib/.*\.ex$", None, 5),
    ("haskell", "haskell", "haskell/aeson", r"^(src|attoparsec-aeson/src|text-iso8601/src)/.*\.hs$", None, 5),
    ("lua", "lua", "rxi/lume", r"\.lua$", r"test", 2),
    ("lua", "lua", "rxi/json.lua", r"^json\.lua$", None, 1),
    ("lua", "lua", "kikito/inspect.lua", r"\.lua$", r"spec|rockspec", 2),
    ("lua", "lua", "kikito/middleclass", r"\.lua$", r"^spec/", 3),
    ("lua", "lua", "rxi/classic", r"\.lua$", None, 1),
    ("sql", "sql", "pressly/goose", r"\.sql$", r"invalid", 8),
    ("powershell", "powershell", "pester/Pester", r"^src/.*\.ps1$", None, 5),
    ("shell", "bash", "nvm-sh/nvm", r"^(install\.sh|nvm\.sh|nvm-exec|bash_completion)$", None, 4),
    ("shell", "sh", "docker/awesome-compose", r"\.sh$", None, 2),
    ("shell", "bash", "kubernetes/examples", r"\.sh$", r"_archived/.*/(vendor|third_party)/", 2),
    ("shell", "bash", "rust-lang/book", r"^(tools|ci)/.*\.sh$", None, 2),
    ("makefile", "makefile", "nvm-sh/nvm", r"^Makefile$", None, 1),
    ("makefile", "makefile", "DaveGamble/cJSON", r"^Makefile$", None, 1),
    ("makefile", "makefile", "pressly/goose", r"^Makefile$", None, 1),
    ("makefile", "makefile", "haskell/aeson", r"^Makefile$", None, 1),
    ("makefile", "makefile", "spf13/cobra", r"^Makefile$", None, 1),
    ("makefile", "makefile", "pytest-dev/pytest", r"^doc/en/Makefile$", None, 1),
    ("makefile", "makefile", "kubernetes/examples", r"(^|/)Makefile$", None, 1),
    ("makefile", "makefile", "guzzle/guzzle", r"^Makefile$", None, 1),
    ("makefile", "makefile", "psf/requests", r"^Makefile$", None, 1),
    ("makefile", "makefile", "kikito/inspect.lua", r"^Makefile$", None, 1),
    ("makefile", "makefile", "pkg/errors", r"^Makefile$", None, 1),
    ("dockerfile", "dockerfile", "docker/awesome-compose", r"(^|/)Dockerfile[^/]*$", None, 8),
    ("terraform", "hcl", "terraform-aws-modules/terraform-aws-vpc", r"\.tf$", r"versions\.tf$", 5),
    ("python", "python", "psf/requests", r"^src/requests/.*\.py$", r"__version__|__init__|packages\.py", 5),
    ("javascript", "javascript", "expressjs/express", r"^(lib|examples)/.*\.js$", None, 5),
    ("typescript", "typescript", "colinhacks/zod", r"^packages/zod/src/v4/(core|classic)/[^/]*\.ts$", r"test|\.d\.ts$", 5),
    ("go", "go", "spf13/cobra", r"^[^/]+\.go$", r"_test\.go$", 4),
    ("go", "go", "pressly/goose", r"^[^/]+\.go$", r"_test\.go$", 2),
    ("c", "c", "DaveGamble/cJSON", r"^(cJSON|cJSON_Utils)\.c$|^fuzzing/.*\.c$", None, 4),
    ("c", "c", "antirez/sds", r"\.c$", None, 2),
    ("cpp", "cpp", "fmtlib/fmt", r"^(include/fmt/.*\.h|src/.*\.cc|test/[a-z-]+-test\.cc)$", None, 5),
    ("php", "php", "guzzle/guzzle", r"^src/.*\.php$", None, 5),
    ("swift", "swift", "apple/swift-argument-parser", r"^(Sources|Examples)/.*\.swift$", None, 5),
]

COMMENT_PREFIX = {
    "rust": ("//",), "java": ("//", "/*", "*"), "kotlin": ("//", "/*", "*"), "ruby": ("#",),
    "csharp": ("//", "/*", "*"), "scala": ("//", "/*", "*"), "elixir": ("#",), "haskell": ("--", "{-", "-}", "|"),
    "lua": ("--",), "sql": ("--",), "powershell": ("#", "<#", "#>", "."), "shell": ("#",), "makefile": ("#",),
    "dockerfile": ("#",), "terraform": ("#", "//"), "python": ("#", '"""', "'''"), "javascript": ("//", "/*", "*"),
    "typescript": ("//", "/*", "*"), "go": ("//",), "c": ("/*", "*", "//"), "cpp": ("//", "/*", "*"),
    "php": ("//", "/*", "*", "#"), "swift": ("//", "/*", "*"), "jupyter": ("#",), "ipython": (),
}


def is_comment(family, line):
    s = line.strip()
    if family in ("c", "cpp") and s.startswith("#"):
        return False
    return any(s.startswith(p) for p in COMMENT_PREFIX.get(family, ()))


def good_line(line):
    return len(line) <= 160 and "```" not in line and "\t" * 6 not in line


BLOCK_COMMENTS = {
    "haskell": [("{-", "-}")], "lua": [("--[[", "]]")], "powershell": [("<#", "#>")],
    "python": [('"""', '"""'), ("'''", "'''")], "jupyter": [('"""', '"""')],
    "elixir": [('@moduledoc """', '"""'), ('@doc """', '"""'), ('@typedoc """', '"""'), ('@shortdoc """', '"""')],
    "ruby": [("=begin", "=end")], "shell": [], "makefile": [], "dockerfile": [], "sql": [("/*", "*/")],
}


def comment_mask(family, lines):
    """True for each line that is a comment, inside a block comment or inside a docstring."""
    pairs = BLOCK_COMMENTS.get(family, [("/*", "*/")])
    mask, end = [], None
    for line in lines:
        st = line.strip()
        if end is not None:
            mask.append(True)
            if end in st:
                end = None
            continue
        opened = None
        for a, b in pairs:
            at = st.find(a)
            if at == 0 or (at > 0 and a.startswith("@")) or (at >= 0 and family == "python" and at == 0):
                rest = st[at + len(a):]
                if b not in rest:
                    opened = b
                break
        if opened:
            end = opened
            mask.append(True)
            continue
        mask.append(is_comment(family, line) or any(st.startswith(a) for a, _ in pairs))
    return mask


def windows(family, lines, size, rng, n):
    """n windows of `size` lines, starting at an unindented (or any) code line."""
    L = len(lines)
    if L < size:
        size = L
    mask = comment_mask(family, lines)
    starts, indented = [], []
    for i in range(0, max(1, L - size + 1)):
        w = lines[i:i + size]
        cm = mask[i:i + size]
        if not w or not w[0].strip() or cm[0]:
            continue
        if not all(good_line(x) for x in w):
            continue
        nonblank = [x for x in w if x.strip()]
        if len(nonblank) < max(2, int(0.6 * len(w))):
            continue
        if sum(c for x, c in zip(w, cm) if x.strip()) > 0.35 * len(nonblank):
            continue
        if size <= 4 and (any(cm) or sum(len(x.strip()) >= 8 for x in w) < 2):
            continue   # a short paste is code only, with at least two substantial lines
        if size >= 5 and w[0][:1] in (" ", "\t"):
            indented.append(i)   # longer pastes begin at a declaration when the file has one
            continue
        starts.append(i)
    starts = starts or indented
    out = []
    used = set()
    for _ in range(n * 3):
        if not starts or len(out) == n:
            break
        i = rng.choice(starts)
        if any(abs(i - j) < size for j in used):
            continue
        used.add(i)
        w = lines[i:i + size]
        while w and not w[-1].strip():
            w = w[:-1]
        out.append("\n".join(w))
    return out


BEFORE = [
    "Can someone explain why this {lang} code doesn't do what I expect?",
    "I'm getting wrong results from this and I can't figure out why.",
    "Here's the relevant part of our code:",
    "Could you review this snippet and suggest improvements?",
    "hey, quick question about this bit of {lang}",
    "This works locally but fails in CI. Here is the code:",
    "I inherited this {lang} code and need to understand what it does.",
    "Please refactor the following so it's easier to test.",
    "Why would this be slow on large inputs?",
    "We're seeing intermittent failures around this section, any idea what's going on?",
    "Can you add comments explaining each step of this?",
    "I think there's an off-by-one somewhere in here but I can't spot it.",
    "My teammate wrote this and I'm not sure it's thread safe.",
    "Translate this to idiomatic code, keeping the behaviour the same:",
    "What does this part do exactly? I'm new to {lang}.",
    "so this is what I have right now",
]
AFTER = [
    "What am I missing?",
    "Any help appreciated, thanks!",
    "Is there a cleaner way to write this?",
    "It compiles fine, the problem only shows up at runtime.",
    "Let me know if you need more context.",
    "Thanks in advance.",
    "I'd prefer a fix that doesn't change the public API.",
    "Would you write it differently?",
    "The tests pass, but the reviewer flagged it and I don't understand why.",
    "Please keep the answer short.",
    "Can you also point out any edge cases I should test?",
    "does that look right to you?",
]
MIDDLE = [
    "This is where it goes wrong, I think. Then further down:",
    "and then later in the same file we have",
    "Is the part above even needed? The rest of it is:",
    "Why does the first half work but not this?",
    "(skipping a few lines here) and then:",
    "The bug report points at the next section:",
]
LANG_NAME = {
    "csharp": "C#", "cpp": "C++", "javascript": "JavaScript", "typescript": "TypeScript", "powershell": "PowerShell",
    "makefile": "Makefile", "dockerfile": "Dockerfile", "terraform": "Terraform", "jupyter": "notebook",
    "ipython": "IPython", "sql": "SQL", "php": "PHP", "c": "C",
}

SHAPES = ["fenced-label", "fenced-nolabel", "unfenced", "question-middle", "multipart", "short-fenced", "short-unfenced"]


def lang_name(family):
    return LANG_NAME.get(family, family.capitalize())


def code_lines(code):
    return [l for l in code.split("\n") if l.strip()]


def fence(code, label):
    return f"```{label}\n{code}\n```"


def plant(family, label, code, shape, rng, src, split, sid, skip_lines=None):
    lang = lang_name(family)
    before = rng.choice(BEFORE).format(lang=lang)
    after = rng.choice(AFTER)
    tight = rng.randint(0, 2) == 0     # no blank line between the code and the sentence after it
    gap_after = "\n" if tight else "\n\n"
    keep = [before, after]
    extra = {"shape": shape}
    if shape in ("fenced-label", "short-fenced"):
        parts = [before + "\n\n" + fence(code, label) + gap_after + after]
    elif shape == "fenced-nolabel":
        parts = [before + "\n\n" + fence(code, "") + gap_after + after]
    elif shape in ("unfenced", "short-unfenced"):
        parts = [before + "\n\n" + code + gap_after + after]
    elif shape == "question-middle":
        ls_ = code.split("\n")
        cut = len(ls_) // 2
        # cut at a blank or unindented line near the middle when there is one
        for d in range(0, len(ls_) // 3):
            for c in (cut + d, cut - d):
                if 0 < c < len(ls_) and (not ls_[c].strip() or ls_[c][:1] not in (" ", "\t")):
                    cut = c
                    break
            else:
                continue
            break
        a = "\n".join(ls_[:cut]).rstrip("\n")
        b = "\n".join(ls_[cut:]).strip("\n")
        mid = rng.choice(MIDDLE)
        keep = [before, mid, after]
        if rng.randint(0, 1):
            parts = [before + "\n\n" + fence(a, label) + "\n\n" + mid + "\n\n" + fence(b, label) + "\n\n" + after]
            extra["fenced"] = True
        else:
            parts = [before + "\n\n" + a + "\n\n" + mid + "\n\n" + b + "\n\n" + after]
            extra["fenced"] = False
    elif shape == "multipart":
        fenced = rng.randint(0, 1) == 1
        parts = [before, fence(code, label) if fenced else code, after]
        extra["fenced"] = fenced
    else:
        raise ValueError(shape)
    if shape == "multipart":
        provider = ["openai", "anthropic", "gemini"][rng.randint(0, 2)]
    else:
        provider = ["text", "openai", "anthropic", "gemini"][rng.randint(0, 3)]
    if shape != "multipart" and shape != "question-middle":
        extra["tight"] = tight
    lines = code_lines(code)
    if skip_lines:
        lines = [l for l in lines if not skip_lines(l)]
    return sample(sid, split, "code", family, provider, parts,
                  {"secrets": [], "code_lines": lines, "keep": keep}, src, **extra)


def build_code():
    out = defaultdict(list)
    chosen = defaultdict(list)   # family -> [(repo, path, label, lines)]
    pools = defaultdict(lambda: {"dev": [], "test": []})
    target = defaultdict(int)
    for family, label, repo, inc, exc, nfiles in CODE:
        files = [p for p in ls(repo) if re.search(inc, p) and not (exc and re.search(exc, p))]
        target[family] += nfiles
        per = {"dev": 0, "test": 0}
        for path in balanced(repo, files):
            half = split_of(repo, path)
            if per[half] >= nfiles:
                continue
            text = show(repo, path)
            if not text or len(text) > 400_000:
                continue
            lines = text.split("\n")
            if len([l for l in lines if l.strip()]) < 6:
                continue
            per[half] += 1
            pools[family][half].append((repo, path, label, lines))
    for family, pool in pools.items():
        # interleave the entries of a family, then take half of the family's files from each half
        for half in pool:
            seen, ranked = defaultdict(int), []
            for i, f in enumerate(pool[half]):
                ranked.append((seen[f[0]], i, f))
                seen[f[0]] += 1
            pool[half] = [f for _, _, f in sorted(ranked, key=lambda r: (r[0], r[1]))]
        want = (target[family] + 1) // 2
        dev, test = pool["dev"][:want], pool["test"][:want]
        short = 2 * want - len(dev) - len(test)
        if short > 0:
            dev += pool["dev"][want:want + short]
            test += pool["test"][want:want + short]
        chosen[family] = dev + test
    for family, files in chosen.items():
        per_half = defaultdict(int)
        for repo, path, _, _ in files:
            per_half[split_of(repo, path)] += 1
        most = max(per_half.values())
        for repo, path, label, lines in files:
            # a half with fewer source files gets more pastes from each, so both halves weigh alike
            rounds = min(2, max(1, most // per_half[split_of(repo, path)]))
            for r in range(rounds):
                emit_code_file(out, family, label, repo, path, lines, rnd=r)
    jupyter_cells(out)
    ipython_transcripts(out)
    return out


def balanced(repo, files, salt=""):
    """Files in a hash order that alternates between the dev and the test half."""
    files = sorted(files, key=lambda p: h("pick", repo, salt, p))
    dev = [p for p in files if split_of(repo, p) == "dev"]
    test = [p for p in files if split_of(repo, p) == "test"]
    out = []
    for i in range(max(len(dev), len(test))):
        for half in ((dev, test) if h("first", repo) % 2 else (test, dev)):
            if i < len(half):
                out.append(half[i])
    return out


def emit_code_file(out, family, label, repo, path, lines, shapes=SHAPES, rnd=0):
    rng = Rng("code", repo, path, *([rnd] if rnd else []))
    split = split_of(repo, path)
    src = source(repo, path)
    for k, shape in enumerate(shapes):
        if shape.startswith("short"):
            size = rng.randint(2, 4)
        elif rng.randint(0, 3) == 0:
            size = rng.randint(30, 45)
        else:
            size = rng.randint(6, 24)
        ws = windows(family, lines, size, Rng("win", repo, path, shape, *([rnd] if rnd else [])), 1)
        if not ws:
            continue
        code = ws[0]
        if len(code_lines(code)) < 2:
            continue
        sid = f"code-{family}-{shape}-{h(repo, path) % 10**8:08d}-{k + 10 * rnd}"
        out[family].append(plant(family, label, code, shape, rng, src, split, sid))


def jupyter_cells(out):
    """Plain notebook code cells (one to three consecutive cells per paste)."""
    for repo, inc in (("jupyter/notebook", r"^docs/source/examples/.*\.ipynb$"),
                      ("jupyter-widgets/ipywidgets", r"^docs/source/examples/.*\.ipynb$")):
        files = balanced(repo, [p for p in ls(repo) if re.search(inc, p)])
        for path in files[:10]:
            text = show(repo, path)
            try:
                nb = json.loads(text)
            except Exception:
                continue
            cells = []
            for c in nb.get("cells", []):
                if c.get("cell_type") != "code":
                    continue
                s = "".join(c.get("source", [])) if isinstance(c.get("source"), list) else c.get("source", "")
                s = s.strip("\n")
                if s and len(s) < 3000 and "```" not in s and not s.lstrip().startswith(("%%html", "%%javascript")):
                    cells.append(s)
            if len(cells) < 2:
                continue
            rng = Rng("nb", repo, path)
            split = split_of(repo, path)
            src = source(repo, path)
            for k, shape in enumerate(["fenced-label", "unfenced", "multipart", "short-unfenced", "nbscript"]):
                i = rng.randint(0, len(cells) - 1)
                if shape.startswith("short"):
                    cand = [c for c in cells if 2 <= len(code_lines(c)) <= 4]
                    if not cand:
                        continue
                    code = rng.choice(cand)
                elif shape == "nbscript":
                    # nbconvert --to script layout: "# In[3]:" markers between cells
                    chunk = cells[i:i + 3]
                    code = "\n\n".join(f"# In[{i + j + 1}]:\n\n\n{c}\n" for j, c in enumerate(chunk)).strip("\n")
                else:
                    code = "\n\n".join(cells[i:i + rng.randint(1, 3)])
                if len(code_lines(code)) < 2:
                    continue
                sid = f"code-jupyter-{shape}-{h(repo, path) % 10**8:08d}-{k}"
                shp = "unfenced" if shape == "nbscript" else shape
                s = plant("jupyter", "python", code, shp, rng, src, split, sid)
                if shape == "nbscript":
                    s["shape"] = "unfenced"
                    s["layout"] = "nbconvert-script"
                out["jupyter"].append(s)


IPY_PROMPT = re.compile(r"^(In \[\d*\]:|\s+\.\.\.:|\s*\.\.\.:)")


def ipython_transcripts(out):
    """IPython session transcripts (In [n]: / ...: / Out[n]:) quoted in IPython's docs."""
    repo = "ipython/ipython"
    files = [p for p in ls(repo) if p.startswith("docs/source/") and p.endswith(".rst")]
    blocks = []
    for path in files:
        text = show(repo, path)
        if not text or "In [" not in text:
            continue
        lines = text.split("\n")
        i = 0
        while i < len(lines):
            m = re.match(r"^(\s*)In \[\d*\]:", lines[i])
            if not m:
                i += 1
                continue
            ind = len(m.group(1))
            j = i
            blk = []
            while j < len(lines) and (not lines[j].strip() or (len(lines[j]) - len(lines[j].lstrip()) >= ind)):
                blk.append(lines[j][ind:] if lines[j].strip() else "")
                j += 1
            while blk and not blk[-1].strip():
                blk.pop()
            prompts = [l for l in blk if IPY_PROMPT.match(l)]
            if 2 <= len(prompts) and len(blk) <= 60 and all(good_line(l) for l in blk) \
                    and not any(l.strip().startswith((".. ", ":")) for l in blk):
                blocks.append((path, "\n".join(blk)))
            i = max(j, i + 1)
    per_file = defaultdict(int)
    for path, blk in blocks:
        if per_file[path] >= 4:
            continue
        per_file[path] += 1
        rng = Rng("ipy", path, blk)
        shape = ["fenced-label", "fenced-nolabel", "unfenced", "multipart"][per_file[path] - 1]
        sid = f"code-ipython-{shape}-{h(repo, path) % 10**8:08d}-{per_file[path]}"
        s = plant("ipython", "ipython", blk, shape, rng, source(repo, path), split_of(repo, path), sid,
                  skip_lines=lambda l: not IPY_PROMPT.match(l))
        out["ipython"].append(s)


# --------------------------------------------------------------------------- prose corpus

FENCE = re.compile(r"^\s*(```|~~~)")


def md_blocks(text):
    """Markdown split into blank-line separated blocks, fenced code and HTML removed.
    Returns a list of blocks (each a list of lines); None marks a removed code block."""
    blocks, cur, in_fence, in_comment = [], [], False, False
    for line in text.split("\n"):
        if in_comment or (not in_fence and "<!--" in line):
            # HTML comments are left out like code blocks
            if not in_comment:
                if cur:
                    blocks.append(cur)
                    cur = []
                blocks.append(None)
            in_comment = "-->" not in line.split("<!--")[-1] if "<!--" in line else "-->" not in line
            continue
        if FENCE.match(line):
            if cur:
                blocks.append(cur)
                cur = []
            if not in_fence:
                blocks.append(None)
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            if cur:
                blocks.append(cur)
                cur = []
            continue
        cur.append(line)
    if cur:
        blocks.append(cur)
    return blocks


def prose_block_ok(b):
    if b is None:
        return False
    t = "\n".join(b)
    if any(l.startswith(("    ", "\t")) and not l.lstrip().startswith(("-", "*", "1", "2", "3")) for l in b):
        return False   # indented code
    if re.search(r"<(/?\w+)[^>]*>|\{\*|\{!|^---$|^\|", t, re.M):
        return False
    if t.startswith(("$ ", "> $", "import ", "from ")):
        return False
    return True


def doc_chunks(text, lo=250, hi=1200):
    """Runs of consecutive prose blocks (headings, paragraphs, lists) between code blocks."""
    out, run = [], []
    for b in md_blocks(text) + [None]:
        if prose_block_ok(b):
            run.append("\n".join(b))
            if sum(len(x) for x in run) >= hi:
                out.append("\n\n".join(run))
                run = []
        else:
            if run and sum(len(x) for x in run) >= lo:
                out.append("\n\n".join(run))
            run = []
    return [c for c in out if lo <= len(c) <= hi * 1.6 and re.search(r"[.!?。．]\s", c + " ")]


BUG_BEFORE = [
    "I'm getting this error when running the tests:",
    "After upgrading, the app crashes on startup with the following:",
    "Bug report: the job fails intermittently. Output below.",
    "Seeing this in production logs since yesterday's deploy:",
    "Not sure if this is a bug or a misconfiguration on my side. Here's what I get:",
    "Steps: run the command from the README. Actual result:",
    "Can you help me understand this stack trace?",
]
BUG_AFTER = [
    "Any idea what causes this?",
    "Happy to provide more details if needed.",
    "This started after the last dependency update.",
    "It works on my laptop but not in the container.",
    "What should I look at first?",
]


def bug_report(trace, rng):
    """Wrap a quoted trace as users paste it: bare, fenced with a plain fence, or between sentences."""
    k = rng.randint(0, 2)
    ls_ = trace.split("\n")
    if len(ls_) > 26:
        # long traces are pasted with their tail cut, as people do
        trace = "\n".join(ls_[:24]).rstrip()
    if k == 0:
        return trace, "bare"
    a, b = rng.choice(BUG_BEFORE), rng.choice(BUG_AFTER)
    if k == 1:
        return f"{a}\n\n```\n{trace}\n```\n\n{b}", "fenced"
    return f"{a}\n\n{trace}\n\n{b}", "unfenced"


def prose_sample(out, family, repo, path, text, idx, shape=None, rng=None):
    rng = rng or Rng("prose", family, repo, path, idx)
    if family.startswith("stacktrace-") and text.count("\n") > 30:
        return   # keep quoted traces at a pasteable size
    provider = ["text", "openai", "anthropic", "gemini"][rng.randint(0, 3)]
    sid = f"prose-{family}-{h(repo, path) % 10**8:08d}-{idx}"
    extra = {"shape": shape} if shape else {}
    out[family].append(sample(sid, split_of(repo, path), "prose", family, provider, [text],
                              {"secrets": [], "code_lines": [], "keep": [text]}, source(repo, path), **extra))


def take(items, n, *seed):
    items = list(items)
    items.sort(key=lambda x: h(*seed, x if isinstance(x, str) else json.dumps(x)))
    return items[:n]


DOC_REPOS = [
    ("BurntSushi/ripgrep", r"^(README|GUIDE|FAQ)\.md$"),
    ("google/gson", r"^(README|UserGuide|Troubleshooting)\.md$"),
    ("sinatra/sinatra", r"^README\.md$"),
    ("psf/requests", r"^README\.md$|^docs/.*\.md$"),
    ("spf13/cobra", r"^(README|site/content/.*)\.md$"),
    ("docker/awesome-compose", r"^[^/]+/README\.md$"),
    ("kubernetes/examples", r"README\.md$"),
    ("apple/swift-argument-parser", r"\.md$"),
    ("rust-lang/book", r"^src/ch0[1-9].*\.md$"),
    ("tiangolo/fastapi", r"^docs/en/docs/(tutorial|advanced)/[^/]+\.md$"),
    ("pester/Pester", r"^README\.md$"),
]
I18N = ["de", "es", "fr", "ja", "zh", "pt", "ko", "ru", "tr"]


def build_docs(out):
    for repo, inc in DOC_REPOS:
        files = balanced(repo, [p for p in ls(repo) if re.search(inc, p)])[:12]
        for path in files:
            text = show(repo, path)
            if not text:
                continue
            for k, c in enumerate(take(doc_chunks(text), 1 + (len(files) < 6), "chunk", path)):
                prose_sample(out, "docs", repo, path, c, k)
    repo = "tiangolo/fastapi"
    allp = ls(repo)
    for lang in I18N:
        files = balanced(repo, [p for p in allp if re.match(rf"^docs/{lang}/docs/(tutorial|advanced|)[^.]*\.md$", p)
                                       and "/release-notes" not in p], lang)[:6]
        n = 0
        for path in files:
            text = show(repo, path)
            if not text:
                continue
            for k, c in enumerate(take(doc_chunks(text, 150, 1400), 2, "chunk", path)):
                prose_sample(out, f"docs-{lang}", repo, path, c, k)
                n += 1
    # Arthas' Chinese documentation (a second source for docs-zh)
    repo = "alibaba/arthas"
    files = balanced(repo, [p for p in ls(repo) if re.match(r"^site/docs/doc/[^/]+\.md$", p)])[:8]
    for path in files:
        text = show(repo, path)
        for k, c in enumerate(take(doc_chunks(text or "", 150, 1400), 2, "chunk", path)):
            prose_sample(out, "docs-zh", repo, path, c, k)


CHANGELOGS = [
    ("BurntSushi/ripgrep", "CHANGELOG.md", r"^\d+\.\d+\.\d+"),
    ("psf/requests", "HISTORY.md", r"^\d+\.\d+\.\d+"),
    ("expressjs/express", "History.md", r"^\d+\.\d+\.\d+"),
    ("fmtlib/fmt", "ChangeLog.md", r"^#\s*\d+\.\d+"),
    ("guzzle/guzzle", "CHANGELOG.md", r"^##\s"),
    ("googleapis/release-please", "CHANGELOG.md", r"^##\s"),
    ("pressly/goose", "CHANGELOG.md", r"^##\s"),
    ("square/moshi", "CHANGELOG.md", r"^##\s"),
    ("google/gson", "CHANGELOG.md", r"^##\s"),
    ("sinatra/sinatra", "CHANGELOG.md", r"^##\s"),
    ("apple/swift-argument-parser", "CHANGELOG.md", r"^##\s"),
    ("rxi/lume", "README.md", None),
]


def changelog_sections(text, head_re):
    lines = text.split("\n")
    secs, cur = [], []
    for l in lines:
        if re.match(r"^#{1,3}\s", l) and re.search(r"\d+\.\d+", l) or re.match(head_re, l) and re.search(r"\d+\.\d+", l):
            if cur:
                secs.append(cur)
            cur = [l]
        elif cur:
            cur.append(l)
    if cur:
        secs.append(cur)
    res = []
    for s in secs:
        while s and not s[-1].strip():
            s.pop()
        s = s[:45]
        while s and not s[-1].strip():
            s.pop()
        t = "\n".join(s)
        if 120 <= len(t) <= 4000 and "```" not in t and not re.search(r"^(    |\t)\S", t, re.M) \
                and not re.search(r"^\s*\|", t, re.M):
            res.append(t)
    return res


LIST_ITEM = re.compile(r"^\s*([-*+]|\d+\.)\s+\S")


def markdown_lists(text):
    res = []
    for b in md_blocks(text):
        if not b or not LIST_ITEM.match(b[0]):
            continue
        items = [l for l in b if LIST_ITEM.match(l)]
        t = "\n".join(b)
        if len(items) >= 3 and t.count("`") >= 4 and len(t) <= 1600 and prose_block_ok(b):
            res.append(t)
    return res


def build_changelog_and_lists(out):
    for repo, path, head in CHANGELOGS:
        text = show(repo, path)
        if not text:
            continue
        if head:
            for k, s in enumerate(take(changelog_sections(text, head), 5, "cl", repo)):
                prose_sample(out, "changelog", repo, path, s, k)
        for k, s in enumerate(take(markdown_lists(text), 5, "list", repo)):
            prose_sample(out, "markdown-list", repo, path, s, 100 + k)
    for repo, inc in (("tiangolo/fastapi", r"^docs/en/docs/(tutorial|advanced)/.*\.md$"),
                      ("apple/swift-argument-parser", r"\.md$"), ("spf13/cobra", r"\.md$")):
        for path in take([p for p in ls(repo) if re.search(inc, p)], 10, "lists", repo):
            for k, s in enumerate(take(markdown_lists(show(repo, path) or ""), 2, "list", path)):
                prose_sample(out, "markdown-list", repo, path, s, 200 + k)


COMMIT_REPOS = ["BurntSushi/ripgrep", "psf/requests", "fmtlib/fmt", "spf13/cobra", "square/moshi",
                "sinatra/sinatra", "pytest-dev/pytest", "expressjs/express", "rust-lang/book", "haskell/aeson",
                "ipython/ipython", "colinhacks/zod", "googleapis/release-please", "tiangolo/fastapi",
                "DaveGamble/cJSON", "elixir-plug/plug"]


def build_commits(out):
    for repo in COMMIT_REPOS:
        raw = git(repo, "log", "-n", "4000", "--format=%H%x1f%an%x1f%B%x1e", commit_of(repo)).decode("utf-8", "replace")
        human, bot = [], []
        for rec in raw.split("\x1e"):
            rec = rec.strip("\n")
            if not rec:
                continue
            try:
                sha, author, msg = rec.split("\x1f", 2)
            except ValueError:
                continue
            msg = msg.strip("\n")
            msg = "\n".join(l for l in msg.split("\n") if not l.startswith("Signed-off-by:"))
            msg = msg.rstrip()
            if len(msg) > 2000 or len(msg.split("\n")) < 3:
                continue
            if "```" in msg or len(re.findall(r"^( {4,}|\t)\S", msg, re.M)) >= 2 or re.search(r"<[a-z]+[ >]", msg):
                continue   # messages that quote code or markup are not plain prose
            if "[bot]" in author or author.lower() in ("dependabot", "renovate bot"):
                if re.search(r"^#{1,4} ", msg, re.M) or re.search(r"^- \[", msg, re.M) or "Bumps " in msg:
                    bot.append((sha, msg))
            elif len(msg) >= 160:
                human.append((sha, msg))
        headed = [b for b in bot if re.search(r"^#{1,4} ", b[1], re.M)]
        plain = [b for b in bot if b not in headed]
        # release-bot messages with Markdown headings weigh more: they are what trips a code detector
        bot = take(headed, 14, "headed", repo) + take(plain, 5 if not headed else 0, "plain", repo)
        for fam, lst, n in (("commit", human, 5), ("commit-bot", bot, 19)):
            for k, (sha, msg) in enumerate(take(lst, n, fam, repo)):
                rng = Rng("commit", repo, sha)
                provider = ["text", "openai", "anthropic", "gemini"][rng.randint(0, 3)]
                src = dict(source(repo, f"commit:{sha}"))
                sid = f"prose-{fam}-{h(repo) % 10**6:06d}-{sha[:10]}"
                # a commit message belongs to its repository's history; split on the commit
                out[fam].append(sample(sid, split_of(repo, src["path"]), "prose", fam, provider, [msg],
                                       {"secrets": [], "code_lines": [], "keep": [msg]}, src))


def trace_runs(text, frame_re, head_re=None, min_frames=2, max_lines=40):
    """Contiguous runs of lines holding at least min_frames lines that match frame_re."""
    res = []
    for b in re.split(r"\n\s*\n|^\s*```.*$", text, flags=re.M):
        if b is None:
            continue
        lines = [l.rstrip() for l in b.strip("\n").split("\n")]
        frames = [l for l in lines if re.search(frame_re, l)]
        if len(frames) >= min_frames:
            lines = lines[:max_lines]
            res.append("\n".join(lines))
    return res


def dedent(t):
    ls_ = t.split("\n")
    ind = min((len(l) - len(l.lstrip()) for l in ls_ if l.strip()), default=0)
    return "\n".join(l[ind:] for l in ls_)


def build_stacktraces(out):
    # Python: tracebacks quoted in pytest's, IPython's and requests' documentation
    for repo, inc in (("pytest-dev/pytest", r"^doc/en/.*\.(rst|md)$"), ("ipython/ipython", r"^docs/source/.*\.rst$"),
                      ("psf/requests", r"^(docs/.*\.rst|HISTORY\.md)$")):
        for path in ls(repo):
            if not re.search(inc, path):
                continue
            text = show(repo, path) or ""
            if "Traceback (most recent call last)" not in text and not re.search(r"^\s*E\s+\w*Error", text, re.M):
                continue
            n = 0
            lines = text.split("\n")
            for i, l in enumerate(lines):
                m = re.match(r"^(\s*)(-+\s*|[\w.]+\s+)?Traceback \(most recent call last\)", l)
                if not m or n >= 5:
                    continue
                ind = len(m.group(1))
                for j in range(i + 1, min(len(lines), i + 45)):
                    if lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) < ind:
                        break   # the quoted block has ended
                    if re.match(r"^\s{%d}[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Warning)\b" % ind, lines[j]):
                        t = dedent("\n".join(lines[i:j + 1]))
                        if 3 <= t.count("\n"):
                            body_, shape = bug_report(t, Rng(path, n))
                            prose_sample(out, "stacktrace-python", repo, path, body_, n, shape=shape)
                            n += 1
                        break
            # pytest failure reports (E   lines and file:line locations)
            for m in re.finditer(r"(?ms)^( *)_{5,} (test\w*|\w+\.\w+) _{5,}\n.*?(?=^\1[_=]{5,})", text):
                t = dedent(m.group(0)).rstrip()
                if 4 <= t.count("\n") <= 45 and "\nE " in t and n < 5:
                    prose_sample(out, "stacktrace-python", repo, path, bug_report(t, Rng(path, n))[0], n,
                                 shape=bug_report(t, Rng(path, n))[1])
                    n += 1
    # Rust: panics and test failures from the Rust book's captured cargo output
    repo = "rust-lang/book"
    for path in ls(repo):
        if path.startswith("listings/") and path.endswith("output.txt"):
            text = show(repo, path) or ""
            if "panicked at" in text and len(text) < 5000:
                t = text.strip("\n")
                r = Rng(path)
                body_, shape = bug_report(t, r)
                prose_sample(out, "stacktrace-rust", repo, path, body_, 0, shape=shape)
    # Ruby: backtraces in error_highlight's README, rspec failure output fixtures
    for repo, path in (("ruby/error_highlight", "README.md"),):
        text = show(repo, path) or ""
        for k, blk in enumerate(re.findall(r"(?ms)^```[^\n]*\n(.*?)^```", text)):
            if re.search(r"\.rb:\d+:in ", blk) and not blk.lstrip().startswith(("def ", "require", "#")):
                t = "\n".join(l for l in blk.strip("\n").split("\n") if not l.startswith("$ ")).strip("\n")
                body_, shape = bug_report(t, Rng(repo, k))
                prose_sample(out, "stacktrace-ruby", repo, path, body_, k, shape=shape)
    repo, path = "rspec/rspec-core", "spec/support/formatter_support.rb"
    text = show(repo, path) or ""
    k = 0
    for m in re.finditer(r"(?ms)<<-EOS\.gsub\(/\^\\s\+\\\|/, ''\)[^\n]*\n(.*?)^\s*EOS", text):
        t = "\n".join(re.sub(r"^\s*\|", "", l) for l in m.group(1).split("\n"))
        t = re.sub(r"#\{quoted\(maybe_module \+ '([^']*)'\)\}", r"`\1'", t)
        t = re.sub(r"#\{quoted\('([^']*)'\)\}", r"`\1'", t)
        t = t.replace("#{RUN_LINE}", "45")
        t = re.sub(r"#\{[^}]*\}", "", t)
        # one failure report per sample, as a user pastes the failing example
        for f in re.split(r"\n(?=  \d+\) )", t):
            f = f.strip("\n")
            if re.search(r"\.rb:\d+:in ", f) and f.lstrip()[:1].isdigit() and 3 <= f.count("\n") <= 40:
                body_, shape = bug_report(dedent(f), Rng(repo, k))
                prose_sample(out, "stacktrace-ruby", repo, path, body_, k, shape=shape)
                k += 1
    # rspec-core: a captured bundler backtrace, and the load-error reports its integration specs expect
    path = "spec/rspec/core/backtrace_formatter_spec.rb"
    text = show(repo, path) or ""
    for k, blk in enumerate(re.findall(r'(?m)((?:^\s+"[^"\n]*\.rb:\d+:in [^"\n]*",?\n){4,})', text)):
        t = "\n".join(json.loads(l.strip().rstrip(",")) for l in blk.strip("\n").split("\n"))
        body_, shape = bug_report(t, Rng(repo, path, k))
        prose_sample(out, "stacktrace-ruby", repo, path, body_, k, shape=shape)
    path = "spec/integration/spec_file_load_errors_spec.rb"
    text = show(repo, path) or ""
    for k, m in enumerate(re.finditer(r"(?ms)<<-EOS\)?\n(.*?)^\s*EOS", text)):
        t = dedent(m.group(1).replace("#{spec_line_suffix}", "").strip("\n"))
        if "# ./" in t and "#{" not in t and 3 <= t.count("\n") <= 30:
            body_, shape = bug_report(t, Rng(repo, path, k))
            prose_sample(out, "stacktrace-ruby", repo, path, body_, 20 + k, shape=shape)
    # byebug's guide: `where` / `bt` backtraces
    repo, path = "deivid-rodriguez/byebug", "GUIDE.md"
    text = show(repo, path) or ""
    for k, m in enumerate(re.finditer(r"(?m)^--> #0 .*\n(?:^\s+#\d+ .*\n)*", text)):
        t = m.group(0).rstrip("\n")
        body_, shape = bug_report(t, Rng(repo, path, k))
        prose_sample(out, "stacktrace-ruby", repo, path, body_, k, shape=shape)
    # Java: thread dumps and stack traces in Arthas' docs, Chaos Engine's notable issues
    for repo, inc in (("alibaba/arthas", r"^(site/docs/(en/)?doc/.*\.md|README(_CN)?\.md)$"),
                      ("ThalesGroup/chaos-engine", r"notable_issues\.md$")):
        for path in ls(repo):
            if not re.search(inc, path):
                continue
            text = show(repo, path) or ""
            for k, blk in enumerate(re.findall(r"(?ms)^```[^\n]*\n(.*?)^```", text)):
                frames = re.findall(r"^\s+at [\w$.<>/]+\(", blk, re.M)
                if len(frames) >= 2:
                    t = "\n".join(l for l in blk.strip("\n").split("\n")
                                  if not l.startswith(("$ ", "[arthas@")))[:4000].rstrip()
                    t = "\n".join(t.split("\n")[:45])
                    body_, shape = bug_report(t, Rng(repo, path, k))
                    prose_sample(out, "stacktrace-java", repo, path, body_, k, shape=shape)
    # Go: goroutine dumps (panicparse's captured snapshot) and pkg/errors' printed stacks
    repo, path = "maruel/panicparse", "internal/internaltest/static_panicweb.go"
    text = show(repo, path) or ""
    m = re.search(r"`(goroutine .*?)`", text, re.S)
    if m:
        gs = re.split(r"\n\n(?=goroutine \d+ \[)", m.group(1))
        for k in range(0, min(len(gs), 40), 3):
            t = "\n\n".join(gs[k:k + 2]).strip("\n")
            body_, shape = bug_report(t, Rng(repo, k))
            prose_sample(out, "stacktrace-go", repo, path, body_, k, shape=shape)
    repo = "maruel/panicparse"
    for path in ls(repo):
        if path.endswith(".go") and path.startswith("stack/") and path.endswith("_test.go"):
            text = show(repo, path) or ""
            for k, m in enumerate(re.finditer(r"`((?:panic:|goroutine \d+ \[)[^`]{80,3000})`", text)):
                t = m.group(1).strip("\n")
                if "\t" in t and k < 12:
                    body_, shape = bug_report(t, Rng(repo, path, k))
                    prose_sample(out, "stacktrace-go", repo, path, body_, k, shape=shape)
    for path in [p for p in ls(repo) if p.startswith("stack/") and p.endswith("_test.go")]:
        text = show(repo, path) or ""
        k = 0
        for blk in re.findall(r'(?m)((?:^\t+"(?:[^"\\]|\\.)*",\n){4,})', text):
            try:
                ls_ = [json.loads(re.match(r'^\t+(".*"),$', l).group(1)) for l in blk.rstrip("\n").split("\n")]
            except Exception:
                continue
            t = "\n".join(ls_).strip("\n")
            if re.search(r"^goroutine \d+ \[", t, re.M) and t.count("\n\t") >= 1 and k < 10:
                body_, shape = bug_report(t, Rng(repo, path, "lit", k))
                prose_sample(out, "stacktrace-go", repo, path, body_, 300 + k, shape=shape)
                k += 1
    repo, path = "pkg/errors", "example_test.go"
    text = show(repo, path) or ""
    for k, m in enumerate(re.finditer(r"(?ms)^\t// (?:Example )?Output:\n((?:\t//.*\n)+)", text)):
        t = "\n".join(re.sub(r"^\t// ?", "", l) for l in m.group(1).rstrip("\n").split("\n"))
        if t.count("\n") >= 4:
            body_, shape = bug_report(t, Rng(repo, k))
            prose_sample(out, "stacktrace-go", repo, path, body_, k, shape=shape)


LOG_FILES = r"^test/(logfile_(access_log|syslog|glog|java|postgres|mysql_error|haproxy|docker_compose|logfmt|" \
            r"generic|caddy_log|grafana|mongodb|nextcloud|openam|vmw_log|zookeeper|w3c|tcsh|uwsgi|strace|" \
            r"rollover|xml|epoch|bro_http\.log|procstate|vdsm|redis|s3|sudo|katello|unifi|journald)[^/]*)$"


def build_logs(out):
    repo = "tstack/lnav"
    files = [p for p in ls(repo) if re.match(LOG_FILES, p) and not p.endswith((".gz", ".bz2"))]
    for path in files:
        text = show(repo, path)
        if not text or "\x1b" in text or len(text) < 200:
            continue
        lines = [l for l in text.split("\n") if l.strip()]
        rng = Rng("log", path)
        for k in range(2 if len(lines) > 30 else 1):
            n = rng.randint(5, 20)
            i = rng.randint(0, max(0, len(lines) - n))
            t = "\n".join(lines[i:i + n])
            while len(t) > 1500 and n > 3:
                n -= 2
                t = "\n".join(lines[i:i + n])
            prose_sample(out, "log", repo, path, t, k)


TABLE_HEAD = re.compile(r"^[A-Z][A-Z0-9_()%/.-]*( [A-Z][A-Z0-9_()%/.-]*)?(\s{2,}[A-Z][A-Z0-9_()%/.-]*( [A-Z][A-Z0-9_()%/.-]*)?){2,}\s*$")


def build_tables(out):
    for repo, inc in (("kubernetes/examples", r"\.md$"), ("docker/awesome-compose", r"README\.md$"),
                      ("BurntSushi/ripgrep", r"\.md$"), ("alibaba/arthas", r"^site/docs/en/doc/.*\.md$"),
                      ("pressly/goose", r"\.md$"), ("rust-lang/book", r"^src/.*\.md$")):
        n_repo = 0
        for path in take([p for p in ls(repo) if re.search(inc, p)], 400, "tables", repo):
            if n_repo >= 18:
                break
            text = show(repo, path) or ""
            k = 0
            for blk in re.findall(r"(?ms)^\s*```[^\n]*\n(.*?)^\s*```", text):
                ls_ = dedent(blk).rstrip("\n").split("\n")
                for i, l in enumerate(ls_):
                    if TABLE_HEAD.match(l):
                        rows = [l]
                        for r in ls_[i + 1:]:
                            if not r.strip() or r.startswith(("$ ", "# ", "> ")):
                                break
                            rows.append(r)
                        if 2 <= len(rows) <= 40:
                            prose_sample(out, "table", repo, path, "\n".join(rows), k, shape="cli")
                            k += 1
                            n_repo += 1
                        break
            # Markdown pipe tables
            for m in re.finditer(r"(?m)^(\|.*\|\n\|[ :|-]+\|\n(?:\|.*\|\n?){2,25})", text):
                t = m.group(1).rstrip("\n")
                if k < 3 and len(t) < 2500:
                    prose_sample(out, "table", repo, path, t, 50 + k, shape="markdown")
                    k += 1
                    n_repo += 1


LATEX = re.compile(r"\$\$|\\mbox|\\begin|\\hat|\\frac|\\sum|\\begin\{|\\mathbf|\\sqrt|\\int|\\left|\\alpha|\\mathbb|\\cdot")


def build_latex(out):
    repo = "KaTeX/KaTeX"
    for path in [p for p in ls(repo) if re.match(r"^docs/.*\.md$", p)]:
        text = show(repo, path) or ""
        blocks = [b for b in md_blocks(text) if b and LATEX.search("\n".join(b))]
        for k, b in enumerate(take(["\n".join(x) for x in blocks if 80 <= len("\n".join(x)) < 2000
                                    and not any(y.startswith("|") for y in x)], 6, "katex", path)):
            prose_sample(out, "latex", repo, path, b, k)
    # cvxpy's documentation: a paragraph and the display maths that follows it, as LaTeX source
    repo = "cvxpy/cvxpy"
    for path in balanced(repo, [p for p in ls(repo) if re.match(r"^doc/source/.*\.rst$", p)])[:60]:
        text = show(repo, path) or ""
        if ".. math::" not in text:
            continue
        k = 0
        for m in re.finditer(r"(?ms)((?:^[^\s.][^\n]*\n)+)\n+\.\. math::\n\n((?:^[ \t]+[^\n]*\n|^\n)+)", text):
            para, math = m.group(1).strip(), dedent(m.group(2).strip("\n"))
            t = f"{para}\n\n{math}".strip()
            if k < 3 and 60 <= len(t) <= 2000 and LATEX.search(math) and not para.startswith((".. ", ":")):
                prose_sample(out, "latex", repo, path, t, k)
                k += 1
    for repo, inc in (("jupyter/notebook", r"\.ipynb$"), ("jupyter-widgets/ipywidgets", r"^docs/.*\.ipynb$")):
        for path in balanced(repo, [p for p in ls(repo) if re.search(inc, p)])[:25]:
            try:
                nb = json.loads(show(repo, path) or "")
            except Exception:
                continue
            k = 0
            for c in nb.get("cells", []):
                if c.get("cell_type") != "markdown":
                    continue
                s = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                # the rendered maths only: fenced copies of the LaTeX source are left out
                s = "\n\n".join("\n".join(b) for b in md_blocks(s) if b)
                if LATEX.search(s) and "```" not in s and "<img" not in s and 30 <= len(s) <= 2500 and k < 6:
                    prose_sample(out, "latex", repo, path, s.strip(), k)
                    k += 1
    # math in the Rust book and pytest docs is rare; fastapi has none


def build_prose():
    out = defaultdict(list)
    build_docs(out)
    build_changelog_and_lists(out)
    build_commits(out)
    build_stacktraces(out)
    build_logs(out)
    build_tables(out)
    build_latex(out)
    return out


# --------------------------------------------------------------------------- output

def dedupe(samples):
    seen, res = set(), []
    for s in samples:
        key = (s["family"], s["payload"])
        if key in seen or s["id"] in seen:
            continue
        seen.add(key)
        seen.add(s["id"])
        res.append(s)
    return res


def write(groups, prefix):
    paths = []
    for name, samples in sorted(groups.items()):
        samples = dedupe(samples)
        p = os.path.join(OUT, f"{prefix}-{name}.jsonl")
        with open(p, "w", encoding="utf-8") as f:
            for s in samples:
                f.write(json.dumps(s, ensure_ascii=False, sort_keys=False) + "\n")
        paths.append(p)
    return paths


def code_groups(out):
    g = defaultdict(list)
    for fam, ss in out.items():
        g[fam].extend(ss)
    return g


def prose_groups(out):
    g = defaultdict(list)
    for fam, ss in out.items():
        if fam.startswith("docs-"):
            g["i18n"].extend(ss)
        elif fam.startswith("stacktrace-"):
            g["stacktrace"].extend(ss)
        elif fam.startswith("commit"):
            g["commit"].extend(ss)
        else:
            g[fam].extend(ss)
    return g


def write_sources():
    """SOURCES-code-prose.md: every repository the corpora draw on, its commit and licence, and what was taken."""
    use = defaultdict(lambda: defaultdict(int))
    for p in sorted(os.listdir(OUT)):
        if p.startswith(("code-", "prose-")) and p.endswith(".jsonl"):
            for line in open(os.path.join(OUT, p), encoding="utf-8"):
                d = json.loads(line)
                use[d["source"]["repo"]][d["family"]] += 1
    lines = [
        "# Sources of the code and prose corpora",
        "",
        "`build_code_prose.py` regenerates `corpora/code-*.jsonl` and `corpora/prose-*.jsonl` from snapshots of",
        "these public repositories at the commits below. Only data taken from them lives in this repository, inside",
        "the JSONL files, each sample with its repository, path (or `commit:<sha>` for a commit message), commit and",
        "licence. The chat sentences wrapped around pasted code and quoted traces are templates written for the",
        "benchmark (see `BEFORE`, `AFTER`, `MIDDLE`, `BUG_BEFORE`, `BUG_AFTER` in the script).",
        "",
        "| Repository | Commit | Licence | Samples by family |",
        "| --- | --- | --- | --- |",
    ]
    for repo in sorted(use, key=str.lower):
        fams = ", ".join(f"{f} {n}" for f, n in sorted(use[repo].items()))
        lines.append(f"| {repo} | `{commit_of(repo)}` | {REPOS[repo][1]} | {fams} |")
    lines += [
        "",
        "Split: as for every corpus of the benchmark, SHA-256 of `repo:path` (`repo:commit:<sha>` for a commit",
        "message), first byte even means dev; every sample from one file lands in the same half.",
        "",
        "## What the corpora hold",
        "",
        "- `code-<language>.jsonl`: snippets cut at declarations (never inside a comment or docstring), short",
        "  (2-4 lines), medium (6-24) and long (30-45), planted in one user message of a text, OpenAI chat,",
        "  Anthropic messages or Gemini generateContent body. The `shape` field says how: `fenced-label`,",
        "  `fenced-nolabel`, `unfenced` (a sentence before and after; `tight` when the sentence after follows",
        "  with no blank line), `question-middle` (the code split by a question; `fenced` tells whether each half",
        "  is fenced), `multipart` (sentence, code and sentence as separate content parts or blocks),",
        "  `short-fenced` and `short-unfenced`. `expect.code_lines` holds every non-blank source line; for IPython",
        "  transcripts only the `In [n]:` and `...:` lines (outputs are neither code nor required prose).",
        "  `layout: nbconvert-script` marks notebook cells pasted with `# In[n]:` markers.",
        "- `prose-*.jsonl`: `expect.keep` is the whole text, which must come back byte for byte. Families:",
        "  `docs`, `docs-<lang>` (de, es, fr, ja, ko, pt, ru, tr, zh), `changelog`, `commit`, `commit-bot`",
        "  (dependency and release bots, release messages with Markdown headings first), `stacktrace-python`,",
        "  `-ruby`, `-rust`, `-java`, `-go` (`shape`: `bare`, `fenced` with a plain fence, or `unfenced` between",
        "  two sentences of a bug report), `log`, `table` (`shape`: `cli` or `markdown`), `latex`,",
        "  `markdown-list`.",
        "",
        "## Regenerating",
        "",
        "Fetch each repository above into `$AIRLOCK_MIRROR/<owner>+<name>/repo` (a git directory holding the",
        "pinned commit), then run `python3 Benchmarks/Detection/build_code_prose.py`. The output is",
        "deterministic. `python3 Benchmarks/Detection/check_code_prose.py --airlock PATH` prints lines removed",
        "and prose untouched per language, paste shape, provider and prose kind, for each half.",
        "",
    ]
    with open(os.path.join(HERE, "SOURCES-code-prose.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["code", "prose"])
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    written = []
    if args.only in (None, "code"):
        for p in os.listdir(OUT):
            if p.startswith("code-") and p.endswith(".jsonl"):
                os.remove(os.path.join(OUT, p))
        written += write(code_groups(build_code()), "code")
    if args.only in (None, "prose"):
        for p in os.listdir(OUT):
            if p.startswith("prose-") and p.endswith(".jsonl"):
                os.remove(os.path.join(OUT, p))
        written += write(prose_groups(build_prose()), "prose")
    write_sources()
    total = 0
    for p in written:
        n = sum(1 for _ in open(p, encoding="utf-8"))
        sz = os.path.getsize(p)
        total += sz
        print(f"{os.path.relpath(p, HERE)}: {n} samples, {sz // 1024} KiB")
    print(f"total {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
