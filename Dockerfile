# The product's image: ingest API, semantic layer (Cube), web app and worker are all this image,
# started with different --services (see docker-compose.yml).
FROM node:20.20.2-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    CRM_DATA_DIR=/var/lib/crm \
    NODE_OPTIONS=--max-old-space-size=4096

COPY package.json package-lock.json .npmrc ./
# .npmrc sets ignore-scripts: Cube's cubestore postinstall would download from GitHub.
RUN npm install --no-audit --no-fund && npm cache clean --force

COPY . .
# Build the dashboard once at image build time instead of at first start.
RUN npm run build:web --if-present

RUN useradd --system --uid 10001 --home /var/lib/crm crm && mkdir -p /var/lib/crm && chown crm /var/lib/crm
USER crm
EXPOSE 3000 4000 4100
ENTRYPOINT ["npx", "tsx", "bin/start.ts"]
CMD ["--services", "all", "--no-demo"]
