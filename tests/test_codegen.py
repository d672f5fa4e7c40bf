"""The generator: deterministic, fresh, following the pages, and its output lint- and type-clean."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import attrs
import pytest

from sspimodel import codegen
from sspimodel.codegen import (
    OUT_DIR,
    build,
    build_from_specs,
    check_generated,
    decide_kind,
    generate,
    run_generate,
    write_generated,
)
from sspimodel.contract import ContractError, ContractTypeError
from sspimodel.paths import REPO_ROOT
from sspimodel.read import read_spec
from sspimodel.spec import (
    Direction,
    Form,
    FunctionSpec,
    Mention,
    Parameter,
    ReturnCode,
    ReturnKind,
    Span,
    Value,
    ValueTable,
    Variant,
    Via,
)
from sspimodel.status import load_catalog

# The tools of the environment running the tests (the dev extra installs ruff and mypy there).
VENV_BIN = Path(sys.executable).parent

# ---------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture
def load_generated(tmp_path: Path) -> Iterator:
    """Write generated files as a uniquely named package under tmp_path and import it."""
    loaded: list[str] = []
    counter = [0]

    def load(files: dict[str, str]) -> ModuleType:
        counter[0] += 1
        name = f"generated_under_test_{tmp_path.name.replace('-', '_')}_{counter[0]}"
        write_generated(files, tmp_path / name)
        sys.path.insert(0, str(tmp_path))
        try:
            module = importlib.import_module(name)
        finally:
            sys.path.remove(str(tmp_path))
        loaded.append(name)
        return module

    yield load
    for mod in [m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in loaded)]:
        del sys.modules[mod]


def _span(line: int, file: str) -> Span:
    return Span(file, line, line)


def _value(name: str, number: int | None, line: int, file: str) -> Value:
    return Value(name, number, None if number is None else str(number), f"{name} meaning.", _span(line, file))


def _hand_spec(variant: Variant) -> FunctionSpec:
    """A made-up function (HandMadeA/W) that exercises every kind of parameter."""
    name = f"HandMade{variant.value}"
    file = f"{name}.md"
    params = (
        Parameter(
            "pszName",
            Direction.IN,
            False,
            "A pointer to a null-terminated string naming the thing. More text follows.",
            _span(10, file),
        ),
        Parameter(
            "fUse",
            Direction.IN,
            False,
            "A flag that indicates the use. This parameter can be one of the following values.",
            _span(20, file),
            value_tables=(
                ValueTable(
                    ("Value", "Meaning"),
                    (
                        _value("SECPKG_CRED_INBOUND", 1, 22, file),
                        # No number on the page: taken from spec/data/constants.tsv.
                        _value("SECPKG_CRED_OUTBOUND", None, 23, file),
                    ),
                    _span(21, file),
                ),
            ),
        ),
        Parameter(
            "fReq",
            Direction.IN,
            True,
            "Bit flags that indicate requests. Bit flags can be combined by using bitwise-OR operations.",
            _span(30, file),
            optional_source="annotation",
            value_tables=(
                ValueTable(
                    ("Value", "Meaning"),
                    (
                        _value("ISC_REQ_DELEGATE", None, 32, file),
                        _value("ISC_REQ_MUTUAL_AUTH", None, 33, file),
                        # Neither on the page nor in constants.tsv: reported, never invented.
                        _value("ISC_REQ_MADE_UP_FOR_TEST", None, 34, file),
                    ),
                    _span(31, file),
                ),
            ),
        ),
        Parameter("Unk", Direction.UNKNOWN, False, "The async call context.", _span(40, file)),
        Parameter("pOut", Direction.OUT, False, "Receives the result.", _span(45, file)),
    )
    returns = (
        ReturnCode("SEC_E_OK", ReturnKind.SUCCESS, Via.CALL, "Queued.", _span(50, file)),
        ReturnCode("SEC_E_INTERNAL_ERROR", ReturnKind.ERROR, Via.CALL, "Failed.", _span(51, file), table=0),
        ReturnCode("SEC_I_ASYNC_CALL_PENDING", ReturnKind.PENDING, Via.ASYNC_STATUS, "Pending.", _span(52, file)),
        ReturnCode("SEC_E_NO_CREDENTIALS", ReturnKind.ERROR, Via.ASYNC_STATUS, "None.", _span(53, file), table=1),
    )
    return FunctionSpec(
        name=name,
        variant=variant,
        neutral_name="HandMade",
        form=Form.SOURCE,
        source=Span(file, 1, 60),
        description="The **HandMade** function makes a [thing](/x/y(z)).\n\nSecond paragraph.",
        parameters=params,
        returns=returns,
        mentioned_codes=(Mention("SEC_E_NO_AUTHENTICATING_AUTHORITY", "parameters: fUse", 22, "SECPKG_CRED_INBOUND"),),
    )


@pytest.fixture(scope="module")
def hand_generation(spec_dir: Path) -> codegen.Generation:
    return build_from_specs([_hand_spec(Variant.A), _hand_spec(Variant.W)], spec_dir)


# ---------------------------------------------------------------------------------------------
# The generator on hand-made specs (independent of the pages in spec/)


@pytest.mark.parametrize(
    ("prose", "kind"),
    [
        ("A flag that indicates how these credentials will be used. This parameter can be one of the following values:", "enum"),
        ("-Bit flags that specify the attributes. Bit flags can be combined by using bitwise-OR operations. This parameter can be one or more of the following values.", "flags"),
        ("This parameter can be a bitwise-<b>OR</b> combination of the following values.", "flags"),
        ("Bit flags that indicate requests for the context.", "flags"),
        ("Pointer to a ULONG that receives package-specific flags. It can receive one of these flags.", "enum"),
    ],
)
def test_value_table_kind_follows_the_parameter_wording(prose: str, kind: str) -> None:
    assert decide_kind(prose, ["X_Y"]) == (kind, None)


def test_value_table_kind_without_wording_is_an_enum_and_reported() -> None:
    kind, finding = decide_kind("Specifies the attribute to query.", ["X_Y"])
    assert kind == "enum"
    assert finding is not None and "one of" in finding


def test_value_rows_do_not_decide_the_kind() -> None:
    # Only the prose before the table counts: a row that says "combined" does not make flags.
    description = "This parameter can be one of the following values.\n\nX_ONE\n\nCan be combined with anything."
    assert decide_kind(description, ["X_ONE"])[0] == "enum"


@pytest.mark.parametrize(
    ("text", "drop", "sentence"),
    [
        ("A pointer to a [CredHandle](/x/sspi-handles) structure. More text.", False, "A pointer to a CredHandle structure."),
        ("*optional* A pointer to a TimeStamp. More.", True, "A pointer to a TimeStamp."),
        ("*Optional*. A pointer to a LUID. More.", True, "A pointer to a LUID."),
        ("<b>NULL</b> if unused, e.g. here.\n\nSecond paragraph.", False, "NULL if unused, e.g. here."),
        ("TBD", False, "TBD"),
    ],
)
def test_first_sentence_is_plain_text(text: str, drop: bool, sentence: str) -> None:
    assert codegen.first_sentence(text, drop_optional_marker=drop) == sentence


def test_string_parameter_read_from_prose_is_reported(spec_dir: Path) -> None:
    spec = _hand_spec(Variant.W)
    target = Parameter(
        "pTargetName", Direction.IN, True, "Pointer to a null-terminated string naming the target.", _span(48, spec.source.file)
    )
    spec = attrs.evolve(spec, parameters=(*spec.parameters, target))
    gen = build_from_specs([spec], spec_dir)
    assert 'kind="wide_string"' in gen.files["hand_made.py"].split('name="pTargetName"', 1)[1].split(")", 1)[0]
    assert any(f.parameter == "pTargetName" and "read as a string" in f.message for f in gen.findings)


def test_numbers_come_from_the_page_then_constants_and_unknown_ones_are_reported(
    hand_generation: codegen.Generation, load_generated
) -> None:
    values = hand_generation.files["values.py"]
    # Page number for INBOUND, constants.tsv for OUTBOUND.
    assert re.search(r"SECPKG_CRED_INBOUND = 0x00000001  # page spec/pages/HandMadeA\.md:22", values)
    assert re.search(r"SECPKG_CRED_OUTBOUND = 0x00000002  # spec/data/constants\.tsv:\d+", values)
    assert "class SecpkgCredUse(enum.IntEnum):" in values
    assert "class IscReq(enum.IntFlag):" in values
    # No member with a made-up number, a comment in its place, and a finding.
    assert "ISC_REQ_MADE_UP_FOR_TEST =" not in values
    assert "# ISC_REQ_MADE_UP_FOR_TEST: listed at spec/pages/HandMadeA.md:34 without a number" in values
    assert any(
        f.parameter == "fReq" and "ISC_REQ_MADE_UP_FOR_TEST" in f.message and f.where == "spec/pages/HandMadeA.md:34"
        for f in hand_generation.findings
    )
    gen = load_generated(hand_generation.files)
    param = gen.CONTRACTS["HandMadeA"].param("fReq")
    assert param.kind == "flags"
    assert param.values == (("ISC_REQ_DELEGATE", 1), ("ISC_REQ_MUTUAL_AUTH", 2))
    assert param.unnumbered == ("ISC_REQ_MADE_UP_FOR_TEST",)


def test_hand_made_call_class_enforces_the_page(hand_generation: codegen.Generation, load_generated) -> None:
    gen = load_generated(hand_generation.files)
    contract_a = gen.CONTRACTS["HandMadeA"]
    contract_w = gen.CONTRACTS["HandMadeW"]
    values = importlib.import_module(f"{gen.__name__}.values")
    call_a, call_w = contract_a.call_class, contract_w.call_class
    ok = call_a(pszName=b"x", fUse=values.SecpkgCredUse.SECPKG_CRED_INBOUND, Unk=object())
    contract_a.validate(ok)
    call_a(pszName="caf\u00e9", fUse=2, Unk=1, fReq=values.IscReq.ISC_REQ_DELEGATE | values.IscReq.ISC_REQ_MUTUAL_AUTH)
    call_a(pszName="x", fUse=1, Unk=1, fReq=0)  # the empty OR

    with pytest.raises(ContractError, match=r"^HandMadeA: parameter pszName: required parameter missing \(the page marks it \[in\], not optional\) \[spec/pages/HandMadeA\.md:10\]$"):
        call_a(fUse=1, Unk=1)
    with pytest.raises(ContractError, match=r"parameter Unk: required parameter missing \(the page gives it no direction"):
        call_a(pszName="x", fUse=1)
    with pytest.raises(
        ContractError,
        match=re.escape(
            "HandMadeA: parameter fUse: 7 is not in the documented value table "
            "(SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND) [spec/pages/HandMadeA.md:20]"
        ),
    ):
        call_a(pszName="x", fUse=7, Unk=1)
    with pytest.raises(ContractError, match=r"parameter fReq: 0x4 is not an OR of the documented flags"):
        call_a(pszName="x", fUse=1, Unk=1, fReq=4)
    with pytest.raises(ContractTypeError, match="parameter fUse: expected SecpkgCredUse or int, got IscReq"):
        call_a(pszName="x", fUse=values.IscReq.ISC_REQ_DELEGATE, Unk=1)
    with pytest.raises(ContractError, match="parameter pszName: '\u4e2d' is not encodable in the ANSI code page cp1252"):
        call_a(pszName="\u4e2d", fUse=1, Unk=1)
    # W: any str, never bytes.
    call_w(pszName="\u4e2d", fUse=1, Unk=1)
    with pytest.raises(ContractTypeError, match="HandMadeW: parameter pszName: expected str"):
        call_w(pszName=b"x", fUse=1, Unk=1)


def test_hand_made_result_and_returns(hand_generation: codegen.Generation, load_generated) -> None:
    gen = load_generated(hand_generation.files)
    contract = gen.CONTRACTS["HandMadeA"]
    fields = [a.name for a in attrs.fields(contract.result_class)]
    assert fields == ["status", "Unk", "pOut"]
    assert [a.name for a in attrs.fields(contract.call_class)] == ["pszName", "fUse", "Unk", "fReq"]
    result = contract.result_class(gen.Status.SEC_E_OK)
    assert result.pOut is None
    r = contract.returns
    assert r.call_success == {"SEC_E_OK"}
    assert r.call_error == {"SEC_E_INTERNAL_ERROR"}
    assert r.async_pending == {"SEC_I_ASYNC_CALL_PENDING"}
    assert r.async_error == {"SEC_E_NO_CREDENTIALS"}
    assert r.mentioned == {"SEC_E_NO_AUTHENTICATING_AUTHORITY"}
    assert "SEC_E_NO_AUTHENTICATING_AUTHORITY" not in r.documented()
    assert "SEC_E_NO_AUTHENTICATING_AUTHORITY" in r.allowed(frozenset())
    doc = contract.call_class.__doc__
    assert "The HandMade function makes a thing." in doc
    assert "Second paragraph" not in doc  # the first description paragraph only
    assert "pszName [in], required: A pointer to a null-terminated string naming the thing." in doc
    assert "More text follows" not in doc  # each parameter's first sentence only
    assert "https://learn.microsoft.com/en-us/windows/win32/api/sspi/nf-sspi-handmadea" in doc
    assert contract.upstream == "https://learn.microsoft.com/en-us/windows/win32/api/sspi/nf-sspi-handmadea"


def test_status_enum_covers_the_catalog_with_aliases(hand_generation: codegen.Generation, load_generated) -> None:
    gen = load_generated(hand_generation.files)
    catalog = load_catalog()
    assert {e.name for e in catalog.entries} == set(gen.Status.__members__)
    for info in catalog.entries:
        member = gen.Status[info.name]
        assert member.value == info.value
        assert member.signed == info.signed
        assert member.severity == info.severity
        assert member.hex == info.hex
        if info.alias_of:
            assert member is gen.Status[info.alias_of]


# ---------------------------------------------------------------------------------------------
# The generator on the real spec/


def test_generation_is_deterministic(spec_dir: Path) -> None:
    first = generate(spec_dir)
    second = generate(spec_dir)
    assert list(first) == list(second)
    for name in first:
        assert first[name].encode() == second[name].encode(), name
    header = re.compile(r"^# Generated by sspimodel\.codegen from spec content sha256 [0-9a-f]{64}\. DO NOT EDIT\.$")
    for name, text in first.items():
        assert header.match(text.splitlines()[0]), name


def test_checked_in_generated_code_is_fresh(spec_dir: Path) -> None:
    assert check_generated(spec_dir, OUT_DIR) == []


def test_generated_covers_every_page(spec_dir: Path) -> None:
    names = set(read_spec(spec_dir).names())
    assert names, "read_spec found no functions in spec/"
    import sspimodel._generated as generated

    assert set(generated.CONTRACTS) == names
    assert list(generated.CONTRACTS) == sorted(names)


def _copy_spec(spec_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "spec"
    shutil.copytree(spec_dir, copy)
    return copy


def _required_in_param_heading(copy: Path) -> tuple[str, str, Path, int]:
    """A required [in] parameter of a source page whose heading line reads `### -param NAME [in]`."""
    for fn in read_spec(copy).functions:
        if fn.form is not Form.SOURCE:
            continue
        path = copy / "pages" / fn.source.file
        lines = path.read_text(encoding="utf-8").splitlines()
        for p in fn.parameters:
            if p.direction is Direction.IN and not p.optional:
                line = lines[p.span.start - 1]
                if re.fullmatch(rf"### -param {re.escape(p.name)} \[in\]\s*", line):
                    return fn.name, p.name, path, p.span.start
    pytest.fail("no source page in spec/ has a required `### -param NAME [in]` heading to edit")


def _pipe_return_row(copy: Path) -> tuple[str, Path, int, str]:
    """A pipe-table return row of a source page, and a catalog code the function does not document."""
    catalog = load_catalog(copy)
    for fn in read_spec(copy).functions:
        if fn.form is not Form.SOURCE:
            continue
        path = copy / "pages" / fn.source.file
        lines = path.read_text(encoding="utf-8").splitlines()
        for r in fn.returns:
            if r.table is not None and lines[r.span.start - 1].lstrip().startswith("|"):
                documented = set(fn.return_names()) | set(fn.mentioned_names())
                code = next(e.name for e in catalog.entries if e.name not in documented and e.name.startswith("SEC_E_"))
                return fn.name, path, r.span.end, code
    pytest.fail("no source page in spec/ has a pipe return table to extend")


def test_page_edits_change_the_generated_code(spec_dir: Path, tmp_path: Path, load_generated) -> None:
    copy = _copy_spec(spec_dir, tmp_path)
    before = generate(copy)
    fn_opt, param, page, line = _required_in_param_heading(copy)
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace("[in]", "[in, optional]")
    page.write_text("".join(lines), encoding="utf-8")

    fn_ret, page2, row_end, code = _pipe_return_row(copy)
    lines = page2.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(row_end, f"| **{code}** | Added by the test. |\n")
    page2.write_text("".join(lines), encoding="utf-8")

    after = generate(copy)
    module_opt = codegen.upper_snake(read_spec(copy)[fn_opt].neutral_name).lower() + ".py"
    module_ret = codegen.upper_snake(read_spec(copy)[fn_ret].neutral_name).lower() + ".py"
    assert after[module_opt] != before[module_opt]
    assert after[module_ret] != before[module_ret]
    assert f'"{code}"' in after[module_ret] and f'"{code}"' not in before[module_ret]

    gen = load_generated(after)
    contract = gen.CONTRACTS[fn_opt]
    assert contract.param(param).optional is True
    kwargs = _valid_kwargs(contract)
    del kwargs[param]
    contract.validate(contract.call_class(**kwargs))  # no longer required
    assert code in gen.CONTRACTS[fn_ret].returns.documented()

    # The checked-in code is stale against the edited copy, and names the edited modules.
    stale = check_generated(copy, OUT_DIR)
    assert module_opt in stale and module_ret in stale
    # ... and fresh against a directory written from the copy.
    out = tmp_path / "out"
    write_generated(after, out)
    assert check_generated(copy, out) == []


def _valid_kwargs(contract) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    for p in contract.in_params():
        if p.kind in ("ansi_string", "wide_string"):
            kwargs[p.name] = "Negotiate"
        elif p.kind in ("enum", "flags") and p.values:
            kwargs[p.name] = p.values[0][1]
        elif p.kind in ("enum", "flags"):
            continue
        else:
            kwargs[p.name] = object()
    return kwargs


def test_check_reports_missing_extra_and_stale_files(spec_dir: Path, tmp_path: Path) -> None:
    files = generate(spec_dir)
    out = tmp_path / "out"
    assert write_generated(files, out) == sorted(files)
    assert write_generated(files, out) == []  # nothing rewritten when fresh
    (out / "status.py").write_text("# edited\n", encoding="utf-8")
    (out / "values.py").unlink()
    (out / "leftover.py").write_text("", encoding="utf-8")
    assert check_generated(spec_dir, out) == ["leftover.py", "status.py", "values.py"]
    assert write_generated(files, out) == ["leftover.py", "status.py", "values.py"]
    assert not (out / "leftover.py").exists()
    assert check_generated(spec_dir, out) == []


def test_run_generate_check_prints_a_summary_and_exit_status(
    spec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run_generate(spec_dir, check=True, out_dir=out) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("generate --check: ") and "stale" in first and "status.py (missing)" in first
    assert run_generate(spec_dir, check=False, out_dir=out) == 0
    line = capsys.readouterr().out.splitlines()[0]
    gen = build(spec_dir)
    assert line.startswith(f"generate: wrote {len(gen.files)} of {len(gen.files)} files ({gen.functions} functions")
    assert run_generate(spec_dir, check=True, out_dir=out) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"generate --check: {len(gen.files)} files fresh")
    assert printed[1:] == [f"  finding: {f}" for f in gen.findings]


def _tool(name: str) -> Path:
    tool = VENV_BIN / name
    if not tool.is_file():
        pytest.skip(f"{tool} is not installed")
    return tool


def test_generated_code_passes_ruff() -> None:
    proc = subprocess.run(
        [str(_tool("ruff")), "check", "--no-cache", str(OUT_DIR)], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_code_passes_mypy() -> None:
    # --follow-imports=silent: report the generated files only, not modules they import.
    proc = subprocess.run(
        [str(_tool("mypy")), "--follow-imports=silent", "--no-incremental", str(OUT_DIR)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_importing_sspimodel_does_not_import_the_generated_layer() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, sspimodel; print('sspimodel._generated' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == "False"


def _modules_after(code: str) -> list[str]:
    """The sspimodel modules a fresh interpreter has imported after running ``code``."""
    proc = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint('\\n'.join(sorted(m for m in sys.modules if m.startswith('sspimodel'))))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.split()


def test_first_use_imports_no_function_module_nor_the_generator_or_reader() -> None:
    loaded = _modules_after("from sspimodel import Sspi, default_world\ndefault_world()")
    function_modules = [m for m in loaded if m.startswith("sspimodel._generated.")]
    assert function_modules == []
    assert not [m for m in loaded if m == "sspimodel.codegen" or m.startswith("sspimodel.read")]


def test_a_call_imports_the_generated_module_of_its_function_only() -> None:
    loaded = _modules_after(
        "from sspimodel import Sspi, default_world\n"
        "from sspimodel.model import CtxtHandle\n"
        "Sspi(default_world()).DeleteSecurityContext(phContext=CtxtHandle(0x999, 10))"
    )
    generated = {m for m in loaded if m.startswith("sspimodel._generated.")}
    assert "sspimodel._generated.delete_security_context" in generated
    assert "sspimodel._generated.accept_security_context" not in generated


def test_contracts_loads_every_function_module_and_agrees_with_contract() -> None:
    import sspimodel._generated as generated

    assert list(generated.CONTRACTS) == sorted(generated.MODULES)
    for name, (_module, constant) in generated.MODULES.items():
        assert generated.contract(name) is generated.CONTRACTS[name] is getattr(generated, constant)
    with pytest.raises(AttributeError, match="NO_SUCH_CONTRACT"):
        _ = generated.NO_SUCH_CONTRACT


def test_api_methods_show_the_call_class_signature_and_doc() -> None:
    import inspect

    from sspimodel._generated import CONTRACTS
    from sspimodel.api import FUNCTIONS, Sspi

    for name in FUNCTIONS:
        contract = CONTRACTS[name]
        method = getattr(Sspi, name)
        doc = (contract.call_class.__doc__ or "").strip()
        assert method.__doc__ == f"{doc}\n\nReturns {contract.result_class.__name__}. Page: {contract.page}"
        _self, args, *params = inspect.signature(method).parameters.values()
        assert args.kind is inspect.Parameter.VAR_POSITIONAL  # positional, as in C: tests/test_api_positional.py
        assert [p.name for p in params] == [f.name for f in attrs.fields(contract.call_class)], name
        for p, f in zip(params, attrs.fields(contract.call_class), strict=True):
            assert p.kind is inspect.Parameter.KEYWORD_ONLY
            assert p.annotation == f.type, (name, p.name)
            required = contract.param(p.name).required
            assert p.default is (inspect.Parameter.empty if required else None), (name, p.name)
