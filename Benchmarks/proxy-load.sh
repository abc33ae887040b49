#!/usr/bin/env bash
# Proxy load benchmark: nginx on loopback as the TLS stand-in for a provider; `hey` sends 1 KiB JSON POSTs over
# 32 keep-alive connections, first directly to nginx, then through Airlock's TLS interception. Then it opens
# 1,000 idle intercepted tunnels and reads Airlock's resident memory. Each run also prints the CPU time hey, nginx
# and Airlock spent per request: the three share the cores, so this is where the machine's time went.
#
#   Benchmarks/proxy-load.sh            # 15 s per run
#   DURATION=30s Benchmarks/proxy-load.sh
#   LEDGER=off Benchmarks/proxy-load.sh  # the same with the egress ledger turned off, to see what it costs
#   LOG_FORMAT=json Benchmarks/proxy-load.sh  # decision lines as JSON objects instead of text
#   ROUNDS=5 Benchmarks/proxy-load.sh    # five alternating direct/through rounds, then their medians
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
CONCURRENCY=${CONCURRENCY:-32}
TUNNELS=${TUNNELS:-1000}
ROUNDS=${ROUNDS:-1}

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v hey >/dev/null 2>&1 || need+=(hey)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

swift build -c release --product airlock >&2
airlock="$(swift build -c release --show-bin-path)/airlock"

work=$(mktemp -d)
cleanup() {
    [ -n "${airlock_pid:-}" ] && kill "$airlock_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# A test CA and a certificate for the provider name, for nginx.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout "$work/ca.key" -out "$work/ca.pem" -addext "basicConstraints=critical,CA:true" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=api.openai.com" \
    -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:api.openai.com\nextendedKeyUsage=serverAuth\n' > "$work/ext.cnf"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
    -extfile "$work/ext.cnf" -out "$work/server.pem" 2>/dev/null

upstream_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_buffer_size 16k;
    server {
        listen 127.0.0.1:$upstream_port ssl;
        ssl_certificate $work/server.pem;
        ssl_certificate_key $work/server.key;
        location / {
            default_type application/json;
            return 200 '{"id":"bench","object":"chat.completion","usage":{"prompt_tokens":10,"completion_tokens":1}}';
        }
    }
}
NGINX
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log"

python3 - "$work/body.json" <<'PY'
import json, sys
text = "The quick brown fox jumps over the lazy dog. " * 21
body = json.dumps({"model": "gpt-bench", "messages": [{"role": "user", "content": text}]})
body = body[:-2] + " " * (1024 - len(body)) + body[-2:]
open(sys.argv[1], "w").write(body)
assert len(body) == 1024
PY

# CPU time (user + system, clock ticks) of the three processes over each run, per request answered. The machine is
# CPU-bound during a run, so requests/s is set by what all three spend per request; on a host whose speed drifts,
# each one's CPU per request also says more about its own code than requests/s does.
hz=$(getconf CLK_TCK)
ticks_of() { [ -n "${1:-}" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
children_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }  # hey, once it has exited and been waited for
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)

run_hey() {  # label, extra hey args...
    local label=$1; shift
    local hey0 nginx0 airlock0
    hey0=$(children_ticks); nginx0=$(ticks_of "$nginx_worker"); airlock0=$(ticks_of "${airlock_pid:-}")
    hey -z "$DURATION" -c "$CONCURRENCY" -m POST -T application/json -D "$work/body.json" "$@" > "$work/$label.txt"
    local cpu="$(( $(children_ticks) - hey0 )) $(( $(ticks_of "$nginx_worker") - nginx0 ))"
    cpu="$cpu $(( $(ticks_of "${airlock_pid:-}") - airlock0 ))"
    python3 - "$label" "$work/$label.txt" "$work/results" "$hz" $cpu <<'PY'
import re, sys
label, path, results, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
hey, nginx, airlock = (int(t) / hz for t in sys.argv[5:8])
text = open(path).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = {p: float(v) * 1000 for p, v in re.findall(r"(\d+)%% in ([\d.]+) secs".replace("%%", "%"), text)}
codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", text)
errors = "error" in text.lower() and "Error distribution" in text
print(f"{label:<16} {rps:>10.0f} req/s   p50 {lat.get('50', float('nan')):6.2f} ms   p99 {lat.get('99', float('nan')):6.2f} ms   status {dict(codes)}{'   ERRORS (see hey output)' if errors else ''}")
answered = int(dict(codes).get("200", 0))
cpu = [1e6 * t / answered if answered else float("nan") for t in (hey, nginx, airlock)]
through = label != "direct"
print(f"{'':<16} CPU per request: hey {cpu[0]:.0f} µs, nginx {cpu[1]:.0f} µs" + (f", airlock {cpu[2]:.0f} µs" if through else ""))
with open(results, "a") as out:
    print(label, rps, lat.get("50", float("nan")), lat.get("99", float("nan")), *cpu[: 3 if through else 2], file=out)
PY
}

