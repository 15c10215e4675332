# syntax=docker/dockerfile:1
#
# verifyd's container image: Node 24 (Debian bookworm slim), production
# dependencies only, a non-root user, nothing written outside /tmp (runs with a
# read-only root filesystem), `verifyd serve` as the entrypoint.
#
#   docker build -t verifyd .            (or: podman build / buildah bud)
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp verifyd
#   docker run --rm -p 8080:8080 -v "$PWD/verifyd.yaml:/etc/verifyd/config.yaml:ro" \
#     verifyd serve --config /etc/verifyd/config.yaml
#
# Without --config verifyd serves its embedded demo configuration; the default
# command adds --host 0.0.0.0, since that configuration binds 127.0.0.1, which
# is unreachable from outside the container. A configuration file given with
# --config says where to listen itself (server.host: 0.0.0.0).
#
# The base image is pinned by digest (the multi-platform index of
# node:24.21.0-bookworm-slim, the Node version the project pins in package.json);
# move tag and digest together.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:2fe369e969550cde8e867afc3fe370b260140cab4a23d467074295b42163d553

# ---- build: every dependency, then `npm run build` (tsc, then esbuild bundles
# its output: scripts/bundle-server.mjs) into dist/. No install
# scripts: the image's Node is the one the `node` package would fetch, and the
# package's own `prepare` would only build a second time.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY . .
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts \
    && npm run build

# ---- deps: production dependencies only: not the optional ones either (the
# compiler and the `node` package, which only `prepare` and npm scripts use), and
# no install scripts (none of the production dependencies needs its own).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --ignore-scripts

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="verifyd" \
      org.opencontainers.image.description="Phone-verification sidecar with provider failover, served over Connect/gRPC" \
      org.opencontainers.image.licenses="Apache-2.0"
# A numeric user, so that Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 verifyd \
    && useradd --system --uid 10001 --gid verifyd --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin verifyd
ENV NODE_ENV=production
WORKDIR /app
# package.json: "type": "module" makes dist/ ES modules.
COPY --from=deps /app/package.json /app/package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 10001:10001
EXPOSE 8080
# Kubernetes probes GET /healthz and /readyz (deploy/helm/verifyd); no HEALTHCHECK here.
ENTRYPOINT ["node", "/app/dist/src/main.js"]
CMD ["serve", "--host", "0.0.0.0"]
