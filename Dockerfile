# syntax=docker/dockerfile:1
# The connector's container on Node 22 (the current LTS: Node 20 left support in
# April 2026; AWS SDK releases from January 2027 need Node 22).
#
#   docker build -t native-rating .                               the runtime image (the default, last stage)
#   docker build --target demo -t native-rating:demo .            plus the sandbox and the fixtures: `docker run --rm native-rating:demo`
#
# The runtime image holds the compiled connector (dist/src without the sandbox and
# the demo), its production dependencies, package.json and config/ (the bundled
# support fee tables): no fixtures, benchmarks, tests or TypeScript sources.
# test/deploy/dockerfile.test.ts checks these rules on this file.

FROM node:22-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY config ./config
# `npm ci` runs `prepare` (tsc -p tsconfig.build.json: dist/src); bench/ is not copied, so there is no dist/bench.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund && chmod -R go-w node_modules dist

# The runtime's share of the build: the sandbox and the two commands that load it
# (`sandbox`, `demo`) are left out (test/deploy/runtime-imports.test.ts proves no
# other command imports them).
FROM build AS runtime-files
RUN rm -rf dist/src/sandbox dist/src/cli/sandbox.command.js dist/src/cli/sandbox.command.js.map \
      dist/src/cli/demo.command.js dist/src/cli/demo.command.js.map

# What both images share. The app is in /app, owned by root and read-only for the
# `node` user; /data (the volume, the working folder) is its only writable path, so
# the relative defaults (./data/native-rating.db, out/, ./data/runs) land in it.
FROM node:22-slim AS base
ENV NODE_ENV=production \
    NATIVE_RATING_CONFIG=/config/config.json \
    NATIVE_RATING_STATE_PATH=/data/native-rating.db \
    NATIVE_RATING_OUTPUT_DIR=/data/runs
# World-writable folders (/tmp, /var/tmp, /run/lock) and the node user's home are
# made read-only for it: nothing but /data is writable by the user the image runs as.
RUN find / -xdev -perm -0002 ! -type l -exec chmod o-w {} + \
 && chown -R root:root /home/node && chmod -R go-w /home/node \
 && mkdir -p /app /config /data && chown node:node /data
COPY --from=build /app/node_modules /app/node_modules
COPY package.json /app/
COPY config /app/config
WORKDIR /data
VOLUME ["/data"]
# The admin endpoint (health, readiness, metrics, runs, reprocess) when the config
# has an "admin" section; in a container give it "host": "0.0.0.0".
EXPOSE 8080
# Follows the configured admin host and port (NATIVE_RATING_CONFIG, NATIVE_RATING_ADMIN_HOST/_PORT).
# `healthcheck` exits 2 without an admin section; Docker reserves 2, so every failure reads as 1 (unhealthy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node /app/dist/src/cli/main.js healthcheck || exit 1
# Secrets come from the environment: CONNECT_API_KEY, ADMIN_TOKEN, AWS credentials
# (or a task role) and each payer's externalIdEnv variable. SIGTERM drains the
# requests in hand (exit 0); a second SIGTERM aborts the calls in flight (exit 1).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["daemon"]

# The demo image: the whole dist/src (with the sandbox) and the fixtures.
FROM base AS demo
COPY --from=build /app/dist/src /app/dist/src
COPY fixtures /app/fixtures
# The demo keeps its scratch state in a temporary folder: under /data here.
ENV TMPDIR=/data
# The demo runs to its end and exits: no admin endpoint to check.
HEALTHCHECK NONE
RUN out="$(find / -xdev ! -type l ! -path /data \( -user node -o -group node -perm -0020 -o -perm -0002 \) -print)" \
 && { test -z "$out" || { echo "writable by node outside /data: $out" >&2; exit 1; }; }
USER node
CMD ["demo", "--config", "/app/fixtures/demo.config.json", "--out", "/data/out"]

# The runtime image (the default target: keep it last).
FROM base AS runtime
COPY --from=runtime-files /app/dist/src /app/dist/src
# Fails the build if the node user could write anywhere but /data.
RUN out="$(find / -xdev ! -type l ! -path /data \( -user node -o -group node -perm -0020 -o -perm -0002 \) -print)" \
 && { test -z "$out" || { echo "writable by node outside /data: $out" >&2; exit 1; }; }
USER node
