"""USM keys: a password made a key (RFC 3414 A.2), localised to an agent's engine ID.

Making a key hashes a megabyte (about 2-5 ms of CPU), so `UsmKeys` does it once per
password and localises once per (password, engine ID); a poll only looks the keys up.
SHA-2 follows RFC 7860: the same procedure with the larger hash, and HMACs truncated
to half the digest (192 bits for SHA-256). Privacy keys longer than the hash gives
(AES-192/256 with MD5 or SHA-1) are extended as net-snmp's "AES192"/"AES256" do
(Blumenthal's draft, draft-blumenthal-aes-usm-04 3.1.2.1): the key, then the hash of
the key so far, until it is long enough.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bridge.core.probe_kinds.snmp import AuthProtocol, PrivProtocol

_PASSWORD_BYTES = 1_048_576  # RFC 3414 A.2: the password repeated to 1 MiB, then hashed


@dataclass(frozen=True)
class AuthHash:
    """How one authentication protocol hashes and how much of the HMAC goes on the wire."""

    name: str  # hashlib's
    mac_bytes: int  # msgAuthenticationParameters: the HMAC truncated to this


AUTH_HASHES = {
    AuthProtocol.MD5: AuthHash("md5", 12),  # RFC 3414 6.3.1
    AuthProtocol.SHA: AuthHash("sha1", 12),  # RFC 3414 7.3.1
    AuthProtocol.SHA224: AuthHash("sha224", 16),  # RFC 7860 4.2.1
    AuthProtocol.SHA256: AuthHash("sha256", 24),
    AuthProtocol.SHA384: AuthHash("sha384", 32),
    AuthProtocol.SHA512: AuthHash("sha512", 48),
}
# Bytes of localised key each privacy protocol uses: DES takes 8 of key and 8 of pre-IV
PRIV_KEY_BYTES = {PrivProtocol.DES: 16, PrivProtocol.AES128: 16, PrivProtocol.AES192: 24,
                  PrivProtocol.AES256: 32}


def password_to_key(hash_name: str, password: bytes) -> bytes:
    """Ku: the hash of the password repeated to 1 MiB (RFC 3414 A.2, RFC 7860 9.3)."""
    if not password:
        raise ValueError("an SNMPv3 password must not be empty")
    repeats, rest = divmod(_PASSWORD_BYTES, len(password))
    digest = hashlib.new(hash_name)
    # in chunks, not one megabyte string: the same bytes in the same order
    chunk = password * max(1, 65536 // len(password))
    per_chunk = len(chunk) // len(password)
    for _ in range(repeats // per_chunk):
        digest.update(chunk)
    digest.update(password * (repeats % per_chunk) + password[:rest])
    return digest.digest()


def localize(hash_name: str, key: bytes, engine_id: bytes) -> bytes:
    """Kul: the key bound to one engine, H(Ku || engineID || Ku) (RFC 3414 2.6)."""
    return hashlib.new(hash_name, key + engine_id + key).digest()


def extend(hash_name: str, key: bytes, size: int) -> bytes:
    """A localised privacy key made `size` bytes long, as net-snmp's AES192/AES256 do."""
    while len(key) < size:
        key += hashlib.new(hash_name, key).digest()
    return key[:size]


@dataclass(frozen=True)
class LocalKeys:
    """A user's keys localised to one engine: the HMAC key and the privacy key, if any."""

    auth: AuthHash
    auth_key: bytes
    priv_key: bytes | None


class UsmKeys:
    """Keys made from passwords and localised, kept for the life of the client.

    At most `local_max` localised keys are kept (the oldest made goes first): a receiver
    localises for whatever engine ID a datagram names before it can authenticate it, and
    a sender choosing engine IDs at will must not grow this. Localising again costs one
    short hash (the password's key, the megabyte, is kept: there is one per password)."""

    def __init__(self, local_max: int = 1 << 20) -> None:
        if local_max < 1:
            raise ValueError(f"local_max must be at least 1, not {local_max}")
        self._made: dict[tuple[str, bytes], bytes] = {}
        self._local: dict[tuple[object, ...], LocalKeys] = {}
        self._local_max = local_max

    def _key(self, hash_name: str, password: bytes) -> bytes:
        key = self._made.get((hash_name, password))
        if key is None:
            key = self._made[(hash_name, password)] = password_to_key(hash_name, password)
        return key

    def local(self, auth: AuthProtocol, auth_password: bytes, priv: PrivProtocol,
              priv_password: bytes | None, engine_id: bytes) -> LocalKeys:
        """The keys of one user for one engine (made on first use)."""
        found = self._local.get((auth, auth_password, priv, priv_password, engine_id))
        if found is not None:
            return found
        spec = AUTH_HASHES[auth]
        auth_key = localize(spec.name, self._key(spec.name, auth_password), engine_id)
        priv_key = None
        if priv_password is not None:
            priv_key = extend(spec.name, localize(spec.name, self._key(spec.name, priv_password),
                                                  engine_id), PRIV_KEY_BYTES[priv])
        if len(self._local) >= self._local_max:
            del self._local[next(iter(self._local))]
        keys = self._local[(auth, auth_password, priv, priv_password, engine_id)] = \
            LocalKeys(spec, auth_key, priv_key)
        return keys

    def __len__(self) -> int:
        """How many localised keys are kept."""
        return len(self._local)

    def forget(self, engine_id: bytes) -> None:
        """Drop the keys localised to an engine that is gone."""
        self._local = {k: v for k, v in self._local.items() if k[-1] != engine_id}
