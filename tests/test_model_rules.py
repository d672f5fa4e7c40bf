"""The rule tables as data: statuses allowed, citations that quote the pages, errata that exist,
the guard that catches a broken rule, determinism, and lazy loading."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from functools import cache
from typing import Any

import attrs
import pytest

from sspimodel._generated import CONTRACTS
from sspimodel.api import Sspi, allowed_statuses
from sspimodel.contract import ContractError
from sspimodel.model import (
    Citation,
    CredHandle,
    Errata,
    Interpretation,
    SecBufferDesc,
    default_world,
    rules_for,
)
from sspimodel.model.async_ import COUNTERPART, VALUE_RETURNS
from sspimodel.model.common import CONTRACT_ERROR
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_MUTUAL_AUTH,
    ISC_REQ_SEQUENCE_DETECT,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.drive import handshake
from sspimodel.model.errata import entry, load_errata
from sspimodel.model.errors import ContractViolation, UndocumentedStatus, UndocumentedStatusWarning
from sspimodel.model.identity import VALUE_RETURNS as IDENTITY_VALUE_RETURNS
from sspimodel.model.observed import load_observed
from sspimodel.model.prompts import VALUE_RETURNS as PROMPT_VALUE_RETURNS
from sspimodel.model.rules import (
    Call,
    Rule,
    RuleTable,
    all_tables,
    always,
    guarded,
    keyed,
    negation_of,
    on,
    table_for,
)
from sspimodel.model.sasl import WRAPPED as SASL_WRAPPED
from sspimodel.paths import REPO_ROOT
from sspimodel.read import read_page

FUNCTIONS = sorted(CONTRACTS)


def test_every_function_of_the_spec_has_a_table():
    assert [t.function for t in all_tables()] == FUNCTIONS


@pytest.mark.parametrize("function", FUNCTIONS)
def test_rule_statuses_are_allowed_by_the_page_or_errata(function):
    allowed = (
        allowed_statuses(function)
        | {CONTRACT_ERROR}
        | VALUE_RETURNS.get(function, frozenset())
        | IDENTITY_VALUE_RETURNS.get(function, frozenset())
        | PROMPT_VALUE_RETURNS.get(function, frozenset())
    )
    if function in COUNTERPART:  # the queued work may end as the synchronous counterpart documents
        allowed |= allowed_statuses(COUNTERPART[function][0])
    if function == "SspiGetAsyncCallStatus":
        for name, (counterpart, _) in COUNTERPART.items():
            allowed |= allowed_statuses(name) | allowed_statuses(counterpart)
    if function in SASL_WRAPPED:  # the SASL layer passes on the wrapped function's statuses
        allowed |= allowed_statuses(SASL_WRAPPED[function])
    bad = [(r.id, r.status) for r in rules_for(function) if r.status not in allowed]
    assert bad == []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_rule_ids_are_unique_and_unreachable_rules_say_why(function):
    ids = [r.id for r in rules_for(function)]
    assert len(ids) == len(set(ids))
    assert all(len(r.unreachable) > 20 for r in rules_for(function) if not r.reachable)


def test_rules_for_lists_import_security_context():
    rules = rules_for("ImportSecurityContextA")
    assert [r.status for r in rules] == [
        "SEC_E_INSUFFICIENT_MEMORY",
        "SEC_E_INTERNAL_ERROR",
        "SEC_E_SECPKG_NOT_FOUND",
        "SEC_E_UNSUPPORTED_FUNCTION",
        "SEC_E_UNKNOWN_CREDENTIALS",
        "SEC_E_NO_CREDENTIALS",
        "SEC_E_NOT_OWNER",
        "SEC_E_OK",
    ]
    assert rules[2].is_errata and isinstance(rules[2].basis, Errata)
    assert any(isinstance(b, Interpretation) for r in rules for b in r.bases())
    with pytest.raises(KeyError, match="no rule table"):
        rules_for("NoSuchFunction")


# -- citations quote the pages -----------------------------------------------------------------------


_INLINE = re.compile(r"</?(?:a|b|i|em|strong|code|span)(?:\s[^>]*)?>", re.IGNORECASE)


def _plain(text: str) -> str:
    """Page text without markup: inline tags vanish, block tags become spaces, links keep their text."""
    text = _INLINE.sub("", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("**", "").replace("`", "").replace("|", " ").replace("\\", "")
    text = re.sub(r"(?<![\w*])\*(?!\*)|(?<!\w)\*(?=\w)|(?<=\w)\*(?!\w)", "", text)
    text = text.replace("> [!NOTE]", " ").replace(">", " ")
    return " ".join(text.split())


@cache
def _page(function: str):
    path = REPO_ROOT / CONTRACTS[function].page
    lines = path.read_text(encoding="utf-8").splitlines()
    return read_page(path, path.name), lines


def _section_text(function: str, section: str) -> str:
    spec, lines = _page(function)
    base, _, param = section.partition(": ")
    if base == "parameters" and param:
        for p in spec.parameters:
            if p.name == param or p.documented_as == param:
                return _plain("\n".join(lines[p.span.start - 1 : p.span.end]))
        raise AssertionError(f"{function}: no parameter {param!r} on the page")
    spans = [span for name, span in spec.sections if name == base]
    assert spans, f"{function}: no section {base!r} (sections: {[n for n, _ in spec.sections]})"
    return _plain("\n".join("\n".join(lines[span.start - 1 : span.end]) for span in spans))


def _citations():
    seen = {}
    for function in FUNCTIONS:
        for rule in rules_for(function):
            for basis in rule.bases():
                if isinstance(basis, Citation):
                    seen.setdefault((basis.function, basis.section, basis.quote), f"{function}:{rule.id}")
    return sorted(seen.items())


@pytest.mark.parametrize(("citation", "where"), _citations(), ids=lambda v: v if isinstance(v, str) else None)
def test_citation_quotes_its_page_section(citation, where):
    function, section, quote = citation
    assert function in CONTRACTS, f"{where}: cites {function}, which has no page"
    text = _section_text(function, section)
    assert _plain(quote) in text, f"{where}: {quote!r} is not in {function} ({section})"


# -- errata -----------------------------------------------------------------------------------------


def test_errata_rules_name_existing_entries_for_their_function_and_code():
    for function in FUNCTIONS:
        for rule in rules_for(function):
            if isinstance(rule.basis, Errata):
                e = entry(rule.basis.entry)
                assert rule.status == e.code, f"{function}:{rule.id}"
                # an async function's queued work may end as its synchronous counterpart's does
                counterpart = COUNTERPART.get(function, ("",))[0]
                assert function in e.functions or counterpart in e.functions, (
                    f"{function}:{rule.id}: not in {e.id}"
                )


def test_errata_entries_are_complete_and_used():
    # an erratum is a rule's basis, or (Windows departures the observed contract follows) one of
    # its further bases, or the answer an observed.yaml entry gives for a NULL
    used = {b.entry for f in FUNCTIONS for r in rules_for(f) for b in r.bases() if isinstance(b, Errata)}
    used |= {e.answer for e in load_observed() if e.answer}
    ids = {e.id for e in load_errata()}
    assert ids - used == {"doc-set-async-notify-callback-ok"}  # cited by an Interpretation, not a rule basis
    assert used <= ids
    for e in load_errata():
        assert set(e.functions) <= set(CONTRACTS), e.id
        assert e.kind in ("implementation", "interpretation", "windows") and e.source and e.condition
        if e.kind == "windows":  # a Windows-run test, named by file and test function
            wine = "dlls/secur32/tests/" in e.source and ".c, " in e.source
            windows_ci = re.search(r"\btests/\w+\.py, \w+", e.source) is not None  # sspilib's suite on Windows
            assert wine or windows_ci, e.id


def test_errata_are_loaded_lazily_and_the_package_import_is_light():
    code = (
        "import sys, sspimodel, sspimodel.api\n"
        "from sspimodel.model import errata\n"
        "assert errata._load.cache_info().currsize == 0, 'errata read at import'\n"
        "import sspimodel.read\n"
        "assert 'sspimodel.read.source' not in sys.modules, 'spec parsed at import'\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    assert out.stdout.strip() == "ok", out.stderr
    bare = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sspimodel; print(sorted(m for m in sys.modules if m.startswith('sspimodel.')))",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert "sspimodel._generated" not in bare.stdout and "sspimodel.model" not in bare.stdout


# -- the guard ----------------------------------------------------------------------------------------


def test_a_rule_broken_on_purpose_raises_undocumented_status(monkeypatch):
    table = table_for("FreeCredentialsHandle")
    broken = tuple(
        attrs.evolve(r, status="SEC_E_WRONG_PRINCIPAL") if r.id == "fch.invalid_handle" else r
        for r in table.live
    )
    monkeypatch.setattr(table, "live", broken)
    world = default_world()
    with pytest.raises(UndocumentedStatus, match="SEC_E_WRONG_PRINCIPAL") as info:
        Sspi(world).FreeCredentialsHandle(phCredential=CredHandle(5, 10))
    assert info.value.rule == "fch.invalid_handle" and "FreeCredentialsHandle" in str(info.value)
    lenient = Sspi(world, strict=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = lenient.FreeCredentialsHandle(phCredential=CredHandle(5, 10))
    assert result.status.name == "SEC_E_WRONG_PRINCIPAL"
    assert [w.category for w in caught] == [UndocumentedStatusWarning]


def test_a_status_missing_from_the_catalog_is_undocumented_even_when_lenient(monkeypatch):
    table = table_for("MakeSignature")
    rule = next(r for r in table.rules if r.status == "STATUS_INVALID_PARAMETER")
    assert not rule.reachable  # the page documents it, the catalog has no such SECURITY_STATUS
    forced = (attrs.evolve(rule, unreachable=None, test=lambda c: True), *table.live)
    monkeypatch.setattr(table, "live", forced)
    with pytest.raises(UndocumentedStatus, match="STATUS_INVALID_PARAMETER"):
        Sspi(default_world(), strict=False).MakeSignature(
            phContext=CredHandle(1, 1), fQOP=0, pMessage=SecBufferDesc.message(b""), MessageSeqNo=0
        )


# -- determinism --------------------------------------------------------------------------------------


def _scenario():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    trace = []
    for package, req in (
        ("NTLM", 0),
        ("Kerberos", ISC_REQ_MUTUAL_AUTH),
        ("Negotiate", 0),
        ("Digest", ISC_REQ_MUTUAL_AUTH),
    ):
        hs = handshake(
            cli, srv, package, "/" if package == "Digest" else "HTTP/web.contoso.com", client_req=req
        )
        msg = SecBufferDesc.message(b"determinism")
        cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
        blob = srv.ExportSecurityContext(phContext=hs.server_ctx, fFlags=0).pPackedContext
        trace.append(
            (hs.steps, hs.client_ctx, hs.server_ctx, hs.client_cred, hs.tokens, repr(msg), repr(blob))
        )
    trace.append(
        repr(cli.AcquireCredentialsHandleW(pPackage="Kerberos", fCredentialUse=SECPKG_CRED_OUTBOUND))
    )
    return trace


def test_a_scenario_run_twice_gives_identical_statuses_handles_and_bytes():
    first, second = _scenario(), _scenario()
    assert first == second
    assert default_world(seed="other").key != default_world().key


def test_a_compiled_table_asks_each_key_guard_and_fact_once_per_call():
    """A key, guard or fact that several runs of a table ask (a guard also through one declared
    its negation) is asked once per call by the compiled table, which still selects the rule the
    listed table selects."""
    asked: list[str] = []

    def first(c: Call) -> bool:
        asked.append("first")
        return c.a is None

    @negation_of(first)
    def later(c: Call) -> bool:
        asked.append("later")
        return c.a is not None

    def kind(c: Call) -> str:
        asked.append("kind")
        return "none" if c.a is None else type(c.a).__name__

    def fact(c: Call) -> object:
        asked.append("fact")
        return c.a

    basis = Interpretation("a test table", "its rules")
    rules = (
        Rule("t.first_int", "", "SEC_E_OK", basis, guarded(first, lambda c: isinstance(c.a, int))),
        Rule("t.later_str", "", "SEC_E_OK", basis, guarded(later, lambda c: isinstance(c.a, str))),
        Rule("t.kind_bytes", "", "SEC_E_OK", basis, keyed(kind, "bytes")),
        Rule("t.fact_float", "", "SEC_E_OK", basis, on(fact, lambda c, v: isinstance(v, float))),
        Rule("t.first_none", "", "SEC_E_OK", basis, guarded(first, lambda c: True)),
        Rule("t.kind_list", "", "SEC_E_OK", basis, keyed(kind, "list")),
        Rule("t.fact_tuple", "", "SEC_E_OK", basis, on(fact, lambda c, v: isinstance(v, tuple))),
        Rule("t.other", "", "SEC_E_OK", basis, always),
    )
    table = RuleTable("Test", rules)
    for args, expected in (
        (None, "t.first_none"),
        ("s", "t.later_str"),
        (b"b", "t.kind_bytes"),
        (1.5, "t.fact_float"),
        ([1], "t.kind_list"),
        ((1,), "t.fact_tuple"),
        ({1}, "t.other"),
    ):
        call = Call(None, None, "Test", args, 1)
        assert table.select_listed(call).id == expected
        asked.clear()
        assert table.select(call).id == expected
        assert sorted(set(asked)) == sorted(asked), (expected, asked)  # none asked twice
        assert "later" not in asked  # its declared negation answered it


def test_compiled_tables_select_the_rule_the_listed_tables_select(monkeypatch):
    """RuleTable runs batched steps (keyed runs as one lookup, guarded runs skipped together, a
    speed-up); on every call of varied handshakes, messages and failures it must select the rule
    that trying each live rule in turn selects."""
    compared: list[str] = []
    run = RuleTable.run

    def checked(table: RuleTable, call: Call) -> Any:
        try:
            listed = table.select_listed(call)
        except ContractViolation:
            with pytest.raises(ContractViolation):
                table.select(call)
            raise
        assert table.select(call) is listed, (table.function, listed.id, table.select(call).id)
        compared.append(listed.id)
        return run(table, call)

    monkeypatch.setattr(RuleTable, "run", checked)
    for package, req, target in (
        ("NTLM", ISC_REQ_MUTUAL_AUTH, "HTTP/web.contoso.com"),
        ("Kerberos", ISC_REQ_MUTUAL_AUTH, "HTTP/web.contoso.com"),
        ("Kerberos", 0, "HTTP/nowhere"),
        ("Negotiate", 0, "HTTP/web.contoso.com"),
        ("Digest", ISC_REQ_MUTUAL_AUTH, "/"),
    ):
        world = default_world()
        cli, srv = Sspi(world, 100), Sspi(world, 200)
        hs = handshake(
            cli, srv, package, target, client_req=req | ISC_REQ_CONFIDENTIALITY | ISC_REQ_SEQUENCE_DETECT
        )
        if not hs.established:
            continue
        for api, ctx, peer, peer_ctx in (
            (cli, hs.client_ctx, srv, hs.server_ctx),
            (srv, hs.server_ctx, cli, hs.client_ctx),
        ):
            msg = SecBufferDesc.message(b"compiled")
            api.MakeSignature(phContext=ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
            peer.VerifySignature(phContext=peer_ctx, pMessage=msg, MessageSeqNo=0)
            peer.VerifySignature(phContext=peer_ctx, pMessage=msg, MessageSeqNo=0)  # replayed
            first, second = SecBufferDesc.message(b"compiled"), SecBufferDesc.message(b"twice")
            api.EncryptMessage(phContext=ctx, fQOP=0, pMessage=first, MessageSeqNo=0)
            api.EncryptMessage(phContext=ctx, fQOP=0, pMessage=second, MessageSeqNo=0)
            peer.DecryptMessage(phContext=peer_ctx, pMessage=second, MessageSeqNo=0)  # out of order
            peer.DecryptMessage(phContext=peer_ctx, pMessage=first, MessageSeqNo=0)
        srv.ExportSecurityContext(phContext=hs.server_ctx, fFlags=0)
        with pytest.raises(ContractError):
            cli.InitializeSecurityContextW(
                phCredential=hs.client_cred, phContext=hs.client_ctx, pTargetName=target, fContextReq=0,
                Reserved1=1, TargetDataRep=SECURITY_NATIVE_DREP, Reserved2=0, pOutput=SecBufferDesc.output(64),
            )  # fmt: skip
        cli.InitializeSecurityContextW(
            phCredential=CredHandle(0, 0), pTargetName=target, fContextReq=0, Reserved1=0,
            TargetDataRep=SECURITY_NATIVE_DREP, Reserved2=0, pOutput=SecBufferDesc.output(64),
        )  # fmt: skip
        cli.AcceptSecurityContext(  # a client context given to the server side
            phCredential=hs.client_cred, phContext=hs.client_ctx, pInput=SecBufferDesc.token(b"SM\x01"),
            fContextReq=0, TargetDataRep=SECURITY_NATIVE_DREP, pOutput=SecBufferDesc.output(64),
        )  # fmt: skip
        for api, ctx in ((cli, hs.client_ctx), (srv, hs.server_ctx), (cli, hs.client_ctx)):
            api.DeleteSecurityContext(phContext=ctx)
    ids = set(compared)
    # keyed runs (leg outcomes, verdicts), guarded runs (first call, Digest) and plain rules were all met
    assert {
        "isc.continue",
        "isc.ok",
        "asc.ok",
        "ver.ok",
        "ver.out_of_sequence",
        "dec.ok",
        "dec.out_of_sequence",
    } <= ids
    assert {"isc.null_credential", "asc.wrong_side", "dsc.already_deleted", "exp.ok"} <= ids


def test_last_rule_is_cleared_when_a_rule_raises_a_contract_error():
    """A ContractError raised by a rule (not by the call class) leaves no stale last_rule."""
    import pytest

    from sspimodel.api import Sspi
    from sspimodel.contract import ContractError
    from sspimodel.model import default_world

    world = default_world()
    sspi = Sspi(world)
    ok = sspi.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=2)
    assert sspi.last_rule is not None and ok.status.name == "SEC_E_OK"
    # FreeContextBuffer on a pointer the model never allocated: the rule raises ContractError.
    with pytest.raises(ContractError):
        sspi.FreeContextBuffer(pvContextBuffer=b"not allocated by the package")
    assert sspi.last_rule is None
