"""`slth score`: how far from optimal is a heuristic? Exact gaps against a ground-truth file.

The truth file is the JSON Lines output of ``slth truth`` (one record per instance, with the
instance and its proven ``optimum``). The answers are JSON Lines too, one per instance:
``{"instance_hash": h, "subset": [...]}`` or ``{"index": i, "subset": [...]}`` (any Solution
JSON works: it carries both), or ``"mask": {"layers": [...]}`` for network-masks truth; an
answer with neither key is matched by its line number. With ``--baseline`` the answers are
computed on the spot by a baseline of :mod:`solvers.heuristics`.

Every answer is re-evaluated exactly on the truth instance: its error is recomputed from the
subset (a claimed ``error`` that differs is flagged), the gap ``error - optimum`` and the ratio
``error / optimum`` are exact. Invalid answers (indices out of range or repeated, a wrong
cardinality, no subset, unreadable lines) are flagged, never crashed on; an answer whose error
is below the proven optimum would contradict the truth file and is flagged as such.

>>> truth = [{"index": 0, "instance": {"values": [3, 5, 9], "target": 13}, "optimum": "0"},
...          {"index": 1, "instance": {"values": [1, 2], "target": 5}, "optimum": "2"}]
>>> rep = score_answers(truth, [{"index": 0, "subset": [1, 2]}, {"index": 1, "subset": [5]}])
>>> rep.fraction_optimal, rep.n_invalid, rep.rows[0].gap, rep.rows[1].note
(0.0, 1, Fraction(1, 1), 'subset index 5 is out of range 0..1')
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from solvers.files import check_writable
from solvers.heuristics import HEURISTICS, edge_popup, greedy_mask_removal, solve_heuristic
from solvers.instances import MaskProblem, MRSSInstance, RSSInstance, subset_problem_from_json
from solvers.numbers import InputError, fraction_str, parse_fraction_str
from solvers.torch_io import read_masks_safetensors
from verify.runtime import read_jsonl
from verify.terminal import printable

__all__ = [
    "InstanceScore",
    "ScoreReport",
    "read_jsonl",
    "score_answers",
    "baseline_answers",
    "BASELINES",
    "truth_instance",
    "register",
    "run",
]


@dataclass
class InstanceScore:
    """One truth instance scored: ``verdict`` is optimal | suboptimal | invalid | missing |
    beats-truth (an error below the proven optimum: the truth file is wrong)."""

    index: int
    verdict: str
    optimum: Fraction
    error: Fraction | None = None
    note: str = ""

    @property
    def gap(self) -> Fraction | None:
        """The exact gap error - optimum."""
        return None if self.error is None else self.error - self.optimum

    @property
    def ratio(self) -> float | None:
        """error / optimum (1 when both are 0, inf when only the optimum is 0)."""
        if self.error is None:
            return None
        if self.optimum == 0:
            return 1.0 if self.error == 0 else math.inf
        return float(self.error / self.optimum)

    def to_json(self) -> dict[str, Any]:
        gap = self.gap
        return {"index": self.index, "verdict": self.verdict,
                "optimum": fraction_str(self.optimum),
                "error": None if self.error is None else fraction_str(self.error),
                "gap": None if gap is None else fraction_str(gap),
                "gap_float": None if gap is None else float(gap),
                "ratio": self.ratio, "note": self.note}


@dataclass
class ScoreReport:
    """Scores of every truth instance, and the answers that matched none (``unmatched``)."""

    rows: list[InstanceScore]
    unmatched: list[str] = field(default_factory=list)

    def _count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.rows)

    @property
    def n_optimal(self) -> int:
        return self._count("optimal")

    @property
    def n_invalid(self) -> int:
        return self._count("invalid")

    @property
    def n_missing(self) -> int:
        return self._count("missing")

    @property
    def n_contradictions(self) -> int:
        return self._count("beats-truth")

    @property
    def fraction_optimal(self) -> float:
        """Optimal answers over all truth instances (invalid and missing count as not optimal)."""
        return self.n_optimal / len(self.rows) if self.rows else 0.0

    @property
    def valid(self) -> list[InstanceScore]:
        return [r for r in self.rows if r.error is not None]

    @property
    def mean_gap(self) -> float | None:
        """Mean exact gap over the valid answers (computed exactly, then rounded)."""
        v = self.valid
        return float(sum((r.gap for r in v), Fraction(0)) / len(v)) if v else None

    def ratio_quantiles(self, qs: Iterable[float] = (0.5, 0.9, 0.99, 1.0)) -> dict[str, float]:
        """Quantiles of error / optimum over the valid answers (inf where the optimum is 0)."""
        r = np.array([x.ratio for x in self.valid], dtype=float)
        if not len(r):
            return {}
        return {f"q{round(100 * q)}": float(np.quantile(r, q, method="inverted_cdf")) for q in qs}

    def to_json(self) -> dict[str, Any]:
        return {
            "instances": len(self.rows),
            "scored": len(self.valid),
            "optimal": self.n_optimal,
            "fraction_optimal": self.fraction_optimal,
            "invalid": self.n_invalid,
            "missing": self.n_missing,
            "beats_truth": self.n_contradictions,
            "unmatched_answers": self.unmatched,
            "mean_gap": self.mean_gap,
            "ratio_quantiles": self.ratio_quantiles(),
            "rows": [r.to_json() for r in self.rows],
        }


# --- reading --------------------------------------------------------------------------------------


def truth_instance(record: dict[str, Any]) -> RSSInstance | MRSSInstance | MaskProblem:
    """The instance of a truth record (vectors make it d-dimensional; networks a mask problem)."""
    if not isinstance(record, dict):
        raise InputError(f"a truth record is a JSON {type(record).__name__}: expected an object "
                         "with an 'instance'")
    inst = record.get("instance")
    if not isinstance(inst, dict):
        raise InputError("truth record has no 'instance' object")
    if "random" in inst:
        return MaskProblem.from_json(inst)
    return subset_problem_from_json(inst)


def _truth_optimum(record: Any, where: str) -> Fraction:
    if not isinstance(record, dict) or record.get("optimum") is None:
        raise InputError(f"{where} has no 'optimum': not a record of `slth truth`")
    return parse_fraction_str(str(record["optimum"]), f"{where} optimum")


# --- scoring ---------------------------------------------------------------------------------


def _score_mask(index: int, prob: MaskProblem, optimum: Fraction, answer: dict) -> InstanceScore:
    try:
        data = answer.get("mask")
        if isinstance(data, str):  # a PyTorch file: NAME.weight_mask buffers
            data = read_masks_safetensors(data, prob.random).to_json()
        mask = prob.mask_from_json(data)
    except InputError as exc:
        return InstanceScore(index, "invalid", optimum, note=f"mask: {exc}")
    err = prob.error(mask)
    if err is None:
        return InstanceScore(index, "invalid", optimum,
                             note="this problem's mask errors are not exact: cannot score")
    if err < optimum:
        return InstanceScore(index, "beats-truth", optimum, err,
                             note="error below the proven optimum: the truth record is wrong")
    return InstanceScore(index, "optimal" if err == optimum else "suboptimal", optimum, err)


def _score_one(index: int, inst: RSSInstance | MRSSInstance | MaskProblem, optimum: Fraction,
               answer: Any) -> InstanceScore:
    if isinstance(answer, InputError):
        return InstanceScore(index, "invalid", optimum, note=str(answer))
    if isinstance(inst, MaskProblem):
        return _score_mask(index, inst, optimum, answer)
    subset = answer.get("subset")
    if not isinstance(subset, list):
        return InstanceScore(index, "invalid", optimum,
                             note=f"subset is {subset!r:.40}: expected a list of indices")
    try:
        err = inst.error(subset)
    except InputError as exc:
        return InstanceScore(index, "invalid", optimum, note=str(exc))
    if not inst.admits(len(subset)):
        rule = (f"|S| = {inst.cardinality}" if inst.cardinality is not None
                else f"|S| <= {inst.max_cardinality}")
        return InstanceScore(index, "invalid", optimum, err,
                             note=f"the subset has {len(subset)} values: the instance asks {rule}")
    notes = []
    claimed = answer.get("error")
    if claimed is not None:
        try:
            if parse_fraction_str(str(claimed), "error") != err:
                notes.append(f"claimed error {claimed} but the exact error is {fraction_str(err)}")
        except InputError as exc:
            notes.append(str(exc))
    if err < optimum:
        return InstanceScore(index, "beats-truth", optimum, err,
                             note="error below the proven optimum: the truth record is wrong")
    return InstanceScore(index, "optimal" if err == optimum else "suboptimal", optimum, err,
                         "; ".join(notes))


def score_answers(truth: Iterable[dict[str, Any]], answers: Iterable[Any]) -> ScoreReport:
    """Score answers against truth records (see the module docstring for the matching rules).

    An answer that is an :class:`InputError` (an unreadable line) is flagged on the instance of
    its line number.
    """
    records = list(truth)
    by_hash: dict[str, int] = {}
    by_index: dict[int, int] = {}
    insts, optima = [], []
    for pos, rec in enumerate(records):
        where = f"truth record {pos + 1}"
        optima.append(_truth_optimum(rec, where))
        insts.append(truth_instance(rec))
        by_hash[str(rec.get("instance_hash") or insts[-1].hash())] = pos
        by_index[int(rec.get("index", pos))] = pos
    got: dict[int, Any] = {}
    unmatched: list[str] = []
    for line, ans in enumerate(answers):
        if isinstance(ans, dict) and ans.get("instance_hash") is not None:
            pos = by_hash.get(str(ans["instance_hash"]))
            key = f"instance_hash {ans['instance_hash']}"
        elif isinstance(ans, dict) and ans.get("index") is not None:
            pos = by_index.get(ans["index"]) if isinstance(ans["index"], int) else None
            key = f"index {ans['index']!r}"
        else:
            pos, key = (line if line < len(records) else None), f"line {line + 1}"
            if not isinstance(ans, (dict, InputError)):
                ans = InputError(f"answer on line {line + 1} is not an object")
        if pos is None:
            unmatched.append(f"{key}: no such truth instance")
        elif pos in got:
            unmatched.append(f"{key}: a second answer for truth instance {pos} (ignored)")
        else:
            got[pos] = ans
    rows = []
    for pos, rec in enumerate(records):
        index = int(rec.get("index", pos))
        if pos not in got:
            rows.append(InstanceScore(index, "missing", optima[pos], note="no answer"))
        else:
            rows.append(_score_one(index, insts[pos], optima[pos], got[pos]))
    return ScoreReport(rows, unmatched)


#: ``--baseline`` names: the subset-sum baselines, and edge-popup and greedy removal (for
#: network-masks truth).
MASK_BASELINES = ("edge-popup", "greedy-removal")
BASELINES = (*HEURISTICS, *MASK_BASELINES)


def baseline_answers(truth: Iterable[dict[str, Any]], method: str, *,
                     seed: int | None = 0) -> list[dict[str, Any]]:
    """Answers of a baseline of :mod:`solvers.heuristics`: one of :data:`BASELINES`."""
    if method not in BASELINES:
        raise InputError(f"baseline is {method!r}: expected one of {', '.join(BASELINES)}")
    out = []
    for rec in truth:
        inst = truth_instance(rec)
        if isinstance(inst, MaskProblem) != (method in MASK_BASELINES):
            raise InputError(f"baseline {method!r} does not solve this truth file's instances "
                             f"({' and '.join(MASK_BASELINES)} are for network-masks, the others "
                             "for 1-D subset sum)")
        if isinstance(inst, MaskProblem):
            lo, hi = (float(x) for x in inst.box)
            heuristic = edge_popup if method == "edge-popup" else greedy_mask_removal
            mask = heuristic(inst.target, inst.random, box=(lo, hi), seed=seed)
            out.append({"instance_hash": inst.hash(), "method": method,
                        "mask": mask.to_json()})
            continue
        if not isinstance(inst, RSSInstance):
            raise InputError(f"baseline {method!r} solves 1-D instances; the truth file holds "
                             "d-dimensional ones")
        sol = solve_heuristic(inst, method, seed=seed)
        out.append({"instance_hash": inst.hash(), **sol.to_json()})
    return out


# --- plot and command line -------------------------------------------------------------------


def plot_ratios(report: ScoreReport, path: str | Path, title: str) -> None:
    """The distribution of error / optimum (log scale; optimal answers at ratio 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = np.array([x.ratio for x in report.valid], dtype=float)
    r = np.sort(r[np.isfinite(r)])
    fig, ax = plt.subplots(figsize=(6, 4))
    if len(r):
        ax.step(r, np.arange(1, len(r) + 1) / len(report.rows), where="post")
        ax.set_xscale("log")
    ax.set_xlabel("error / exact optimum")
    ax.set_ylabel("fraction of instances")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score", help="score a heuristic's answers against ground truth, exactly",
        description="Score ANSWERS (JSON Lines: subset per instance) against TRUTH (from "
                    "`slth truth`): exact gaps, fraction optimal, ratio distribution.")
    p.add_argument("truth", help="ground-truth JSON Lines file from `slth truth`")
    p.add_argument("answers", nargs="?", help="answers JSON Lines file (or use --baseline)")
    p.add_argument("--baseline", choices=BASELINES,
                   help="compute the answers with a baseline of solvers.heuristics")
    p.add_argument("--seed", type=int, default=0, help="seed of the random-sampling baseline")
    p.add_argument("--write-answers", metavar="FILE",
                   help="with --baseline: also write its answers as JSON Lines")
    p.add_argument("--plot", metavar="PNG", help="write the ratio distribution plot")
    p.add_argument("--rows", action="store_true", help="print one row per instance")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def run(args: argparse.Namespace) -> int:
    if (args.answers is None) == (args.baseline is None):
        raise InputError("give an ANSWERS file or --baseline NAME (exactly one)")
    if args.write_answers and not args.baseline:
        raise InputError("--write-answers needs --baseline")
    for flag, path in (("--write-answers", args.write_answers), ("--plot", args.plot)):
        if path:
            check_writable(path, flag)
    truth = [rec for _, rec in read_jsonl(args.truth, strict=True)]
    if not truth:
        raise InputError(f"{args.truth} holds no records")
    if args.baseline:
        answers: list[Any] = baseline_answers(truth, args.baseline, seed=args.seed)
        if args.write_answers:
            Path(args.write_answers).write_text(
                "".join(json.dumps(a) + "\n" for a in answers), encoding="utf-8")
    else:
        answers = [a for _, a in read_jsonl(args.answers, strict=False)]
    report = score_answers(truth, answers)
    name = args.baseline or Path(args.answers).name
    if args.plot:
        plot_ratios(report, args.plot, f"{name} vs exact optimum ({len(report.rows)} instances)")
    if args.json:
        print(json.dumps({"answers": name, **report.to_json()}, indent=2))
        return 0
    q = report.ratio_quantiles()
    rows = [("answers", name), ("instances", len(report.rows)),
            ("optimal", f"{report.n_optimal} ({100 * report.fraction_optimal:.1f}%)"),
            ("mean gap", _fmt(report.mean_gap)),
            ("ratio", "  ".join(f"{k} {_fmt(v)}" for k, v in q.items()) or "-"),
            ("invalid", report.n_invalid), ("missing", report.n_missing),
            ("beats truth", report.n_contradictions), ("unmatched", len(report.unmatched))]
    for key, val in rows:
        print(printable(f"{key:<12} {val}"))
    flagged = [r for r in report.rows if r.verdict in ("invalid", "beats-truth")]
    for r in (report.rows if args.rows else flagged[:10]):
        err = None if r.error is None else float(r.error)
        print(printable(f"  [{r.index}] {r.verdict}: error {_fmt(err)}"
                        f" optimum {float(r.optimum):.4g}{'  ' + r.note if r.note else ''}"))
    for u in report.unmatched[:10]:
        print(printable(f"  unmatched {u}"))
    if args.plot:
        print(f"plot: {args.plot}", file=sys.stderr)
    return 0
