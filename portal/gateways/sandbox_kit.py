"""What the HTTP sandboxes share: their JSON error answer, the check of a signed request (``signing``'s scheme),
and the command line that serves one (``python -m portal.gateways.<name>_sandbox --port N``)."""
from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from portal.gateways.signing import CallbackRefused, signed_bytes, verify


def json_error(status: int, code: str, message: str) -> Any:
    return jsonify(error={"code": code, "message": message}), status


def unsigned_refusal(secret: str, header_name: str, tolerance: int) -> ResponseReturnValue | None:
    """A 401 answer unless the request carries a valid signature of its method, path and body; None when it does."""
    try:
        verify(signed_bytes(request.method, request.path, request.get_data()), request.headers.get(header_name),
               secret, header_name, tolerance)
    except CallbackRefused as exc:
        return json_error(401, exc.code, exc.message)
    return None


def serve(name: str, description: str, build: Callable[[int], Flask], argv: list[str] | None = None) -> None:
    """Parse ``--port``/``--host``, log as ``name``, and serve ``build(port)`` (threaded Werkzeug)."""
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    run_simple(args.host, args.port, build(args.port), threaded=True)
