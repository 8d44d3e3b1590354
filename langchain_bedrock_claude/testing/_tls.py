"""The test-only TLS certificate shipped with the emulator, and the server's SSL context.

botocore sends a Bedrock API key (``AWS_BEARER_TOKEN_BEDROCK``) only over HTTPS, so
``BedrockEmulator(tls=True)`` serves TLS with a long-lived self-signed certificate for
``localhost``, ``127.0.0.1`` and ``::1``. Its private key ships in the package and is
public: the certificate is for loopback tests only (see ``certs/README.md``).
"""

from __future__ import annotations

import ssl
from pathlib import Path

CERTS_DIR = Path(__file__).resolve().parent / "certs"
"""Where the test certificate lives (package data)."""
CERT_FILE = CERTS_DIR / "localhost.pem"
"""The self-signed certificate; also the CA bundle clients verify it with."""
KEY_FILE = CERTS_DIR / "localhost-key.pem"
"""Its private key (test-only, deliberately public)."""


def server_context() -> ssl.SSLContext:
    """An SSL context serving the test certificate (TLS 1.2 or later).

    Raises:
        FileNotFoundError: When the package was installed without its ``certs`` data.
    """
    if not CERT_FILE.is_file() or not KEY_FILE.is_file():
        raise FileNotFoundError(
            f"the emulator's test certificate is missing from {CERTS_DIR}; reinstall the "
            "package with its data files to use tls=True"
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(CERT_FILE, KEY_FILE)
    return context
