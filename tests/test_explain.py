"""Explanations: every call leaves a trace, every citation lands on a page line that says it."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from sspimodel._generated import CONTRACTS
from sspimodel.api import Sspi
from sspimodel.cli import main
from sspimodel.display import explain_table
from sspimodel.model import SecBufferDesc, default_world
from sspimodel.model.citations import CitationError, resolve, verify
from sspimodel.model.constants import SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND, SECURITY_NATIVE_DREP
from sspimodel.model.drive import acquire
from sspimodel.model.rules import Citation, all_tables, table_for

REPO = Path(__file__).resolve().parent.parent


def _words(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text).replace("**", "").replace("`", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])", "", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def _documented_pairs() -> list[tuple[str, str, list]]:
    pairs = []
    for table in all_tables():
        documented = set(CONTRACTS[table.function].returns.documented())
        by_status: dict[str, list] = {}
        for rule in table.rules:
            if rule.reachable and rule.status in documented:
                by_status.setdefault(rule.status, []).append(rule)
        pairs.extend((table.function, status, rules) for status, rules in sorted(by_status.items()))
    return pairs


def test_every_citation_of_every_table_resolves_to_its_page():
    assert verify() == []


@pytest.mark.parametrize(("function", "status", "rules"), _documented_pairs(), ids=lambda v: v if isinstance(v, str) else "")
def test_explain_names_a_page_line_holding_the_cited_words(function, status, rules):
    cited = [(r, b) for r in rules for b in r.bases() if isinstance(b, Citation)]
    assert cited, f"{function} produces documented {status} with no citation"
    text = explain_table(function, status)
    for rule, citation in cited:
        anchor = resolve(citation)
        assert f"{anchor.where} ({anchor.element})" in text
        lines = (REPO / anchor.file).read_text(encoding="utf-8").splitlines()
        # The quote starts on the anchor's line (it may run on to the following lines).
        window = _words(" ".join(lines[anchor.line - 1 : anchor.line + 6]))
        first = _words(lines[anchor.line - 1])
        assert _words(citation.quote) in window, (rule.id, anchor)
        assert first and first in window and window.startswith(first)


def test_a_citation_its_page_does_not_say_is_an_error():
    with pytest.raises(CitationError, match="not in the Return value section"):
        resolve(Citation("DeleteSecurityContext", "returns", "The handle is closed twice with no error."))
    with pytest.raises(CitationError, match="no parameter 'pNope'"):
        resolve(Citation("DeleteSecurityContext", "parameters: pNope", "x"))
    with pytest.raises(CitationError, match="no page"):
        resolve(Citation("NoSuchFunction", "returns", "SEC_E_OK"))


def test_citations_name_the_page_element():
    assert resolve(Citation("DeleteSecurityContext", "returns", "SEC_E_INVALID_HANDLE")).element == "return-code row"
    assert resolve(Citation("InitializeSecurityContextA", "parameters: Reserved1", "Reserved; set to zero.")).element == "parameter clause"
    elements = {resolve(b).element for t in all_tables() for r in t.rules for b in r.bases() if isinstance(b, Citation)}
    assert {"return-code row", "parameter clause", "remarks sentence"} <= elements


def _tampered_accept():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    cc, sc = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND), acquire(srv, "NTLM", SECPKG_CRED_INBOUND)
    out = SecBufferDesc.output(48256)
    cli.InitializeSecurityContextW(
        phCredential=cc, phContext=None, pTargetName="HTTP/web.contoso.com", fContextReq=0, Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP, pInput=None, Reserved2=0, pOutput=out,
    )
    token = bytearray(out.token_bytes)
    token[8] ^= 1  # the NEGOTIATE_MESSAGE's MessageType
    result = srv.AcceptSecurityContext(
        phCredential=sc, phContext=None, pInput=SecBufferDesc.token(bytes(token)), fContextReq=0,
        TargetDataRep=SECURITY_NATIVE_DREP, pOutput=SecBufferDesc.output(48256),
    )
    return srv, result


DETAIL = "NTLMSSP message: MessageType is 0, not 1, 2 or 3"


def test_a_trace_says_which_rule_fired_which_branch_held_and_the_package_reason():
    srv, result = _tampered_accept()
    assert result.status.name == "SEC_E_INVALID_TOKEN"
    trace = srv.last_trace
    assert trace.rule.id == "asc.invalid_token"
    assert trace.branch == "the package leg's outcome is bad_token"
    assert trace.leg is not None and trace.leg.package == "NTLM" and trace.leg.detail == DETAIL
    live = [r.id for r in table_for("AcceptSecurityContext").live]
    assert [r.id for r in trace.tried] == live[: live.index("asc.invalid_token")]
    text = str(srv.explain())
    assert DETAIL in text and "asc.invalid_token" in text
    assert "spec/pages/AcceptSecurityContext.md:" in text and "(return-code row): SEC_E_INVALID_TOKEN" in text
    html = srv.explain()._repr_html_()
    assert DETAIL in html and "<table" in html


def test_explain_refuses_before_any_call_and_after_a_refused_call():
    sspi = Sspi(default_world())
    with pytest.raises(ValueError, match="no call"):
        sspi.explain()


def test_last_rule_prints_readably_with_its_source_and_page_line():
    srv, _ = _tampered_accept()
    text = str(srv.last_rule)
    assert text.startswith("rule asc.invalid_token -> SEC_E_INVALID_TOKEN  (sspimodel/model/contexts.py:")
    assert "spec/pages/AcceptSecurityContext.md:" in text
    assert repr(srv.last_rule) == "<Rule asc.invalid_token: SEC_E_INVALID_TOKEN>"


def test_evolving_a_rule_keeps_its_value_equal():
    table = next(iter(all_tables()))
    rule = table.rules[0]
    assert attrs.evolve(rule) == rule


def test_cli_explain_prints_the_rules_of_a_status_with_page_lines(capsys):
    assert main(["explain", "AcceptSecurityContext", "SEC_E_INVALID_TOKEN"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("AcceptSecurityContext: 4 rules giving SEC_E_INVALID_TOKEN")
    assert "asc.invalid_token" in out and "spec/pages/AcceptSecurityContext.md:" in out


def test_cli_explain_names_what_is_wrong(capsys):
    assert main(["explain", "NoSuchFunction"]) == 2
    assert "no rule table for 'NoSuchFunction'" in capsys.readouterr().err
    assert main(["explain", "DeleteSecurityContext", "SEC_E_NOPE"]) == 2
    err = capsys.readouterr().err
    assert "no rule of DeleteSecurityContext gives SEC_E_NOPE" in err and "SEC_E_OK" in err


def test_get_async_call_status_explains_the_queued_work_it_reports():
    from sspimodel.model import AuthIdentity, CallerMode, Ref
    from sspimodel.model.async_ import NtStatus  # noqa: F401  (the async family is loaded)

    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    sspi = Sspi(world, 4)
    ctx = sspi.SspiCreateAsyncContext().value
    sspi.SspiAcquireCredentialsHandleAsyncW(
        AsyncContext=ctx, pszPrincipal="", pszPackage="NoSuchPackage", fCredentialUse=SECPKG_CRED_OUTBOUND,
        pvLogonId=None, pAuthData=AuthIdentity(User="alice", Domain="CONTOSO", Password="Passw0rd!alice"),
        pGetKeyFn=lambda *a: None, pvGetKeyArgument=0, phCredential=Ref(), ptsExpiry=Ref(),
    )
    world.run_pending()
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_SECPKG_NOT_FOUND"
    trace = sspi.last_trace
    assert trace.rule.id == "sgs.final.SEC_E_SECPKG_NOT_FOUND"
    assert trace.work is not None and trace.work.rule.id == "ach.package_unknown"
    text = str(sspi.explain())
    assert "the queued work it reports:" in text and "rule ach.package_unknown" in text
