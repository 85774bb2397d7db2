"""Runs the moto AWS emulator with every request handled under one lock.

moto's own server handles requests on parallel threads without isolating them, so two concurrent DynamoDB
transactions can both pass their conditions and overdraw a balance, which DynamoDB never allows. The tests
check pagewire's conditional writes under concurrency, so the emulator must serialise them: connections
still run on their own threads (keep-alive works), but one request at a time reaches moto.
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            # Materialise the body inside the lock: a lazy iterable would run moto code after release.
            return list(app(environ, start_response))

    run_simple(host, port, serialised, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
