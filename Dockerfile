# Least: one image for every role. The role is the command:
#   docker run … least worker | least bot | least        (no argument: worker and bot in one process)
# Migrations use the CLI entry point instead: --entrypoint ./node_modules/.bin/tsx … app/cli.ts migrate
#
# TypeScript runs as is: tsx loads app/*.ts at start and the Temporal worker bundles workflows/ when it
# starts, so the image carries the sources and a full `npm ci` (not --omit=dev), and no build step.
# No secrets go into the image: configuration arrives as environment variables and the policy file
# is mounted at run time (see docker-compose.yml and docs/deploy.md).

# Node 20 on Debian bookworm, pinned to a patch release; bump deliberately.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
FROM ${NODE_IMAGE}

WORKDIR /app

# Dependencies first so that a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && npm cache clean --force

COPY . .

# The files stay owned by root and read-only for the process; it runs as the image's unprivileged
# `node` user (uid 1000), whose home and /tmp are its only writable places.
USER node

# tsx directly rather than `npx tsx`: one process less between the signal and the app, so SIGTERM
# reaches the Temporal worker's graceful shutdown. Run it with an init (compose `init: true`, or
# `docker run --init`) so signals are forwarded and children reaped.
ENTRYPOINT ["./node_modules/.bin/tsx", "app/main.ts"]
CMD []
