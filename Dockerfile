# Sluice from this repository: the TypeScript sources run under Node with tsx (no build step).
#   docker build -t sluice .
#   docker run --rm sluice --help
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY rules ./rules
COPY fixtures/workloads ./fixtures/workloads
COPY sluice.example.yaml ./
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/sluice.js"]
CMD ["start", "--config", "/etc/sluice/sluice.yaml"]
