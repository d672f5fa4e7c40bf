"""The sspilib-compatible layer against sspilib's own API: names, keyword names, enum members,
the TypeError for a wrong argument type, what sspilib itself decides (credential names, expiry
times), and the WindowsError of a failing call naming the rule that decided that call.

Tests named ``..._match_sspilib`` run the same thing on the installed sspilib (the native extra;
sspi-rs on Linux) and skip when it is not importable; the others need only the layer.
"""

from __future__ import annotations

import datetime
import gc
import inspect
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import sspimodel.sspilib as layer
from sspimodel.model.world import default_world

USER, DOMAIN, PASSWORD = "alice", "CONTOSO", "Passw0rd!alice"
TARGET = "HTTP/web.contoso.com"
SERVICE, SERVICE_PASSWORD = "websvc", "Svc!web-2024"  # the default world's account for TARGET
UNIX_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _real() -> types.ModuleType:
    real = pytest.importorskip("sspilib", reason="the real sspilib (the native extra) is not installed")
    if real is layer:
        pytest.skip("sspilib is the layer in this process")
    return real


@pytest.fixture
def world() -> Iterator[Any]:
    w = default_world()
    with layer.use_world(w):
        yield w
    gc.collect()


def _ntlm_pair(sspilib: Any) -> tuple[Any, Any]:
    """A completed NTLM client and server context of ``sspilib`` (the layer or the real one)."""
    client = sspilib.ClientSecurityContext(
        sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM"), TARGET)
    server = sspilib.ServerSecurityContext(
        sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM", usage="accept"))
    token = client.step()
    while not (client.complete and server.complete):
        token = server.step(token)
        if not client.complete:
            token = client.step(token)
    return client, server


# -- the public surface --------------------------------------------------------------------------
def test_enums_have_sspilibs_names_for_values_sspi_h_spells_otherwise(world) -> None:
    # Kerberos' name for the no-encryption QOP, and sspilib's spelling of "no KDC proxy flag".
    assert layer.raw.QopFlags["KERB_WRAP_NO_ENCRYPT"] == layer.raw.QopFlags.SECQOP_WRAP_NO_ENCRYPT == 0x80000001
    assert layer.raw.KdcProxySettingsFlags(0).name == "KDX_PROXY_SETTINGS_FLAGS_NONE"


def test_enums_hold_only_their_own_kind_of_value() -> None:
    # Credential attribute numbers are not credential uses, nor SspiEncryptAuthIdentityEx options
    # identity flags (their 1, 2, 4 would be second names for ANSI, UNICODE, MARSHALLED).
    assert not [n for n in layer.raw.CredentialUse.__members__ if n.startswith("SECPKG_CRED_ATTR_")]
    assert not [n for n in layer.raw.WinNTAuthFlags.__members__ if "_ENCRYPT_" in n]


def test_enum_members_match_sspilib() -> None:
    real = _real()
    for name in ("IscReq", "IscRet", "AscReq", "AscRet", "CredentialUse", "SecBufferType", "SecBufferFlags",
                 "SecurityPackageCapability", "TargetDataRep", "QopFlags", "WinNTAuthFlags", "NtStatus",
                 "KdcProxySettingsFlags"):
        theirs = {n: int(v) for n, v in getattr(real.raw, name).__members__.items()}
        ours = {n: int(v) for n, v in getattr(layer.raw, name).__members__.items()}
        assert {n: v for n, v in theirs.items() if ours.get(n) != v} == {}, name
        # Every value keeps sspilib's name for it (what repr() and .name show).
        for value in set(theirs.values()):
            assert getattr(layer.raw, name)(value).name == getattr(real.raw, name)(value).name, (name, value)


def _parameters(function: Any) -> list[inspect.Parameter] | None:
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a compiled class of sspilib: no signature to compare
        return None


def test_keyword_names_match_sspilib() -> None:
    """Every parameter of an sspilib function or class is the layer's, in the same place and of
    the same kind; what the layer adds (WindowsError's ``function`` and ``rule``) is keyword-only."""
    real = _real()
    differ = {}
    for theirs_module, ours_module in ((real, layer), (real.raw, layer.raw)):
        for name in theirs_module.__all__:
            theirs = _parameters(getattr(theirs_module, name))
            ours = _parameters(getattr(ours_module, name))
            if theirs is None or ours is None:
                continue
            shared = [(p.name, p.kind) for p in ours[: len(theirs)]]
            added = ours[len(theirs):]
            if shared != [(p.name, p.kind) for p in theirs] or any(
                p.kind is not p.KEYWORD_ONLY or p.default is p.empty for p in added
            ):
                differ[name] = ([p.name for p in theirs], [p.name for p in ours])
    assert differ == {}


def test_complete_auth_token_and_set_credentials_attributes_take_sspilibs_keywords(world) -> None:
    # The model answers for the handle; a keyword the function does not know would be a TypeError.
    with pytest.raises(layer.WindowsError) as caught:
        layer.raw.complete_auth_token(context=layer.raw.CtxtHandle(), token=layer.raw.SecBufferDesc([]))
    assert caught.value.function == "CompleteAuthToken"
    with pytest.raises(layer.WindowsError) as caught:
        layer.raw.set_credentials_attributes(credential=_cred(layer),
                                             attribute=layer.raw.SecPkgCredKdcProxySettings())
    assert caught.value.function == "SetCredentialsAttributesW"


def test_security_context_is_abstract() -> None:
    with pytest.raises(TypeError):
        layer.SecurityContext(layer.raw.CredHandle())  # type: ignore[abstract]


# -- credential attributes -----------------------------------------------------------------------
def test_set_credentials_attributes_gives_kerberos_credentials_a_kdc_proxy(world) -> None:
    from sspimodel.model.cred_attributes import SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS
    from sspimodel.model.handles import Ref

    raw = layer.raw
    kerberos = layer.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="Kerberos")
    settings = raw.SecPkgCredKdcProxySettings(flags=raw.KdcProxySettingsFlags.KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY,
                                              proxy_server="kdcproxy.contoso.com:443")
    assert raw.set_credentials_attributes(kerberos, settings) is None
    # The model's credentials now hold them: QueryCredentialsAttributesEx reads them back.
    read = layer.current().sspi.QueryCredentialsAttributesExW(
        phCredential=kerberos._handle, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=Ref(), cbBuffer=128)
    assert (read.pBuffer.Flags, read.pBuffer.ProxyServer) == (1, "kdcproxy.contoso.com:443")
    # Only Kerberos takes them (SetCredentialsAttributes: "Kerberos is the only package...").
    ntlm = layer.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM")
    with pytest.raises(layer.WindowsError) as caught:
        raw.set_credentials_attributes(ntlm, settings)
    assert caught.value.winerror == -2146893054  # SEC_E_UNSUPPORTED_FUNCTION
    with pytest.raises(TypeError, match="SecPkgCred"):
        raw.set_credentials_attributes(kerberos, "proxy")  # type: ignore[arg-type]


# -- what sspilib decides itself -----------------------------------------------------------------
def _credential_strings(sspilib: Any) -> list[tuple[str, str]]:
    made = [
        sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM"),
        sspilib.UserCredential(f"{USER}@contoso.com", PASSWORD, protocol="NTLM"),
        sspilib.UserCredential(protocol="NTLM"),
        sspilib.UserCredential(domain=DOMAIN, protocol="NTLM"),
    ]
    return [(c.username, str(c)) for c in made]


def test_credential_names_are_sspilibs(world) -> None:
    assert _credential_strings(layer) == [
        ("CONTOSO\\alice", "CONTOSO\\alice - NTLM"),
        ("alice@contoso.com", "alice@contoso.com - NTLM"),
        ("CurrentUser", "CurrentUser - NTLM"),
        ("CONTOSO\\CurrentUser", "CONTOSO\\CurrentUser - NTLM"),
    ]


def test_credential_names_match_sspilib(world) -> None:
    assert _credential_strings(layer) == _credential_strings(_real())


def test_expiry_is_converted_as_sspilib_converts_it(world) -> None:
    credential = layer.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM")
    # The model's credentials never expire (0x7FFFFFFFFFFFFFFF): past datetime's range, which
    # sspilib gives as the Unix epoch.
    assert layer.raw.acquire_credentials_handle(
        None, "NTLM", layer.raw.CredentialUse.SECPKG_CRED_OUTBOUND).expiry == 0x7FFFFFFFFFFFFFFF
    assert credential.expiry == UNIX_EPOCH
    client = layer.ClientSecurityContext(credential, TARGET)
    assert client.expiry == UNIX_EPOCH  # before the first step
    client.step()
    assert client.expiry.year == 2024  # the model's clock, within datetime's range


def test_context_expiry_before_the_first_step_matches_sspilib(world) -> None:
    real = _real()
    for sspilib in (real, layer):
        credential = sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM")
        assert sspilib.ClientSecurityContext(credential, TARGET).expiry == UNIX_EPOCH, sspilib
        assert sspilib.ServerSecurityContext(credential).expiry == UNIX_EPOCH, sspilib


# -- wrong argument types ------------------------------------------------------------------------
def _cred(sspilib: Any) -> Any:
    return sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM")


def _desc(sspilib: Any) -> Any:
    return sspilib.raw.SecBufferDesc([sspilib.raw.SecBuffer(bytearray(16), sspilib.raw.SecBufferType.SECBUFFER_TOKEN)])


WRONG_TYPES: dict[str, Callable[[Any], Any]] = {
    "identity-int-username": lambda s: s.raw.WinNTAuthIdentity(1, DOMAIN, PASSWORD),
    "identity-bytes-password": lambda s: s.raw.WinNTAuthIdentity(USER, DOMAIN, PASSWORD.encode()),
    "credential-bytes-password": lambda s: s.UserCredential(USER, PASSWORD.encode(), DOMAIN, "NTLM"),
    "auth-data-str": lambda s: s.raw.acquire_credentials_handle(None, "NTLM", 2, auth_data="alice"),
    "target-none": lambda s: s.ClientSecurityContext(_cred(s), None).step(),
    "flags-str": lambda s: s.ClientSecurityContext(_cred(s), TARGET, "mutual").step(),
    "in-token-int": lambda s: s.ClientSecurityContext(_cred(s), TARGET).step(5),
    "buffers-tuple": lambda s: s.raw.SecBufferDesc((s.raw.SecBuffer(None, s.raw.SecBufferType.SECBUFFER_TOKEN),)),
    "credential-as-context": lambda s: s.raw.query_context_attributes(_cred(s), s.raw.SecPkgContextSizes),
    "package-none": lambda s: s.raw.acquire_credentials_handle(None, None, 2),
    "context-req-str": lambda s: s.raw.initialize_security_context(_cred(s), None, TARGET, "0", 0x10, None, None),
    "qop-str": lambda s: s.raw.encrypt_message(s.raw.CtxtHandle(), "0", _desc(s), 0),
    "context-none-query": lambda s: s.raw.query_context_attributes(None, s.raw.SecPkgContextSizes),
    "context-none-encrypt": lambda s: s.raw.encrypt_message(None, 0, _desc(s), 0),
    "context-none-complete": lambda s: s.raw.complete_auth_token(None, _desc(s)),
    "message-none": lambda s: s.raw.make_signature(s.raw.CtxtHandle(), 0, None, 0),
    "credential-none-set-attributes": lambda s: s.raw.set_credentials_attributes(
        None, s.raw.SecPkgCredKdcProxySettings()),
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_an_argument_of_the_wrong_type_is_a_type_error(world, case) -> None:
    with pytest.raises(TypeError):
        WRONG_TYPES[case](layer)


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_an_argument_of_the_wrong_type_is_a_type_error_as_in_sspilib(world, case) -> None:
    real = _real()
    outcomes = []
    for sspilib in (real, layer):
        try:
            WRONG_TYPES[case](sspilib)
            outcomes.append(None)
        except Exception as error:  # the test compares what each side raised
            outcomes.append(TypeError if isinstance(error, TypeError) else type(error))
    assert outcomes == [TypeError, TypeError]


@pytest.mark.parametrize("method", ["wrap", "unwrap", "sign", "verify-data", "verify-mic"])
def test_message_methods_refuse_a_number_instead_of_bytes(world, method) -> None:
    # bytearray(16) is sixteen zero bytes: a number must not become a message.
    client, _ = _ntlm_pair(layer)
    call = {
        "wrap": lambda: client.wrap(16),
        "unwrap": lambda: client.unwrap(16),
        "sign": lambda: client.sign(16),
        "verify-data": lambda: client.verify(16, b"\0" * 16),
        "verify-mic": lambda: client.verify(b"data", 16),
    }[method]
    with pytest.raises(TypeError, match="bytes"):
        call()


def test_read_only_memory_for_a_buffer_is_a_buffer_error() -> None:
    for data in (b"token", memoryview(b"token")):
        with pytest.raises(BufferError):
            layer.raw.SecBuffer(data, layer.raw.SecBufferType.SECBUFFER_TOKEN)


def test_read_only_memory_for_a_buffer_is_a_buffer_error_as_in_sspilib() -> None:
    real = _real()
    for sspilib in (real, layer):
        with pytest.raises(BufferError):
            sspilib.raw.SecBuffer(b"token", sspilib.raw.SecBufferType.SECBUFFER_TOKEN)


# -- errors --------------------------------------------------------------------------------------
def test_an_error_names_the_rule_of_the_call_that_failed(world) -> None:
    # Negotiate picks Kerberos; the server runs as alice, not as the target's service account, so it
    # cannot read the ticket. The layer then releases the output buffer (FreeContextBuffer): the
    # error must still name AcceptSecurityContext's rule, not FreeContextBuffer's.
    client = layer.ClientSecurityContext(layer.UserCredential(USER, PASSWORD, domain=DOMAIN), TARGET)
    server = layer.ServerSecurityContext(layer.UserCredential(USER, PASSWORD, domain=DOMAIN, usage="accept"))
    with pytest.raises(layer.WindowsError) as caught:
        server.step(client.step())
    error = caught.value
    assert error.function == "AcceptSecurityContext"
    assert error.rule.status == "SEC_E_INVALID_TOKEN"
    assert "FreeContextBuffer" not in str(error.rule)
    # With the service account's credentials the same exchange completes.
    client = layer.ClientSecurityContext(layer.UserCredential(USER, PASSWORD, domain=DOMAIN), TARGET)
    server = layer.ServerSecurityContext(
        layer.UserCredential(SERVICE, SERVICE_PASSWORD, domain=DOMAIN, usage="accept"))
    client.step(server.step(client.step()))
    assert client.complete and server.complete
    assert server.unwrap(client.wrap(b"GET /")).data == b"GET /"


def test_an_unknown_status_is_named_as_sspilib_names_it() -> None:
    error = layer.WindowsError(-1)
    assert error.winerror == -1
    assert "UNKNOWN_ERROR_CODE 0xFFFFFFFF" in str(error)
    assert "0xFFFFFFFF 0xFFFFFFFF" not in str(error)


# -- a client and a server in two processes ------------------------------------------------------
def test_a_server_of_another_process_accepts_with_its_own_logon() -> None:
    """Negotiate with credentials from each process's own logon, as a web server has them: the
    server is web.exe (websvc, the account of HTTP/web.contoso.com), the client client.exe (alice).
    Calls on a handle go to the process that made it, so the program needs no switching."""
    w = default_world()
    with layer.use_world(w, 200):
        server = layer.ServerSecurityContext(layer.UserCredential(usage="accept"))
    with layer.use_world(w, 100):
        client = layer.ClientSecurityContext(layer.UserCredential(), TARGET)
    token = client.step()
    while not (client.complete and server.complete):
        token = server.step(token)
        if not client.complete:
            token = client.step(token)
    raw = layer.raw
    assert raw.query_context_attributes(server, raw.SecPkgContextNames).username == "CONTOSO\\alice"
    assert raw.query_context_attributes(client, raw.SecPkgContextPackageInfo).name == "Kerberos"
    assert server.unwrap(client.wrap(b"GET /")).data == b"GET /"
    assert client.verify(b"200 OK", server.sign(b"200 OK")) == 0
    # A handle of one process in a call of the other is refused, naming both.
    with pytest.raises(ValueError, match=r"process 200.*process 100"):
        raw.initialize_security_context(server._credential, client, TARGET, 0, 0x10, None, None)
    del client, server, token
    gc.collect()
    assert w.leaks() == {}
