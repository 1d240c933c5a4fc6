# syntax=docker/dockerfile:1
# scimd runs its TypeScript sources through tsx (a runtime dependency), so the image needs no
# build step of its own; the first stage only compiles better-sqlite3's native module.
# Check without an engine: `hadolint Dockerfile`; build with `docker build -t scimd .` and see
# docs/operations.md ("Containers") for the smoke test.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS dependencies
WORKDIR /app
# better-sqlite3 falls back to a source build when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY scim ./scim
COPY sync ./sync
COPY migrations ./migrations
# The default SQLite database lives in /app/data: mount a volume there, or set DATABASE_URL(_FILE).
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 8080
# /readyz: the database answers, migrations are applied, the server is not draining.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "bin/scimd.js", "healthcheck"]
# SIGTERM drains in-flight requests for up to SHUTDOWN_TIMEOUT_MS (10 s by default): give the
# container's stop timeout a little more (docker stop -t 15, or stop_grace_period in compose).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--max-old-space-size=1024", "bin/scimd.js"]
CMD ["serve"]
