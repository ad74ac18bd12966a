"""``annealq doctor``: what this installation can reach, in a few seconds, offline too.

Reports Ocean package versions, whether a Leap token is configured (never its value), the
hardware profiles found, and whether the QPU and hybrid services answer.

Example:
    >>> report = doctor(check_services=False)
    >>> sorted(report)
    ['hybrid', 'profiles', 'qpu', 'token_configured', 'versions']
    >>> "dimod" in report["versions"]
    True
"""
from __future__ import annotations

import time
from importlib import metadata

OCEAN_PACKAGES = ("dimod", "dwave-samplers", "dwave-system", "dwave-cloud-client", "dwave-hybrid",
                  "minorminer", "dwave-graphs", "dwave-networkx", "dwave-preprocessing", "dwave-ocean-sdk")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _reach(kind: str, timeout: float) -> dict:
    """Try to open the ``qpu`` or ``hybrid`` solver; what answered and how long it took."""
    from dwave.system import DWaveSampler, LeapHybridSampler

    from annealq.samplers.errors import RouteError
    from annealq.samplers.leap import cloud_errors, leap_config, require_token

    cls = DWaveSampler if kind == "qpu" else LeapHybridSampler
    start = time.perf_counter()
    try:
        require_token(kind)
        with cloud_errors(kind):
            sampler = cls(**leap_config(defaults={"http_retry_total": 0, "request_timeout": timeout}))
        out = {"reachable": True, "solver": sampler.solver.name}
        sampler.client.close()
    except RouteError as err:
        out = {"reachable": False, "error": str(err)}
    out["seconds"] = round(time.perf_counter() - start, 3)
    return out


def doctor(check_services: bool = True, timeout: float = 5.0) -> dict:
    """A report of the installation (see module docstring); ``timeout`` bounds each service check."""
    from annealq.profiles import list_profiles
    from annealq.samplers.leap import leap_token_configured

    token = leap_token_configured()
    skipped = {"reachable": None, "error": "not checked"}
    return {
        "versions": {p: _version(p) for p in OCEAN_PACKAGES},
        "token_configured": token,
        "profiles": list_profiles(),
        "qpu": _reach("qpu", timeout) if check_services else skipped,
        "hybrid": _reach("hybrid", timeout) if check_services else skipped,
    }


def format_doctor(report: dict) -> str:
    """The report as readable lines."""
    lines = ["Ocean packages:"]
    lines += [f"  {p:<20} {v or 'not installed'}" for p, v in report["versions"].items()]
    lines.append(f"Leap API token: {'configured' if report['token_configured'] else 'not configured'}")
    lines.append(f"Hardware profiles: {', '.join(report['profiles']) or 'none found'}")
    for kind in ("qpu", "hybrid"):
        r = report[kind]
        if r["reachable"]:
            state = f"reachable, solver {r['solver']} ({r['seconds']} s)"
        else:
            state = f"not reachable: {r['error']}" if r["reachable"] is False else "not checked"
        lines.append(f"{kind}: {state}")
    return "\n".join(lines)
