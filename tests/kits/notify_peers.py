"""Real receivers on loopback for the notification tests: an SMTP server and a webhook;
the outbox worker that delivers to them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import shutil
import ssl
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine

from bridge.config.model import Config
from bridge.daemon.outbox_worker import OutboxWorker
from bridge.store import Database

T = TypeVar("T")
BASE = Path(__file__).resolve().parents[1] / "testdata" / "config" / "base"
MAIN = """[http]
listen = "127.0.0.1:9410"

[[api.tokens]]
name = "operator"
role = "operator"
secret = "file:secrets/operator.token"
"""


def deployment(tmp_path: Path, notifications: str, main: str = MAIN) -> Path:
    """The base test deployment whose bridge.toml has this [notifications] section."""
    root = tmp_path / "deploy"
    shutil.copytree(BASE, root)
    (root / "bridge.toml").write_text(main + "\n" + notifications, encoding="utf-8")
    (root / "secrets" / "noc-portal.secret").write_text("portal-signing-key-42\n")
    return root / "bridge.toml"


def outbox_worker(db: Database, config: Config,
                  clock: Callable[[], datetime]) -> OutboxWorker:
    """The outbox worker on `db`, on the test's clock, without jitter."""
    async def run_db(fn: Callable[[Engine], T]) -> T:
        return await asyncio.to_thread(fn, db.writer)

    return OutboxWorker(run_db, lambda: config, clock=clock, jitter=lambda: 0.0)


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made for this test run."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bridge test mail server")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "mail.crt", folder / "mail.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class MailSink:
    """An aiosmtpd handler that keeps what it receives and refuses what it is told to."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each message as it arrived, for checks of the wire form
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply, e.g. "550 no such user"
        self.logins: list[str] = []
        self.received = asyncio.Event()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.raw.append(envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.received.set()
        return "250 Message accepted"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                     mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append(auth_data.login.decode())
        # handled=False: aiosmtpd itself answers a failure with 535
        return AuthResult(success=auth_data.password == b"s3cret-mail-pass", handled=False)

    def keys(self) -> Counter[str]:
        """How often each idempotency key arrived."""
        return Counter(str(m["X-Bridge-Idempotency-Key"]) for m in self.messages)


async def start_smtp(sink: MailSink, *, port: int = 0, starttls: ssl.SSLContext | None = None,
                     tls: ssl.SSLContext | None = None, auth: bool = False) -> asyncio.Server:
    """An SMTP server in this event loop on 127.0.0.1."""
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        return SMTP(sink, hostname="mail.test", tls_context=starttls, loop=loop,
                    require_starttls=starttls is not None, auth_required=auth,
                    authenticator=sink.authenticate if auth else None)

    return await loop.create_server(protocol, "127.0.0.1", port, ssl=tls)


def port_of(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


class HookReceiver:
    """A webhook receiver that checks signatures, counts keys, and answers from a script."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.script: list[int] = []  # statuses for the next requests; then 200
        self.retry_after: str | None = None
        self.documents: list[dict[str, Any]] = []
        self.requests = 0
        self.bad_signatures = 0
        self.received = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Bridge-Signature", "")):
            self.bad_signatures += 1
            return web.Response(status=401, text="bad signature")
        status = self.script.pop(0) if self.script else 200
        if 200 <= status < 300:
            document = json.loads(body)
            assert document["idempotency_key"] == request.headers["Idempotency-Key"]
            assert str(document["timestamp"]) == request.headers["X-Bridge-Timestamp"]
            self.documents.append(document)
            self.received.set()
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        return web.Response(status=status, headers=headers)

    def keys(self) -> Counter[str]:
        """How often each idempotency key was accepted."""
        return Counter(d["idempotency_key"] for d in self.documents)

    async def start(self, port: int = 0) -> int:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
