"""USM privacy: the scopedPDU encrypted with AES in CFB-128 (RFC 3826) or DES-CBC (RFC 3414 8).

AES's IV is the message's engineBoots, engineTime and an 8-byte salt that goes on the
wire as msgPrivacyParameters; AES-192/256 are RFC 3826 with a longer key (see
usm_keys.extend). DES takes the first 8 key bytes as its key and XORs the next 8 (the
pre-IV) with its salt, engineBoots and a counter; `cryptography` has DES only as
TripleDES with the key three times over, which is DES (EDE with K1 = K2 = K3).
"""

from __future__ import annotations

import itertools
import os

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

try:  # cryptography moved CFB among the "decrepit" modes in 47; SNMP still needs it
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from bridge.core.probe_kinds.snmp import PrivProtocol


class DecryptionError(ValueError):
    """An encrypted scopedPDU that cannot be decrypted (RFC 3414: decryptionError)."""


class Privacy:
    """Encrypts outgoing scopedPDUs and decrypts replies; owns the salts (never reused)."""

    def __init__(self) -> None:
        # RFC 3826 3.1.2.1: a 64-bit integer, started at random, incremented per message
        self._aes_salts = itertools.count(int.from_bytes(os.urandom(8), "big"))
        self._des_salts = itertools.count(int.from_bytes(os.urandom(4), "big"))
        self._aes_blocks: dict[bytes, CipherContext] = {}  # AES-ECB encryptors by key

    def encrypt(self, protocol: PrivProtocol, key: bytes, boots: int, time_s: int,
                plaintext: bytes) -> tuple[bytes, bytes]:
        """The ciphertext and msgPrivacyParameters (the salt)."""
        if protocol is PrivProtocol.DES:
            salt = boots.to_bytes(4, "big") + (next(self._des_salts) % 2**32).to_bytes(4, "big")
            padded = plaintext + bytes(-len(plaintext) % 8)  # RFC 3414 8.1.1.2: any padding
            encryptor = _des(key, salt).encryptor()
            return encryptor.update(padded) + encryptor.finalize(), salt
        salt = (next(self._aes_salts) % 2**64).to_bytes(8, "big")
        encryptor = _aes(key, boots, time_s, salt).encryptor()
        return encryptor.update(plaintext) + encryptor.finalize(), salt

    def decrypt(self, protocol: PrivProtocol, key: bytes, boots: int, time_s: int, salt: bytes,
                ciphertext: bytes) -> bytes:
        """The plaintext (DES: with its padding); DecryptionError if it cannot be."""
        if len(salt) != 8:
            raise DecryptionError(f"msgPrivacyParameters of {len(salt)} bytes, not 8")
        if protocol is PrivProtocol.DES:
            if len(ciphertext) % 8:
                raise DecryptionError("DES ciphertext not a multiple of 8 bytes")
            decryptor = _des(key, salt).decryptor()
            return decryptor.update(ciphertext) + decryptor.finalize()
        return self._cfb_decrypt(key, boots.to_bytes(4, "big") + time_s.to_bytes(4, "big")
                                 + salt, ciphertext)

    def _cfb_decrypt(self, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
        """AES-CFB-128 decryption from one AES-ECB encryptor per key, kept: each plaintext
        block is its ciphertext XOR the encryption of the block before (the IV first), so
        the keystream is one ECB pass over IV + ciphertext; no cipher made per message
        (making one costs more than decrypting a trap)."""
        if not ciphertext:
            return b""
        block = self._aes_blocks.get(key)
        if block is None:
            if len(self._aes_blocks) >= 64:  # keys are per user and engine: a few
                self._aes_blocks.clear()
            block = self._aes_blocks[key] = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        size = len(ciphertext)
        feed = iv + ciphertext[:(size - 1) // 16 * 16]
        stream = block.update(feed)
        return (int.from_bytes(ciphertext, "big")
                ^ int.from_bytes(stream[:size], "big")).to_bytes(size, "big")


def _aes(key: bytes, boots: int, time_s: int, salt: bytes) -> Cipher[CFB]:
    iv = boots.to_bytes(4, "big") + time_s.to_bytes(4, "big") + salt
    return Cipher(algorithms.AES(key), CFB(iv))


def _des(key: bytes, salt: bytes) -> Cipher[modes.CBC]:
    iv = bytes(a ^ b for a, b in zip(key[8:16], salt, strict=True))
    return Cipher(TripleDES(key[:8] * 3), modes.CBC(iv))
