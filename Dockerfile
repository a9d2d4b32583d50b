# Least: one image for every role. The role is the command:
#   docker run … least worker | least bot | least        (no argument: worker and bot in one process)
# Migrations use the CLI entry point instead: --entrypoint ./node_modules/.bin/tsx … app/cli.ts migrate
#
# TypeScript runs as is: tsx loads app/*.ts at start and the Temporal worker bundles workflows/ when it
# starts, so the image carries the sources and a full `npm ci` (not --omit=dev); only the CLI is bundled.
# No secrets go into the image: configuration arrives as environment variables and the policy file
# is mounted at run time (see docker-compose.yml and docs/deploy.md).

# Node 24 LTS on Debian bookworm, pinned to a patch release; bump deliberately, together with the
# `node` dependency in package.json (the runtime `npm run` uses outside the image) and `engines`.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
FROM ${NODE_IMAGE}

WORKDIR /app

# Dependencies first so that a source change does not reinstall them. `npm ci` runs the `prepare`
# script (the CLI bundle builder), which has no sources to build yet and says so.
COPY package.json package-lock.json ./
COPY app/cli/bundle.cjs ./app/cli/
RUN npm ci --no-audit --no-fund --loglevel=error \
 && npm cache clean --force

COPY . .

# The `least` command built into one file (app/cli/bundle.cjs): `docker compose exec … npx least` starts
# without compiling its modules. Built as root, read by the process like every other file.
RUN node app/cli/bundle.cjs

# The workflow bundle built once here (app/build-workflows.ts): the worker loads it instead of running
# webpack at every start, so it is ready sooner after a restart and ~140 MiB lighter. A worker with
# tracing on still bundles at start (the tracing interceptors must be bundled in).
RUN ./node_modules/.bin/tsx app/build-workflows.ts dist/workflow-bundle.js
ENV LEAST_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js

# Production from here on: the main job never installs anything at start (no Temporal CLI, no AWS
# emulator; Temporal is a server in compose and there is no sandbox), and Teams local mode is refused.
ENV NODE_ENV=production

# The files stay owned by root and read-only for the process; it runs as the image's unprivileged
# `node` user (uid 1000), whose home and /tmp are its only writable places.
USER node

# tsx directly rather than `npx tsx`: one process less between the signal and the app, so SIGTERM
# reaches the Temporal worker's graceful shutdown. Run it with an init (compose `init: true`, or
# `docker run --init`) so signals are forwarded and children reaped.
ENTRYPOINT ["./node_modules/.bin/tsx", "app/main.ts"]
CMD []
