"""The RSA key that signs the site's OpenID Connect ID tokens (RS256); plain Python, read by the settings.

The key comes from the `OIDC_RSA_PRIVATE_KEY` environment variable (PEM) or, where that is unset, from
`<VAR_DIR>/oidc-rsa.pem`, which is generated on first use with mode 0600.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

KEY_FILE = "oidc-rsa.pem"


def generate_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def oidc_private_key(*, var_dir: Path, environ: dict[str, str] | None = None) -> str:
    """The PEM from the environment, else from var/ (created 0600 when missing)."""
    env = os.environ if environ is None else environ
    pem = env.get("OIDC_RSA_PRIVATE_KEY", "").strip()
    if pem:
        return pem.replace("\\n", "\n") + "\n"
    path = Path(var_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process (web, worker) is writing it right now
            fd = -1
        if fd >= 0:
            with os.fdopen(fd, "w") as fh:
                fh.write(generate_private_key_pem())
    for _ in range(50):  # wait for a concurrent writer to finish
        text = path.read_text()
        if "END PRIVATE KEY" in text:
            break
        time.sleep(0.1)
    os.chmod(path, 0o600)
    return text
