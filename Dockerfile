# prober's container image: one vantage point. Multi-stage: the build stage compiles with the
# same CMake as the README (tests off); the runtime stage holds only the binary, CA
# certificates and the runtime libraries, and runs as a non-root user.
#   docker build -t prober .
#   docker run -v $PWD/config.json:/etc/prober/config.json:ro -v prober-spool:/var/lib/prober -p 9465:9465 prober
# Built on Debian 13 (OpenSSL 3.5, libcurl 8.14) by default; Debian 12 with
# --build-arg BASE=debian:bookworm-slim. Where no registry is reachable, pass a locally imported
# Debian image as BASE (see docs/container.md).
ARG BASE=debian:trixie-slim

FROM ${BASE} AS build
COPY tools/install-deps.sh tools/runtime-packages.sh /src/tools/
RUN sh /src/tools/install-deps.sh && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY config config
COPY io io
COPY checks checks
COPY diagnostics diagnostics
COPY scheduler scheduler
COPY alerting alerting
COPY net net
COPY report report
COPY prober prober
COPY bench bench
COPY tests tests
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROBER_BUILD_TESTS=OFF \
 && cmake --build build -j"$(nproc)" --target prober \
 && strip build/prober \
 && sh tools/runtime-packages.sh build/prober > /src/runtime-packages \
 && cat /src/runtime-packages

FROM ${BASE}
# The runtime libraries are the Debian packages that hold what the binary links (found with ldd
# and dpkg -S in the build stage), so the same Dockerfile serves Debian 12 and 13, whose package
# names differ (libssl3 / libssl3t64, libyaml-cpp0.7 / 0.8, ...).
COPY --from=build /src/runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates $(cat /tmp/runtime-packages) \
 && rm /tmp/runtime-packages \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/prober --shell /usr/sbin/nologin prober \
 && mkdir -p /var/lib/prober/spool /etc/prober \
 && chown -R prober:prober /var/lib/prober
COPY --from=build /src/build/prober /usr/local/bin/prober
USER prober
WORKDIR /var/lib/prober
# The spool (results not yet acknowledged by the central services) survives the container.
VOLUME ["/var/lib/prober"]
EXPOSE 9465
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["prober", "healthcheck"]
# SIGTERM (docker stop, Kubernetes) drains checks in flight and flushes the spool; prober
# handles it itself as PID 1 and starts no child processes.
STOPSIGNAL SIGTERM
ENTRYPOINT ["prober"]
CMD ["run", "--config", "/etc/prober/config.json", "--web.listen-address", "0.0.0.0:9465"]
