"""Reads gitleaks' rule samples out of `cmd/generate/config/rules/*.go` without running gitleaks.

Each rule function builds its true positives (`tps`) and false positives (`fps`) from Go string literals, string
concatenation, `fmt.Sprintf`, `append`, and gitleaks' helpers (`secrets.NewSecret(regex)`,
`utils.GenerateSampleSecrets(identifier, secret)`, `utils.AlphaNumeric("36")`...). This module evaluates that small
subset of Go: the helpers are re-implemented from gitleaks' own definitions (utils/generate.go, utils/patterns.go),
and `secrets.NewSecret` draws a value from the published regular expression with a seeded generator. Statements it
cannot evaluate (loops, helpers defined elsewhere) are skipped and counted.
"""
from __future__ import annotations

import random
import re
import string

try:
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # Python < 3.11
    import sre_constants
    import sre_parse

# --- Drawing a value from a regular expression -----------------------------------------------------------------------

PLACEHOLDER_WORDS = ("example", "xxxx", "your", "fake", "dummy", "sample", "12345678", "abcdefgh", "insert",
                     "replace", "redacted", "placeholder", "changeme", "test1234")
PRINTABLE = [chr(c) for c in range(33, 127)]
CATS = {
    sre_constants.CATEGORY_DIGIT: string.digits,
    sre_constants.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre_constants.CATEGORY_NOT_WORD: "-.,;:!",
    sre_constants.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
}


def _charset(items) -> list[str]:
    chars, negate = set(), False
    for op, av in items:
        if op == sre_constants.NEGATE:
            negate = True
        elif op == sre_constants.LITERAL:
            chars.add(chr(av))
        elif op == sre_constants.RANGE:
            chars.update(chr(c) for c in range(av[0], min(av[1], 0x2FF) + 1))
        elif op == sre_constants.CATEGORY:
            chars.update(CATS.get(av, ""))
    if negate:
        chars = set(PRINTABLE) - chars
    chars = {c for c in chars if c.isprintable() or c in " \t"}
    return sorted(chars) or ["a"]


def _draw(tree, rng: random.Random) -> str:
    out = []
    for op, av in tree:
        if op == sre_constants.LITERAL:
            out.append(chr(av))
        elif op == sre_constants.NOT_LITERAL:
            out.append(rng.choice([c for c in string.ascii_letters if ord(c) != av]))
        elif op == sre_constants.ANY:
            out.append(rng.choice(string.ascii_letters + string.digits))
        elif op == sre_constants.IN:
            out.append(rng.choice(_charset(av)))
        elif op == sre_constants.CATEGORY:
            out.append(rng.choice(CATS.get(av, "a")))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", -1)):
            lo, hi, sub = av
            hi = lo + 2 if hi == sre_constants.MAXREPEAT else min(hi, lo + 32)
            out.extend(_draw(sub, rng) for _ in range(rng.randint(lo, hi)))
        elif op in (sre_constants.SUBPATTERN, getattr(sre_constants, "ATOMIC_GROUP", -1)):
            out.append(_draw(av[-1], rng))
        elif op == sre_constants.BRANCH:
            out.append(_draw(rng.choice(av[1]), rng))
        elif op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue
        else:
            raise ValueError(f"unsupported regex construct {op}")
    return "".join(out)


def to_python_regex(rx: str) -> str:
    rx = rx.replace(r"\z", r"\Z")
    rx = rx.replace("[[:alnum:]]", "[a-zA-Z0-9]").replace("[:alnum:]", "a-zA-Z0-9")
    rx = rx.replace("[:xdigit:]", "0-9a-fA-F").replace("[:alpha:]", "a-zA-Z").replace("[:digit:]", "0-9")
    return rx


