"""``csm doctor``'s checks without the CLI: an https server whose certificate does not verify
(a real TLS server on loopback with a self-signed certificate), a damaged store, the outbox."""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_tui.doctor import run_checks
from csm_tui.errors import CsmError
from csm_tui.locations import Locations, locations
from csm_tui.sync.client import CaseServerClient


def self_signed(folder: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    """An https server on loopback whose certificate nobody signed."""
    cert, key = self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def home(tmp_path: Path) -> Locations:
    return locations({"CSM_HOME": str(tmp_path / "home")}).ensure()


def by_name(home: Locations, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {c.name: (c.status, c.detail) for c in run_checks(home, None, env)}


def test_an_unverified_certificate_is_reported_as_such(home: Locations, tls_server: str) -> None:
    checks = by_name(home, {"CSM_SERVER": tls_server, "CSM_TOKEN": "t"})
    status, detail = checks["server"]
    assert status == "fail" and "TLS certificate" in detail and "self-signed" in detail
    with CaseServerClient(tls_server, "t") as client, pytest.raises(CsmError) as info:
        client.me()
    assert "TLS certificate" in str(info.value) and "could not be verified" in str(info.value)


def test_a_fresh_machine_and_a_damaged_store(home: Locations) -> None:
    fresh = by_name(home, {})
    assert fresh["config"][0] == "ok" and fresh["server"][0] == "fail"
    assert fresh["store"][0] == "warn" and fresh["outbox"][0] == "warn"
    home.store_file().write_bytes(b"SQLite format 3\x00" + b"\x00" * 84 + b"\xff" * 4000)
    damaged = by_name(home, {"CSM_SERVER": "http://127.0.0.1:9", "CSM_TOKEN": "t"})
    assert damaged["store"][0] == "fail"
    assert damaged["server"][0] == "fail" and "Cannot reach" in damaged["server"][1]


def test_a_bad_config_fails_the_config_check_only_once(home: Locations) -> None:
    home.config_file.write_text("sync_interval = 0\n[profiles.b]\nserver = 1\n")
    checks = by_name(home, {})
    assert checks["config"][0] == "fail" and "sync_interval" in checks["config"][1]
    home.config_file.write_text('theme = "csm-light"\n[profiles.b]\nserver = 1\n')
    checks = by_name(home, {})
    assert checks["config"][0] == "warn" and "[profiles.b]" in checks["config"][1]
