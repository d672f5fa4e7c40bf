"""SASL: profiles (SaslEnumerateProfilesA/W, SaslGetProfilePackageA/W, SaslIdentifyPackageA/W)
and SASL contexts (SaslInitializeSecurityContextA/W, SaslAcceptSecurityContext,
SaslGetContextOption, SaslSetContextOption).

The world holds its SASL profiles in ``World.sasl_profiles`` (profile name -> package name, in
the order the functions list them); every world starts with
:data:`sspimodel.model.world.SASL_PROFILES`. The pages say the list lives in the registry under
SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SaslProfiles and name no profile: which
profiles exist and which package each maps to is an *Interpretation*.

Memory: the profile list and each SecPkgInfo the functions hand back are recorded in the calling
process's allocation table; FreeContextBuffer releases them (*Interpretation*: the pages do not
say how to free them; FreeContextBuffer is how the other functions' SecPkgInfo is freed).

Statuses: SaslEnumerateProfiles and SaslIdentifyPackage document only SEC_E_OK and "a nonzero
error code". *Interpretation*, as the auth-identity family does: a call the model must refuse
raises ContractError naming the parameter and what is wrong, instead of a status the pages do
not name.

SASL contexts: the Initialize/Accept pages say each *wraps* an ordinary InitializeSecurityContext
/ AcceptSecurityContext call. The model runs that call through the very rule table of the wrapped
function (a nested call of InitializeSecurityContextA/W or AcceptSecurityContext: same rules, same
package legs), and adds the SASL layer the Accept page's remarks describe once the package's
handshake is over: the server sends a cookie saying which security services it offers, sealed
with the SSPI message functions (the model's EncryptMessage/DecryptMessage tables, again as
nested calls); the client answers with a sealed cookie choosing one; the server decrypts it and
both ends know the services and sizes of the traffic that follows. The cookie layout (RFC 4752,
section 3.1, the GSSAPI SASL mechanism): one byte of security-layer bits (1 none, 2 integrity,
4 confidentiality) and a three-byte big-endian maximum buffer size; the client's cookie adds the
authorization identity (the SASL_OPTION_AUTHZ_STRING) after those four bytes. *Interpretation*:
the pages give neither the bytes of a cookie nor the wire form of the sealed one; the model uses
RFC 4752's four bytes, sealed as the package's trailer followed by the encrypted data (what a
SECBUFFER_STREAM holds).

The SASL state of a context (its phase, its options) is kept on the context's record
(``ContextRecord.sasl``): the "SASL list" of the option pages is the set of live contexts that
carry one, so DeleteSecurityContext takes a context off the list.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from attrs import define

from .buffers import SECBUFFER_TOKEN, SecBuffer, SecBufferDesc
from .common import (
    CONTRACT_ERROR,
    alloc_bytes,
    alloc_str,
    alloc_struct,
    ctx_record,
    fault_rules,
    is_null_handle,
)
from .constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_INTEGRITY,
    ISC_RET_CONFIDENTIALITY,
    ISC_RET_INTEGRITY,
    SECBUFFER_DATA,
    SECBUFFER_STREAM,
    SECPKG_ATTR_SIZES,
    SECQOP_WRAP_NO_ENCRYPT,
)
from .handles import Ref
from .rules import Call, Citation, Interpretation, Rule, keyed, pick, register, table_for, unreachable
from .world import ContextRecord

# The wrapped and nested functions' tables must be registered before the SASL tables are built.
from . import attributes, contexts, messages  # noqa: F401  isort: skip

__all__ = [
    "SASC",
    "SEP_A",
    "SEP_W",
    "SGCO",
    "SGPP_A",
    "SGPP_W",
    "SIP_A",
    "SIP_W",
    "SISC_A",
    "SISC_W",
    "SSCO",
    "WRAPPED",
    "SaslContext",
    "SaslPair",
    "profile_list",
]

_FREE = Interpretation(
    "the pages do not say how the caller releases what the function allocates",
    "it is recorded in the caller's allocation table; FreeContextBuffer releases it",
)


def profile_list(names: list[str]) -> str:
    """The profile list as laid out in memory: each name NUL-terminated, then one more NUL
    (the remarks: the list ends with a terminating NULL character)."""
    return "".join(f"{n}\0" for n in names) + "\0"


# -- SaslEnumerateProfilesA/W ---------------------------------------------------------------------


def _enumerate(c: Call) -> None:
    names = list(c.world.sasl_profiles)
    text = profile_list(names)
    if c.function.endswith("A"):
        c.out["ProfileList"] = alloc_bytes(c, text.encode("ascii"), "SASL profile list")
    else:
        c.out["ProfileList"] = alloc_str(c, text, "SASL profile list")
    c.out["ProfileCount"] = len(names)


def enumerate_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "sep.ok",
            "ProfileList receives the world's profile names, each NUL-terminated, the list ended by one more "
            "NUL; ProfileCount receives how many there are",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            _enumerate,
            also=(
                Citation(function, "remarks", "The list ends with a terminating"),
                Interpretation(
                    "the page names the registry key that holds the list but no profile",
                    "the world's sasl_profiles are that list (GSSAPI and GSS-SPNEGO by default)",
                ),
                _FREE,
            ),
        ),
    ]


# -- SaslGetProfilePackageA/W ---------------------------------------------------------------------


def _profile_name(c: Call) -> str | None:
    name = c.a.ProfileName
    if isinstance(name, bytes | bytearray):
        try:
            name = bytes(name).decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(name, str):
        return None
    return str(name)


def _profile_package(c: Call) -> Any:
    """The installed package the named profile maps to, or None (profile names ignore case)."""
    facts = c.facts
    if "sasl_package" not in facts:
        name = _profile_name(c)
        package = None
        if name is not None:
            for profile, package_name in c.world.sasl_profiles.items():
                if profile.lower() == name.lower():
                    package = c.world.package(package_name)
                    break
        facts["sasl_package"] = package
    return facts["sasl_package"]


def _package_info(c: Call, package: Any) -> None:
    c.out["PackageInfo"] = alloc_struct(c, package.info(), "SecPkgInfo")


def get_profile_package_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "sgpp.profile_unknown",
            "ProfileName names no SASL profile of the world, or its profile's package is not installed",
            "SEC_E_SECPKG_NOT_FOUND",
            Citation(function, "returns", "SEC_E_SECPKG_NOT_FOUND"),
            lambda c: _profile_package(c) is None,
            also=(
                Interpretation(
                    "the page does not say whether profile names ignore case, nor what happens when a "
                    "profile's package was removed",
                    "names compare ignoring case; a profile whose package is not installed is not found",
                ),
            ),
        ),
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "sgpp.fault.memory"}),
        Rule(
            "sgpp.ok",
            "PackageInfo receives the SecPkgInfo of the package the profile maps to",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            lambda c: _package_info(c, _profile_package(c)),
            also=(_FREE,),
        ),
    ]


# -- SaslIdentifyPackageA/W -----------------------------------------------------------------------


def _negotiation_bytes(c: Call) -> bytes | None:
    desc = c.a.pInput
    if not isinstance(desc, SecBufferDesc):
        return None
    buf = desc.first(SECBUFFER_TOKEN)
    if buf is None or not isinstance(buf.pvBuffer, bytes | bytearray):
        return None
    return bytes(buf.pvBuffer)


def _identified(c: Call) -> Any:
    """The package whose profile name prefixes the negotiation buffer (longest name first)."""
    facts = c.facts
    if "sasl_identified" not in facts:
        data = _negotiation_bytes(c)
        found = None
        if data is not None:
            for profile in sorted(c.world.sasl_profiles, key=lambda p: (-len(p), p)):
                prefix = profile.encode("ascii")
                if data[: len(prefix)].upper() == prefix.upper():
                    found = c.world.package(c.world.sasl_profiles[profile])
                    if found is not None:
                        break
        facts["sasl_identified"] = found
    return facts["sasl_identified"]


_PREFIX = Interpretation(
    "the page does not say what a negotiate prefix is nor how a buffer matches one",
    "the buffer is the first SECBUFFER_TOKEN of pInput; it matches a profile when it begins with the "
    "profile's name (ignoring case, longest name first); PackageInfo receives the SecPkgInfo of the "
    "package the profile maps to",
)


def identify_package_rules(function: str) -> list[Rule]:
    def raise_no_token(c: Call) -> None:
        raise c.violation(
            "pInput", "holds no SECBUFFER_TOKEN buffer with the SASL negotiation bytes", c.a.pInput
        )

    def raise_no_match(c: Call) -> None:
        raise c.violation(
            "pInput",
            "the negotiation buffer begins with no SASL profile name of the world "
            f"({', '.join(c.world.sasl_profiles) or 'none'}) whose package is installed",
            _negotiation_bytes(c),
        )

    return [
        Rule(
            "sip.no_token",
            "pInput holds no SECBUFFER_TOKEN buffer with bytes",
            CONTRACT_ERROR,
            Citation(function, "parameters: pInput", "SASL negotiation buffer"),
            lambda c: _negotiation_bytes(c) is None,
            raise_no_token,
            also=(_PREFIX,),
        ),
        Rule(
            "sip.no_match",
            "the negotiation buffer matches no profile whose package is installed",
            CONTRACT_ERROR,
            Citation(function, "returns", "On failure it returns an error code other than zero."),
            lambda c: _identified(c) is None,
            raise_no_match,
            also=(
                _PREFIX,
                Interpretation(
                    "the page names no failure code",
                    "the model refuses the call with ContractError naming pInput",
                ),
            ),
        ),
        Rule(
            "sip.ok",
            "PackageInfo receives the SecPkgInfo of the package whose profile prefixes the buffer",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            lambda c: _package_info(c, _identified(c)),
            also=(_PREFIX, _FREE),
        ),
    ]


SEP_A = register("SaslEnumerateProfilesA", enumerate_rules("SaslEnumerateProfilesA"))
SEP_W = register("SaslEnumerateProfilesW", enumerate_rules("SaslEnumerateProfilesW"))
SGPP_A = register("SaslGetProfilePackageA", get_profile_package_rules("SaslGetProfilePackageA"))
SGPP_W = register("SaslGetProfilePackageW", get_profile_package_rules("SaslGetProfilePackageW"))
SIP_A = register("SaslIdentifyPackageA", identify_package_rules("SaslIdentifyPackageA"))
SIP_W = register("SaslIdentifyPackageW", identify_package_rules("SaslIdentifyPackageW"))


# -- SASL contexts: SaslInitializeSecurityContextA/W, SaslAcceptSecurityContext ---------------------
#
# sspi.h values (spec/data/constants.tsv: SASL_OPTION_*; tests/data/sasl_facts.yaml: the
# SASL_AUTHZID_STATE enum, whose members count from zero).
SASL_OPTION_SEND_SIZE = 1
SASL_OPTION_RECV_SIZE = 2
SASL_OPTION_AUTHZ_STRING = 3
SASL_OPTION_AUTHZ_PROCESSING = 4
SASL_AUTHZID_FORBIDDEN = 0  # Sasl_AuthZIDForbidden
SASL_AUTHZID_PROCESSED = 1  # Sasl_AuthZIDProcessed
_ULONG_OPTIONS = frozenset({SASL_OPTION_SEND_SIZE, SASL_OPTION_RECV_SIZE, SASL_OPTION_AUTHZ_PROCESSING})
DEFAULT_SIZE = 0x0FFFF  # SaslSetContextOption: the default of SEND_SIZE and RECV_SIZE

# RFC 4752, section 3.1: the security-layer bits and the three-byte maximum buffer size.
LAYER_NONE = 1
LAYER_INTEGRITY = 2
LAYER_CONFIDENTIALITY = 4
MAX_COOKIE_SIZE = 0xFFFFFF

# The model's context attributes are ISC_RET_* bits on both sides (the server's are translated to
# ASC_RET_* only when handed out).

# Phases of a SASL context (SaslContext.phase).
PACKAGE = "package"  # the package's handshake is running (the wrapped function decides)
FINAL_TOKEN = "final-token"  # server: the package's last token is out, one round trip to wait
COOKIE_SENT = "cookie-sent"  # server: its cookie is out, the client's is awaited
AWAITING_COOKIE = "awaiting-cookie"  # client: the package is done, the server's cookie is awaited
DONE = "done"  # the services are settled


@define
class SaslContext:
    """The SASL layer's state of one context: its phase and its options (the option pages)."""

    role: str
    phase: str = PACKAGE
    send_size: int = DEFAULT_SIZE
    recv_size: int = DEFAULT_SIZE
    authz_processing: int = SASL_AUTHZID_PROCESSED
    authz_string: bytes = b""
    offered: int = 0  # the server cookie's layer bits
    layer: int = 0  # the layer the client chose (0 until the services are settled)
    peer_max: int = 0  # the largest buffer the peer said it receives


