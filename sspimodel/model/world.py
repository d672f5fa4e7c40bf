"""The World: every piece of state an SSPI call can depend on, explicit and deterministic.

Nothing the model does reads the host: no real clock, no randomness, no ``id()``. Handles,
addresses, conversation ids and keys come from counters and a seed, so the same calls in a
fresh world of the same seed give the same statuses, handles, token bytes and expiry times.

State kept here:

- principals (account, domain, secret, service principal names) and logon sessions (LUIDs)
  with their principal and privileges (SE_TCB_NAME);
- processes, each with a token (its logon session) and its own handle tables: credentials,
  contexts, memory the packages allocated for it, async contexts;
- installed security packages (:mod:`sspimodel.model.packages`);
- the authenticating authority (a domain controller) and whether it is reachable;
- a simulated clock (credential and context expiry come from it);
- the caller mode (user or kernel: the Sspi*Async family is for kernel-mode callers only);
- a fault plan: make the Nth call, or calls matching a predicate, fail with
  SEC_E_INSUFFICIENT_MEMORY or SEC_E_INTERNAL_ERROR;
- the async scheduler's queue, run explicitly with :meth:`World.run_pending`.

:func:`default_world` builds the small CONTOSO domain the tests and notebooks use.
"""

from __future__ import annotations

import enum
import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import define, field

from .constants import SE_IMPERSONATE_NAME, SE_TCB_NAME
from .handles import EPOCH_2024, TICKS_PER_SECOND, AsyncContext, CredHandle, CtxtHandle, Luid
from .handshake import State

__all__ = [
    "ANONYMOUS_LUID",
    "SYSTEM_LUID",
    "AsyncRecord",
    "Authority",
    "CallerMode",
    "Clock",
    "ContextRecord",
    "CredRecord",
    "Fault",
    "FaultPlan",
    "LogonSession",
    "Principal",
    "Process",
    "World",
    "default_world",
]

# Well-known LUIDs of Windows (winnt.h): SYSTEM_LUID and ANONYMOUS_LOGON_LUID.
SYSTEM_LUID = Luid(0x3E7)
ANONYMOUS_LUID = Luid(0x3E6)

FAULT_CODES = ("SEC_E_INSUFFICIENT_MEMORY", "SEC_E_INTERNAL_ERROR")


class CallerMode(enum.StrEnum):
    USER = "user"
    KERNEL = "kernel"


@define
class Principal:
    """An account of the domain. ``spns``: service principal names registered to it."""

    account: str
    domain: str
    secret: str
    spns: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.domain}\\{self.account}"


@define
class LogonSession:
    """A logon session: its LUID, the principal logged on (None: anonymous), privileges."""

    luid: Luid
    account: str | None
    privileges: frozenset[str] = frozenset()


@define(eq=False)
class CredRecord:
    """What a credentials handle refers to."""

    handle: CredHandle
    package: str
    use: int  # SECPKG_CRED_INBOUND / OUTBOUND / BOTH
    account: str | None  # qualified name of the principal the credentials are for
    secret: str | None  # the secret the client side will prove knowledge of
    supplied: bool  # explicit credentials came in pAuthData
    luid: Luid
    expiry: int
    # Attributes SetCredentialsAttributes changed (sspimodel.model.cred_attributes): the name the
    # credentials report (None: ``account``) and Kerberos' KDC proxy settings (None: never set).
    name: str | None = None
    kdc_proxy: Any = None
    # What AddCredentials added, in order: (package, account, fCredentialUse, pszPrincipal).
    added: tuple[tuple[str, str, int, Any], ...] = ()
    # Negotiate's PackageList (sspimodel.model.package_list.PackageList; None: none was given).
    package_list: Any = None


