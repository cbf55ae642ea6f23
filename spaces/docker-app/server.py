"""A tiny JSON + HTML server on app_port, standard library only."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/api/hello"):
            body = json.dumps({"hello": "from a docker space", "space": os.environ.get("SPACE_ID")})
            kind = "application/json"
        else:
            body = "<!doctype html><title>Docker app</title><h1>Hello from an sdk: docker space</h1>"
            kind = "text/html; charset=utf-8"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
