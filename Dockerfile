# syntax=docker/dockerfile:1
#
# famid (and famictl, for backups, restores and key rotation inside the
# container) as static binaries on a distroless base: no shell, no package
# manager, a non-root user, the data on a volume.
#
#   docker build -t raccordo/famid .
#   docker run --stop-timeout 30 -p 8080:8080 -p 9090:9090 -v famid-data:/data raccordo/famid
#
# --stop-timeout: a stop may take the drain delay and the shutdown timeout
# below, 25 s, and Docker kills after 10 s by default. Without a Docker
# engine, buildah builds this file (`--format docker`: the OCI format has no
# HEALTHCHECK) and podman runs it; .ci/image-check does both and checks the
# image running. See docs/operations.md.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: a static binary for a base image without libc. The Git metadata
# in the build context stamps the commit famid --version prints.
RUN CGO_ENABLED=0 go build -trimpath -o /out/famid ./cmd/famid \
 && CGO_ENABLED=0 go build -trimpath -o /out/famictl ./cmd/famictl \
 && mkdir /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/famid /out/famictl /usr/local/bin/
# The volume's mount point belongs to the non-root user (65532), so a
# fresh named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV FAMID_DATA_DIR=/data \
    FAMID_HTTP_ADDR=:8080 \
    FAMID_GRPC_ADDR=:9090 \
    FAMID_METRICS_ADDR=:9464 \
    FAMID_LOG_JSON=true \
    FAMID_DRAIN_DELAY=5s \
    FAMID_SHUTDOWN_TIMEOUT=20s
VOLUME ["/data"]
# 9464 is /metrics, without a token: let Prometheus reach it on the
# container network, but do not publish it (docs/operations.md, "Metrics").
EXPOSE 8080 9090 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/famid", "--check-health"]
ENTRYPOINT ["/usr/local/bin/famid"]
