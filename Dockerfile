# Portico in a container: the single binary, built exactly as `bun run build` builds it, alone on a
# minimal runtime image (glibc and CA certificates; no shell, no package manager).
#
#   docker build --build-arg PORTICO_COMMIT=$(git rev-parse --short=12 HEAD) -t portico .
#   docker run -p 8787:8787 -v portico-data:/data \
#     -e PORTICO_UPSTREAM=https://api.example.com -e PORTICO_PUBLIC_URL=https://mcp.example.com portico
#
# test/cli/dockerfile.test.ts checks this file's structure and runs its build stage's steps.

FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN bun install --frozen-lockfile --production --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
# --version reports this (the build context has no .git)
ARG PORTICO_COMMIT=unknown
RUN bun run build
RUN mkdir -p /data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/portico /portico
# the volume's mount point, owned by the user the gateway runs as (a new named volume inherits it)
COPY --from=build --chown=65532:65532 /data /data
ENV PORTICO_HOST=0.0.0.0 \
    PORTICO_PORT=8787 \
    PORTICO_DATABASE_URL=/data/portico.db
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/portico", "healthcheck", "--quiet"]
ENTRYPOINT ["/portico"]
CMD ["serve"]
