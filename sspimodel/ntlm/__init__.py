"""NTLM (MS-NLMP) on the wire: messages, NTLMv2, the MIC, key exchange, signing and sealing.

A standalone implementation with explicit inputs (a random source and a clock are passed in),
checked against the MS-NLMP section 4.2 test vectors and against two independent real
implementations (pyspnego and sspi-rs). The model's NTLM package speaks it through
:mod:`sspimodel.model.ntlm_wire`.

Modules: :mod:`.crypto` (the functions of MS-NLMP 3.3.2, 3.4.5 and 6), :mod:`.messages`
(NEGOTIATE / CHALLENGE / AUTHENTICATE, AV pairs; strict decoding), :mod:`.session` (client and
server handshake objects), :mod:`.security` (sign/verify, seal/unseal), :mod:`.errors`.
"""

from .errors import (
    ChannelBindingsMismatch,
    LogonDenied,
    MalformedMessage,
    MessageAltered,
    MicMismatch,
    NegotiationFailure,
    NtlmError,
    OutOfSequence,
    ProtocolStateError,
)
from .messages import (
    AuthenticateMessage,
    AvFlags,
    AvId,
    ChallengeMessage,
    NegotiateFlags,
    NegotiateMessage,
    NtlmV2ClientChallenge,
    TargetInfo,
    Version,
    message_type,
)
from .security import SIGNATURE_SIZE, SecurityContext, SecurityContextState
from .session import (
    CLIENT_FLAGS,
    AccountTable,
    AuthenticatedUser,
    ClientSession,
    ServerSession,
    channel_bindings_hash,
)

__all__ = [
    "CLIENT_FLAGS",
    "SIGNATURE_SIZE",
    "AccountTable",
    "AuthenticateMessage",
    "AuthenticatedUser",
    "AvFlags",
    "AvId",
    "ChallengeMessage",
    "ChannelBindingsMismatch",
    "ClientSession",
    "LogonDenied",
    "MalformedMessage",
    "MessageAltered",
    "MicMismatch",
    "NegotiateFlags",
    "NegotiateMessage",
    "NegotiationFailure",
    "NtlmError",
    "NtlmV2ClientChallenge",
    "OutOfSequence",
    "ProtocolStateError",
    "SecurityContext",
    "SecurityContextState",
    "ServerSession",
    "TargetInfo",
    "Version",
    "channel_bindings_hash",
    "message_type",
]
