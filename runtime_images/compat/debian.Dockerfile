# spacehost's stand-in for the official debian:SUITE[-slim] images on hosts with no registry
# (docs/builds.md, "Docker spaces without a registry"): the Debian base that
# runtime_images/base/bootstrap.sh bootstraps, with the host's CA certificates and pip
# configuration as in every spacehost image. spacehost.builder.compat_images builds it with a
# context holding this file (as Dockerfile), install-ca.py, pip.conf, ca-bundle.crt and
# constraints.txt (the host's pip constraints, maybe empty), as for runtime_images/python.
ARG BASE=spacehost/base:bookworm
FROM ${BASE}
USER root
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
    LANG=C.UTF-8
CMD ["bash"]
