"""What a scan is asked (ScanOptions) and what it answers (Report)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from soc2lint import __version__
from soc2lint.engine.rules import Rule
from soc2lint.model import Finding, ParseError, Skipped, Status, Suppression
from soc2lint.pipeline.discover import DEFAULT_MAX_BYTES


@dataclass
class ScanOptions:
    max_bytes: int = DEFAULT_MAX_BYTES
    exclude: list[str] = field(default_factory=list)
    # TF_VAR_ values (name without the prefix -> text); the CLI passes the environment's
    env_vars: dict[str, str] = field(default_factory=dict)
    # ("file", path) for --var-file and ("var", "name=value") for --var, in command-line order
    cli_vars: list[tuple[str, str]] = field(default_factory=list)
    # `terraform show -json` output: evaluate planned values instead of the configuration's
    plan: str | None = None
    # CloudFormation parameter values (--cfn-parameters): name -> text, over the defaults
    cfn_parameters: dict[str, str] = field(default_factory=dict)
    # exceptions: peers' markers honoured, unused markers reported, the day expiry is judged on
    honor_peer_suppressions: bool = False
    report_unused_suppressions: bool = False
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())
    baseline: str | None = None
    # report only findings in these repository-relative files (pre-commit on changed files)
    only_paths: list[str] | None = None
    # the changed files a scoped scan is about (for the record), and the paths it parses: those
    # files and their context (soc2lint.policies.scope); None: everything
    scope_to: list[str] | None = None
    scope_paths: set[str] | None = None
    # every rule id and name that exists, in the scan or not: a suppression marker naming one
    # that is out of this scan is not "unknown" (None: only the bundled rules are known)
    known_rules: set[str] | None = None
    # parallel parsing (None: all cores) and the content-addressed parse cache (None: off)
    jobs: int | None = None
    cache_dir: str | None = None
    progress: bool = False
    # Helm: values files and --set for every chart, per-chart settings (chart directory ->
    # {values, set, release, namespace}), the Kubernetes version and API versions helm assumes
    helm_values: list[str] = field(default_factory=list)
    helm_set: list[str] = field(default_factory=list)
    helm_charts: dict[str, dict] = field(default_factory=dict)
    kube_version: str | None = None
    api_versions: list[str] = field(default_factory=list)
    # the configuration's `github_actions:` settings (code_inputs, approved)
    github_actions: dict = field(default_factory=dict)


@dataclass
class Report:
    root: str  # absolute repository root; every path in the report is relative to it
    targets: list[str]
    rules: list[Rule]
    # every result, passes included, in the scan's order: a list, or (a reused report) Findings
    findings: list[Finding] | Findings
    errors: list[ParseError]
    skipped: list[Skipped]
    rule_errors: list[str]
    files: dict[str, str]  # scanned path -> sha256
    resources: int
    started: str
    finished: str
    tool_version: str = __version__
    # module calls whose source could not be read: {path, line, source, reason}
    unavailable_modules: list[dict] = field(default_factory=list)
    # how sources were read where it matters to a reader: {path, message}
    notes: list[dict] = field(default_factory=list)
    # results an exception (suppression) covers; they are not in findings
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    # suppression markers that did not suppress: no reason, expired, unused: {path, line, ...}
    suppression_problems: list[dict] = field(default_factory=list)
    # --baseline in use: {path, sha256, baselined: count} ; --diff-base: {base_ref, merge_base,
    # new: count, fixed: count}
    baseline: dict | None = None
    diff: dict | None = None
    # the effective configuration {path, sha256} and the Trust Services Criteria in scope
    config: dict | None = None
    criteria_scope: list[str] = field(default_factory=list)
    # failing results left out of findings because they are known: in the baseline, or present
    # at the merge base in diff mode (evidence still counts them as evaluated)
    known: list[Finding] = field(default_factory=list)
    # files and directories left out by --exclude, the configuration or .gitignore: {path, reason}
    excluded: list[dict] = field(default_factory=list)
    # infrastructure files no platform reads: {path, kind}
    unsupported: list[dict] = field(default_factory=list)
    # what was not checked, in every format (soc2lint.pipeline.coverage)
    coverage: dict = field(default_factory=dict)
    # what the command line chose: targets, exclude patterns, rules, variables (names only)
    invocation: dict = field(default_factory=dict)

    def visible(self) -> list[Finding]:
        """The failing and unknown results, in order: what reports list (passes are counted)."""
        findings = self.findings
        if type(findings) is Findings:
            return findings.shown()
        passed = Status.PASS
        return [f for f in findings if f.status is not passed]

    def fingerprints(self) -> list[str]:
        """The fingerprint of each failing and unknown result, in visible()'s order (a reused
        report has them from the result cache)."""
        findings = self.findings
        if type(findings) is Findings and findings.printed is not None:
            return list(findings.printed)
        from soc2lint.reporters.common import fingerprint

        return [fingerprint(f) for f in self.visible()]

    def failing(self) -> list[Finding]:
        findings = self.findings
        failed = Status.FAIL
        among = findings.shown() if type(findings) is Findings else findings
        return [f for f in among if f.status is failed]

    def counts(self) -> Counter[tuple[str, Status]]:
        """How many results each (rule id, status) has."""
        findings = self.findings
        if type(findings) is Findings:
            return findings.counts()
        return Counter((f.rule_id, f.status) for f in findings)

    def keep(self, wanted: Callable[[Finding], bool]) -> None:
        """Leave out the failing and unknown results wanted returns False for; every pass stays,
        and the order is kept."""
        findings = self.findings
        if type(findings) is Findings:
            self.findings = findings.keep(wanted)
        else:
            passed = Status.PASS
            self.findings = [f for f in findings if f.status is passed or wanted(f)]

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


class Findings(Sequence[Finding]):
    """A reused report's results (soc2lint.pipeline.result_cache): a sequence equal to the list
    the scan made, in its order, whose passes are made only when something reads every result.
    Passes are most results, and every format counts them but none lists them: a reused report
    makes its failing and unknown results and the counts, and keeps the rest as the numbers it
    read (`every`, which makes the whole list, using the shown results as they are). printed:
    the fingerprints of the shown results, in their order, when the cache gave them."""

    __slots__ = ("_all", "_shown", "_counts", "_every", "printed")

    def __init__(
        self,
        shown: list[Finding],
        counts: Counter[tuple[str, Status]],
        every: Callable[[], list[Finding]],
        printed: list[str] | None = None,
    ) -> None:
        self._all: list[Finding] | None = None
        self._shown = shown
        self._counts = counts
        self._every: Callable[[], list[Finding]] | None = every
        if printed is not None and len(printed) != len(shown):
            raise ValueError("a fingerprint for each shown result")
        self.printed = printed

    def _list(self) -> list[Finding]:
        made = self._all
        if made is None:
            assert self._every is not None
            made = self._all = self._every()
            self._every = None  # what it read is not needed again
        return made

    def shown(self) -> list[Finding]:
        """The failing and unknown results, in order."""
        return list(self._shown)

    def counts(self) -> Counter[tuple[str, Status]]:
        """How many results each (rule id, status) has."""
        return Counter(self._counts)

    def keep(self, wanted: Callable[[Finding], bool]) -> Findings:
        """These findings without the failing and unknown results wanted returns False for."""
        shown = [f for f in self._shown if wanted(f)]
        if len(shown) == len(self._shown):
            return self
        kept = {id(f) for f in shown}
        counts = Counter(self._counts)
        for f in self._shown:
            if id(f) not in kept:
                counts[f.rule_id, f.status] -= 1
        passed = Status.PASS
        printed = self.printed
        # the objects shown here are those of self's list: told apart by identity
        return Findings(
            shown,
            +counts,  # no (rule, status) counted zero: summary shows every one it is given
            lambda: [f for f in self._list() if f.status is passed or id(f) in kept],
            None
            if printed is None
            else [p for f, p in zip(self._shown, printed, strict=True) if id(f) in kept],
        )

    def __len__(self) -> int:
        return sum(self._counts.values())

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        return self._list()[index]

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Findings):
            other = other._list()
        if not isinstance(other, list):
            return NotImplemented
        return self._list() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Findings({self._list()!r})"


def merge_instances(findings: list[Finding]) -> list[Finding]:
    """One finding per place: the results of a module that several root modules instantiate
    (each example calling the module, say) are one finding when they are the same result (rule,
    resource address, status, location and message), listing the call sites of every instance;
    instances with different results stay separate. Findings of resources no module call made
    are left as they are. Order is kept (each merged finding where its first instance was)."""
    groups: dict[tuple, list[Finding]] = {}
    # in order: a finding kept as it is, or the key of a group (a tuple, never a Finding);
    # findings no module call made are never hashed
    slots: list[Finding | tuple] = []
    for f in findings:
        if not f.call_sites:
            slots.append(f)
            continue
        key = (
            f.rule_id,
            f.resource,
            f.resource_type,
            f.status,
            f.location,
            f.message,
            f.evidence,
            f.resource_location,
        )
        group = groups.get(key)
        if group is None:
            groups[key] = [f]
            slots.append(key)
        else:
            group.append(f)
    out: list[Finding] = []
    for slot in slots:
        if type(slot) is not tuple:
            out.append(slot)  # type: ignore[arg-type]
            continue
        group = groups[slot]
        if len(group) == 1:
            out.append(group[0])
            continue
        chains = list(dict.fromkeys(f.call_sites for f in group))
        sites = tuple(dict.fromkeys(site for chain in chains for site in chain))
        out.append(replace(group[0], call_sites=sites, instances=len(chains)))
    return out
