"""The HMAC kept per key (usm_hmac.KeyedHmac) is RFC 2104's HMAC, as hmac.digest makes it,
for every authentication hash USM uses, keys shorter and longer than the hash's block, and
message after message under the same key."""

from __future__ import annotations

import hmac

import pytest

from bridge.probes.snmp.usm_hmac import KeyedHmac
from bridge.probes.snmp.usm_keys import AUTH_HASHES


@pytest.mark.parametrize("hash_name", sorted({spec.name for spec in AUTH_HASHES.values()}))
@pytest.mark.parametrize("key_bytes", [0, 16, 20, 64, 128, 129, 300])
def test_each_message_s_hmac_is_hmac_digest_s(hash_name: str, key_bytes: int) -> None:
    key = bytes((7 * i + key_bytes) % 256 for i in range(key_bytes))
    keyed = KeyedHmac(hash_name, key)
    for size in (0, 1, 63, 64, 65, 170, 1500):
        message = bytes((3 * i + size) % 256 for i in range(size))
        assert keyed.digest(message) == hmac.digest(key, message, hash_name)