WRAPPED = {
    "SaslInitializeSecurityContextA": "InitializeSecurityContextA",
    "SaslInitializeSecurityContextW": "InitializeSecurityContextW",
    "SaslAcceptSecurityContext": "AcceptSecurityContext",
}

_WRAPS = Interpretation(
    "The pages say the function wraps an ordinary InitializeSecurityContext / AcceptSecurityContext "
    "call but not which of that call's statuses reach the caller",
    "the wrapped function's rule table decides the call (a nested call, same package legs) and its status is "
    "passed on, except its SEC_E_OK, after which the SASL cookies are exchanged; the API accepts the wrapped "
    "function's documented statuses (its table lists 'some possible' codes only)",
)

_COOKIE = Interpretation(
    "The pages give neither the bytes of a SASL cookie nor the wire form of the sealed one",
    "RFC 4752, section 3.1: one byte of layer bits (1 none, 2 integrity, 4 confidentiality) and a three-byte "
    "big-endian maximum buffer size (the sender's SASL_OPTION_RECV_SIZE, at most 0xFFFFFF); the client adds its "
    "authorization identity; sealed by EncryptMessage (SECQOP_WRAP_NO_ENCRYPT when the context has no "
    "confidentiality) as the package's trailer followed by the data",
)

_CONTINUE = Interpretation(
    "The remarks say SEC_E_CONTINUE_NEEDED is returned with the server cookie: sspi.h and winerror.h define no "
    "such code",
    "SEC_I_CONTINUE_NEEDED, the continue status of the wrapped function",
)

