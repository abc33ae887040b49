#!/usr/bin/env python3
"""Writes rule-examples.json: for every secret rule, two texts that carry a secret of its shape and one near miss.

Token and keyed rules are read from SecretCatalogue.swift (prefix, alphabet, length); values are random, so no
real credential is involved. Structural and context rules have hand-written cases below.
Run from the repository root: python3 Tests/AirlockScrubTests/Fixtures/make_rule_examples.py
"""
import base64
import json
import random
import re
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = (ROOT / "Sources/AirlockScrub/SecretCatalogue.swift").read_text()

CLASSES = {
    "b64u": string.ascii_letters + string.digits,
    "alnum": string.ascii_letters + string.digits,
    "lhex": "0123456789abcdef",
    "hex": "0123456789abcdefABCDEF",
    "b64": string.ascii_letters + string.digits,
    ".base32": string.ascii_uppercase + "234567",
    ".upperAlnum": string.ascii_uppercase + string.digits,
    ".bech32Upper": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
    "ByteClass.word": string.ascii_letters + string.digits,
    "ByteClass.letters": string.ascii_letters,
    "ByteClass.lowerAlnum": string.ascii_lowercase + string.digits,
    "ByteClass.alnum": string.ascii_letters + string.digits,
    "ByteClass.lowerHex": "0123456789abcdef",
    "ByteClass.hex": "0123456789abcdefABCDEF",
    "ByteClass.upperAlnum": string.ascii_uppercase + string.digits,
    "ByteClass.base64URL": string.ascii_letters + string.digits,
    "ByteClass([0x30...0x39, 0x61...0x66], \"-\")": "0123456789abcdef",
    "ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], \"+/\")": string.ascii_letters + string.digits,
}


def alphabet(expr: str) -> str:
    expr = expr.strip()
    base = re.sub(r"\.union\(\"[^\"]*\"\)$", "", expr)
    return CLASSES[base]


def body(rng: random.Random, chars: str, n: int) -> str:
    while True:
        s = "".join(rng.choice(chars) for _ in range(n))
        low = s.lower()
        if not any(w in low for w in ("example", "xxxx", "your", "fake", "dummy", "test", "sample", "12345678", "abcdefgh", "insert", "replace", "redacted", "placeholder", "changeme")):
            return s


TOKEN = re.compile(r'R\.token\(\s*"([^"]+)",\s*"[^"]*",\s*(?:prefix: "([^"]+)"|prefixes: \[([^\]]+)\]),\s*(.+?),\s*(\d+)\.\.\.(\d+)(?:,\s*entropy: [\d.]+)?\s*\)', re.S)
KEYED = re.compile(r'R\.keyed\(\s*"([^"]+)",\s*"[^"]*",\s*names: \[([^\]]+)\],\s*(.+?),\s*(\d+)\.\.\.(\d+)(?:,\s*entropy: [\d.]+)?\s*\)', re.S)

examples: dict[str, dict] = {}


def add(rule: str, positives: list[tuple[str, str]], negatives: list[str]) -> None:
    examples[rule] = {
        "rule": rule,
        "positives": [{"text": t, "secret": s} for t, s in positives],
        "negatives": negatives,
    }


for m in TOKEN.finditer(CATALOGUE):
    rule, prefix, prefixes, cls, lo, hi = m.groups()
    rng = random.Random(rule)
    chars = alphabet(cls)
    lo, hi = int(lo), int(hi)
    pre = [prefix] if prefix else [p.strip().strip('"') for p in prefixes.split(",")]
    n = (lo + hi) // 2 if hi - lo < 40 else lo + 8
    lead = ""
    if not pre[0][0].isalnum():
        lead = body(rng, string.ascii_letters + string.digits, 14)
    t1 = lead + pre[0] + body(rng, chars, n)
    t2 = lead + pre[-1] + body(rng, chars, lo)
    short = lead + pre[0] + body(rng, chars, lo - 1)
    add(
        rule,
        [(f"The deploy failed with {t1} in the log, please check.", t1), (f'{{"settings": {{"value": "{t2}"}}}}', t2)],
        [f"The deploy failed with {short} in the log."],
    )

