"""The two roles of an NTLMv2 handshake (MS-NLMP 3.1.5 client, 3.2.5 server), as objects.

Everything a handshake depends on is passed in: the account and password, the peer's names, a
random source (``random(n) -> n bytes``: client challenge, exported session key, server
challenge) and a clock (``clock() -> FILETIME``: 100 ns ticks since 1601-01-01 UTC, used for
MsvAvTimestamp and the NTLMv2 client challenge). Nothing here reads the host's clock or
randomness, so the same inputs give the same bytes.

Client::

    c = ClientSession(user="alice", domain="CONTOSO", password="...", random=r, clock=t)
    negotiate = c.negotiate()
    authenticate = c.authenticate(challenge_bytes)
    c.context.seal(b"...")

Server::

    s = ServerSession(accounts=AccountTable({...}), random=r, clock=t)
    challenge = s.challenge(negotiate_bytes)
    s.accept(authenticate_bytes)      # raises a typed NtlmError, or returns the authenticated user
    s.context.unseal(...)

Only NTLMv2 with extended session security is spoken (the configuration of current Windows at
LmCompatibilityLevel 5): an NTLMv1 or anonymous AUTHENTICATE is refused with LogonDenied.
"""

from __future__ import annotations

import hmac as _hmac
import struct
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from attrs import define, field, frozen

from . import crypto
from .errors import (
    ChannelBindingsMismatch,
    LogonDenied,
    MicMismatch,
    NegotiationFailure,
    ProtocolStateError,
)
from .messages import (
    FLAG,
    MIC_END,
    MIC_OFFSET,
    AuthenticateMessage,
    AvFlags,
    AvId,
    ChallengeMessage,
    NegotiateFlags,
    NegotiateMessage,
    NtlmV2ClientChallenge,
    TargetInfo,
    Version,
)
from .security import SecurityContext

__all__ = [
    "CLIENT_FLAGS",
    "AccountTable",
    "AuthenticatedUser",
    "ClientSession",
    "ServerSession",
    "channel_bindings_hash",
]

Random = Callable[[int], bytes]
Clock = Callable[[], int]

F = NegotiateFlags
# What the client asks for in NEGOTIATE_MESSAGE: Unicode, NTLM, extended session security,
# signing and sealing at 128 bits with key exchange, and its version (the set Windows clients
# send for a signed and sealed connection).
CLIENT_FLAGS: int = (
    FLAG.NTLMSSP_NEGOTIATE_UNICODE
    | FLAG.NTLM_NEGOTIATE_OEM
    | FLAG.NTLMSSP_REQUEST_TARGET
    | FLAG.NTLMSSP_NEGOTIATE_SIGN
    | FLAG.NTLMSSP_NEGOTIATE_SEAL
    | FLAG.NTLMSSP_NEGOTIATE_NTLM
    | FLAG.NTLMSSP_NEGOTIATE_ALWAYS_SIGN
    | FLAG.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY
    | FLAG.NTLMSSP_NEGOTIATE_VERSION
    | FLAG.NTLMSSP_NEGOTIATE_128
    | FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH
    | FLAG.NTLMSSP_NEGOTIATE_56
)
# Flags the server echoes when the client asked for them (3.2.5.1.1).
_SERVER_ECHOES: int = (
    FLAG.NTLMSSP_NEGOTIATE_SIGN
    | FLAG.NTLMSSP_NEGOTIATE_SEAL
    | FLAG.NTLMSSP_NEGOTIATE_ALWAYS_SIGN
    | FLAG.NTLMSSP_NEGOTIATE_128
    | FLAG.NTLMSSP_NEGOTIATE_56
    | FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH
    | FLAG.NTLMSSP_NEGOTIATE_IDENTIFY
    | FLAG.NTLMSSP_REQUEST_TARGET
)
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_VERSION = Version()
_MIC_PROVIDED = int(AvFlags.MIC_PROVIDED)
_NO_BINDINGS = b"\x00" * 16  # MsvAvChannelBindings of a client without channel bindings
# The flags each side refuses to go without, as plain ints with their names (for the error).
_CLIENT_NEEDS = tuple(
    (int(f), str(f.name)) for f in (F.NTLMSSP_NEGOTIATE_NTLM, F.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)
)
_SERVER_NEEDS = tuple((int(f), str(f.name)) for f in (F.NTLMSSP_NEGOTIATE_UNICODE, F.NTLMSSP_NEGOTIATE_NTLM))