@define(eq=False)
class ContextRecord:
    """What a security context handle refers to: the package's view of one handshake."""

    handle: CtxtHandle
    package: str  # the package of the credentials (Negotiate, Kerberos, NTLM, Digest)
    mech: str  # the mechanism in use (for Negotiate: the package it selected)
    role: str  # "client" or "server"
    state: State  # handshake state (the transition table in handshake.py)
    conversation: bytes
    cred: CredHandle | None
    credential: CredRecord | None = None  # what the credentials were when the context began
    target: str | None = None
    requested: int = 0
    attributes: int = 0
    client: str | None = None  # qualified name of the authenticated client
    server: str | None = None  # qualified name of the server principal
    session_key: bytes | None = None
    challenge: bytes | None = None
    send_seq: int = 0
    recv_seq: int = 0
    expiry: int = 0
    pending_completion: bytes | None = None  # token awaiting CompleteAuthToken
    state_after_completion: State | None = None
    established: bool = False
    imported: bool = False
    allocate: bool = False  # the caller asked the package to allocate output buffers
    # NTLM (sspimodel.model.ntlm_wire): the handshake object while it runs (ClientSession /
    # ServerSession), then the context's message keys and streams (ntlm_wire.Protection).
    ntlm: Any = None
    # The SASL layer's state (sspimodel.model.sasl.SaslContext) once a SASL function built or
    # continued the context: the "SASL list" of SaslGetContextOption / SaslSetContextOption.
    sasl: Any = None
    # Negotiate's NTLM under SPNEGO (sspimodel.model.spnego): the MechTypeList DER the mechListMICs
    # cover, while the handshake runs; None for bare NTLM and the other packages.
    spnego: Any = None

    def copy_state(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "mech": self.mech,
            "role": self.role,
            "state": self.state,
            "conversation": self.conversation,
            "target": self.target,
            "requested": self.requested,
            "attributes": self.attributes,
            "client": self.client,
            "server": self.server,
            "session_key": self.session_key,
            "send_seq": self.send_seq,
            "recv_seq": self.recv_seq,
            "expiry": self.expiry,
            "established": self.established,
        }


@define(eq=False)
class AsyncRecord:
    """An SspiAsyncContext: at most one operation at a time, its status, its callback."""

    pointer: AsyncContext
    operation: str | None = None  # the Sspi*Async function queued on it
    pending: bool = False
    status: str | None = None  # final status once the work ran
    callback: Callable[[AsyncContext, object], object] | None = None
    callback_data: object = None
    callback_set: bool = False  # SspiSetAsyncNotifyCallback was called (possibly with NULL)
    notified: int = 0
    last_rule: str | None = None  # the completion rule that decided the final status
    work_trace: Any = None  # its trace (sspimodel.model.trace.Trace), for explain()
    failure: str | None = None  # why the work could not run on its arguments (rule work.refused)


@define(eq=False)
class Process:
    """A process: its token (logon session) and its own handle tables."""

    pid: int
    image: str
    luid: Luid
    # The process an ExportSecurityContext of this process exports to; None: to itself.
    export_to: int | None = None
    creds: dict[int, CredRecord] = field(factory=dict)
    contexts: dict[int, ContextRecord] = field(factory=dict)
    deleted: set[CtxtHandle] = field(factory=set)
    allocations: dict[int, str] = field(factory=dict)  # address -> what was allocated
    freed: set[int] = field(factory=set)
    async_contexts: dict[int, AsyncRecord] = field(factory=dict)
    released_async: set[int] = field(factory=set)
    # Impersonation (sspimodel.model.impersonation): the thread the next call runs on, the
    # access-token handles the process holds open (value -> access_token.TokenRecord), and,
    # per thread, the impersonation in force (thread -> impersonation.Impersonation).
    thread: int = 1
    tokens: dict[int, Any] = field(factory=dict)
    impersonating: dict[int, Any] = field(factory=dict)

    def leaks(self) -> dict[str, list[str]]:
        """Everything still allocated: credentials, contexts, buffers, async contexts, open
        access tokens, and threads still impersonating (an impersonation never reverted)."""
        return {
            "credentials": [repr(r.handle) for r in self.creds.values()],
            "contexts": [repr(r.handle) for r in self.contexts.values()],
            "buffers": [f"{a:#x} ({what})" for a, what in sorted(self.allocations.items())],
            "async contexts": [repr(r.pointer) for r in self.async_contexts.values()],
            "tokens": [repr(t.handle) for _, t in sorted(self.tokens.items())],
            "impersonation": [f"thread {n}: {i!r}" for n, i in sorted(self.impersonating.items())],
        }


