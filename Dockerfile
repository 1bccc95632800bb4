# IRIS Edge: InterSystems IRIS Community + the Node.js bridge, supervised by s6-overlay v3.
#
# The Supervisor passes BUILD_FROM (per architecture, from build.yaml). Without build.yaml the
# amd64 image below is the default; on arm64 pass
#   --build-arg BUILD_FROM=containers.intersystems.com/intersystems/iris-community-arm64:2026.1
ARG BUILD_FROM=containers.intersystems.com/intersystems/iris-community:2026.1
ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------
# Stage 1: compile the bridge (TypeScript -> dist/) and keep production dependencies only.
# Built for the target platform, so the node binary copied below matches the final image.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS bridge
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY web ./web
RUN npm run build \
    && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# Stage 2: the add-on image, on the official IRIS image (Ubuntu 24.04 userland, which the
# IRIS Native API addon needs).
# ---------------------------------------------------------------------------------------------
# hadolint ignore=DL3006
FROM ${BUILD_FROM}

ARG BUILD_VERSION=0.1.0
ARG IRIS_VERSION=2026.1
ARG S6_OVERLAY_VERSION=3.2.3.0
ARG BASHIO_VERSION=0.17.5
ARG TARGETARCH

# s6-overlay must run as root (PID 1); services drop to irisowner themselves.
# hadolint ignore=DL3002,DL3066
USER root
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Tools bashio and the service scripts use.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        bash \
        ca-certificates \
        curl \
        jq \
        tzdata \
        xz-utils \
    && rm -rf /var/lib/apt/lists/*

# s6-overlay v3 (noarch + per-arch + symlinks) and bashio.
RUN arch="${TARGETARCH:-$(dpkg --print-architecture)}" \
    && case "${arch}" in \
        amd64) s6_arch="x86_64" ;; \
        arm64) s6_arch="aarch64" ;; \
        *) echo "Unsupported architecture: ${arch}" >&2; exit 1 ;; \
    esac \
    && s6_url="https://github.com/just-containers/s6-overlay/releases/download/v${S6_OVERLAY_VERSION}" \
    && for part in noarch "${s6_arch}" symlinks-noarch symlinks-arch; do \
        curl -fsSL "${s6_url}/s6-overlay-${part}.tar.xz" | tar -C / -Jxpf - ; \
    done \
    && mkdir -p /usr/src/bashio \
    && curl -fsSL "https://github.com/hassio-addons/bashio/archive/v${BASHIO_VERSION}.tar.gz" \
        | tar -C /usr/src/bashio --strip-components=1 -xzf - \
    && mv /usr/src/bashio/lib /usr/lib/bashio \
    && ln -s /usr/lib/bashio/bashio /usr/bin/bashio \
    && rm -rf /usr/src/bashio

# Node.js runtime (same major as the build stage) and the compiled bridge.
COPY --from=bridge /usr/local/bin/node /usr/local/bin/node
COPY --from=bridge /build/package.json /opt/iris-edge/package.json
COPY --from=bridge /build/node_modules /opt/iris-edge/node_modules
COPY --from=bridge /build/dist /opt/iris-edge/dist

# The IRIS Native SDK's addon loads only on this image's Ubuntu, never in the build stage: the
# image is not built unless it loads here.
WORKDIR /opt/iris-edge
RUN node --input-type=module -e "await import('@intersystems/intersystems-iris-native')" >/dev/null
WORKDIR /

# s6 services, backup hooks, health check, setup scripts.
COPY rootfs /

ENV \
    S6_BEHAVIOUR_IF_STAGE2_FAILS=2 \
    S6_CMD_WAIT_FOR_SERVICES_MAXTIME=0 \
    S6_CMD_WAIT_FOR_SERVICES=1 \
    ISC_DATA_DIRECTORY=/data/iris \
    NODE_ENV=production

# Healthy = IRIS is running and the bridge finished a poll recently (see /usr/bin/healthcheck).
# The first start creates the durable IRIS data under /data/iris, which takes minutes on a Pi.
HEALTHCHECK --interval=30s --timeout=20s --start-period=10m --retries=3 \
    CMD ["/usr/bin/healthcheck"]

# /init (s6-overlay) replaces the IRIS image's "/tini -- /iris-main"; IRIS runs as an s6 service.
# An empty CMD: s6 would otherwise run an inherited CMD and stop the container when it exits.
ENTRYPOINT ["/init"]
CMD []

# The Supervisor's build adds the io.hass.* labels itself.
LABEL \
    org.opencontainers.image.title="IRIS Edge" \
    org.opencontainers.image.version="${BUILD_VERSION}" \
    org.opencontainers.image.source="https://github.com/iris-edge/iris-edge" \
    com.intersystems.iris.version="${IRIS_VERSION}"