for m in KEYED.finditer(CATALOGUE):
    rule, names, cls, lo, hi = m.groups()
    rng = random.Random(rule)
    chars = alphabet(cls)
    lo, hi = int(lo), int(hi)
    name_list = [n.strip().strip('"') for n in names.split(",") if n.strip()]
    v1 = body(rng, chars, lo)
    v2 = body(rng, chars, hi)
    short = body(rng, chars, lo - 1)
    n1 = name_list[0]
    n2 = name_list[-1]
    first = f"{n1.upper()}{v1}" if n1.endswith("=") else f"export {n1.upper()}={v1}"
    second = f"Endpoint=sb://x.example.net/;{n2}{v2};" if n2.endswith("=") else f'config:\n  {n2}: "{v2}"\n'
    near = f"{n1}{short}" if n1.endswith("=") else f"{n1} = {short}"
    add(rule, [(first, v1), (second, v2)], [near])

rng = random.Random("structural")
B64 = string.ascii_letters + string.digits + "+/"


def pem(label: str, lines: int = 6) -> str:
    payload = "\n".join(body(rng, B64, 64) for _ in range(lines))
    return f"-----BEGIN {label}-----\n{payload}\n-----END {label}-----"


for rule, label in [
    ("private-key-pkcs8", "PRIVATE KEY"), ("private-key-encrypted", "ENCRYPTED PRIVATE KEY"),
    ("private-key-rsa", "RSA PRIVATE KEY"), ("private-key-ec", "EC PRIVATE KEY"), ("private-key-dsa", "DSA PRIVATE KEY"),
    ("private-key-openssh", "OPENSSH PRIVATE KEY"), ("private-key-pgp", "PGP PRIVATE KEY BLOCK"),
]:
    k1, k2 = pem(label), pem(label, 3)
    truncated = k2.rsplit("\n", 1)[0]  # no END line: still a key
    add(rule, [(f"my key:\n{k1}\nthanks", k1), (f"pasted: {truncated}", truncated)],
        [f"-----BEGIN {label}-----\n...\n-----END {label}-----", ])
examples["private-key-rsa"]["negatives"].append(pem("PUBLIC KEY"))

putty = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n" + body(rng, B64, 64) + "\n" + body(rng, B64, 40) + "\nPrivate-Lines: 1\n" + body(rng, B64, 44) + "\nPrivate-MAC: " + body(rng, "0123456789abcdef", 64)
putty2 = putty.replace("ssh-ed25519", "ssh-rsa").replace("deploy", "laptop")
add("private-key-putty", [(putty, putty), ("file follows\n" + putty2, putty2)], ["PuTTY-User-Key-File-3: ssh-ed25519 (the header alone)"])