state="$work/state"
config=
if [ "${LEDGER:-on}" = off ]; then
    config="$work/airlock.yaml"
    awk '/^ledger:/ { l = 1 } l && /^  enabled:/ { print "  enabled: false"; l = 0; next } { print }' \
        Config/airlock.yaml > "$config"
    grep -q '^  enabled: false' "$config"
fi
"$airlock" serve --listen 127.0.0.1:0 --state-dir "$state" --allowlist Allowlist \
    --connect-to "api.openai.com:443:127.0.0.1:$upstream_port" --upstream-ca "$work/ca.pem" --log-level "${LOG_LEVEL:-info}" ${LOG_FORMAT:+--log-format "$LOG_FORMAT"} ${THREADS:+--threads "$THREADS"} \
    ${config:+--config "$config"} \
    > "$work/airlock.out" 2> "$work/airlock.err" &
airlock_pid=$!
for _ in $(seq 100); do grep -q "airlock listening on" "$work/airlock.out" 2>/dev/null && break; sleep 0.1; done
proxy_port=$(sed -n 's/.*airlock listening on .*:\([0-9]*\)$/\1/p' "$work/airlock.out")

# Direct and through Airlock alternate, so that both see the same minutes of this host's drift.
echo "hey: ${DURATION}, ${CONCURRENCY} keep-alive connections, 1 KiB JSON POST; $(nproc) cores shared by hey, nginx and Airlock"
for round in $(seq "$ROUNDS"); do
    [ "$ROUNDS" -gt 1 ] && echo "round $round of $ROUNDS"
    run_hey direct -host api.openai.com "https://127.0.0.1:$upstream_port/v1/chat/completions"
    run_hey "through-airlock" -x "http://127.0.0.1:$proxy_port" "https://api.openai.com/v1/chat/completions"
done
if [ "$ROUNDS" -gt 1 ]; then
    python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, *values = line.split()
    rows.setdefault(label, []).append([float(v) for v in values])
print(f"medians of {len(rows['direct'])} rounds:")
for label in ("direct", "through-airlock"):
    rps, p50, p99, *cpu = (statistics.median(column) for column in zip(*rows[label]))
    names = ("hey", "nginx", "airlock")
    spent = ", ".join(f"{name} {value:.0f} µs" for name, value in zip(names, cpu))
    print(f"{label:<16} {rps:>10.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   CPU per request: {spent}")
PY
fi

rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$airlock_pid/status"; }
echo "airlock RSS after load: $(rss) MiB"

python3 - "$proxy_port" "$TUNNELS" "$state/ca.pem" "$airlock_pid" <<'PY'
import asyncio, ssl, sys
port, count, ca, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.create_default_context(cafile=ca)

async def tunnel():
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    await writer.start_tls(context, server_hostname="api.openai.com")
    return writer

async def main():
    writers = []
    for start in range(0, count, 100):
        writers += await asyncio.gather(*(tunnel() for _ in range(min(100, count - start))))
    rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
    print(f"airlock RSS with {len(writers)} idle intercepted tunnels (TLS established): {int(rss) / 1024:.1f} MiB")
    for w in writers:
        w.close()

asyncio.run(main())
PY
