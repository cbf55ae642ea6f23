"""``python -m spacehost.router --data-dir DIR --host H --port P --domain D``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from spacehost.errors import SpacehostError
from spacehost.router.server import serve
from spacehost.settings import Settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spacehost.router",
        description="The spacehost router: the public listener in front of spaces and the "
        "control plane. Other settings come from SPACEHOST_* variables.",
    )
    p.add_argument("--data-dir", type=Path, help="data dir (route table, control socket)")
    p.add_argument("--host", help="address to listen on")
    p.add_argument("--port", type=int, help="port to listen on")
    p.add_argument("--domain", help="domain whose subdomains name spaces")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ...")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the router; returns the process exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    try:
        settings = Settings.from_env(
            data_dir=args.data_dir, host=args.host, port=args.port, domain=args.domain
        )
        serve(settings)
    except SpacehostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
