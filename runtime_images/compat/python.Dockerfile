# spacehost's stand-in for the official python:3.X[-slim] images on hosts with no registry
# (docs/builds.md, "Docker spaces without a registry"), made on the Debian base that
# runtime_images/base/bootstrap.sh bootstraps. The official images' layout: python, python3,
# pip and pip3 in /usr/local/bin, `pip install` as root installing into /usr/local (a venv made
# AT /usr/local, so Debian's PEP 668 marker does not apply), LANG=C.UTF-8, CMD ["python3"].
# The venv sees the user site (--system-site-packages), so a non-root `pip install` falls back
# to ~/.local as with the official image. spacehost.builder.compat_images builds it with a
# context holding this file (as Dockerfile), install-ca.py, pip.conf, ca-bundle.crt and
# constraints.txt (the host's pip constraints, maybe empty), as for runtime_images/python.
ARG BASE=spacehost/base:bookworm
FROM ${BASE}
ARG PYTHON_VERSION
ARG PACKAGES="netbase tzdata"
USER root

# The host's CA certificates and pip configuration, as in spacehost's runtime images.
COPY pip.conf install-ca.py ca-bundle.crt constraints.txt /tmp/spacehost/
RUN python3 /tmp/spacehost/install-ca.py /tmp/spacehost/ca-bundle.crt \
 && mkdir -p /etc/spacehost \
 && ln -sf /etc/ssl/certs/ca-certificates.crt /etc/spacehost/ca-bundle.crt \
 && install -m 0644 /tmp/spacehost/pip.conf /etc/pip.conf \
 && install -m 0644 /tmp/spacehost/constraints.txt /etc/spacehost/ \
 && rm -rf /tmp/spacehost
ENV SSL_CERT_FILE=/etc/spacehost/ca-bundle.crt \
    REQUESTS_CA_BUNDLE=/etc/spacehost/ca-bundle.crt \
    CURL_CA_BUNDLE=/etc/spacehost/ca-bundle.crt \
    PIP_CERT=/etc/spacehost/ca-bundle.crt

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb

RUN test "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$PYTHON_VERSION" \
 && python3 -m venv --system-site-packages /usr/local \
 && /usr/local/bin/pip install --no-cache-dir --upgrade pip setuptools wheel \
 && /usr/local/bin/python --version && /usr/local/bin/pip --version

ENV LANG=C.UTF-8 \
    PYTHON_VERSION=$PYTHON_VERSION \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["python3"]
