# Multi-stage build: compile with the official Swift 6 image, run on a slim image as a non-root user.
FROM swift:6.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev libssl-dev libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --product airlock --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/airlock" /usr/local/bin/airlock

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libcurl4 libssl3 libsqlite3-0 zlib1g publicsuffix \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/airlock --create-home airlock
COPY --from=build /usr/local/bin/airlock /usr/local/bin/airlock
COPY Allowlist /etc/airlock/Allowlist
COPY Config /etc/airlock/Config
ENV AIRLOCK_HOME=/var/lib/airlock
VOLUME ["/var/lib/airlock"]
USER airlock
# 8080: the proxy. 9090: /healthz and /metrics (no request content is ever exposed there).
EXPOSE 8080 9090
# Listening beyond loopback requires proxy authentication: mount a credentials file and point
# proxy_auth.credentials_file (or --proxy-auth-file) at it.
ENTRYPOINT ["/usr/local/bin/airlock"]
CMD ["serve", "--config", "/etc/airlock/Config/airlock.yaml", "--listen", "0.0.0.0:8080", "--admin-listen", "0.0.0.0:9090", "--proxy-auth-file", "/run/secrets/airlock-proxy-credentials"]
