"""The cryptographic functions of MS-NLMP section 6 and 3.3.2 / 3.4.5, for NTLMv2 only.

Primitives come from libraries: HMAC-MD5 and MD5 from the standard library (``hmac.digest``,
``hashlib``: OpenSSL), RC4 from ``cryptography`` (in its ``decrepit`` namespace from version 43
on), MD4 from ``pycryptodomex`` (OpenSSL 3 no longer offers
MD4 through ``hashlib``). What is written here is the protocol's composition of them.
"""

from __future__ import annotations

import functools
import hashlib
import hmac as _hmac
from typing import Any, NamedTuple

__all__ = [
    "PREFIX_SIZE",
    "HmacMd5",
    "Rc4",
    "SessionKeys",
    "arc4",
    "hmac_md5",
    "keystream_prefix",
    "md4",
    "md5",
    "nt_proof_and_session_base_key",
    "ntowfv2",
    "rc4k",
    "seal_key",
    "session_keys",
    "sign_key",
    "xor",
]

# MS-NLMP 3.4.5.2 SIGNKEY and 3.4.5.3 SEALKEY: the magic constants, NUL-terminated ASCII.
CLIENT_SIGN_MAGIC = b"session key to client-to-server signing key magic constant\x00"
SERVER_SIGN_MAGIC = b"session key to server-to-client signing key magic constant\x00"
CLIENT_SEAL_MAGIC = b"session key to client-to-server sealing key magic constant\x00"
SERVER_SEAL_MAGIC = b"session key to server-to-client sealing key magic constant\x00"


def md4(data: bytes) -> bytes:
    # Imported on first use: pycryptodomex loads cffi and pycparser, a third of the package's
    # start-up, and only a new password needs it (nt_hash keeps its results).
    from Cryptodome.Hash import MD4

    return MD4.new(data).digest()


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


def hmac_md5(key: bytes, *parts: bytes) -> bytes:
    # The standard library's one-shot HMAC (OpenSSL underneath): no object per call.
    return _hmac.digest(key, parts[0] if len(parts) == 1 else b"".join(parts), "md5")


# RC4 keystream that is produced at once for a key, and kept (see keystream_prefix).
PREFIX_SIZE = 256


_CIPHER: Any = None  # (ARC4, Cipher) from cryptography, once the first key is used


def arc4(key: bytes) -> Any:
    """A fresh RC4 encryptor over ``key`` (cryptography's ciphers are imported on the first
    keying, not at start-up, and kept: an import statement per keying costs a lookup chain)."""
    global _CIPHER
    if _CIPHER is None:
        from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4  # cryptography >= 43
        from cryptography.hazmat.primitives.ciphers import Cipher

        _CIPHER = (ARC4, Cipher)
    algorithm, cipher = _CIPHER
    return cipher(algorithm(key), mode=None).encryptor()


@functools.lru_cache(maxsize=512)
def keystream_prefix(key: bytes) -> bytes:
    """The first PREFIX_SIZE bytes of RC4's keystream under ``key`` (RC4 of zero bytes).

    A pure function of the key, kept for the last keys: both ends of a connection key the same
    streams (RC4K of the exported session key runs on the client and on the server; the
    client's sending SEALKEY is the server's receiving one), and keying an RC4 cipher costs more
    than the few bytes a handshake and its first messages use."""
    return bytes(arc4(key).update(bytes(PREFIX_SIZE)))