def channel_bindings_hash(
    application_data: bytes | None,
    *,
    initiator_addr: bytes = b"",
    acceptor_addr: bytes = b"",
    initiator_type: int = 0,
    acceptor_type: int = 0,
) -> bytes:
    """MsvAvChannelBindings (2.2.2.1): MD5 of a gss_channel_bindings_struct (RFC 2744 4.1.1.2 /
    MS-NLMP 3.1.5.1.2 "ClientChannelBindingsUnhashed"); sixteen zero bytes when there are none.

    The structure is hashed in the flat form Windows uses: initiator address type and length,
    the address, acceptor type and length, the address, application data length and the data,
    integers as 32-bit little-endian (the address types of a SEC_CHANNEL_BINDINGS; TLS bindings
    leave them 0).
    """
    if application_data is None:
        return b"\x00" * 16
    flat = (
        _U32.pack(initiator_type)
        + _U32.pack(len(initiator_addr))
        + initiator_addr
        + _U32.pack(acceptor_type)
        + _U32.pack(len(acceptor_addr))
        + acceptor_addr
        + _U32.pack(len(application_data))
        + application_data
    )
    return crypto.md5(flat)


# ---------------------------------------------------------------------------------------------
# client


@define
class ClientSession:
    """The client side: NEGOTIATE out, CHALLENGE in, AUTHENTICATE out (MS-NLMP 3.1.5.1)."""

    user: str
    domain: str
    password: str
    random: Random
    clock: Clock
    workstation: str = ""
    target_name: str | None = None  # the SPN, sent as MsvAvTargetName
    channel_bindings: bytes | None = None  # application data of the channel bindings
    # MsvAvChannelBindings itself, when the caller hashed a whole SEC_CHANNEL_BINDINGS (its
    # addresses included): sent instead of channel_bindings_hash(channel_bindings).
    channel_bindings_digest: bytes | None = None
    # 3.1.5.1.2: the client "SHOULD send the channel binding AV_PAIR" (zeros without bindings);
    # False reproduces the MS-NLMP 4.2.4 example, whose AV pairs are the server's only.
    send_channel_bindings: bool = True
    flags: int = int(CLIENT_FLAGS)
    version: Version = field(default=_VERSION)  # frozen: one shared default
    negotiate_message: bytes | None = field(default=None, init=False)
    challenge_message: ChallengeMessage | None = field(default=None, init=False)
    exported_session_key: bytes | None = field(default=None, init=False, repr=False)
    _context: SecurityContext | None = field(default=None, init=False, repr=False)

    @property
    def context(self) -> SecurityContext | None:
        """The per-message half (MS-NLMP 3.4) once AUTHENTICATE was produced, with the keys of the
        CHALLENGE_MESSAGE's flags; built on first use (a caller with its own message layer, as
        the model's NTLM package, never asks)."""
        if self._context is None and self.exported_session_key is not None:
            assert self.challenge_message is not None
            self._context = SecurityContext(self.challenge_message.flags, self.exported_session_key, is_client=True)
        return self._context

    def negotiate(self) -> bytes:
        if self.negotiate_message is not None:
            raise ProtocolStateError("NEGOTIATE_MESSAGE was already produced")
        self.negotiate_message = NegotiateMessage(self.flags, version=self.version).encode()
        return self.negotiate_message

    def authenticate(self, challenge_bytes: bytes) -> bytes:
        """Processes the CHALLENGE_MESSAGE and returns the AUTHENTICATE_MESSAGE (3.1.5.1.2)."""
        if self.negotiate_message is None or self.challenge_message is not None:
            raise ProtocolStateError("authenticate() follows negotiate(), once")
        challenge = ChallengeMessage.decode(challenge_bytes)
        self.challenge_message = challenge
        flags = challenge.flags
        for needed, name in _CLIENT_NEEDS:
            if not flags & needed:
                raise NegotiationFailure(f"the server's CHALLENGE_MESSAGE does not negotiate {name}")
        if challenge.target_info is None:
            raise NegotiationFailure("the CHALLENGE_MESSAGE has no TargetInfo: NTLMv2 needs it")

        server_info = challenge.target_info
        server_time = server_info.timestamp()
        # 3.1.5.1.2: "If there exists a CHALLENGE_MESSAGE.TargetInfo.AvId == MsvAvTimestamp, Set
        # Time to [its value] ELSE Set Time to Currenttime", and with a timestamp the client
        # provides a MIC and sets MsvAvFlags bit 0x2.
        timestamp = server_time if server_time is not None else self.clock()
        send_mic = server_time is not None
        pairs: list[tuple[AvId, bytes]] = []
        if send_mic:
            pairs.append((AvId.MsvAvFlags, _U32.pack(server_info.flag_bits() | _MIC_PROVIDED)))
        if self.send_channel_bindings:
            digest = self.channel_bindings_digest
            pairs.append((AvId.MsvAvChannelBindings, digest or channel_bindings_hash(self.channel_bindings)))
        if self.target_name is not None:
            # The target name as the WCHAR string it is (an unpaired surrogate included).
            pairs.append((AvId.MsvAvTargetName, self.target_name.encode("utf-16-le", "surrogatepass")))
        info = server_info.with_pairs(*pairs)

        client_challenge = self.random(8)
        temp = NtlmV2ClientChallenge(timestamp, client_challenge, info).encode()
        key = crypto.ntowfv2(self.password, self.user, self.domain)
        proof, session_base_key = crypto.nt_proof_and_session_base_key(key, challenge.server_challenge, temp)
        nt_response = proof + temp
        # With a timestamp the client "SHOULD NOT send the LmChallengeResponse and SHOULD send
        # Z(24) instead" (3.1.5.1.2); otherwise the LMv2 response.
        lm_response = (
            b"\x00" * 24
            if send_mic
            else crypto.lmv2_response(key, challenge.server_challenge, client_challenge)
        )

        # NTLMv2: KeyExchangeKey = SessionBaseKey (3.4.5.1).
        encrypted_key = b""
        exported = session_base_key
        if flags & FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH:
            exported = self.random(16)
            encrypted_key = crypto.rc4k(session_base_key, exported)
        message = AuthenticateMessage(
            flags=flags,
            lm_response=lm_response,
            nt_response=nt_response,
            domain=self.domain,
            user=self.user,
            workstation=self.workstation,
            encrypted_random_session_key=encrypted_key,
            version=self.version,
            mic=b"\x00" * 16 if send_mic else None,
        )
        out = message.encode()
        if send_mic:
            mic = crypto.hmac_md5(exported, self.negotiate_message, challenge_bytes, out)
            out = out[:MIC_OFFSET] + mic + out[MIC_END:]
        self.exported_session_key = exported
        return out


