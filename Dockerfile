# syntax=docker/dockerfile:1
# tcpstate-exporter image: build with the full toolchain, ship compiled output and production
# dependencies only, on a pinned Node.js LTS slim image, as a numeric non-root user. Nothing is
# written at run time (read-only root filesystem works) and no shell or npm is needed: the
# entrypoint is exec form. npm, corepack and yarn are not in the image: the final stage starts
# from scratch with a copy of the base image's files without them (deleting them in a stage
# built on the base image would only hide them: they would stay in the base image's layer).

# --- build: compile TypeScript (dev dependencies, the whole toolchain)
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY src ./src
RUN npm run build --silent

# --- deps: production dependencies only (koffi ships its prebuilt binary; nothing is compiled)
FROM node:24.22.3-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- the runtime's root filesystem: the base image's files copied aside, without npm, corepack,
# yarn, headers and docs, nor what the container runtime provides (/proc, /sys, /dev, and the
# contents of /run and /tmp). Copied, because files removed in place would stay in the base
# image's layer.
FROM node:24.22.3-bookworm-slim AS runtime-root
RUN mkdir /rootfs \
 && tar -C / --anchored --exclude=./rootfs --exclude=./proc --exclude=./sys --exclude=./dev \
        --exclude='./run/*' --exclude='./tmp/*' --exclude=./root/.npm \
        --exclude=./usr/local/lib/node_modules --exclude=./usr/local/bin/npm --exclude=./usr/local/bin/npx \
        --exclude=./usr/local/bin/corepack --exclude='./opt/yarn-v*' --exclude=./usr/local/bin/yarn \
        --exclude=./usr/local/bin/yarnpkg --exclude=./usr/local/bin/docker-entrypoint.sh \
        --exclude=./usr/local/include --exclude=./usr/local/share/doc --exclude=./usr/local/share/man \
        --exclude=./usr/local/CHANGELOG.md --exclude=./usr/local/README.md -cf - . \
  | tar -C /rootfs -xf - \
 && mkdir -p /rootfs/proc /rootfs/sys /rootfs/dev /rootfs/run /rootfs/tmp \
 && chmod 1777 /rootfs/tmp

# --- runtime
FROM scratch
COPY --from=runtime-root /rootfs /
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
