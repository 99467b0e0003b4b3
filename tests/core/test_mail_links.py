"""Signed mail links: valid until they expire, for their own ticket and action only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.core.mail_links import COMMENT, CONFIRM, MailLink, _b64, _mac, read, sign, verify

KEY = b"k" * 32
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LINK = MailLink("INC-2026-000001", CONFIRM, T0 + timedelta(days=7), "abc123")


def test_a_valid_token_grants_its_link() -> None:
    assert verify(KEY, sign(KEY, LINK), T0) == LINK


def test_expired_is_refused() -> None:
    token = sign(KEY, LINK)
    assert verify(KEY, token, T0 + timedelta(days=7)) is None
    assert verify(KEY, token, T0 + timedelta(days=6, hours=23)) == LINK


def test_tampered_or_foreign_key_is_refused() -> None:
    token = sign(KEY, LINK)
    payload, mac = token.split(".")
    other = sign(KEY, MailLink("INC-2026-000002", CONFIRM, LINK.expires, LINK.id))
    assert verify(KEY, f"{other.split('.')[0]}.{mac}", T0) is None  # B's ticket, A's mac
    assert verify(KEY, f"{payload}.{mac[:-2]}AA", T0) is None
    assert verify(b"x" * 32, token, T0) is None
    for junk in ("", ".", "a.b.c", "x" * 500, f"{payload}."):
        assert verify(KEY, junk, T0) is None


def test_the_action_is_part_of_the_signature() -> None:
    comment = sign(KEY, MailLink(LINK.ref, COMMENT, LINK.expires, LINK.id))
    assert verify(KEY, comment, T0) == MailLink(LINK.ref, COMMENT, LINK.expires, LINK.id)
    assert comment != sign(KEY, LINK)


def test_the_reader_is_signed_and_older_tokens_still_read() -> None:
    named = MailLink(LINK.ref, COMMENT, LINK.expires, "c1", "it@acme.example.com")
    assert verify(KEY, sign(KEY, named), T0) == named
    # a token signed before the reader was added: four fields
    payload = _b64(f"{LINK.ref}|confirm|{int(LINK.expires.timestamp())}|abc123".encode())
    assert verify(KEY, f"{payload}.{_mac(KEY, payload)}", T0) == LINK


def test_an_expired_token_still_reads_as_its_link() -> None:
    token = sign(KEY, LINK)
    later = T0 + timedelta(days=8)
    assert verify(KEY, token, later) is None
    found = read(KEY, token)
    assert found == LINK
    assert found.expired(later)
    assert not found.expired(T0)
    assert read(KEY, token[:-1]) is None