_OUTPUT_ROOM = Interpretation(
    "The page has no code for a token buffer too small for the cookie",
    "SEC_E_INVALID_TOKEN, as for a missing token buffer: the first SECBUFFER_TOKEN of pOutput must hold the "
    "package's trailer (SECPKG_ATTR_SIZES cbSecurityTrailer) and the cookie",
)


def sasl_state(record: ContextRecord | None) -> SaslContext | None:
    """The SASL state of a context (None: the context is not in the SASL list)."""
    if record is None:
        return None
    state = getattr(record, "sasl", None)
    return state if isinstance(state, SaslContext) else None


def _nested(c: Call, function: str, **args: Any) -> Call:
    """A call of ``function`` made by the SASL layer on the caller's behalf (same world, process,
    call index: the fault plan and the trace see one call)."""
    from .._generated import CONTRACTS

    inner = Call(c.world, c.process, function, CONTRACTS[function].call_class(**args), c.index)
    if "contract" in c.facts:
        inner.facts["contract"] = c.facts["contract"]
    return inner


def _sasl_ctx(c: Call) -> ContextRecord | None:
    """The live context phContext names, when it carries SASL state of this function's side."""
    facts = c.facts
    if "sasl_ctx" not in facts:
        record = ctx_record(c, c.a.phContext)
        role = "server" if c.function == "SaslAcceptSecurityContext" else "client"
        state = sasl_state(record)
        facts["sasl_ctx"] = record if state is not None and state.role == role else None
    return facts["sasl_ctx"]


def _phase(c: Call) -> str:
    record = _sasl_ctx(c)
    state = sasl_state(record)
    return state.phase if state is not None else PACKAGE


def _wrapped(c: Call) -> tuple[Call, Rule]:
    """The wrapped call and the rule of its table that decides it (selected, not yet applied)."""
    facts = c.facts
    if "wrapped" not in facts:
        function = WRAPPED[c.function]
        a = c.a
        args: dict[str, Any] = {
            "phCredential": a.phCredential,
            "phContext": a.phContext,
            "fContextReq": a.fContextReq,
            "TargetDataRep": a.TargetDataRep,
            "pInput": a.pInput,
            "pOutput": a.pOutput,
        }
        if function != "AcceptSecurityContext":
            target = "pszTargetName" if function.endswith("A") else "pTargetName"
            args.update({target: a.pszTargetName, "Reserved1": a.Reserved1, "Reserved2": a.Reserved2})
        inner = _nested(c, function, **args)
        facts["wrapped"] = (inner, table_for(function).select(inner))
        # explain() shows the package leg the wrapped call computed, with its reason.
        for name in ("leg", "package"):
            if inner.facts.get(name) is not None:
                facts[name] = inner.facts[name]
    return facts["wrapped"]


def _wrapped_status(c: Call) -> str:
    return _wrapped(c)[1].status


def _run_wrapped(c: Call) -> Call:
    """Apply the wrapped rule's effect (a contract breach it raises reaches the caller as is) and
    hand its out-parameters back as the SASL function's."""
    inner, rule = _wrapped(c)
    c.facts["wrapped_rule"] = rule.id
    c.allowed_from = frozenset({WRAPPED[c.function]})
    _capacity(c)
    if rule.effect is not None:
        rule.effect(inner)
    c.out.update(inner.out)
    return inner


def _pass_on(c: Call) -> None:
    _run_wrapped(c)
    if c.facts["wrapped"][1].status.startswith("SEC_I_"):  # the handshake goes on: the context is listed
        _attach(c, "server" if c.function == "SaslAcceptSecurityContext" else "client")


def _token_buffer(desc: Any) -> SecBuffer | None:
    if isinstance(desc, Ref):
        desc = desc.value
    if not isinstance(desc, SecBufferDesc):
        return None
    buf = desc.first(SECBUFFER_TOKEN)
    return buf if isinstance(buf, SecBuffer) else None


def _sizes(c: Call, record: ContextRecord) -> Any:
    """SecPkgContext_Sizes of the context, from the model's QueryContextAttributesW (nested)."""
    facts = c.facts
    if "sasl_sizes" not in facts:
        inner = _nested(c, "QueryContextAttributesW", phContext=record.handle, ulAttribute=SECPKG_ATTR_SIZES)
        rule = table_for("QueryContextAttributesW").run(inner)
        facts["sasl_sizes"] = inner.out.get("pBuffer") if rule.status == "SEC_E_OK" else None
    return facts["sasl_sizes"]


def _offered(record: ContextRecord) -> int:
    bits = LAYER_NONE
    if record.attributes & ISC_RET_INTEGRITY:
        bits |= LAYER_INTEGRITY
    if record.attributes & ISC_RET_CONFIDENTIALITY:
        bits |= LAYER_CONFIDENTIALITY
    return bits


def _size_bytes(size: int) -> bytes:
    return struct.pack(">I", min(size, MAX_COOKIE_SIZE))[1:]


def server_cookie(offered: int, max_size: int) -> bytes:
    """The server's cookie before sealing: layer bits, then the three-byte maximum buffer size."""
    return bytes([offered]) + _size_bytes(max_size)


def client_cookie(layer: int, max_size: int, authz: bytes) -> bytes:
    """The client's cookie before sealing: the chosen layer, its maximum buffer size, its authzid."""
    return bytes([layer]) + _size_bytes(max_size) + authz


def parse_cookie(plain: bytes) -> tuple[int, int, bytes] | None:
    """(layer bits, maximum buffer size, authzid) of a cookie, or None when it is shorter than 4 bytes."""
    if len(plain) < 4:
        return None
    return plain[0], int.from_bytes(plain[1:4], "big"), bytes(plain[4:])


def _seal_call(c: Call, record: ContextRecord, payload: bytes) -> Call:
    # Encrypted when the context has confidentiality; otherwise wrapped with integrity only
    # (RFC 4752's conf_flag FALSE), which the model's EncryptMessage offers as SECQOP_WRAP_NO_ENCRYPT.
    qop = 0 if record.attributes & ISC_RET_CONFIDENTIALITY else SECQOP_WRAP_NO_ENCRYPT
    message = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, None, 1024), SecBuffer(SECBUFFER_DATA, payload)])
    return _nested(c, "EncryptMessage", phContext=record.handle, fQOP=qop, pMessage=message, MessageSeqNo=0)


