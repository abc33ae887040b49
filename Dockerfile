# Multi-stage build: compile with the official Swift 6 image, run on a slim image as a non-root user.
FROM swift:6.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev libssl-dev libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Plugins ./Plugins
COPY Sources ./Sources
# The image has no git history: pass the commit for `airlock --version` (docker build --build-arg
# AIRLOCK_COMMIT=$(git rev-parse --short=12 HEAD) .); without it the version says "unknown".
ARG AIRLOCK_COMMIT=unknown
ENV AIRLOCK_COMMIT=${AIRLOCK_COMMIT}
RUN swift build -c release --product airlock --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/airlock" /usr/local/bin/airlock

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libcurl4 libssl3 libsqlite3-0 zlib1g publicsuffix \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 airlock \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/airlock --no-create-home airlock \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/airlock
COPY --from=build /usr/local/bin/airlock /usr/local/bin/airlock
COPY Allowlist /etc/airlock/Allowlist
COPY Config /etc/airlock/Config
# Settings a deployment can change with `docker run -e` (a flag would override them; see docs/configuration.md).
ENV AIRLOCK_HOME=/var/lib/airlock \
    AIRLOCK_LISTEN=0.0.0.0:8080 \
    AIRLOCK_ADMIN_LISTEN=0.0.0.0:9479 \
    AIRLOCK_LOG_FORMAT=text
VOLUME ["/var/lib/airlock"]
# A numeric user, so that a runtime enforcing non-root users (Kubernetes runAsNonRoot) can verify it.
USER 10001:10001
# 8080: the proxy. 9479: /healthz and /metrics (no request content is ever exposed there).
EXPOSE 8080 9479
# Listening beyond loopback requires proxy authentication: mount a credentials file and point
# proxy_auth.credentials_file (or --proxy-auth-file) at it.
ENTRYPOINT ["/usr/local/bin/airlock"]
CMD ["serve", "--config", "/etc/airlock/Config/airlock.yaml", "--proxy-auth-file", "/run/secrets/airlock-proxy-credentials"]