URLSAFE = string.ascii_letters + string.digits + "_-"
jwt1 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9." + body(rng, URLSAFE, 43)
jwt2 = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcC5sb2NhbCJ9." + body(rng, URLSAFE, 86)
add("jwt", [(f"cookie session={jwt1}; path=/", jwt1), (f'{{"id_token": "{jwt2}"}}', jwt2)], ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0 (no signature)"])

for rule, scheme in [
    ("postgres-connection-string", "postgres"), ("mysql-connection-string", "mysql"), ("mongodb-connection-string", "mongodb+srv"),
    ("redis-connection-string", "rediss"), ("amqp-connection-string", "amqps"), ("mqtt-connection-string", "mqtt"),
    ("nats-connection-string", "nats"), ("mssql-connection-string", "sqlserver"), ("clickhouse-connection-string", "clickhouse"),
    ("ldap-connection-string", "ldaps"), ("smtp-connection-string", "smtp"), ("ftp-connection-string", "sftp"),
    ("url-credentials", "https"),
]:
    p1, p2 = body(rng, string.ascii_letters + string.digits, 14), body(rng, string.ascii_letters + string.digits, 20) + "!"
    add(rule, [(f"DATABASE_URL={scheme}://app:{p1}@db.internal:5432/main", p1), (f'use "{scheme}://svc-user:{p2}@10.1.2.3/x" now', p2)],
        [f"{scheme}://db.internal:5432/main (no credentials)", f"{scheme}://user:${{DB_PASSWORD}}@db/main"])

ado = body(rng, string.ascii_letters + string.digits, 16)
ado2 = body(rng, string.ascii_letters + string.digits, 12) + "#"
add("ado-connection-string", [(f"Server=tcp:sql.internal,1433;Database=app;User ID=app;Password={ado};Encrypt=true", ado),
                               (f'"Data Source=db;Initial Catalog=x;Uid=sa;Pwd={ado2};"', ado2)],
    ["Server=tcp:sql.internal;Database=app;Password=<password>;"])

basic = "dXNlcjpzM2NyM3QtcGFzcw=="  # user:s3cr3t-pass
basic2 = "YWRtaW46Q29ycmVjdEhvcnNlQmF0dGVyeQ=="
add("authorization-basic", [(f"Authorization: Basic {basic}", basic), (f"curl -H 'authorization: basic {basic2}' x", basic2)],
    ["Authorization: Basic dXNlcm5hbWVvbmx5"])
bearer1 = body(rng, URLSAFE, 40)
bearer2 = body(rng, string.ascii_letters + string.digits, 24) + "." + body(rng, URLSAFE, 20)
add("authorization-bearer", [(f"Authorization: Bearer {bearer1}", bearer1), (f"-H 'authorization: bearer {bearer2}'", bearer2)],
    ["Authorization: Bearer <token>", "the bearer token is stored in the keychain"])

legacy = "sk-" + body(rng, string.ascii_letters + string.digits, 20) + "T3BlbkFJ" + body(rng, string.ascii_letters + string.digits, 20)
legacy2 = "sk-" + body(rng, string.ascii_letters + string.digits, 20) + "T3BlbkFJ" + body(rng, string.ascii_letters + string.digits, 20)
add("openai-api-key", [(f"OPENAI_API_KEY={legacy}", legacy), (f"client = OpenAI(api_key='{legacy2}')", legacy2)],
    ["T3BlbkFJ on its own is only the marker"])

az1 = body(rng, string.ascii_letters, 3) + "8Q~" + body(rng, string.ascii_letters + string.digits + "_~.-", 34)
az2 = body(rng, string.ascii_letters, 3) + "7Q~" + body(rng, string.ascii_letters + string.digits, 31)
add("azure-ad-client-secret", [(f"AZURE_CLIENT_SECRET={az1}", az1), (f"secret value {az2} copied", az2)], ["Q~ alone in a sentence Q~x"])

sas1 = body(rng, string.ascii_letters + string.digits, 40) + "%3D"
sas2 = body(rng, string.ascii_letters + string.digits + "+/", 43) + "="
add("azure-sas-signature", [(f"https://a.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&sp=r&sig={sas1}", sas1),
                             (f"SharedAccessSignature=sv=2021-06-08&se=2030-01-01&sig={sas2}", sas2)],
    ["the sig= parameter is the signature"])

tg1 = "1234567890:AA" + body(rng, URLSAFE, 33)
tg2 = "987654321:AA" + body(rng, URLSAFE, 33)
add("telegram-bot-token", [(f"TELEGRAM_BOT_TOKEN={tg1}", tg1), (f"bot url https://api.telegram.org/bot{tg2}/sendMessage", tg2)],
    ["12:AA" + body(rng, URLSAFE, 33)])

nr1 = body(rng, "0123456789abcdef", 36) + "NRAL"
nr2 = body(rng, "0123456789abcdef", 36) + "NRAL"
add("new-relic-license-key", [(f"license_key: {nr1}", nr1), (f"NEW_RELIC_LICENSE_KEY={nr2}", nr2)], ["the NRAL suffix marks ingest keys"])

mc1 = body(rng, "0123456789abcdef", 32) + "-us14"
mc2 = body(rng, "0123456789abcdef", 32) + "-us6"
add("mailchimp-api-key", [(f"MAILCHIMP_KEY={mc1}", mc1), (f"key {mc2} for the list", mc2)], ["region -us14 only"])

for rule, host, n in [("slack-webhook-url", "hooks.slack.com/services/", 0), ("slack-workflow-webhook-url", "hooks.slack.com/workflows/", 0),
                      ("discord-webhook-url", "discord.com/api/webhooks/", 1), ("teams-webhook-url", "webhook.office.com/webhookb2/", 2),
                      ("zapier-webhook-url", "hooks.zapier.com/hooks/catch/", 3)]:
    if n == 0:
        p1 = "T" + body(rng, string.ascii_uppercase + string.digits, 10) + "/B" + body(rng, string.ascii_uppercase + string.digits, 10) + "/" + body(rng, string.ascii_letters + string.digits, 24)
    elif n == 1:
        p1 = "1234567890123456789/" + body(rng, URLSAFE, 68)
    elif n == 2:
        p1 = body(rng, "0123456789abcdef", 8) + "-1234-4321-abcd-" + body(rng, "0123456789abcdef", 12) + "@" + body(rng, "0123456789abcdef", 8) + "/IncomingWebhook/" + body(rng, "0123456789abcdef", 32)
    else:
        p1 = "1234567/" + body(rng, string.ascii_lowercase + string.digits, 7) + "/"
    p2 = p1[:-3] + body(rng, string.ascii_letters, 3) if n != 3 else "7654321/" + body(rng, string.ascii_lowercase, 7)
    add(rule, [(f"post to https://{host}{p1} when done", p1), (f'"url": "https://{host}{p2}"', p2)], [f"https://{host} is the endpoint"])

# Context rules: assignments with an entropy floor and placeholder filtering.
pw1, pw2 = "Tr0ub4dor&3x", "hunter2-Winter!"
add("password-assignment", [(f'DB_PASSWORD="{pw1}"', pw1), (f"password: {pw2}\nuser: app", pw2)],
    ['password = os.environ["DB_PASSWORD"]', "password: ${DB_PASSWORD}", 'password = "<your-password>"', "password: required"])
s1, s2 = body(rng, string.ascii_letters + string.digits, 24), body(rng, string.ascii_letters + string.digits, 32)
add("secret-assignment", [(f"CLIENT_SECRET={s1}", s1), (f'{{"webhookSecret": "{s2}"}}', s2)],
    ["secretary = Dana", 'secret = get_secret("db")', "client_secret: '****'"])
t1, t2 = body(rng, string.ascii_letters + string.digits, 30), body(rng, string.ascii_letters + string.digits + "-", 40)
add("token-assignment", [(f"AUTH_TOKEN={t1}", t1), (f"  refresh_token: \"{t2}\"", t2)],
    ["max_tokens: 1024", "tokenizer = 'bert-base-uncased'", "token_count = 4096", "token = request.headers.get('x')"])
k1, k2 = body(rng, string.ascii_letters + string.digits, 32), body(rng, "0123456789abcdef", 40)
add("api-key-assignment", [(f"const apiKey = '{k1}';", k1), (f"X-Api-Key: {k2}", k2)],
    ["api_key = os.getenv('API_KEY')", "apiKey: process.env.API_KEY", 'api_key = "YOUR_API_KEY"'])
c1, c2 = body(rng, string.ascii_letters + string.digits, 20), body(rng, string.ascii_letters + string.digits, 28)
add("credential-assignment", [(f"SERVICE_CREDENTIALS={c1}", c1), (f'"credential": "{c2}"', c2)],
    ["credentials: file", 'credentials = load("creds.json")'])

# Credentials inside encodings, credential files, headers and command lines.
rng = random.Random("encoded-and-files")
ALNUM = string.ascii_letters + string.digits


def b64(text: str, width: int = 0) -> str:
    encoded = base64.b64encode(text.encode()).decode()
    return "\n".join(encoded[i:i + width] for i in range(0, len(encoded), width)) if width else encoded


def pem_text(label: str, lines: int = 6) -> str:
    payload = "\n".join(body(rng, B64, 64) for _ in range(lines))
    return f"-----BEGIN {label}-----\n{payload}\n-----END {label}-----\n"


kube_key = b64(pem_text("RSA PRIVATE KEY"))
wrapped_key = b64(pem_text("PRIVATE KEY"), 76)
indented = "\n".join("    " + line for line in wrapped_key.split("\n"))
add("private-key-base64",
    [(f"users:\n- name: admin\n  user:\n    client-key-data: {kube_key}\n", kube_key),
     (f"data:\n  tls.key: |\n{indented}\nkind: Secret", wrapped_key.split("\n")[-1])],
    [f"client-certificate-data: {b64(pem_text('CERTIFICATE'))}", f"ssh: {b64(pem_text('PUBLIC KEY'))}"])

reg1 = b64(f"deploy:{body(rng, ALNUM, 20)}")
reg2 = b64(f"_json_key:{body(rng, ALNUM, 32)}")
add("docker-registry-auth",
    [(f'{{"auths": {{"registry.example.com": {{"auth": "{reg1}"}}}}}}', reg1),
     (f'{{"auths":{{"ghcr.io":{{"auth":"{reg2}","email":"ci@example.com"}}}}}}', reg2)],
    ['{"auths": {"registry.example.com": {"auth": "dXNlcm5hbWVvbmx5"}}}', '{"auth": "oauth2"}'])

n1, n2 = body(rng, ALNUM, 16), body(rng, ALNUM, 12) + "#!"
add("netrc-password",
    [(f"machine api.example.com login bot password {n1}", n1),
     (f"machine git.internal\n  login deploy\n  password {n2}\nmachine other.internal login x", n2)],
    ["the machine password is in the vault, ask the machine login owner", "machine api.example.com login bot password $NETRC_PASSWORD"])

a1, a2, a3 = body(rng, ALNUM, 40), body(rng, ALNUM, 32), body(rng, ALNUM, 36)
add("authorization-header",
    [(f"Authorization: Token {a1}", a1), (f'headers = {{"Authorization": "ApiKey {a2}"}}', a2),
     (f"-H 'authorization: {a3}'", a3)],
    ["Authorization: required for all endpoints", "Authorization: Token <your-token>",
     "Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/s3/aws4_request, Signature=" + body(rng, "0123456789abcdef", 64)])

c1, c2, c3, c4, c5 = (body(rng, ALNUM, 14) for _ in range(5))
add("command-line-password",
    [(f"curl -sSu admin:{c1} https://api.internal/health", c1),
     (f"curl https://api.internal/x \\\n  -H 'Accept: application/json' \\\n  --user 'svc:{c2}'", c2),
     (f"mysql -h db -u root -p{c3} app < dump.sql", c3), (f"sshpass -p '{c4}' ssh deploy@host", c4),
     (f"wget --http-password {c5} --user bob https://files.internal/a.tgz", c5)],
    ["curl -u admin https://api.internal (curl asks for the password)", "curl -u $USER:$PASSWORD https://api.internal",
     "mysql -u root -p app", "git push -u origin main && sort -u names.txt", "curl -u user:pass https://api.internal"])

k1, k2 = body(rng, ALNUM, 32), body(rng, URLSAFE, 40)
add("cookie-header",
    [(f"GET /account HTTP/1.1\nHost: app.internal\nCookie: theme=dark; sessionid={k1}; lang=en\n", k1),
     (f"curl 'https://app.internal/api' -H 'accept: */*' -b '_session={k2}' --compressed", k2)],
    ["Cookie: theme=dark; lang=en-GB", "Set-Cookie: consent=yes; Path=/; Secure; HttpOnly",
     "the cookie: a small file a site stores", "Cookie: CUSTOMER=WILE_E_COYOTE; PART_NUMBER=ROCKET_LAUNCHER_0001",
     "'Set-Cookie: chips=ahoy\\nSet-Cookie: vienna=finger',"])

out = Path(__file__).with_name("rule-examples.json")
out.write_text(json.dumps(sorted(examples.values(), key=lambda e: e["rule"]), indent=1) + "\n")
print(f"{len(examples)} rules -> {out}")
