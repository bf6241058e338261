# One image for every polybot process; the command picks the worker (see docker-compose.yml).
# Node as pinned in package.json `engines` and .nvmrc.
FROM node:22.23.3-bookworm-slim AS build
WORKDIR /app
RUN npm install -g pnpm@10.34.8
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
# A failed install or build fails the image: no `|| true` shipping a broken one.
RUN pnpm install --frozen-lockfile && pnpm build

FROM node:22.23.3-bookworm-slim
ENV NODE_ENV=production POLYBOT_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
ENTRYPOINT ["node", "packages/cli/dist/worker.js"]
CMD ["discovery"]
