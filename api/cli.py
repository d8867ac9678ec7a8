"""`career-rag serve`: run the API and chat page under uvicorn (one worker process).

Generation is CPU-bound and the assistant holds the model in memory, so scale out with more
processes or hosts pointing at one Chroma server (the API is stateless), not with threads.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="Interface to bind (default 127.0.0.1)."
    )
    parser.add_argument("--port", type=int, default=8000, help="Port (default 8000).")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="Where the index lives (default: CAREER_RAG_DATA_DIR or ./.data).",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )


def configure_logging(level: str) -> None:
    """Root logging with the request id in every line; uvicorn's loggers propagate to it."""
    from api.middleware import RequestIdLogFilter

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from rag.config import get_settings

    configure_logging(args.log_level)
    settings = get_settings()
    if args.data_dir is not None:
        settings = settings.model_copy(update={"data_dir": args.data_dir})
    app = create_app(settings)
    print(f"career-rag: serving on http://{args.host}:{args.port}/ (API docs at /docs)", flush=True)
    # log_config=None: keep the logging set up above instead of uvicorn's own.
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, log_level=args.log_level)
    return 0
