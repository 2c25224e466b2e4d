"""The first program inside a jailed server: start the hub-API relay, then run `jupyterhub-singleuser`.

Usage (inside the jail): `python -m course_hub.jail_entry HUB_PORT HUB_SOCK -- <jupyterhub-singleuser args>`.
The jail has only its own loopback: this relays the jail's `127.0.0.1:HUB_PORT` to `HUB_SOCK` (the hub's API,
relayed again by the spawner in the hub process), so JUPYTERHUB_API_URL works unchanged inside.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

from course_hub.relay import tcp_to_unix


def _serve_relay(port: int, sock: Path, ready: threading.Event) -> None:
    async def run() -> None:
        server = await tcp_to_unix(host="127.0.0.1", port=port, path=sock)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(run())


def main(argv: list[str]) -> None:
    port, sock, separator, *rest = argv
    if separator != "--":
        raise SystemExit(__doc__)
    ready = threading.Event()
    threading.Thread(target=_serve_relay, args=(int(port), Path(sock), ready), daemon=True).start()
    if not ready.wait(30):
        raise SystemExit("the hub API relay did not start")
    from jupyterhub.singleuser import main as singleuser_main

    sys.argv = ["jupyterhub-singleuser", *rest]
    singleuser_main()


if __name__ == "__main__":
    main(sys.argv[1:])