# ---------------------------------------------------------------------------------------------
# server


@frozen
class AuthenticatedUser:
    user: str
    domain: str
    workstation: str
    flags: int
    target_name: str | None


class AccountTable:
    """Passwords by user name, case-insensitively, optionally per domain.

    ``AccountTable({"alice": "pw"})`` accepts alice from any domain; ``AccountTable({("CONTOSO",
    "alice"): "pw"})`` only from CONTOSO. NTLMv2 itself binds the response to the user and domain
    the client typed (NTOWFv2), so a client that names another domain fails the proof anyway.
    """

    def __init__(self, entries: Mapping[str | tuple[str, str], str]) -> None:
        self._any: dict[str, str] = {}
        self._by_domain: dict[tuple[str, str], str] = {}
        for key, password in entries.items():
            if isinstance(key, tuple):
                self._by_domain[(key[0].upper(), key[1].upper())] = password
            else:
                self._any[key.upper()] = password

    def __call__(self, user: str, domain: str) -> str | None:
        found = self._by_domain.get((domain.upper(), user.upper()))
        return found if found is not None else self._any.get(user.upper())


@define
class ServerSession:
    """The server side: NEGOTIATE in, CHALLENGE out, AUTHENTICATE in (MS-NLMP 3.2.5.1).

    ``accounts(user, domain)`` returns the account's password, or None for an unknown account.
    """

    accounts: Callable[[str, str], str | None]
    random: Random
    clock: Clock
    nb_domain: str = "CONTOSO"
    nb_computer: str = "SERVER"
    dns_domain: str = "contoso.com"
    dns_computer: str = "server.contoso.com"
    channel_bindings: bytes | None = None  # when set, the client's MsvAvChannelBindings must match
    channel_bindings_digest: bytes | None = None  # the same as its MD5 (wins over channel_bindings)
    # ApplicationRequiresCBT (3.2.1.2) false: a client that sends no bindings (no MsvAvChannelBindings,
    # or sixteen zeros) is let through; bindings that differ are still refused.
    allow_missing_bindings: bool = False
    version: Version = field(default=_VERSION)  # frozen: one shared default
    # Send this CHALLENGE_MESSAGE instead of building one (to replay a published test vector).
    fixed_challenge: ChallengeMessage | None = None
    negotiate_message: bytes | None = field(default=None, init=False)
    challenge_message: bytes | None = field(default=None, init=False)
    _challenge: ChallengeMessage | None = field(default=None, init=False, repr=False)
    flags: int = field(default=0, init=False)
    user: AuthenticatedUser | None = field(default=None, init=False)
    exported_session_key: bytes | None = field(default=None, init=False, repr=False)
    _context: SecurityContext | None = field(default=None, init=False, repr=False)

    @property
    def context(self) -> SecurityContext | None:
        """The per-message half (MS-NLMP 3.4) once an AUTHENTICATE_MESSAGE was accepted, with the
        keys of its flags; built on first use."""
        if self._context is None and self.exported_session_key is not None:
            self._context = SecurityContext(self.flags, self.exported_session_key, is_client=False)
        return self._context

    def challenge(self, negotiate_bytes: bytes) -> bytes:
        if self.negotiate_message is not None:
            raise ProtocolStateError("challenge() is called once, with the NEGOTIATE_MESSAGE")
        negotiate = NegotiateMessage.decode(negotiate_bytes)
        asked = negotiate.flags
        for needed, name in _SERVER_NEEDS:
            if not asked & needed:
                raise NegotiationFailure(f"the client's NEGOTIATE_MESSAGE does not offer {name}")
        # 3.2.5.1.1: extended session security is chosen when the client offers it; this
        # server requires it (no NTLMv1 session security).
        if not asked & FLAG.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY:
            raise NegotiationFailure("the client does not offer NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY")
        flags = (
            (asked & _SERVER_ECHOES)
            | FLAG.NTLMSSP_NEGOTIATE_UNICODE
            | FLAG.NTLMSSP_NEGOTIATE_NTLM
            | FLAG.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY
            | FLAG.NTLMSSP_TARGET_TYPE_SERVER
            | FLAG.NTLMSSP_NEGOTIATE_TARGET_INFO
            | FLAG.NTLMSSP_NEGOTIATE_VERSION
        )
        if self.fixed_challenge is not None:
            self.negotiate_message = negotiate_bytes
            self.flags = self.fixed_challenge.flags
            self._challenge = self.fixed_challenge
            self.challenge_message = self.fixed_challenge.encode()
            return self.challenge_message
        info = TargetInfo.from_names(
            MsvAvNbDomainName=self.nb_domain,
            MsvAvNbComputerName=self.nb_computer,
            MsvAvDnsDomainName=self.dns_domain,
            MsvAvDnsComputerName=self.dns_computer,
        ).with_pair(AvId.MsvAvTimestamp, _U64.pack(self.clock()))
        message = ChallengeMessage(
            flags=int(flags),
            server_challenge=self.random(8),
            target_name=self.nb_computer if asked & FLAG.NTLMSSP_REQUEST_TARGET else "",
            target_info=info,
            version=self.version,
        )
        self.negotiate_message = negotiate_bytes
        self.flags = int(flags)
        self._challenge = message
        self.challenge_message = message.encode()
        return self.challenge_message

    def accept(self, authenticate_bytes: bytes) -> AuthenticatedUser:
        """Checks the AUTHENTICATE_MESSAGE (3.2.5.1.2); raises a typed NtlmError on failure."""
        if self.challenge_message is None or self.exported_session_key is not None:
            raise ProtocolStateError("accept() follows challenge(), once")
        challenge = self._challenge
        assert challenge is not None
        message = AuthenticateMessage.decode(authenticate_bytes)
        if len(message.nt_response) <= 24:
            raise LogonDenied(
                "NTLMv1 or anonymous response: this server accepts NTLMv2 only"
                f" (NtChallengeResponse of {len(message.nt_response)} bytes)"
            )
        client_challenge = message.client_challenge()
        password = self.accounts(message.user, message.domain)
        # The proof is computed even for an unknown account (with an empty password), so the
        # outcome does not depend on which of the two failed.
        key = crypto.ntowfv2(password if password is not None else "", message.user, message.domain)
        temp = message.nt_response[16:]
        proof, session_base_key = crypto.nt_proof_and_session_base_key(key, challenge.server_challenge, temp)
        if password is None or not _hmac.compare_digest(proof, message.nt_proof_str):
            raise LogonDenied(f"the NTLMv2 response does not prove {message.domain}\\{message.user}'s password")

        # The keys follow the AUTHENTICATE_MESSAGE's NegotiateFlags (3.2.5.1.2 uses its NegFlg);
        # the MIC, checked below, binds them to the three messages.
        flags = message.flags
        exported = session_base_key
        if flags & FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH:
            if len(message.encrypted_random_session_key) != 16:
                raise LogonDenied("NTLMSSP_NEGOTIATE_KEY_EXCH without a 16-byte EncryptedRandomSessionKey")
            exported = crypto.rc4k(session_base_key, message.encrypted_random_session_key)

        info = client_challenge.target_info
        sent_time = challenge.target_info.timestamp() if challenge.target_info is not None else None
        mic_provided = info.flag_bits() & _MIC_PROVIDED
        if sent_time is not None and not mic_provided:
            # 3.1.5.1.2: with an MsvAvTimestamp in the CHALLENGE the client "SHOULD provide a MIC".
            # Interpretation: this server requires it, else a MIC could be stripped by altering
            # the timestamp pair of the CHALLENGE in transit (the NTLMv2 proof covers the pairs
            # as the client echoed them, not as the server sent them).
            raise MicMismatch("the CHALLENGE_MESSAGE carried MsvAvTimestamp but the AUTHENTICATE_MESSAGE has no MIC")
        if mic_provided:
            assert message.mic is not None  # the decoder refuses a MIC flag without a MIC field
            assert self.negotiate_message is not None
            zeroed = authenticate_bytes[:MIC_OFFSET] + b"\x00" * 16 + authenticate_bytes[MIC_END:]
            expected = crypto.hmac_md5(exported, self.negotiate_message, self.challenge_message, zeroed)
            if not _hmac.compare_digest(expected, message.mic):
                raise MicMismatch("the AUTHENTICATE_MESSAGE's MIC does not match the three handshake messages")
        bound = self.channel_bindings_digest
        if bound is None and self.channel_bindings is not None:
            bound = channel_bindings_hash(self.channel_bindings)
        if bound is not None:
            sent = info.get(AvId.MsvAvChannelBindings)
            missing = sent is None or sent == _NO_BINDINGS
            if sent != bound and not (missing and self.allow_missing_bindings):
                raise ChannelBindingsMismatch("MsvAvChannelBindings does not match the server's channel bindings")
        if not flags & FLAG.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY:
            raise NegotiationFailure("the AUTHENTICATE_MESSAGE drops extended session security")

        self.flags = flags
        self.exported_session_key = exported
        target = info.get_str(AvId.MsvAvTargetName)
        self.user = AuthenticatedUser(message.user, message.domain, message.workstation, flags, target)
        return self.user


def _shallow_copier(cls: type) -> Callable[[Any], Any]:
    """``copy.copy`` of a session: the same field values in a new object. (The generic protocol
    goes through ``__reduce_ex__`` and a state dict, which costs more than a handshake step; the
    model copies a session before each step so that a refused message leaves it unchanged.)

    Compiled per class from its attrs fields: one assignment per field, no loop."""
    names = [a.name for a in attrs.fields(cls)]
    if cls.__setattr__ is object.__setattr__:  # no attrs on_setattr hooks: plain slot stores
        body = [f"    new.{name} = self.{name}" for name in names]
    else:
        body = [f"    _set(new, {name!r}, self.{name})" for name in names]
    source = "\n".join(["def __copy__(self):", "    new = _new(type(self))", *body, "    return new"])
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__}
    exec(compile(source, f"<copy of {cls.__name__}>", "exec"), namespace)
    copier: Callable[[Any], Any] = namespace["__copy__"]
    return copier


ClientSession.__copy__ = _shallow_copier(ClientSession)  # type: ignore[attr-defined]
ServerSession.__copy__ = _shallow_copier(ServerSession)  # type: ignore[attr-defined]
