# syntax=docker/dockerfile:1
# tcpstate-exporter image: build with the full toolchain, ship compiled output and production
# dependencies only, on a pinned Node.js LTS slim image, as a numeric non-root user. Nothing is
# written at run time (read-only root filesystem works) and no shell or npm is needed: the
# entrypoint is exec form. npm, corepack and yarn are not in the image: the final stage starts
# from scratch with a copy of the base image's files without them (deleting them in a stage
# built on the base image would only hide them: they would stay in the base image's layer).

# --- build: compile TypeScript (dev dependencies, the whole toolchain)
FROM node:24.11.1-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY src ./src
RUN npm run build --silent

# --- deps: production dependencies only (koffi ships its prebuilt binary; nothing is compiled)
FROM node:24.11.1-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- the runtime's root filesystem: the base image without package managers, headers and docs
FROM node:24.11.1-bookworm-slim AS runtime-root
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /opt/yarn-v* /usr/local/bin/yarn /usr/local/bin/yarnpkg /usr/local/bin/docker-entrypoint.sh \
           /usr/local/include /usr/local/share/doc /usr/local/share/man /usr/local/CHANGELOG.md \
           /usr/local/README.md /root/.npm /tmp/*

# --- runtime
FROM scratch
COPY --from=runtime-root / /
LABEL org.opencontainers.image.title="tcpstate-exporter" \
      org.opencontainers.image.description="Prometheus exporter for the kernel's TCP socket table: states per family and port, listen queues, keepalive coverage, ephemeral ports." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/tcpstate-exporter/tcpstate-exporter" \
      org.opencontainers.image.version="0.1.0"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
# The runtime flags of the bin's shebang (src/cli.ts), which cannot run here without /usr/bin/env;
# a test keeps the two equal. PATH as in the base image (a scratch stage inherits no ENV).
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    MALLOC_ARENA_MAX=1 \
    NODE_ENV=production
USER 65532:65532
EXPOSE 9816
# Node runs as PID 1 and handles SIGTERM itself (graceful shutdown), so `docker stop` is fast.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "dist/src/cli.js"]
CMD ["--web.listen-address=:9816"]
