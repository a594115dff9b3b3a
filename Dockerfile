# syntax=docker/dockerfile:1
# driftwatch: build with the dev toolchain, run on a slim Node 20 with production dependencies only.
# Not built in CI here (no Docker engine); test/docker/dockerfile.test.ts checks it statically.

# ---- build: compile TypeScript, then drop dev dependencies ----
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
# Lockfile first so the dependency layer is cached until package*.json change.
# --ignore-scripts: the root `prepare` script would build before the sources are copied; the only
# dependency install script (chdb's) is a no-op, its native library comes as a prebuilt optional package.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DRIFTWATCH_LOG_LEVEL=info
WORKDIR /app
# The weekly report renders chart text with DejaVu Sans (the same font CI installs).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
# Code and dependencies stay root-owned and read-only for the service user; only the data directory is writable.
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY queries ./queries
# Default config: embedded store in the volume, metrics on all interfaces (127.0.0.1 is unreachable from
# outside a container). Mount your own over it: -v ./driftwatch.yaml:/etc/driftwatch/driftwatch.yaml:ro
COPY deploy/driftwatch.image.yaml /etc/driftwatch/driftwatch.yaml
RUN mkdir -p /var/lib/driftwatch && chown node:node /var/lib/driftwatch
VOLUME ["/var/lib/driftwatch"]
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 9464
# Liveness of the metrics server; slim images have no curl, Node 20 has fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/driftwatch.js"]
CMD ["daemon", "--config", "/etc/driftwatch/driftwatch.yaml"]
