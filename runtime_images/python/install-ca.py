"""Add the CA certificates spacehost copied from the host to this image's system trust store.

Usage: python3 install-ca.py FILE

Only certificates the image does not trust yet are added, one file each under
/usr/local/share/ca-certificates, so that update-ca-certificates (run again whenever a later
apt install touches ca-certificates) keeps them. An empty FILE adds nothing. Needs only the
standard library: it runs before any venv exists.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
LOCAL_DIR = "/usr/local/share/ca-certificates"
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


def certificates(path):
    """The base64 bodies of the PEM certificates in *path*, whitespace removed."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="ascii", errors="replace") as handle:
        return ["".join(body.split()) for body in PEM_RE.findall(handle.read())]


def pem(body):
    lines = "\n".join(textwrap.wrap(body, 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


def main(path):
    known = set(certificates(SYSTEM_BUNDLE))
    new = [c for c in dict.fromkeys(certificates(path)) if c not in known]
    if not new:
        print("install-ca: no CA certificates to add")
        return
    if shutil.which("update-ca-certificates"):
        os.makedirs(LOCAL_DIR, exist_ok=True)
        for number, body in enumerate(new):
            with open(f"{LOCAL_DIR}/spacehost-{number:03d}.crt", "w") as handle:
                handle.write(pem(body))
        subprocess.run(["update-ca-certificates"], check=True, stdout=subprocess.DEVNULL)
    else:
        os.makedirs(os.path.dirname(SYSTEM_BUNDLE), exist_ok=True)
        with open(SYSTEM_BUNDLE, "a") as handle:
            handle.write("".join(pem(body) for body in new))
    print(f"install-ca: added {len(new)} CA certificate(s) to {SYSTEM_BUNDLE}")


if __name__ == "__main__":
    main(sys.argv[1])
