# The connector's container: current LTS Node (Node 20 left support in April 2026;
# AWS SDK releases from January 2027 need Node 22).
FROM node:22-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY config ./config
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# The demo and the sandbox read the bundled fixtures.
COPY fixtures ./fixtures
# The SQLite state (journal, countdowns, manual actions, run ledger) lives in /data:
# mount a volume so it outlives the container (order progress itself is on the requests).
# Set state.path to /data/native-rating.db in the config.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
# Healthy while the admin endpoint answers (give the config an "admin" section: port 8080 by default).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Secrets come from the environment: CONNECT_API_KEY, AWS credentials (or a task role),
# and each payer's externalIdEnv variable. SIGTERM drains; a second SIGTERM forces.
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["daemon", "--config", "/config/config.json"]
