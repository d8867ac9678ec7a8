"""`career-rag serve`: run the API and chat page under uvicorn.

Generation is CPU-bound and the assistant holds the model in memory, so scale out with more
processes (`--workers N`) or hosts pointing at one Chroma server (the API is stateless), not with
threads. Workers share the index through Chroma and the data dir: a re-ingest through any of
them publishes a new generation that every worker switches to on its next manifest poll
(`CAREER_RAG_GENERATION_POLL_S`), and the ingest lock is a file lock in the data dir.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Iterable
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="Interface to bind (default 127.0.0.1)."
    )
    parser.add_argument("--port", type=int, default=8000, help="Port (default 8000).")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Worker processes (default 1); more than one needs a Chroma server "
        "(CAREER_RAG_CHROMA_URL), which they share.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="Where the index lives (default: CAREER_RAG_DATA_DIR or ./.data).",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )


def configure_logging(level: str, secrets: Iterable[str | None] = ()) -> None:
    """Root logging with the request id in every line and `secrets` masked; uvicorn's loggers
    propagate to it."""
    from api.middleware import RedactSecretsFilter, RequestIdLogFilter

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.addFilter(RedactSecretsFilter(secrets))
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.middleware import secret_values
    from rag.config import get_settings

    # uvicorn binds only after the app has loaded its models (about 20 s): check the port first.
    taken = _cannot_bind(args.host, args.port)
    if taken:
        print(
            f"career-rag serve: cannot listen on {args.host}:{args.port} ({taken}); stop what "
            "holds it or choose another port (--port, or `make run PORT=8080`).",
            file=sys.stderr,
        )
        return 2
    settings = get_settings()
    configure_logging(args.log_level, secret_values(settings))
    if args.data_dir is not None:
        settings = settings.model_copy(update={"data_dir": args.data_dir})
    banner = f"career-rag: serving on http://{args.host}:{args.port}/ (API docs at /docs)"
    if args.workers > 1:
        if not settings.chroma_url:
            # Embedded Chroma caches its indexes per process: one worker's re-ingest would stay
            # invisible to the others, and concurrent writers can corrupt it.
            print(
                "career-rag serve: --workers above 1 needs a Chroma server: start `chroma run` "
                "and set CAREER_RAG_CHROMA_URL (see docs/scale.md).",
                file=sys.stderr,
            )
            return 2
        print(banner, flush=True)
        # Each worker process builds its own app from the environment it inherits.
        if args.data_dir is not None:
            os.environ["CAREER_RAG_DATA_DIR"] = str(args.data_dir)
        uvicorn.run(
            "api.cli:worker_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            log_level=args.log_level,
        )
        return 0
    app = create_app(settings)
    print(banner, flush=True)
    # log_config=None: keep the logging set up above instead of uvicorn's own.
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, log_level=args.log_level)
    return 0


def _cannot_bind(host: str, port: int) -> str | None:
    """Why a server could not listen on host:port right now, or None when it could."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return str(exc)
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def worker_app() -> object:
    """The app of one `--workers` process (uvicorn imports this by name in each worker)."""
    from api.app import create_app
    from api.middleware import secret_values
    from rag.config import get_settings

    settings = get_settings()
    configure_logging("info", secret_values(settings))
    return create_app(settings)