def xor(data: bytes, stream: bytes) -> bytes:
    """``data`` XOR the first len(data) bytes of ``stream`` (RC4 encryption with its keystream)."""
    n = len(data)
    if len(stream) != n:
        stream = stream[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


_IPAD = bytes(b ^ 0x36 for b in range(256))  # translation tables: each key byte XOR the pad
_OPAD = bytes(b ^ 0x5C for b in range(256))


class HmacMd5:
    """HMAC-MD5 under one key (RFC 2104), with the inner and outer pads hashed once: each MAC
    then costs two copies of an MD5 state (a signing key signs every message of a context).
    ``HmacMd5(key).digest(data) == hmac_md5(key, data)``."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\x00") if len(key) <= 64 else hashlib.md5(key).digest().ljust(64, b"\x00")
        self._inner = hashlib.md5(block.translate(_IPAD))
        self._outer = hashlib.md5(block.translate(_OPAD))

    def digest(self, data: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class Rc4:
    """A keyed RC4 stream whose state carries over from one call to the next (MS-NLMP 6: RC4
    with a handle, as used by the connection-oriented sealing and signing of 3.4)."""

    __slots__ = ("_key", "_prefix", "_stream", "position")

    def __init__(self, key: bytes, position: int = 0) -> None:
        self._key = bytes(key)
        self._prefix: bytes | None = None  # keystream_prefix(key), once used
        self._stream: Any = None  # keyed when the kept keystream prefix runs out
        # Bytes of keystream used so far; a stream is restored by re-keying and skipping them
        # (the cipher's internal state is not exposed).
        self.position = 0
        if position:
            self.update(bytes(position))

    def update(self, data: bytes) -> bytes:
        start = self.position
        self.position += len(data)
        if self._stream is None:
            if self.position <= PREFIX_SIZE:
                prefix = self._prefix
                if prefix is None:
                    prefix = self._prefix = keystream_prefix(self._key)
                return xor(data, prefix[start:])
            self._stream = arc4(self._key)
            if start:
                self._stream.update(bytes(start))  # the keystream the prefix gave
        return bytes(self._stream.update(data))


def rc4k(key: bytes, data: bytes) -> bytes:
    """RC4K(K, D): one-shot RC4 with a fresh key (MS-NLMP 6)."""
    if len(data) <= PREFIX_SIZE:  # Rc4(key).update(data) from the kept keystream, without the object
        return xor(data, keystream_prefix(bytes(key)))
    return Rc4(key).update(data)


@functools.lru_cache(maxsize=256)
def nt_hash(password: str) -> bytes:
    """NTOWFv1: MD4 of the UTF-16LE password (MS-NLMP 3.3.1).

    The password is a WCHAR string: its UTF-16 code units are hashed as they are, an unpaired
    surrogate included (Interpretation: UNICODE() of MS-NLMP is the string's own code units)."""
    return md4(password.encode("utf-16-le", "surrogatepass"))


@functools.lru_cache(maxsize=256)
def ntowfv2(password: str, user: str, domain: str) -> bytes:
    """NTOWFv2(Passwd, User, UserDom) = HMAC_MD5(MD4(UNICODE(Passwd)),
    UNICODE(ConcatenationOf(Uppercase(User), UserDom))) (MS-NLMP 3.3.2). LMOWFv2 is the same.

    A pure function of its strings: the last results are kept (a model's handful of accounts
    authenticate over and over; MD4 is the costliest step of a handshake's client side)."""
    return hmac_md5(nt_hash(password), (user.upper() + domain).encode("utf-16-le", "surrogatepass"))


def nt_proof_and_session_base_key(response_key_nt: bytes, server_challenge: bytes, temp: bytes) -> tuple[bytes, bytes]:
    """NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge + temp) and
    SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr) (MS-NLMP 3.3.2)."""
    proof = hmac_md5(response_key_nt, server_challenge, temp)
    return proof, hmac_md5(response_key_nt, proof)


def lmv2_response(response_key_lm: bytes, server_challenge: bytes, client_challenge: bytes) -> bytes:
    """LmChallengeResponse = HMAC_MD5(ResponseKeyLM, ServerChallenge + ClientChallenge) +
    ClientChallenge (MS-NLMP 3.3.2)."""
    return hmac_md5(response_key_lm, server_challenge, client_challenge) + client_challenge


def sign_key(exported_session_key: bytes, client: bool) -> bytes:
    """SIGNKEY with extended session security (MS-NLMP 3.4.5.2)."""
    return md5(exported_session_key + (CLIENT_SIGN_MAGIC if client else SERVER_SIGN_MAGIC))


def seal_key(exported_session_key: bytes, client: bool, key_128: bool, key_56: bool) -> bytes:
    """SEALKEY with extended session security (MS-NLMP 3.4.5.3): the exported session key is cut
    to 16, 7 or 5 bytes by the negotiated strength before hashing with the magic constant."""
    if key_128:
        base = exported_session_key
    elif key_56:
        base = exported_session_key[:7]
    else:
        base = exported_session_key[:5]
    return md5(base + (CLIENT_SEAL_MAGIC if client else SERVER_SEAL_MAGIC))


class SessionKeys(NamedTuple):
    """SIGNKEY and SEALKEY of both directions (3.4.5.2, 3.4.5.3); the signing keys ready to MAC."""

    client_sign: HmacMd5  # client-to-server
    server_sign: HmacMd5  # server-to-client
    client_seal: bytes
    server_seal: bytes


@functools.lru_cache(maxsize=256)
def session_keys(exported_session_key: bytes, key_128: bool, key_56: bool) -> SessionKeys:
    """The four keys of a context, from its exported session key and negotiated strength.

    A pure function of its arguments, kept for the last sessions: the two ends of a connection
    derive the same four keys (each end sends with one pair and receives with the other), and
    an HmacMd5 is immutable once built, so both ends share it."""
    return SessionKeys(
        HmacMd5(sign_key(exported_session_key, True)),
        HmacMd5(sign_key(exported_session_key, False)),
        seal_key(exported_session_key, True, key_128, key_56),
        seal_key(exported_session_key, False, key_128, key_56),
    )