def _cookie_to_send(c: Call, record: ContextRecord) -> bytes:
    state = sasl_state(record)
    assert state is not None
    if state.role == "server":
        return server_cookie(_offered(record), state.recv_size)
    return client_cookie(_choice(record, state), state.recv_size, state.authz_string)


def _choice(record: ContextRecord, state: SaslContext) -> int:
    """The layer the client picks: the strongest it asked for (fContextReq) that the server offers."""
    offered = state.offered
    for wanted, layer in (
        (ISC_REQ_CONFIDENTIALITY, LAYER_CONFIDENTIALITY),
        (ISC_REQ_INTEGRITY, LAYER_INTEGRITY),
        (0, LAYER_NONE),
    ):
        if (record.requested & wanted) == wanted and offered & layer:
            return layer
    return offered & -offered  # the lowest bit offered


def _capacity(c: Call) -> int:
    """The size of pOutput's token buffer as the caller passed it (read before the wrapped call,
    which empties the buffer when it has no token to write)."""
    facts = c.facts
    if "out_capacity" not in facts:
        buf = _token_buffer(c.a.pOutput)
        size = buf.cbBuffer if buf is not None else 0
        facts["out_capacity"] = size if isinstance(size, int) and not isinstance(size, bool) else 0
    return facts["out_capacity"]


def _seal_problem(c: Call, record: ContextRecord) -> str | None:
    """Why the cookie cannot be sealed into pOutput, or None (pure: EncryptMessage is selected, not run)."""
    facts = c.facts
    if "seal_problem" not in facts:
        problem = None
        buf = _token_buffer(c.a.pOutput)
        sizes = _sizes(c, record)
        need = len(_cookie_to_send(c, record)) + (sizes.cbSecurityTrailer if sizes is not None else 0)
        room = _capacity(c)
        if buf is None:
            problem = "pOutput holds no SECBUFFER_TOKEN buffer"
        elif room < need:
            problem = f"the SECBUFFER_TOKEN of pOutput holds {room} bytes; the sealed cookie needs {need}"
        else:
            rule = table_for("EncryptMessage").select(_seal_call(c, record, _cookie_to_send(c, record)))
            if rule.status != "SEC_E_OK":
                problem = f"EncryptMessage cannot seal the cookie on this context ({rule.id}: {rule.when})"
        facts["seal_problem"] = problem
    return facts["seal_problem"]


def _seal_into_output(c: Call, record: ContextRecord) -> None:
    inner = _seal_call(c, record, _cookie_to_send(c, record))
    rule = table_for("EncryptMessage").run(inner)
    assert rule.status == "SEC_E_OK", "checked by _seal_problem"
    message = inner.a.pMessage
    wire = message[0].contents + message[1].contents
    buf = _token_buffer(c.a.pOutput)
    assert buf is not None
    buf.pvBuffer = wire
    buf.cbBuffer = len(wire)
    c.out["pOutput"] = c.a.pOutput.value if isinstance(c.a.pOutput, Ref) else c.a.pOutput


def _peer_cookie(c: Call) -> tuple[int, int, bytes] | None:
    """The peer's cookie in pInput, opened by the model's DecryptMessage (a nested call), or None
    when pInput holds none that opens into at least four bytes.

    Decrypting advances the context like any message, so it is done once, when the call is
    decided (the fact is cached): a cookie that is then refused still counts as received."""
    facts = c.facts
    if "peer_cookie" not in facts:
        parsed = None
        record = _live_sasl(c)
        buf = _token_buffer(c.a.pInput)
        if buf is not None and buf.contents:
            message = SecBufferDesc(
                [SecBuffer(SECBUFFER_STREAM, buf.contents), SecBuffer(SECBUFFER_DATA, None)]
            )
            inner = _nested(c, "DecryptMessage", phContext=record.handle, pMessage=message, MessageSeqNo=0)
            if table_for("DecryptMessage").run(inner).status == "SEC_E_OK":
                data = message.first(SECBUFFER_DATA)
                parsed = parse_cookie(data.contents if data is not None else b"")
        facts["peer_cookie"] = parsed
    return facts["peer_cookie"]


_DECRYPT_ONCE = Interpretation(
    "Does a refused cookie still count as a message received?",
    "yes: the SASL layer decrypts it (DecryptMessage) once when the call is decided, whatever the outcome",
)


def _context_out(c: Call, record: ContextRecord) -> None:
    from .handles import timestamp
    from .packages import internal_to_asc

    c.allowed_from = frozenset({WRAPPED[c.function]})  # SEC_I_CONTINUE_NEEDED: see _CONTINUE

    c.out["phNewContext"] = record.handle
    c.out["pfContextAttr"] = (
        record.attributes if record.role == "client" else internal_to_asc(record.attributes)
    )
    c.out["ptsExpiry"] = timestamp(record.expiry)
    c.out.setdefault("pOutput", c.a.pOutput.value if isinstance(c.a.pOutput, Ref) else c.a.pOutput)


def _settle_sizes(c: Call, record: ContextRecord, state: SaslContext, peer_max: int) -> None:
    state.peer_max = peer_max
    sizes = _sizes(c, record)
    overhead = 0
    if state.layer != LAYER_NONE and sizes is not None:
        overhead = sizes.cbBlockSize + sizes.cbSecurityTrailer + sizes.cbMaxSignature
    state.send_size = max(peer_max - overhead, 0)


def _attach(c: Call, role: str) -> ContextRecord | None:
    """Put the context the wrapped call built or continued on the SASL list."""
    record = ctx_record(c, c.out.get("phNewContext"))
    if record is not None and sasl_state(record) is None:
        record.sasl = SaslContext(role)
    return record


_SEND_SIZE_BASIS = Citation(
    "SaslSetContextOption",
    "parameters: Option",
    "the largest buffer the remote SASL process accepts, less the block size, the trailer size and the largest "
    "signature size",
)


