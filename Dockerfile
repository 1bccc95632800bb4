# IRIS Edge: InterSystems IRIS Community + the Node.js bridge, supervised by s6-overlay v3.
#
# The Supervisor passes BUILD_FROM (per architecture, from build.yaml). Without build.yaml the
# amd64 image below is the default; on arm64 pass
#   --build-arg BUILD_FROM=containers.intersystems.com/intersystems/iris-community-arm64:2026.1
ARG BUILD_FROM=containers.intersystems.com/intersystems/iris-community:2026.1
# An exact Node.js release, the one in .node-version (the tests run on it too; 22.15+ for zlib's
# zstd): the final stage checks the node binary it copies against the sha256 of that release's
# bin/node (NODE_SHA256_*), so a moved tag cannot slip another binary in.
ARG NODE_IMAGE=node:22.23.5-bookworm-slim

# ---------------------------------------------------------------------------------------------
# Stage 1: bundle the bridge and its libraries into dist/ (scripts/build.ts) and keep production
# dependencies only: of them the image loads the IRIS Native SDK, a native addon outside the bundle.
# Built for the target platform, so the node binary copied below matches the final image.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS bridge
WORKDIR /build
COPY package.json package-lock.json .node-version tsconfig.json tsconfig.build.json ./
# npm ci's postinstall (scripts/pinned-node.mjs) finds this stage's node is already the pinned one.
COPY scripts/pinned-node.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY scripts/build.ts ./scripts/
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
# Everything downloaded is checked against these before it is used (build.yaml repeats them for
# the Supervisor's local build; test/addon/downloads.test.ts keeps the two equal).
# s6-overlay: the .sha256 files published with the release, one per tarball.
ARG S6_OVERLAY_VERSION=3.2.3.0
ARG S6_OVERLAY_NOARCH_SHA256=b720f9d9340efc8bb07528b9743813c836e4b02f8693d90241f047998b4c53cf
ARG S6_OVERLAY_X86_64_SHA256=a93f02882c6ed46b21e7adb5c0add86154f01236c93cd82c7d682722e8840563
ARG S6_OVERLAY_AARCH64_SHA256=0952056ff913482163cc30e35b2e944b507ba1025d78f5becbb89367bf344581
ARG S6_OVERLAY_SYMLINKS_NOARCH_SHA256=a60dc5235de3ecbcf874b9c1f18d73263ab99b289b9329aa950e8729c4789f0e
ARG S6_OVERLAY_SYMLINKS_ARCH_SHA256=8e8407a0cf84fd8884cc7de52049bdce71bf3993f07cbaa2a7c8cebc9581d805
# bashio has no release files; GitHub's source archive is not guaranteed byte for byte, so what is
# pinned is its content: the sha256 of the `sha256sum` list of lib/ (paths ./x, sorted, C locale)
# at tag v0.17.5 (commit f788a0b8e944c5fed623225fe37af8dda97ac2f2).
ARG BASHIO_VERSION=0.17.5
ARG BASHIO_LIB_SHA256=40115bed3bbb2c73455eaf5f1be9fe1c6307a3ec179c95435cbe199bff98517c
# bin/node of the official Node.js 22.23.5 linux-x64 / linux-arm64 builds (NODE_IMAGE).
ARG NODE_SHA256_AMD64=2f822d544601dfff107f57d945b649d15c5bf6302595735a6bd9cdc7ee9669bd
ARG NODE_SHA256_ARM64=bb71f797d1b3d156d012c59b152c413cf7d4940156cafcde28f1731201ceaf1c
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

# s6-overlay v3 (noarch + per-arch + symlinks) and bashio, each checked before it is unpacked or
# installed; a mismatch stops the build.
# hadolint ignore=DL3003
RUN arch="${TARGETARCH:-$(dpkg --print-architecture)}" \
    && case "${arch}" in \
        amd64) s6_arch="x86_64" s6_arch_sha256="${S6_OVERLAY_X86_64_SHA256}" ;; \
        arm64) s6_arch="aarch64" s6_arch_sha256="${S6_OVERLAY_AARCH64_SHA256}" ;; \
        *) echo "Unsupported architecture: ${arch}" >&2; exit 1 ;; \
    esac \
    && s6_url="https://github.com/just-containers/s6-overlay/releases/download/v${S6_OVERLAY_VERSION}" \
    && mkdir -p /tmp/s6 \
    && for part in noarch "${s6_arch}" symlinks-noarch symlinks-arch; do \
        curl -fsSL --retry 3 -o "/tmp/s6/s6-overlay-${part}.tar.xz" "${s6_url}/s6-overlay-${part}.tar.xz" || exit 1; \
    done \
    && printf '%s  %s\n' \
        "${S6_OVERLAY_NOARCH_SHA256}" /tmp/s6/s6-overlay-noarch.tar.xz \
        "${s6_arch_sha256}" "/tmp/s6/s6-overlay-${s6_arch}.tar.xz" \
        "${S6_OVERLAY_SYMLINKS_NOARCH_SHA256}" /tmp/s6/s6-overlay-symlinks-noarch.tar.xz \
        "${S6_OVERLAY_SYMLINKS_ARCH_SHA256}" /tmp/s6/s6-overlay-symlinks-arch.tar.xz \
        | sha256sum --strict -c - \
    && for part in noarch "${s6_arch}" symlinks-noarch symlinks-arch; do \
        tar -C / -Jxpf "/tmp/s6/s6-overlay-${part}.tar.xz" || exit 1; \
    done \
    && rm -rf /tmp/s6 \
    && mkdir -p /usr/src/bashio \
    && curl -fsSL --retry 3 "https://github.com/hassio-addons/bashio/archive/v${BASHIO_VERSION}.tar.gz" \
        | tar -C /usr/src/bashio --strip-components=1 -xzf - \
    && bashio_sha256="$(cd /usr/src/bashio/lib && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d ' ' -f 1)" \
    && if [ "${bashio_sha256}" != "${BASHIO_LIB_SHA256}" ]; then \
        echo "bashio ${BASHIO_VERSION}: lib/ has sha256 ${bashio_sha256}, expected ${BASHIO_LIB_SHA256}" >&2; exit 1; \
    fi \
    && mv /usr/src/bashio/lib /usr/lib/bashio \
    && ln -s /usr/lib/bashio/bashio /usr/bin/bashio \
    && rm -rf /usr/src/bashio

# Node.js runtime (same major as the build stage) and the built bridge.
COPY --from=bridge /usr/local/bin/node /usr/local/bin/node
RUN case "${TARGETARCH:-$(dpkg --print-architecture)}" in \
        amd64) node_sha256="${NODE_SHA256_AMD64}" ;; \
        arm64) node_sha256="${NODE_SHA256_ARM64}" ;; \
        *) echo "Unsupported architecture for node" >&2; exit 1 ;; \
    esac \
    && echo "${node_sha256}  /usr/local/bin/node" | sha256sum --strict -c -
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
# No --start-interval: it needs Docker 25, and the Supervisor still supports Docker 24
# (supervisor/docker/manager.py MIN_SUPPORTED_DOCKER), whose builder refuses the flag.
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
