# neardup server image. Build: docker build -t neardup .   Run: see docs/ops.md.
# PYTHON_IMAGE lets a build use a local base (the container test builds on a Debian image made offline).
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# ---- build: install neardup and its runtime dependencies into a virtualenv ----
FROM ${PYTHON_IMAGE} AS build
# Optional pip settings for builds behind a mirror or a TLS-intercepting proxy (build stage only, not in the image).
ARG PIP_INDEX_URL
ARG PIP_CERT
WORKDIR /src
RUN python3 -m venv /opt/neardup
COPY pyproject.toml README.md ./
COPY proto ./proto
COPY service ./service
COPY client ./client
COPY benchmarks ./benchmarks
# No dev or bench extras: only what the server and the CLI need at run time.
RUN /opt/neardup/bin/pip install --no-cache-dir --disable-pip-version-check . \
    && /opt/neardup/bin/pip uninstall --yes pip

# ---- runtime: the virtualenv on a clean base, as an unprivileged user ----
FROM ${PYTHON_IMAGE}
# uid and gid 10001, named (useradd --user-group gave the group a system gid, 999, which the process,
# running as 10001:10001, is not in).
RUN groupadd --system --gid 10001 neardup \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin neardup \
    && mkdir -p /data \
    && chown neardup:neardup /data
COPY --from=build /opt/neardup /opt/neardup
ENV PATH=/opt/neardup/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NEARDUP_HOST=0.0.0.0 \
    NEARDUP_DATA_DIR=/data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 50051 50052 9100
# The standard gRPC health service on its own port (no call limit there: a busy server still answers);
# exit 0 only when it answers SERVING. The port the entrypoint gives, and no variable: NEARDUP_HEALTH_PORT does
# not move the server's port (the entrypoint's flag wins), and a check that read it asked a port nothing served,
# unhealthy for ever. A health port moved with --health-port N after the image name needs
# --health-cmd "neardup health --server 127.0.0.1:N --timeout 5 --no-tls" (docs/ops.md; --no-tls: see below);
# -1 (off) or 0 (any port) another.
# It asks liveness (''), which the health port answers SERVING from before the store opens, through the
# index's load (minutes for a cold rebuild at 1M articles): the start period covers only the process's
# own start (imports, binding the ports; seconds), so 60 s stays. Readiness: docs/ops.md, "The health port".
# --no-tls: the health port is plaintext, whatever NEARDUP_TLS, NEARDUP_CA_FILE, NEARDUP_CERT_FILE or
# NEARDUP_KEY_FILE, set for the container's client commands, say (each would turn TLS on).
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s --retries=3 \
    CMD ["neardup", "health", "--server", "127.0.0.1:50052", "--timeout", "5", "--no-tls"]
# `neardup serve` drains in-flight calls on SIGTERM (up to --grace-seconds) and closes the store cleanly.
STOPSIGNAL SIGTERM
# The ports as flags, not ENV: Kubernetes gives a pod NEARDUP_HEALTH_PORT=tcp://… for a Service named
# neardup-health (a "service link"; NEARDUP_PORT for one named neardup), which replaced the image's ENV, and the
# server, passing such an address over, ran with the port off; a flag wins over any variable. Flags after the
# image name come after these (the last given wins).
ENTRYPOINT ["neardup", "serve", "--port", "50051", "--health-port", "50052", "--metrics-port", "9100"]
