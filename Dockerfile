# syntax=docker/dockerfile:1

# Node.js 24, the long-term support line (20 reached its end of life in April 2026). Both stages
# name the same line.

# --- build: compile TypeScript, then keep only production dependencies
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json app.ts server.ts config.ts ./
COPY plugins ./plugins
COPY routes ./routes
COPY schemas ./schemas
COPY console ./console
RUN npm run build && npm prune --omit=dev

# --- runtime: no compiler, no dev dependencies, not root
FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
# glibc's malloc returns a freed buffer of 128 kB or more to the system at once (its default lets
# that threshold rise to 32 MB after the first large free, and the memory of large answers stays
# resident): see docs/deployment.md, "Memory after large answers".
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini forwards SIGTERM so the service shuts down gracefully, and reaps zombies.
ENTRYPOINT ["/usr/bin/tini", "--"]
# The V8 flags of `npm run start:prod` (docs/deployment.md, "Memory"): the old generation collected
# once it has grown by a quarter, a young generation of 16 MB, no Maglev compiler: RSS under load
# stays under 150 MB (Node 24's defaults reach 240-280 MB) for at most a few percent of CPU.
CMD ["node", "--heap-growing-percent=25", "--max-semi-space-size=8", "--no-maglev", "dist/server.js"]
