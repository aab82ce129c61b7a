"""What applying one provider fact did: a value, never read back from its prose."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    applied: bool  # False: acknowledged, nothing to do (a late or repeated fact)
    detail: str  # for the inbox record and the admin


def applied(detail: str) -> Outcome:
    return Outcome(applied=True, detail=detail)


def ignored(detail: str) -> Outcome:
    return Outcome(applied=False, detail=f"ignored: {detail}")