@define
class Authority:
    """The domain's authenticating authority (its domain controller / KDC)."""

    name: str
    domain: str
    online: bool = True
    # The domain's password policy, as ChangeAccountPassword reports it (DOMAIN_PASSWORD_INFORMATION):
    # the defaults Microsoft documents for a domain's Default Domain Policy (Windows security
    # policy settings "Minimum password length" 7, "Enforce password history" 24, "Password must
    # meet complexity requirements" enabled, "Maximum password age" 42 days, "Minimum password
    # age" 1 day).
    min_password_length: int = 7
    password_history_length: int = 24
    password_properties: int = 0x1  # DOMAIN_PASSWORD_COMPLEX
    max_password_age_days: int = 42
    min_password_age_days: int = 1


@define
class Clock:
    """Simulated time in 100 ns ticks (FILETIME). Starts at 2024-01-01T00:00:00Z."""

    now: int = EPOCH_2024

    def advance(self, seconds: float) -> int:
        self.now += int(seconds * TICKS_PER_SECOND)
        return self.now

    def after(self, seconds: float) -> int:
        return self.now + int(seconds * TICKS_PER_SECOND)


@define
class Fault:
    """One injected failure.

    The fault fires on a call that matches every criterion given: ``nth`` (the world's Nth API
    call, 1-based, counting every call made through the API, a refused one included), ``function`` (exact name, or the name without its A/W
    suffix), ``when`` (a predicate over the function name and the call's arguments). ``times``
    is how many calls it fails (0: every matching call). A fault fires only where the function's
    page documents its code: the rule tables consult the plan for exactly those codes.
    """

    code: str
    nth: int | None = None
    function: str | None = None
    when: Callable[[str, Mapping[str, object]], bool] | None = None
    times: int = 1
    fired: int = 0

    def __attrs_post_init__(self) -> None:
        if self.code not in FAULT_CODES:
            raise ValueError(f"Fault code must be one of {FAULT_CODES}, not {self.code!r}")

    def matches(self, call_index: int, function: str, args: Mapping[str, object]) -> bool:
        if self.times and self.fired >= self.times:
            return False
        if self.nth is not None and call_index != self.nth:
            return False
        if self.function is not None and self.function not in (
            function,
            function.rstrip("AW"),
            _neutral(function),
        ):
            return False
        return not (self.when is not None and not self.when(function, args))


def _neutral(name: str) -> str:
    return name[:-1] if name.endswith(("A", "W")) else name


@define
class FaultPlan:
    """The faults to inject, and a log of those that fired: (call index, function, code)."""

    faults: list[Fault] = field(factory=list)
    log: list[tuple[int, str, str]] = field(factory=list)

    def add(self, code: str, **criteria: Any) -> Fault:
        fault = Fault(code, **criteria)
        self.faults.append(fault)
        return fault

    def fires(self, code: str, call_index: int, function: str, args: Mapping[str, object]) -> bool:
        # Fast path: most worlds inject nothing.
        if not self.faults:
            return False
        for fault in self.faults:
            if fault.code == code and fault.matches(call_index, function, args):
                fault.fired += 1
                self.log.append((call_index, function, code))
                return True
        return False

    def unfired(self) -> list[Fault]:
        return [f for f in self.faults if f.fired == 0]


# The SASL profiles every world starts with. *Interpretation*: the pages name no profile; these
# are the two mechanism names of the GSS-API SASL mechanisms (GSSAPI over Kerberos, GSS-SPNEGO
# over Negotiate).
SASL_PROFILES: dict[str, str] = {"GSSAPI": "Kerberos", "GSS-SPNEGO": "Negotiate"}


