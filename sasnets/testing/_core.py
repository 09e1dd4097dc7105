"""What every check shares: failure messages and running all checks of a kind."""
from __future__ import annotations


class CheckFailed(AssertionError):
    """A check found a plugin breaking the contract; the message names the plugin, the check and what."""


def expect(condition, what: str) -> None:
    """Fail the running check with ``what`` (a sentence a plugin author reads) unless ``condition``."""
    if not condition:
        raise AssertionError(what)


def check_name(fn) -> str:
    """``check_store_round_trip`` -> ``round_trip``: the check's name in messages and pytest ids."""
    for prefix in ("check_store_", "check_architecture_", "check_analyzer_"):
        if fn.__name__.startswith(prefix):
            return fn.__name__[len(prefix):]
    return fn.__name__


def run_check(subject: str, fn, body):
    """Run ``body()`` for the check ``fn``; a failure or any exception becomes one
    :class:`CheckFailed` naming ``subject`` (``"store 'x' from plugin"``), the check and what was wrong."""
    try:
        return body()
    except CheckFailed:
        raise
    except AssertionError as exc:
        raise CheckFailed(f"{subject} fails the {check_name(fn)!r} check: {exc}") from exc
    except Exception as exc:
        raise CheckFailed(f"{subject} fails the {check_name(fn)!r} check: "
                          f"it raised {type(exc).__name__}: {exc}") from exc


def run_all(kind: str, checks, *args, **kwargs) -> None:
    """Run every check in ``checks``; raise one AssertionError listing each failing check."""
    failures = []
    for check in checks:
        try:
            check(*args, **kwargs)
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:
        raise AssertionError(f"{len(failures)} of {len(checks)} {kind} checks failed:\n- " + "\n- ".join(failures))