# Literal rule ids of the statuses the wrapped functions pass on, one per status their tables can
# end with other than SEC_E_OK (checked against those tables when the SASL tables are built).
_ISC_PASSED = (
    "sisc.wrapped.SEC_E_BUFFER_TOO_SMALL",
    "sisc.wrapped.SEC_E_INCOMPLETE_MESSAGE",
    "sisc.wrapped.SEC_E_INSUFFICIENT_MEMORY",
    "sisc.wrapped.SEC_E_INTERNAL_ERROR",
    "sisc.wrapped.SEC_E_INVALID_HANDLE",
    "sisc.wrapped.SEC_E_INVALID_TOKEN",
    "sisc.wrapped.SEC_E_LOGON_DENIED",
    "sisc.wrapped.SEC_E_NO_AUTHENTICATING_AUTHORITY",
    "sisc.wrapped.SEC_E_NO_CREDENTIALS",
    "sisc.wrapped.SEC_E_TARGET_UNKNOWN",
    "sisc.wrapped.SEC_E_UNSUPPORTED_FUNCTION",
    "sisc.wrapped.SEC_E_WRONG_PRINCIPAL",
    "sisc.wrapped.SEC_I_COMPLETE_AND_CONTINUE",
    "sisc.wrapped.SEC_I_COMPLETE_NEEDED",
    "sisc.wrapped.SEC_I_CONTINUE_NEEDED",
    "sisc.wrapped.ContractError",
)
_ASC_PASSED = (
    "sasc.wrapped.SEC_E_BAD_BINDINGS",  # errata impl-ntlm-bad-bindings
    "sasc.wrapped.SEC_E_BUFFER_TOO_SMALL",
    "sasc.wrapped.SEC_E_INCOMPLETE_MESSAGE",
    "sasc.wrapped.SEC_E_INSUFFICIENT_MEMORY",
    "sasc.wrapped.SEC_E_INTERNAL_ERROR",
    "sasc.wrapped.SEC_E_INVALID_HANDLE",
    "sasc.wrapped.SEC_E_INVALID_TOKEN",
    "sasc.wrapped.SEC_E_LOGON_DENIED",
    "sasc.wrapped.SEC_E_NO_AUTHENTICATING_AUTHORITY",
    "sasc.wrapped.SEC_E_NO_CREDENTIALS",
    "sasc.wrapped.SEC_E_TARGET_UNKNOWN",
    "sasc.wrapped.SEC_E_UNSUPPORTED_FUNCTION",
    "sasc.wrapped.SEC_E_WRONG_PRINCIPAL",
    "sasc.wrapped.SEC_I_COMPLETE_AND_CONTINUE",
    "sasc.wrapped.SEC_I_COMPLETE_NEEDED",
    "sasc.wrapped.SEC_I_CONTINUE_NEEDED",
    "sasc.wrapped.ContractError",
)


def _passed_rules(function: str, ids: tuple[str, ...]) -> list[Rule]:
    wrapped = WRAPPED[function]
    statuses = table_for(wrapped).reachable_statuses() - {"SEC_E_OK"}
    by_status = {rule_id.split(".", 2)[2]: rule_id for rule_id in ids}
    missing = sorted(statuses - set(by_status))
    if missing:
        raise ValueError(f"{function}: no pass-on rule id for {wrapped}'s statuses {missing}")
    rules = []
    for status in sorted(statuses):
        rules.append(
            Rule(
                by_status[status],
                f"the wrapped {wrapped} call ends with {status} (its rule decides; its effect is applied)",
                status,
                Citation(function, "description", wrapped.removesuffix("A").removesuffix("W") + " (General)"),
                keyed(_wrapped_status, status),
                _pass_on,
                also=(_WRAPS,),
            )
        )
    return rules


def _cookie_guard(*phases: str) -> Callable[[Call], bool]:
    def test(c: Call) -> bool:
        return _sasl_ctx(c) is not None and _phase(c) in phases

    return test


def _live_sasl(c: Call) -> ContextRecord:
    record = _sasl_ctx(c)
    assert record is not None, "rule order: a phase rule must come first"
    return record


def _live_state(c: Call) -> SaslContext:
    state = sasl_state(_live_sasl(c))
    assert state is not None
    return state


def _bad_cookie(c: Call) -> bool:
    return _peer_cookie(c) is None


def _cant_send_cookie(c: Call) -> bool:
    return _seal_problem(c, _live_sasl(c)) is not None


def initialize_context_rules(function: str) -> list[Rule]:
    awaiting = _cookie_guard(AWAITING_COOKIE)

    def finish(c: Call) -> None:
        record = _live_sasl(c)
        state = _live_state(c)
        parsed = _peer_cookie(c)
        assert parsed is not None, "rule order: sisc.cookie.undecryptable comes first"
        offered, server_max, _ = parsed
        state.offered = offered
        state.layer = _choice(record, state)
        _seal_into_output(c, record)
        _settle_sizes(c, record, state, server_max)
        state.phase = DONE
        _context_out(c, record)

    def package_done(c: Call) -> None:
        _run_wrapped(c)
        state = sasl_state(_attach(c, "client"))
        if state is not None:
            state.phase = AWAITING_COOKIE

    def authz_forbidden(c: Call) -> bool:
        state = _live_state(c)
        return state.authz_processing == SASL_AUTHZID_FORBIDDEN and bool(state.authz_string)

    return [
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "sisc.fault.memory"}),
        Rule(
            "sisc.cookie.undecryptable",
            "the package's handshake is over and pInput holds no server cookie that DecryptMessage opens into "
            "at least four bytes",
            "SEC_E_INVALID_TOKEN",
            Citation(function, "returns", "SEC_E_INVALID_TOKEN"),
            lambda c: awaiting(c) and _bad_cookie(c),
            also=(_COOKIE, _DECRYPT_ONCE),
        ),
        Rule(
            "sisc.cookie.authz_forbidden",
            "the context holds a SASL_OPTION_AUTHZ_STRING but its SASL_OPTION_AUTHZ_PROCESSING is "
            "Sasl_AuthZIDForbidden: the client cookie cannot carry it",
            "SEC_E_ALGORITHM_MISMATCH",
            Citation(function, "returns", "SEC_E_ALGORITHM_MISMATCH"),
            lambda c: awaiting(c) and authz_forbidden(c),
            also=(
                Interpretation(
                    "The page does not say when Authz processing is 'not permitted'",
                    "when the context's own SASL_OPTION_AUTHZ_PROCESSING forbids the authorization identity "
                    "it was given (set before the processing state was changed)",
                ),
            ),
        ),
        Rule(
            "sisc.cookie.no_output",
            "the client cookie is due and pOutput has no SECBUFFER_TOKEN able to hold it sealed, or the "
            "context cannot seal it (EncryptMessage refuses the context)",
            "SEC_E_INVALID_TOKEN",
            Citation(function, "returns", "SEC_E_INVALID_TOKEN"),
            lambda c: awaiting(c) and _cant_send_cookie(c),
            also=(_OUTPUT_ROOM, _COOKIE),
        ),
        Rule(
            "sisc.cookie.ok",
            "the server cookie opens: the client picks the strongest layer it asked for that the server offers, "
            "seals its cookie (layer, its SASL_OPTION_RECV_SIZE, its authorization identity) into pOutput, and "
            "SASL_OPTION_SEND_SIZE becomes the server's size less the package's overheads",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            awaiting,
            finish,
            also=(
                Citation(
                    "SaslAcceptSecurityContext",
                    "remarks",
                    "The client processes it and answers with a client cookie",
                ),
                _SEND_SIZE_BASIS,
                _COOKIE,
            ),
        ),
        Rule(
            "sisc.wrapped.ok",
            "the wrapped InitializeSecurityContext ends with SEC_E_OK: the package's handshake is over (its "
            "last token, if any, is in pOutput); the context joins the SASL list and awaits the server cookie",
            "SEC_I_CONTINUE_NEEDED",
            Citation(
                "SaslAcceptSecurityContext",
                "remarks",
                "The client processes it and answers with a client cookie",
            ),
            keyed(_wrapped_status, "SEC_E_OK"),
            package_done,
            also=(_WRAPS, _CONTINUE),
        ),
        *_passed_rules(function, _ISC_PASSED),
    ]