def derivation_input(*parts: bytes | str) -> bytes:
    """What World.derive hashes after the world key: each part (str as UTF-8) after its length
    (32-bit big-endian). A caller that derives many values with a common first few parts (a
    random source) builds their input once and appends the rest.

    A name or password from a caller may hold an unpaired surrogate (a WCHAR string can): it is
    encoded as it is ("surrogatepass"), so every string derives a key."""
    chunks = []
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        chunks.append(len(data).to_bytes(4, "big"))
        chunks.append(data)
    return b"".join(chunks)


def _prompt_state() -> Any:
    # The credential prompts' state (sspimodel.model.prompt_state, re-exported by .prompts):
    # imported here, not at the top, and not through .prompts, which builds on the rule modules.
    from .prompt_state import PromptState

    return PromptState()


@define(eq=False)
class World:
    """All state of one simulated machine and its domain. Build one with :func:`default_world`."""

    domain: str
    dns_domain: str
    key: bytes
    authority: Authority
    principals: dict[str, Principal] = field(factory=dict)  # keyed by qualified name, lower case
    sessions: dict[Luid, LogonSession] = field(factory=dict)
    processes: dict[int, Process] = field(factory=dict)
    packages: dict[str, Any] = field(factory=dict)  # lower-case name -> packages.Package
    # AddSecurityPackage's pOptions, by package name (sspimodel.model.packages_registry)
    package_options: dict[str, Any] = field(factory=dict)
    # SASL profiles (sspimodel.model.sasl): profile name -> the package it maps to, in the order
    # SaslEnumerateProfiles lists them.
    sasl_profiles: dict[str, str] = field(factory=lambda: dict(SASL_PROFILES))
    # Credential prompts (sspimodel.model.prompts): the scripted user answering them, the credential
    # store and the credential UI contexts they leave (world.prompts.user.submit(...) before a prompt).
    prompts: Any = field(factory=_prompt_state)
    clock: Clock = field(factory=Clock)
    caller_mode: CallerMode = CallerMode.USER
    faults: FaultPlan = field(factory=FaultPlan)
    default_pid: int | None = None
    calls: int = 0  # API calls made so far (the fault plan's "Nth call")
    next_handle: int = 1
    next_address: int = 0x10000
    next_conversation: int = 1
    next_token_handle: int = 0x200
    replay_cache: set[bytes] = field(factory=set)
    pending: deque[Callable[[], None]] = field(factory=deque)

    # -- principals and sessions --------------------------------------------------------------
    def add_principal(
        self, account: str, secret: str, spns: Iterable[str] = (), domain: str | None = None
    ) -> Principal:
        p = Principal(account, domain or self.domain, secret, tuple(spns))
        self.principals[p.qualified.lower()] = p
        return p

    def principal(self, name: str | None, domain: str | None = None) -> Principal | None:
        """Look a principal up by "DOMAIN\\account", "account@dns.domain" or a bare account."""
        if not name:
            return None
        if "\\" in name:
            return self.principals.get(name.lower())
        if "@" in name:
            account, _, realm = name.partition("@")
            if realm.lower() not in (self.dns_domain.lower(), self.domain.lower()):
                return None
            return self.principals.get(f"{self.domain}\\{account}".lower())
        return self.principals.get(f"{domain or self.domain}\\{name}".lower())

    def spn_owner(self, spn: str | None) -> Principal | None:
        """The principal a service principal name is registered to (the KDC's SPN lookup)."""
        if not spn:
            return None
        wanted = spn.lower()
        for p in self.principals.values():
            if any(s.lower() == wanted for s in p.spns):
                return p
        return None

    def add_session(self, luid: Luid, account: str | None, privileges: Iterable[str] = ()) -> LogonSession:
        s = LogonSession(luid, account, frozenset(privileges))
        self.sessions[luid] = s
        return s

    def add_process(self, pid: int, image: str, luid: Luid, export_to: int | None = None) -> Process:
        if luid not in self.sessions:
            raise ValueError(f"process {pid} ({image}): no logon session {luid!r} in this world")
        p = Process(pid, image, luid, export_to)
        self.processes[pid] = p
        if self.default_pid is None:
            self.default_pid = pid
        return p

    def process(self, pid: int | None = None) -> Process:
        key = self.default_pid if pid is None else pid
        if key is None or key not in self.processes:
            raise KeyError(f"no process {pid!r} in this world (processes: {sorted(self.processes)})")
        return self.processes[key]

    def session_of(self, process: Process) -> LogonSession:
        return self.sessions[process.luid]

    # -- packages -------------------------------------------------------------------------------
    def install(self, package: Any) -> None:
        self.packages[package.name.lower()] = package

    def package(self, name: object) -> Any | None:
        """The installed package of that name (case-insensitive), or None."""
        if type(name) is str:  # the common case, first
            return self.packages.get(name.lower())
        if isinstance(name, bytes):
            try:
                name = name.decode("ascii")
            except UnicodeDecodeError:
                return None
        if not isinstance(name, str):
            return None
        return self.packages.get(name.lower())

    def package_by_id(self, rpc_id: int) -> Any | None:
        for p in self.packages.values():
            if p.rpc_id == rpc_id:
                return p
        return None

    # -- counters -------------------------------------------------------------------------------
    def new_serial(self) -> int:
        n = self.next_handle
        self.next_handle += 1
        return n

    def new_address(self, process: Process, what: str) -> int:
        address = self.next_address
        self.next_address += 0x10
        process.allocations[address] = what
        return address

    def peek_conversation(self) -> bytes:
        """The id the next handshake will get (a leg proposes it; committing consumes it)."""
        return self.next_conversation.to_bytes(8, "big")

    def consume_conversation(self, conversation: bytes) -> None:
        if conversation == self.peek_conversation():
            self.next_conversation += 1

    def derive(self, *parts: bytes | str) -> bytes:
        """A key derived from the world key (session keys, per-principal keys)."""
        # One update of the whole message: the same digest as hashing the pieces in turn.
        return hashlib.sha256(self.key + derivation_input(*parts)).digest()

    # -- async scheduler --------------------------------------------------------------------------
    def run_pending(self, limit: int | None = None) -> int:
        """Run queued asynchronous work in FIFO order (at most ``limit`` items); returns how many ran.

        An item leaves the queue before it runs, and it completes (final status, out parameters
        written, the trace SspiGetAsyncCallStatus explains) before the async context's callback
        is called. When that callback raises (the caller's bug), or the model fails inside the
        work, nothing is swallowed and nothing is lost:

        - the exception goes on to the caller of run_pending, unchanged, with a note saying how
          many items this call ran and how many are still queued;
        - the item whose callback raised counts as delivered: its completion stays, it is not
          queued again and its callback is not called again;
        - the items after it stay queued in their order; the next run_pending() delivers them.

        ``limit`` counts the item that raised as one that ran.
        """
        ran = 0
        while self.pending and (limit is None or ran < limit):
            work = self.pending.popleft()
            ran += 1
            try:
                work()
            except BaseException as e:
                left = len(self.pending)
                e.add_note(
                    f"world.run_pending(): raised by queued item {ran} of this call, which counts as delivered; "
                    f"{left} item{'' if left == 1 else 's'} still queued, for the next run_pending()"
                )
                raise
        return ran

    # -- access tokens (a CloseHandle of the model) -----------------------------------------------
    def close_handle(self, token: Any, pid: int | None = None) -> bool:
        """Close an access-token handle the process holds (QuerySecurityContextToken's
        ``Token``), as CloseHandle does: True when it was open, False otherwise (a second close,
        a forged value, a token of another process)."""
        process = self.process(pid)
        value = getattr(token, "value", token)
        record = process.tokens.get(value) if type(value) is int else None
        if record is None or (record.handle != token and record.handle.value != token):
            return False
        del process.tokens[value]
        return True

    # -- bookkeeping ----------------------------------------------------------------------------
    def leaks(self) -> dict[int, dict[str, list[str]]]:
        """Per process, whatever is still allocated (empty dict: nothing)."""
        out: dict[int, dict[str, list[str]]] = {}
        for pid, p in sorted(self.processes.items()):
            items = {k: v for k, v in p.leaks().items() if v}
            if items:
                out[pid] = items
        return out


