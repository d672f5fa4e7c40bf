"""The exceptions of the model.

Statuses are values; exceptions are for two things only, as in DESIGN.md:

- the caller broke the documented contract: :class:`sspimodel.contract.ContractError` (and
  :class:`CallerModeError`, a ContractError, for a kernel-mode-only function called in user
  mode). The semantics raise :class:`ContractViolation`, which knows only the parameter; the
  API layer turns it into a ContractError carrying the page's clause;
- the model produced a status its page does not allow: :class:`UndocumentedStatus`, a defect
  of the model (raised in strict mode, a warning otherwise).
"""

from __future__ import annotations

__all__ = ["ContractViolation", "UndocumentedStatus", "UndocumentedStatusWarning"]


class ContractViolation(Exception):
    """Raised by the semantics when a call breaks a clause the attrs validators cannot see.

    ``parameter`` names the page's parameter; ``problem`` says what is wrong and quotes the
    sentence of the page that forbids it; ``section`` names where that sentence is when it is
    not the parameter's own description (e.g. "remarks").
    """

    def __init__(
        self, parameter: str, problem: str, given: object = None, section: str | None = None
    ) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter
        self.problem = problem
        self.given = given
        self.section = section


class UndocumentedStatus(Exception):
    """The model returned a status that is neither documented, mentioned, nor an erratum."""

    def __init__(self, function: str, status: str, rule: str, allowed: frozenset[str], page: str) -> None:
        shown = ", ".join(sorted(allowed)) or "none"
        super().__init__(
            f"{function}: rule {rule!r} produced {status}, which {page} does not document "
            f"(documented, mentioned or errata: {shown})"
        )
        self.function = function
        self.status = status
        self.rule = rule
        self.allowed = allowed
        self.page = page


class UndocumentedStatusWarning(UserWarning):
    """The non-strict form of UndocumentedStatus."""