def accept_context_rules(function: str = "SaslAcceptSecurityContext") -> list[Rule]:
    final_token = _cookie_guard(FINAL_TOKEN)
    cookie_sent = _cookie_guard(COOKIE_SENT)

    def offer(c: Call) -> None:
        record = _live_sasl(c)
        state = _live_state(c)
        state.offered = _offered(record)
        _seal_into_output(c, record)
        state.phase = COOKIE_SENT
        _context_out(c, record)

    def package_done(c: Call) -> None:
        inner = _run_wrapped(c)
        record = _attach(c, "server")
        state = sasl_state(record)
        if record is None or state is None:
            return
        produced = _token_buffer(inner.out.get("pOutput"))
        if produced is not None and produced.contents:
            state.phase = FINAL_TOKEN  # one round trip for the client to take the last token
            return
        state.offered = _offered(record)
        if _seal_problem(c, record) is None:
            _seal_into_output(c, record)
            state.phase = COOKIE_SENT
            _context_out(c, record)
        else:
            # Nothing to send now: the next call finds the same problem (sasc.cookie.no_output).
            state.phase = FINAL_TOKEN

    def bad_layer(c: Call) -> bool:
        parsed = _peer_cookie(c)
        layer = parsed[0] if parsed is not None else 0
        offered = _live_state(c).offered
        return layer not in (LAYER_NONE, LAYER_INTEGRITY, LAYER_CONFIDENTIALITY) or not offered & layer

    def authz_forbidden(c: Call) -> bool:
        parsed = _peer_cookie(c)
        return (
            parsed is not None
            and bool(parsed[2])
            and _live_state(c).authz_processing == SASL_AUTHZID_FORBIDDEN
        )

    def finish(c: Call) -> None:
        record = _live_sasl(c)
        state = _live_state(c)
        parsed = _peer_cookie(c)
        assert parsed is not None, "rule order: sasc.cookie.undecryptable comes first"
        layer, client_max, authz = parsed
        state.layer = layer
        state.authz_string = authz
        _settle_sizes(c, record, state, client_max)
        state.phase = DONE
        _context_out(c, record)
        c.out["pOutput"] = _cleared_output(c)

    return [
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "sasc.fault.memory"}),
        Rule(
            "sasc.cookie.no_output",
            "the package's handshake is over, the server cookie is due, and pOutput has no SECBUFFER_TOKEN able "
            "to hold it sealed, or the context cannot seal it (EncryptMessage refuses the context)",
            "SEC_E_INVALID_TOKEN",
            Citation(function, "returns", "SEC_E_INVALID_TOKEN"),
            lambda c: final_token(c) and _cant_send_cookie(c),
            also=(_OUTPUT_ROOM, _COOKIE),
        ),
        Rule(
            "sasc.cookie.offer",
            "the client took the package's last token: the server seals its cookie (the layers the context "
            "supports, its SASL_OPTION_RECV_SIZE) into pOutput",
            "SEC_I_CONTINUE_NEEDED",
            Citation(
                function, "remarks", "SASL waits one round trip so the client can process that last token."
            ),
            final_token,
            offer,
            also=(
                Citation(
                    function,
                    "remarks",
                    "This first server cookie says whether INTEGRITY and PRIVACY are available.",
                ),
                _CONTINUE,
                _COOKIE,
            ),
        ),
        Rule(
            "sasc.cookie.undecryptable",
            "the server cookie is out and pInput holds no client cookie that DecryptMessage opens into at least "
            "four bytes",
            "SEC_E_INVALID_TOKEN",
            Citation(function, "returns", "SEC_E_INVALID_TOKEN"),
            lambda c: cookie_sent(c) and _bad_cookie(c),
            also=(_COOKIE, _DECRYPT_ONCE),
        ),
        Rule(
            "sasc.cookie.layer_not_offered",
            "the client cookie chooses no single layer the server offered",
            "SEC_E_INVALID_TOKEN",
            Interpretation(
                "What does the server do with a client cookie choosing a service it did not offer?",
                "SEC_E_INVALID_TOKEN: the cookie is not a valid answer to the offer",
            ),
            lambda c: cookie_sent(c) and bad_layer(c),
            also=(_COOKIE,),
        ),
        Rule(
            "sasc.cookie.authz_forbidden",
            "the client cookie carries an authorization identity and the server context's "
            "SASL_OPTION_AUTHZ_PROCESSING is Sasl_AuthZIDForbidden",
            "SEC_E_ALGORITHM_MISMATCH",
            Citation(function, "returns", "SEC_E_ALGORITHM_MISMATCH"),
            lambda c: cookie_sent(c) and authz_forbidden(c),
            also=(
                Citation(
                    "SaslSetContextOption",
                    "parameters: Option",
                    "Its valid states are Sasl_AuthZIDForbidden and Sasl_AuthZIDProcessed.",
                ),
            ),
        ),
        Rule(
            "sasc.cookie.ok",
            "the client cookie opens and chooses an offered layer: the services are settled, its authorization "
            "identity becomes the context's SASL_OPTION_AUTHZ_STRING, SASL_OPTION_SEND_SIZE the client's size "
            "less the package's overheads",
            "SEC_E_OK",
            Citation(
                function, "remarks", "The server decrypts the client cookie, and that settles the services"
            ),
            cookie_sent,
            finish,
            also=(_SEND_SIZE_BASIS, _COOKIE),
        ),
        Rule(
            "sasc.wrapped.ok",
            "the wrapped AcceptSecurityContext ends with SEC_E_OK: the context joins the SASL list; with a last "
            "token in pOutput SASL waits one round trip, else the server cookie is sealed into pOutput at once "
            "(when it cannot be, nothing is sent and the next call reports why)",
            "SEC_I_CONTINUE_NEEDED",
            Citation(
                function,
                "remarks",
                "the application gets SEC_E_CONTINUE_NEEDED together with one more SASL server cookie",
            ),
            keyed(_wrapped_status, "SEC_E_OK"),
            package_done,
            also=(_WRAPS, _CONTINUE, _COOKIE),
        ),
        *_passed_rules(function, _ASC_PASSED),
    ]


def _cleared_output(c: Call) -> Any:
    """pOutput after the last call: its token buffer holds nothing to send."""
    desc = c.a.pOutput.value if isinstance(c.a.pOutput, Ref) else c.a.pOutput
    buf = _token_buffer(desc)
    if buf is not None:
        buf.pvBuffer = None
        buf.cbBuffer = 0
    return desc


# -- SaslGetContextOption / SaslSetContextOption --------------------------------------------------

_OPTION_NAMES = {
    SASL_OPTION_SEND_SIZE: "SASL_OPTION_SEND_SIZE",
    SASL_OPTION_RECV_SIZE: "SASL_OPTION_RECV_SIZE",
    SASL_OPTION_AUTHZ_STRING: "SASL_OPTION_AUTHZ_STRING",
    SASL_OPTION_AUTHZ_PROCESSING: "SASL_OPTION_AUTHZ_PROCESSING",
}

