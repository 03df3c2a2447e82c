"""TLS: the kiosk verifies central's certificate, against the system's CAs by
default or a given ``ca_bundle``; an unknown certificate is refused in one line."""
import subprocess
import threading

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from kiosk.cli import main
from kiosk.storage.enrollment import ENROLLMENT_FILE
from sync.central.app import create_central_app
from sync.central.org import registry as org


@pytest.fixture
def self_signed(tmp_path):
    """A certificate for 127.0.0.1 that no system CA vouches for."""
    cert, key = tmp_path / "central.pem", tmp_path / "central.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def central_over_tls(tmp_path, self_signed):
    """The real central app behind HTTPS on loopback; returns (url, kiosk token)."""
    app = create_central_app({"data_dir": str(tmp_path / "central")})
    org.add_site("Kamppi")
    org.add_service("checkout")
    token = org.add_kiosk("k1", "Kamppi", "checkout")
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tuple(map(str, self_signed)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.port}", token
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_unknown_certificate_is_refused_then_trusted_through_ca_bundle(tmp_path, central_over_tls, self_signed):
    url, token = central_over_tls
    kiosk_dir = tmp_path / "kiosk"
    env = {"HYMY_DATA_DIR": str(kiosk_dir), "HYMY_CONFIG": None, "HYMY_CA_BUNDLE": None}

    refused = CliRunner().invoke(main, ["enroll", url], env=env, input=token + "\n")
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [f"hymy: {url}: central unreachable: SSLError"]
    assert not (kiosk_dir / ENROLLMENT_FILE).exists()

    env["HYMY_CA_BUNDLE"] = str(self_signed[0])
    enrolled = CliRunner().invoke(main, ["enroll", url], env=env, input=token + "\n")
    assert enrolled.exit_code == 0, enrolled.output
    synced = CliRunner().invoke(main, ["sync"], env=env)
    assert synced.exit_code == 0 and synced.output.startswith("sent 0"), synced.output