def compile_go(rx: str):
    rx = to_python_regex(rx)
    try:
        return re.compile(rx)
    except re.error:
        pass
    # Global flags in the middle of a pattern (Go allows them; Python does not): apply them to the whole.
    flags = 0
    if "(?i)" in rx:
        flags |= re.I
    if "(?s)" in rx:
        flags |= re.S
    if "(?m)" in rx:
        flags |= re.M
    stripped = re.sub(r"\(\?[ims]+\)", "", rx)
    return re.compile(stripped, flags)


def draw(regex: str, rng: random.Random) -> str:
    tree = sre_parse.parse(to_python_regex(regex))
    for _ in range(50):
        value = _draw(tree, rng)
        if not any(w in value.lower() for w in PLACEHOLDER_WORDS):
            return value
    return value


# --- A small Go tokenizer and evaluator -----------------------------------------------------------------------------

TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<lc>//[^\n]*)
  | (?P<bc>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<rune>'(?:[^'\\\n]|\\.)+')
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.\.|:=|==|!=|<=|>=|&&|\|\||\+=|[-+*/%=<>!&|^(){}\[\],;:.])
""", re.S | re.X)


def tokenize(src: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m:
            out.append(("op", src[pos]))
            pos += 1
            continue
        kind = m.lastgroup
        if kind not in ("ws", "lc", "bc"):
            out.append((kind, m.group()))
        elif kind == "bc" and "\n" in m.group():
            out.append(("nl", "\n"))
        pos = m.end()
    return out


def go_string(tok: tuple[str, str]) -> str:
    kind, text = tok
    if kind == "raw":
        return text[1:-1].replace("\r", "")
    body = text[1:-1]
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a", "b": "\b", "f": "\f",
              "v": "\v"}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        elif n == "u":
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif n == "U":
            out.append(chr(int(body[i + 2:i + 10], 16)))
            i += 10
        elif n in "01234567":
            out.append(chr(int(body[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(n)
            i += 2
    return "".join(out)


class Unknown(Exception):
    pass


SAMPLE_CONTEXTS = {  # gitleaks cmd/generate/config/utils/generate.go, GenerateSampleSecrets
    "ini - quoted1": "{i}Token=\"{s}\"",
    "ini - quoted2": "{i}Token = \"{s}\"",
    "ini - unquoted1": "{i}Token={s}",
    "ini - unquoted2": "{i}Token = {s}",
    "json - string": "{\n    \"{i}_token\": \"{s}\"\n}",
    "json - escaped newline in string": "{\"config.ini\": \"{I}_TOKEN={s}\\nBACKUP_ENABLED=true\"}",
    "xml - element multiline": "<{i}Token>\n    {s}\n</{i}Token>",
    "yaml - singleline - unquoted": "{i}_token: {s}",
    "yaml - singleline - single quote": "{i}_token: '{s}'",
    "yaml - singleline - double quote": "{i}_token: \"{s}\"",
    "C#": "string {i}Token = \"{s}\";",
    "go - normal": "var {i}Token string = \"{s}\"",
    "go - short": "{i}Token := \"{s}\"",
    "go - backticks": "{i}Token := `{s}`",
    "java": "String {i}Token = \"{s}\";",
    "kotlin - notype": "var {i}Token = \"{s}\"",
    "php - string concat": "${i}Token .= \"{s}\"",
    "python - single quote": "{i}Token = '{s}'",
    "python - double quote": "{i}Token = \"{s}\"",
    "misc - comma operator": "System.setProperty(\"{I}_TOKEN\", \"{s}\")",
    "logstash": "  \"{i}Token\" => \"{s}\"",
    "make - recursive assignment": "{i}_TOKEN = \"{s}\"",
    "make - simple assignment": "{i}_TOKEN := \"{s}\"",
    "make - shell assignment": "{i}_TOKEN ::= \"{s}\"",
    "make - evaluated shell assignment": "{i}_TOKEN :::= \"{s}\"",
    "make - conditional assignment": "{i}_TOKEN ?= \"{s}\"",
}

# utils/generate.go
IDENT_CI_PREFIX = r"[\w.-]{0,50}?(?i:"
IDENT_CI_SUFFIX = r")"
IDENT_PREFIX = r"[\w.-]{0,50}?(?:"
IDENT_SUFFIX = r")(?:[ \t\w.-]{0,20})[\s'" + '"' + r"]{0,3}"
OPERATOR = r"(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)"
SECRET_PREFIX_UNIQUE = r"\b("
SECRET_PREFIX = r"[\x60'" + '"' + r"\s=]{0,5}("
SECRET_SUFFIX = r")(?:[\x60'" + '"' + r"\s;]|\\[nr]|$)"


def semi_generic(identifiers, secret_rx, ci):
    ids = IDENT_PREFIX + "|".join(identifiers) + IDENT_SUFFIX
    head = "(?i)" + ids if ci else IDENT_CI_PREFIX + ids + IDENT_CI_SUFFIX
    return head + OPERATOR + SECRET_PREFIX + secret_rx + SECRET_SUFFIX


def unique_token(secret_rx, ci):
    return ("(?i)" if ci else "") + SECRET_PREFIX_UNIQUE + secret_rx + SECRET_SUFFIX


def sprintf(fmt: str, *args) -> str:
    it = iter(args)

    def rep(m):
        spec = m.group(0)
        if spec == "%%":
            return "%"
        v = next(it)
        if spec.endswith("q"):
            return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
        return str(v)

    return re.sub(r"%[-+# 0]*\d*(?:\.\d+)?[sdvqx%]", rep, fmt)


class Evaluator:
    """Evaluates one rule function's statements. `drawn` collects every value secrets.NewSecret produced and
    `context_secret` maps each sample built by GenerateSampleSecret(s) to the secret placed in it."""

    def __init__(self, rng: random.Random, globals_: dict):
        self.rng = rng
        self.env: dict = dict(globals_)
        self.drawn: list[str] = []
        self.context_secret: dict[str, str] = {}

    # expression parsing over a token list
    def parse(self, toks, i=0):
        value, i = self.term(toks, i)
        while i < len(toks) and toks[i] == ("op", "+"):
            rhs, i = self.term(toks, i + 1)
            value = value + rhs
        return value, i

    def term(self, toks, i):
        kind, text = toks[i]
        if kind in ("raw", "str"):
            return go_string(toks[i]), i + 1
        if kind == "num":
            return text, i + 1
        if (kind, text) == ("op", "("):
            v, i = self.parse(toks, i + 1)
            return v, self.expect(toks, i, ")")
        if (kind, text) == ("op", "&"):
            return self.term(toks, i + 1)
        if (kind, text) == ("op", "["):  # []string{...}
            j = i
            while toks[j] != ("op", "{"):
                j += 1
            return self.composite(toks, j)
        if kind == "ident" and text == "map":  # map[string]string{...}
            j = i
            while toks[j] != ("op", "{"):
                j += 1
            items, j = self.composite(toks, j, keyed=True)
            return [v for _, v in items], j
        if kind == "ident":
            name = text
            i += 1
            while i + 1 < len(toks) and toks[i] == ("op", ".") and toks[i + 1][0] == "ident":
                name += "." + toks[i + 1][1]
                i += 2
            if i < len(toks) and toks[i] == ("op", "("):
                args, i = self.args(toks, i + 1)
                return self.call(name, args), i
            if name in ("true", "false"):
                return name == "true", i
            if name == "nil":
                return [], i
            if name in self.env:
                return self.env[name], i
            raise Unknown(name)
        raise Unknown(text)

    def expect(self, toks, i, op):
        while i < len(toks) and toks[i][0] == "nl":
            i += 1
        if toks[i] != ("op", op):
            raise Unknown(f"expected {op}")
        return i + 1

    def skip_nl(self, toks, i):
        while i < len(toks) and toks[i][0] == "nl":
            i += 1
        return i

    def args(self, toks, i):
        out = []
        i = self.skip_nl(toks, i)
        while toks[i] != ("op", ")"):
            v, i = self.parse(toks, i)
            i = self.skip_nl(toks, i)
            if toks[i] == ("op", "..."):
                out.extend(v)
                i += 1
            else:
                out.append(v)
            i = self.skip_nl(toks, i)
            if toks[i] == ("op", ","):
                i = self.skip_nl(toks, i + 1)
        return out, i + 1

    def composite(self, toks, i, keyed=False):
        i = self.skip_nl(toks, i + 1)
        out = []
        while toks[i] != ("op", "}"):
            v, i = self.parse(toks, i)
            i = self.skip_nl(toks, i)
            if keyed or toks[i] == ("op", ":"):
                i = self.skip_nl(toks, i + 1)
                w, i = self.parse(toks, i)
                out.append((v, w))
            else:
                out.append(v)
            i = self.skip_nl(toks, i)
            if toks[i] == ("op", ","):
                i = self.skip_nl(toks, i + 1)
        return out, i + 1

    def call(self, name, args):
        n = name.split(".")[-1]
        if n == "NewSecret":
            v = draw(args[0], self.rng)
            self.drawn.append(v)
            return v
        if n == "Numeric":
            return f"[0-9]{{{args[0]}}}"
        if n == "Hex":
            return f"[a-f0-9]{{{args[0]}}}"
        if n == "AlphaNumeric":
            return f"[a-z0-9]{{{args[0]}}}"
        if n == "AlphaNumericExtendedShort":
            return f"[a-z0-9_-]{{{args[0]}}}"
        if n == "AlphaNumericExtended":
            return f"[a-z0-9=_\\-]{{{args[0]}}}"
        if n == "AlphaNumericExtendedLong":
            return f"[a-z0-9\\/=_\\+\\-]{{{args[0]}}}"
        if n == "Hex8_4_4_4_12":
            return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        if n == "GenerateSampleSecrets":
            ident, secret = args
            out = []
            for key in sorted(SAMPLE_CONTEXTS):
                s = (SAMPLE_CONTEXTS[key].replace("{i}", ident).replace("{I}", ident.upper())
                     .replace("{s}", secret))
                self.context_secret[s] = secret
                out.append(s)
            return out
        if n == "GenerateSampleSecret":
            ident, secret = args
            s = f'{ident}_api_token = "{secret}"'
            self.context_secret[s] = secret
            return s
        if n == "Sprintf":
            return sprintf(*args)
        if n == "append":
            return list(args[0]) + list(args[1:])
        if n == "MustCompile":
            return args[0]
        if n == "GenerateSemiGenericRegex":
            return semi_generic(args[0], args[1], args[2])
        if n == "GenerateUniqueTokenRegex":
            return unique_token(args[0], args[1])
        if n == "MergeRegexps":
            return "|".join(args)
        if n == "Repeat":
            return args[0] * int(args[1])
        if n == "ToUpper":
            return args[0].upper()
        if n == "ToLower":
            return args[0].lower()
        if n == "EncodeToString" and name.startswith("base64"):
            import base64
            return base64.b64encode(args[0].encode()).decode()
        if n in ("String",) and isinstance(args, list) and not args:
            raise Unknown(name)
        raise Unknown(name)


def statements(toks):
    """Split a body's tokens into statements at line ends outside brackets (a line ending with an operator or
    comma continues)."""
    out, cur, depth = [], [], 0
    for t in toks:
        if t[0] == "op" and t[1] in "([{":
            depth += 1
        elif t[0] == "op" and t[1] in ")]}":
            depth -= 1
        if t[0] == "nl" and depth == 0:
            if cur and cur[-1][0] == "op" and cur[-1][1] in ("+", ",", "||", "&&"):
                continue
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        out.append(cur)
    return out


def functions(toks):
    """(name, body tokens) of each top-level func, and the top-level var statements."""
    funcs, top, i = [], [], 0
    while i < len(toks):
        if toks[i] == ("ident", "func"):
            name = toks[i + 1][1]
            j = i
            while toks[j] != ("op", "{"):
                j += 1
            depth, k = 0, j
            while True:
                if toks[k] == ("op", "{"):
                    depth += 1
                elif toks[k] == ("op", "}"):
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            funcs.append((name, toks[j + 1:k]))
            i = k + 1
        elif toks[i] == ("ident", "var") or toks[i] == ("ident", "const"):
            depth, k = 0, i
            while k < len(toks):
                if toks[k][0] == "op" and toks[k][1] in "([{":
                    depth += 1
                elif toks[k][0] == "op" and toks[k][1] in ")]}":
                    depth -= 1
                elif toks[k][0] == "nl" and depth == 0:
                    break
                k += 1
            top.append(toks[i:k])
            i = k
        else:
            i += 1
    return funcs, top


def run_assignment(ev: Evaluator, st) -> bool:
    """NAME := EXPR, NAME = EXPR, var NAME = EXPR, var NAME TYPE = EXPR. Returns False when not evaluated."""
    if len(st) > 2 and st[0] == ("ident", "var") and st[1] == ("op", "("):
        ok = True
        for sub in statements(st[2:-1]):
            ok = run_assignment(ev, [("ident", "var")] + sub) and ok
        return ok
    if st and st[0] == ("ident", "var"):
        st = st[1:]
        if len(st) > 2 and st[1] != ("op", "="):  # var name type = ...
            k = 1
            while k < len(st) and st[k] != ("op", "="):
                k += 1
            st = st[:1] + st[k:]
    if len(st) >= 3 and st[0][0] == "ident" and st[1][0] == "op" and st[1][1] in (":=", "="):
        try:
            v, i = ev.parse(st, 2)
        except (Unknown, IndexError, ValueError, TypeError, StopIteration):
            return False
        ev.env[st[0][1]] = v
        return True
    if len(st) >= 3 and st[0][0] == "ident" and st[1] == ("op", "+="):
        try:
            v, i = ev.parse(st, 2)
            ev.env[st[0][1]] = ev.env[st[0][1]] + v
        except (Unknown, IndexError, ValueError, TypeError, KeyError, StopIteration):
            return False
        return True
    return False


def rule_fields(ev: Evaluator, body_toks):
    """RuleID, Regex and SecretGroup of the `config.Rule{...}` literal in a function body."""
    rid, rx, group = None, None, 0
    for i, t in enumerate(body_toks):
        if t == ("ident", "RuleID") and body_toks[i + 1] == ("op", ":"):
            try:
                rid = ev.parse(body_toks, i + 2)[0]
            except (Unknown, IndexError):
                pass
        elif t == ("ident", "Regex") and body_toks[i + 1] == ("op", ":") and rx is None:
            try:
                rx = ev.parse(body_toks, i + 2)[0]
            except (Unknown, IndexError, ValueError, TypeError):
                rx = None
        elif t == ("ident", "SecretGroup") and body_toks[i + 1] == ("op", ":"):
            group = int(body_toks[i + 2][1]) if body_toks[i + 2][0] == "num" else 0
    return rid, rx, group


def secret_in(sample: str, ev: Evaluator, rx: str | None, group: int) -> str | None:
    if sample in ev.context_secret:
        return ev.context_secret[sample]
    drawn = [d for d in ev.drawn if len(d) >= 8 and d in sample]
    if drawn:
        return max(drawn, key=len)
    if rx:
        try:
            m = compile_go(rx).search(sample)
        except re.error:
            m = None
        if m:
            if group and m.lastindex and group <= m.lastindex and m.group(group):
                return m.group(group)
            if m.lastindex:
                for g in range(1, m.lastindex + 1):
                    if m.group(g):
                        return m.group(g)
            return m.group(0)
    return None


def sensitive_part(rule: str, secret: str, text: str) -> str | None:
    """The part of gitleaks' match that is the credential itself: gitleaks' secret group sometimes carries the
    key's name, armour lines, quotes, a user name or a URL's fixed host, which a scrubber rightly leaves."""
    s = secret
    m = re.match(r"^[\w.-]+:[ \t]*(?:[|>][-+]?)?\s+[\"']?(?P<v>.+?)[\"']?\s*$", s, re.S)
    if m and rule == "kubernetes-secret-yaml":
        s = m.group("v")
    if rule == "gcp-service-account":
        pk = re.search(r'"private_key"\s*:\s*"(?P<v>[^"]+)"', text)
        if not pk:
            return None
        s = pk.group("v")
    if "-----BEGIN" in s:
        body = re.sub(r"-----(?:BEGIN|END)[^-]*-----", "", s).strip()
        s = body or s
    if rule == "slack-webhook-url":
        m = re.search(r"/(?:services|workflows|triggers)/(?P<v>.+)$", s)
        if m:
            s = m.group("v")
    if rule in ("curl-auth-user", "sidekiq-secret", "sidekiq-sensitive-url"):
        inner = s.strip("\"'")
        if ":" in inner:
            user, pw = inner.rsplit(":", 1) if rule == "curl-auth-user" else inner.split(":", 1)
            inner = (pw or user).strip("\"'{}") or inner
        s = inner
    if rule == "gitlab-session-cookie" and "=" in s:
        s = s.split("=", 1)[1]
    while len(s) > 2 and s[0] in "\"'`" and s[-1] == s[0]:
        s = s[1:-1]
    s = s.strip("\"'` ")
    return s or None


def extract(files: dict[str, str], seed: int = 31):
    """files: path -> Go source. Yields dicts: path, rule, kind ('tp'|'fp'), text, secret (tp only), and a
    `skipped` count per file of statements not evaluated."""
    results, stats = [], {"functions": 0, "rules": 0, "statements_skipped": 0, "tp_without_secret": 0}
    for path in sorted(files):
        toks = tokenize(files[path])
        funcs, top = functions(toks)
        rng = random.Random(f"{seed}:{path}")
        globals_: dict = {}
        gev = Evaluator(rng, globals_)
        for st in top:
            # var ( a = x \n b = y ) blocks and single vars
            body = [t for t in st if True]
            if len(body) > 2 and body[1] == ("op", "("):
                for sub in statements(body[2:-1]):
                    run_assignment(gev, sub)
            else:
                run_assignment(gev, body)
        globals_ = gev.env
        for fname, body in funcs:
            stats["functions"] += 1
            ev = Evaluator(rng, globals_)
            body_statements = statements(body)
            for st in body_statements:
                if not (st and st[0][0] == "ident" and st[0][1] in ("tps", "fps")):
                    run_assignment(ev, st)
            rid, rx, group = rule_fields(ev, body)
            if not rid:
                continue
            stats["rules"] += 1
            tps_name, fps_name = "tps", "fps"
            for st in body_statements:
                if st and st[0] == ("ident", "return"):
                    names = [t[1] for t in st if t[0] == "ident"]
                    if "Validate" in names or "ValidateWithPaths" in names:
                        idx = names.index("Validate" if "Validate" in names else "ValidateWithPaths")
                        rest = names[idx + 1:]
                        if len(rest) >= 3:
                            tps_name, fps_name = rest[1], rest[2]
                    continue
                if not run_assignment(ev, st):
                    if st and st[0][0] == "ident" and st[0][1] in ("tps", "fps") or (
                            st and st[0] == ("ident", "var")):
                        stats["statements_skipped"] += 1
            for kind, name in (("tp", tps_name), ("fp", fps_name)):
                vals = ev.env.get(name) or []
                if isinstance(vals, str):
                    vals = [vals]
                for v in vals:
                    if not isinstance(v, str) or not v:
                        continue
                    item = {"path": path, "rule": rid, "kind": kind, "text": v}
                    if kind == "tp":
                        sec = secret_in(v, ev, rx, group)
                        sec = sensitive_part(rid, sec, v) if sec else None
                        if not sec or sec not in v:
                            stats["tp_without_secret"] += 1
                            continue
                        item["secret"] = sec
                    results.append(item)
    return results, stats