_AUTHZ_STRING_FORBIDDEN = "When the AuthZ_Processing state is Sasl_AuthZIDForbidden, the function returns SEC_E_UNSUPPORTED_FUNCTION."


def _option_ctx(c: Call) -> ContextRecord | None:
    """The live context ContextHandle names, when it is on the SASL list."""
    facts = c.facts
    if "option_ctx" not in facts:
        record = ctx_record(c, c.a.ContextHandle)
        facts["option_ctx"] = record if sasl_state(record) is not None else None
    return facts["option_ctx"]


def _option_state(c: Call) -> SaslContext:
    state = sasl_state(_option_ctx(c))
    assert state is not None, "rule order: the handle rules come first"
    return state


def _option(c: Call) -> int:
    value = c.a.Option
    return int(value) if isinstance(value, int) else -1


def _handle_rules(function: str, prefix: str) -> list[Rule]:
    return [
        Rule(
            pick(prefix, "sgco.null_handle", "ssco.null_handle"),
            "ContextHandle is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: is_null_handle(c.a.ContextHandle),
        ),
        Rule(
            pick(prefix, "sgco.not_sasl", "ssco.not_sasl"),
            "ContextHandle names no live context of the caller that a SASL function built or continued "
            "(never issued, deleted, another process's, or a context only the plain functions touched)",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: _option_ctx(c) is None,
            also=(
                Interpretation(
                    "The page speaks of 'the SASL list' without saying what is on it",
                    "the live contexts SaslInitializeSecurityContext or SaslAcceptSecurityContext built or "
                    "continued; DeleteSecurityContext takes a context off it",
                ),
            ),
        ),
    ]


def _unknown_option(function: str, prefix: str) -> Rule:
    return unreachable(
        pick(prefix, "sgco.unknown_option", "ssco.unknown_option"),
        "SEC_E_UNSUPPORTED_FUNCTION",
        Citation(function, "returns", "parameter names no valid option."),
        "an Option outside the page's value table breaks the generated contract (ContractError naming Option) "
        "before any rule runs; the code is reached through SASL_OPTION_AUTHZ_STRING instead",
    )


def _option_value(state: SaslContext, option: int) -> bytes:
    if option == SASL_OPTION_AUTHZ_STRING:
        return state.authz_string
    number = {
        SASL_OPTION_SEND_SIZE: state.send_size,
        SASL_OPTION_RECV_SIZE: state.recv_size,
        SASL_OPTION_AUTHZ_PROCESSING: state.authz_processing,
    }[option]
    return struct.pack("<I", number)  # a ULONG as it lies in memory (little-endian)


def get_option_rules(function: str = "SaslGetContextOption") -> list[Rule]:
    def answer(c: Call) -> None:
        value = _option_value(_option_state(c), _option(c))
        c.out["Value"] = value
        c.out["Size"] = len(value)
        c.out["Needed"] = len(value)

    return [
        *_handle_rules(function, "sgco"),
        _unknown_option(function, "sgco"),
        Rule(
            "sgco.authz_forbidden",
            "Option is SASL_OPTION_AUTHZ_STRING and the context's SASL_OPTION_AUTHZ_PROCESSING is "
            "Sasl_AuthZIDForbidden",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "parameters: Option", _AUTHZ_STRING_FORBIDDEN),
            lambda c: (
                _option(c) == SASL_OPTION_AUTHZ_STRING
                and _option_state(c).authz_processing == SASL_AUTHZID_FORBIDDEN
            ),
            also=(Citation(function, "returns", "SEC_E_UNSUPPORTED_FUNCTION"),),
        ),
        unreachable(
            "sgco.buffer_too_small",
            "SEC_E_BUFFER_TOO_SMALL",
            Citation(function, "returns", "SEC_E_BUFFER_TOO_SMALL"),
            "the page marks Value and Size [out] (sspi.h passes Size by value: the caller's buffer size); under "
            "the page's contract the caller gives no buffer size, so the model hands back the value with its "
            "size and no buffer is ever too small",
        ),
        Rule(
            "sgco.ok",
            "Value receives the option's value (a little-endian ULONG, or the authorization identity's bytes), "
            "Size and Needed its length in bytes",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            answer,
            also=(
                Citation(function, "parameters: Value", "Pointer to a buffer that receives the property."),
                Interpretation(
                    "The page marks Value, Size and Needed [out], so the caller supplies no buffer",
                    "the model returns the value's bytes in Value and their count in Size and Needed",
                ),
                Citation(
                    "SaslSetContextOption", "parameters: Option", "Sasl_AuthZIDProcessed is the default."
                ),
                Citation("SaslSetContextOption", "parameters: Option", "The default is 0x0FFFF bytes."),
            ),
        ),
    ]


def _value_bytes(c: Call) -> bytes:
    value = c.a.Value
    if isinstance(value, Ref):
        value = value.value
    return bytes(value) if isinstance(value, bytes | bytearray) else b""


def _size(c: Call) -> int:
    size = c.a.Size
    if isinstance(size, Ref):
        size = size.value
    return int(size) if isinstance(size, int) else 0


def _given(c: Call) -> bytes:
    """The bytes of Value that Size covers."""
    return _value_bytes(c)[: _size(c)]


