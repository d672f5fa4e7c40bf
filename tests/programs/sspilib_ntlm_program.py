"""A program written against sspilib's public API only (it imports `sspilib`, nothing else).

The differential test runs this file unchanged twice: once with the real sspilib (sspi-rs on
Linux) and once with sspimodel's layer installed as `sspilib`, and compares what ``run()`` saw.
"""

import sspilib

USER, DOMAIN, PASSWORD = "alice", "CONTOSO", "Passw0rd!alice"
TARGET = "HTTP/web.contoso.com"


def _error(call):
    """What a call raised: None, or the SSPI status name and signed winerror."""
    try:
        call()
    except sspilib.WindowsError as e:
        return e.winerror
    return None


def handshake(password=PASSWORD):
    client_cred = sspilib.UserCredential(USER, password, domain=DOMAIN, protocol="NTLM", usage="initiate")
    server_cred = sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM", usage="accept")
    client = sspilib.ClientSecurityContext(client_cred, TARGET)
    server = sspilib.ServerSecurityContext(server_cred)
    legs = []
    token = None
    while not (client.complete and server.complete):
        token = client.step(token)
        legs.append(("client", bool(token), client.complete))
        if server.complete:
            break
        token = server.step(token)
        legs.append(("server", bool(token), server.complete))
    return client, server, legs


def run():
    seen = {}
    client, server, legs = handshake()
    seen["legs"] = legs
    seen["client_attributes"] = sorted(f.name for f in sspilib.IscRet if f in client.attributes and f.value)
    seen["server_attributes"] = sorted(f.name for f in sspilib.AscRet if f in server.attributes and f.value)

    sealed = client.wrap(b"GET /payroll")
    seen["unwrap_client_to_server"] = server.unwrap(sealed).data
    seen["unwrap_server_to_client"] = client.unwrap(server.wrap(b"200 OK")).data

    def sign_and_verify():
        signature = client.sign(b"statement")
        return server.verify(b"statement", signature)

    seen["sign_verify_error"] = _error(sign_and_verify)

    tampered = bytearray(client.wrap(b"transfer 10"))
    tampered[-1] ^= 0x01
    seen["tampered_error"] = _error(lambda: server.unwrap(bytes(tampered)))

    # Last of the message exchanges: where wrap fails, the peers' message counters part.
    signed_only = []
    seen["unwrap_signed_only_error"] = _error(
        lambda: signed_only.append(server.unwrap(client.wrap(b"plain", encrypt=False)).data)
    )
    seen["unwrap_signed_only"] = signed_only[0] if signed_only else None

    names = sspilib.raw.query_context_attributes(server, sspilib.raw.SecPkgContextNames)
    seen["server_sees_user"] = names.username.lower()

    seen["wrong_password_error"] = _error(lambda: handshake(password="not-" + PASSWORD))
    seen["packages_include_ntlm"] = "NTLM" in [p.name for p in sspilib.raw.enumerate_security_packages()]
    return seen
