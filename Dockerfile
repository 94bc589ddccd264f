# The reference distribution's container image: the collector that
# `make build` made, as it is, on an empty base. Build it with `make image`:
# it runs make build, stages the CA bundle and /etc/passwd in _build/image/
# and builds this file with the repository as the context (.dockerignore
# sends only those two). Nothing is pulled, so the build needs no network.
FROM scratch

ARG VERSION=dev
LABEL org.opencontainers.image.title="otelcol-salesforce" \
      org.opencontainers.image.description="OpenTelemetry Collector with the Salesforce receiver" \
      org.opencontainers.image.version="${VERSION}"

# CA certificates (/etc/ssl/certs/ca-certificates.crt, where Go looks
# first) and the unprivileged user's /etc/passwd and /etc/group lines.
COPY _build/image/rootfs/ /
# ocb builds with CGO_ENABLED=0, so the binary is static and needs nothing
# else. --chmod: a umask on the building machine never takes the execute bit.
COPY --chmod=0755 _build/otelcol-salesforce /otelcol-salesforce

# Numeric, so Kubernetes' runAsNonRoot can verify it; the UID the upstream
# collector images use.
USER 10001:10001
ENTRYPOINT ["/otelcol-salesforce"]
CMD ["--config", "/etc/otelcol/config.yaml"]
# The health endpoint when healthcheckv2 listens on 0.0.0.0:13133 (its
# default, localhost:13133, is not reachable from outside the container).
EXPOSE 13133