def default_world(seed: str = "contoso") -> World:
    """The small CONTOSO domain used by tests, notebooks and benchmarks.

    Principals (domain CONTOSO, DNS contoso.com; passwords in clear: this is a simulation):

    ============  ===============  =========================================
    account       password         service principal names
    ============  ===============  =========================================
    alice         Passw0rd!alice   -
    bob           Passw0rd!bob     -
    carol         Passw0rd!carol   -
    websvc        Svc!web-2024     HTTP/web.contoso.com, HTTP/web
    FILES$        Machine!files    host/files.contoso.com, host/files
    ============  ===============  =========================================

    Logon sessions: alice 0x1001, bob 0x1002, websvc 0x2001 (holding SeImpersonatePrivilege),
    SYSTEM 0x3e7 (the FILES$ machine
    account, holding SE_TCB_NAME), ANONYMOUS LOGON 0x3e6 (no principal, no credentials).

    Processes (pid: image, session): 100 client.exe (alice, the default), 101 bob.exe (bob),
    200 web.exe (websvc; exports contexts to 201), 201 worker.exe (websvc), 4 System (SYSTEM),
    666 anon.exe (anonymous).

    Packages: Negotiate, Kerberos, NTLM, Digest (see :mod:`sspimodel.model.packages`).
    Authority: DC01.contoso.com, online (``world.authority.online = False`` takes it offline).
    Caller mode: user (set ``world.caller_mode = CallerMode.KERNEL`` for the async family).
    """
    from .packages import standard_packages

    world = World(
        domain="CONTOSO",
        dns_domain="contoso.com",
        key=hashlib.sha256(b"sspimodel world key\x00" + seed.encode("utf-8")).digest(),
        authority=Authority("DC01.contoso.com", "CONTOSO"),
    )
    world.add_principal("alice", "Passw0rd!alice")
    world.add_principal("bob", "Passw0rd!bob")
    world.add_principal("carol", "Passw0rd!carol")
    world.add_principal("websvc", "Svc!web-2024", spns=("HTTP/web.contoso.com", "HTTP/web"))
    world.add_principal("FILES$", "Machine!files", spns=("host/files.contoso.com", "host/files"))

    world.add_session(Luid(0x1001), "CONTOSO\\alice")
    world.add_session(Luid(0x1002), "CONTOSO\\bob")
    # A service account holds SeImpersonatePrivilege, so web.exe may impersonate its clients
    # (ImpersonateSecurityContext, remarks: "the caller holds the SeImpersonatePrivilege privilege").
    world.add_session(Luid(0x2001), "CONTOSO\\websvc", privileges=(SE_IMPERSONATE_NAME,))
    world.add_session(SYSTEM_LUID, "CONTOSO\\FILES$", privileges=(SE_TCB_NAME,))
    world.add_session(ANONYMOUS_LUID, None)

    world.add_process(100, "client.exe", Luid(0x1001))
    world.add_process(101, "bob.exe", Luid(0x1002))
    world.add_process(200, "web.exe", Luid(0x2001), export_to=201)
    world.add_process(201, "worker.exe", Luid(0x2001))
    world.add_process(4, "System", SYSTEM_LUID)
    world.add_process(666, "anon.exe", ANONYMOUS_LUID)

    for package in standard_packages():
        world.install(package)
    return world
