"""Typed NTLM failures.

Every way the NTLM layer can refuse its input is one of these classes, never an ``IndexError``,
``struct.error`` or ``UnicodeDecodeError``. Each class carries ``status``: the SECURITY_STATUS name
the model's package layer is expected to report for it. The mapping is written here so the wiring
(next stage) has one place to read it from; the per-function page still decides whether that
status is documented for the call that reports it.
"""

from __future__ import annotations

__all__ = [
    "ChannelBindingsMismatch",
    "FieldTooLong",
    "LogonDenied",
    "MalformedMessage",
    "MessageAltered",
    "MicMismatch",
    "NegotiationFailure",
    "NtlmError",
    "OutOfSequence",
    "ProtocolStateError",
]


class NtlmError(Exception):
    """Base class of every NTLM failure; ``status`` names the SECURITY_STATUS it maps to."""

    status = "SEC_E_INTERNAL_ERROR"


class MalformedMessage(NtlmError):
    """Bytes that are not a well-formed NTLMSSP message or structure.

    ``message`` is the structure being decoded (``"CHALLENGE_MESSAGE"``, ``"AV_PAIR"``, ...),
    ``field`` the field that is wrong and ``offset`` its byte offset in the decoded buffer.
    """

    status = "SEC_E_INVALID_TOKEN"

    def __init__(self, message: str, field: str, offset: int, problem: str) -> None:
        self.message = message
        self.field = field
        self.offset = offset
        self.problem = problem
        super().__init__(f"{message}.{field} at offset {offset}: {problem}")


class NegotiationFailure(NtlmError):
    """The peer's flags leave nothing this implementation can use (no NTLM, no Unicode, no
    extended session security, or the NTLMv2 response is missing)."""

    status = "SEC_E_UNSUPPORTED_FUNCTION"


class LogonDenied(NtlmError):
    """The NTLMv2 response does not prove knowledge of the account's password (wrong password,
    unknown account, or a response altered in transit: NTProofStr covers it all)."""

    status = "SEC_E_LOGON_DENIED"


class MessageAltered(NtlmError):
    """A message signature (MakeSignature/EncryptMessage trailer) does not match its message."""

    status = "SEC_E_MESSAGE_ALTERED"


class MicMismatch(MessageAltered):
    """The AUTHENTICATE_MESSAGE's MIC does not cover the three handshake messages as received."""


class OutOfSequence(NtlmError):
    """A signature carries a sequence number other than the one the receiver expects next."""

    status = "SEC_E_OUT_OF_SEQUENCE"


class ChannelBindingsMismatch(NtlmError):
    """The client's MsvAvChannelBindings hash differs from the server's channel bindings."""

    status = "SEC_E_BAD_BINDINGS"


class ProtocolStateError(NtlmError):
    """A session object was used out of order (a second CHALLENGE, sealing before the
    handshake completed, ...): a defect of the caller, not of the peer."""

    status = "SEC_E_OUT_OF_SEQUENCE"


class FieldTooLong(NtlmError):
    """A message cannot be built: one of its payload fields is longer than the 16-bit Len of its
    field header can say (MS-NLMP 2.2.1: every payload field is described by a 2-byte Len and
    MaxLen). The fields come from the caller (a user name) or from the peer's message (the
    server's TargetInfo, copied into the NTLMv2 response), so the peer may have caused it.

    Interpretation: no page or MS-NLMP clause says what an implementation returns here; the
    model refuses the leg (the package layer reports it as a token it cannot answer) instead
    of writing a truncated length."""

    status = "SEC_E_INVALID_TOKEN"

    def __init__(self, message: str, field: str, length: int, clause: str = "MS-NLMP 2.2.1") -> None:
        self.message = message
        self.field = field
        self.length = length
        super().__init__(
            f"{message}.{field} would be {length} bytes; its 16-bit length field holds at most 65535 ({clause})"
        )
