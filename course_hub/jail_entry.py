"""The first program inside a jailed server: start the hub-API relay, then run `jupyterhub-singleuser`.

Usage (inside the jail): `python -m course_hub.jail_entry PORT=SOCK... -- <jupyterhub-singleuser args>`.
The jail has only its own loopback: this relays each of the jail's `127.0.0.1:PORT` to its Unix socket (the hub's
API and the site, relayed again by the spawner in the hub process), so JUPYTERHUB_API_URL works unchanged inside.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

from course_hub.relay import tcp_to_unix


def _serve_relays(pairs: list[tuple[int, Path]], ready: threading.Event) -> None:
    async def run() -> None:
        servers = [await tcp_to_unix(host="127.0.0.1", port=port, path=sock) for port, sock in pairs]
        ready.set()
        await asyncio.gather(*(server.serve_forever() for server in servers))

    asyncio.run(run())


def main(argv: list[str]) -> None:
    if "--" not in argv:
        raise SystemExit(__doc__)
    split = argv.index("--")
    pairs = []
    for spec in argv[:split]:
        port, _, sock = spec.partition("=")
        pairs.append((int(port), Path(sock)))
    ready = threading.Event()
    threading.Thread(target=_serve_relays, args=(pairs, ready), daemon=True).start()
    if not ready.wait(30):
        raise SystemExit("the relays did not start")
    from jupyterhub.singleuser import main as singleuser_main

    sys.argv = ["jupyterhub-singleuser", *argv[split + 1 :]]
    singleuser_main()


if __name__ == "__main__":
    main(sys.argv[1:])