def set_option_rules(function: str = "SaslSetContextOption") -> list[Rule]:
    def raise_size(c: Call) -> None:
        raise c.violation(
            "Size",
            f"says the Value buffer holds {_size(c)} bytes but Value holds {len(_value_bytes(c))}",
            c.a.Size,
        )

    def raise_state(c: Call) -> None:
        raise c.violation(
            "Value",
            f"{int.from_bytes(_given(c)[:4], 'little')} is not a SASL_AUTHZID_STATE "
            "(Sasl_AuthZIDForbidden 0 or Sasl_AuthZIDProcessed 1)",
            c.a.Value,
        )

    def store(c: Call) -> None:
        state = _option_state(c)
        option = _option(c)
        data = _given(c)
        if option == SASL_OPTION_AUTHZ_STRING:
            state.authz_string = data
            return
        number = int.from_bytes(data[:4], "little")
        if option == SASL_OPTION_SEND_SIZE:
            state.send_size = number
        elif option == SASL_OPTION_RECV_SIZE:
            state.recv_size = number
        else:
            state.authz_processing = number

    return [
        Rule(
            "ssco.size_past_value",
            "Size is larger than the Value buffer the caller passes",
            CONTRACT_ERROR,
            Citation(function, "parameters: Size", "Size in bytes of the Value buffer."),
            lambda c: _size(c) > len(_value_bytes(c)),
            raise_size,
        ),
        *_handle_rules(function, "ssco"),
        _unknown_option(function, "ssco"),
        Rule(
            "ssco.buffer_too_small",
            "Option takes a ULONG (SEND_SIZE, RECV_SIZE, AUTHZ_PROCESSING) and Size is below 4",
            "SEC_E_BUFFER_TOO_SMALL",
            Citation(function, "returns", "SEC_E_BUFFER_TOO_SMALL"),
            lambda c: _option(c) in _ULONG_OPTIONS and _size(c) < 4,
            also=(Citation(function, "parameters: Option", "Buffer type: ULONG"),),
        ),
        Rule(
            "ssco.authz_forbidden",
            "Option is SASL_OPTION_AUTHZ_STRING and the context's SASL_OPTION_AUTHZ_PROCESSING is "
            "Sasl_AuthZIDForbidden: nothing is set",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "parameters: Option", _AUTHZ_STRING_FORBIDDEN),
            lambda c: (
                _option(c) == SASL_OPTION_AUTHZ_STRING
                and _option_state(c).authz_processing == SASL_AUTHZID_FORBIDDEN
            ),
            also=(Citation(function, "returns", "SEC_E_UNSUPPORTED_FUNCTION"),),
        ),
        Rule(
            "ssco.bad_state",
            "Option is SASL_OPTION_AUTHZ_PROCESSING and Value is neither Sasl_AuthZIDForbidden nor "
            "Sasl_AuthZIDProcessed",
            CONTRACT_ERROR,
            Citation(
                function,
                "parameters: Option",
                "Its valid states are Sasl_AuthZIDForbidden and Sasl_AuthZIDProcessed.",
            ),
            lambda c: (
                _option(c) == SASL_OPTION_AUTHZ_PROCESSING
                and int.from_bytes(_given(c)[:4], "little")
                not in (SASL_AUTHZID_FORBIDDEN, SASL_AUTHZID_PROCESSED)
            ),
            raise_state,
            also=(
                Interpretation(
                    "The page documents no code for a state outside the two valid ones",
                    "a contract error naming Value; nothing is set",
                ),
            ),
        ),
        Rule(
            "ssco.ok",
            "the option takes the value (a ULONG read little-endian from the first 4 bytes, or the Size bytes "
            "of the authorization identity)",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            store,
            also=(
                Interpretation(
                    "The page does not say whether a size set by hand survives the cookie exchange",
                    "the exchange sets SASL_OPTION_SEND_SIZE from the peer's cookie; a value set after it stays",
                ),
            ),
        ),
    ]


SISC_A = register(
    "SaslInitializeSecurityContextA", initialize_context_rules("SaslInitializeSecurityContextA")
)
SISC_W = register(
    "SaslInitializeSecurityContextW", initialize_context_rules("SaslInitializeSecurityContextW")
)
SASC = register("SaslAcceptSecurityContext", accept_context_rules())
SGCO = register("SaslGetContextOption", get_option_rules())
SSCO = register("SaslSetContextOption", set_option_rules())


# -- driving a SASL exchange (tests, notebooks, scenarios) ----------------------------------------


class SaslPair:
    """A client and a server running the SASL context functions against each other, one call at a
    time (``client()`` / ``server()``) or to the end (``run()``). Each call's result is kept in
    ``steps`` as (side, status name, rule id). Not part of the rule tables: a convenience."""

    def __init__(
        self,
        cli: Any,
        srv: Any,
        package: str = "Kerberos",
        client_req: int = 0,
        target: str = "HTTP/web.contoso.com",
        client_function: str = "SaslInitializeSecurityContextW",
        output_size: int = 4096,
        client_cred: Any = None,
        server_cred: Any = None,
    ) -> None:
        from .drive import acquire

        self.cli, self.srv = cli, srv
        self.client_req = client_req
        self.target = target
        self.client_function = client_function
        self.output_size = output_size
        # Credentials acquired here unless given (SECPKG_CRED_OUTBOUND, SECPKG_CRED_INBOUND).
        self.client_cred = client_cred if client_cred is not None else acquire(cli, package, 0x2)
        self.server_cred = server_cred if server_cred is not None else acquire(srv, package, 0x1)
        self.client_ctx: Any = None
        self.server_ctx: Any = None
        self.token: bytes | None = None  # the last token sent, for the other side
        self.steps: list[tuple[str, str, str]] = []
        self.last: Any = None

    def client_args(self, **override: Any) -> dict[str, Any]:
        """The arguments of the client's next call (its context, the last token received)."""
        target = self.target.encode("ascii") if self.client_function.endswith("A") else self.target
        args: dict[str, Any] = {
            "phCredential": self.client_cred,
            "phContext": self.client_ctx if self.client_ctx is not None else Ref(None),
            "pszTargetName": target,
            "fContextReq": self.client_req,
            "Reserved1": 0,
            "TargetDataRep": 0x10,  # SECURITY_NATIVE_DREP
            "pInput": SecBufferDesc.token(self.token) if self.token is not None else Ref(None),
            "Reserved2": 0,
            "pOutput": SecBufferDesc.output(self.output_size),
        }
        args.update(override)
        return args

    def server_args(self, **override: Any) -> dict[str, Any]:
        """The arguments of the server's next call."""
        args: dict[str, Any] = {
            "phCredential": self.server_cred,
            "phContext": self.server_ctx,
            "pInput": SecBufferDesc.token(self.token or b""),
            "fContextReq": 0,
            "TargetDataRep": 0x10,
            "pOutput": SecBufferDesc.output(self.output_size),
        }
        args.update(override)
        return args

    def client(self, **override: Any) -> Any:
        return self.record(getattr(self.cli, self.client_function)(**self.client_args(**override)), "client")

    def server(self, **override: Any) -> Any:
        return self.record(self.srv.SaslAcceptSecurityContext(**self.server_args(**override)), "server")

    def record(self, result: Any, side: str) -> Any:
        """Take a call's result made outside client()/server(): its context, its token, the step."""
        api = self.cli if side == "client" else self.srv
        status = result.status
        name = getattr(status, "name", str(status))
        self.steps.append((side, name, api.last_rule.id if api.last_rule is not None else ""))
        self.last = result
        if result.phNewContext is not None:
            if side == "client":
                self.client_ctx = result.phNewContext
            else:
                self.server_ctx = result.phNewContext
        out = result.pOutput
        self.token = out.token_bytes if isinstance(out, SecBufferDesc) else b""
        return result

    def run(self, max_calls: int = 10) -> SaslPair:
        """Alternate client and server calls (from the side whose turn it is) until a side fails or
        the server's last call succeeds."""
        side = "server" if self.steps and self.steps[-1][0] == "client" else "client"
        for _ in range(max_calls):
            self.client() if side == "client" else self.server()
            name = self.steps[-1][1]
            if name not in ("SEC_E_OK", "SEC_I_CONTINUE_NEEDED") or (side == "server" and name == "SEC_E_OK"):
                break
            side = "server" if side == "client" else "client"
        return self

    @property
    def done(self) -> bool:
        return bool(self.steps) and self.steps[-1][:2] == ("server", "SEC_E_OK")
