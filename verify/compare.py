"""`slth compare`: how far apart are two networks over a box, bracketed from both sides.

``slth compare NET_A NET_B --box LO,HI`` prints ``attained <= sup_{x in [LO, HI]^d}
||A(x) - B(x)||_inf <= certified``: the attained error is exact (a rational, at an input the
attack found), the certified one a rigorous bound (outward-rounded linear bound propagation,
refined by branch and bound on the box for networks with few inputs, or by spectral cut-norm
bounds for one-hidden-layer networks with many; the report names the method that gave it),
and their ratio.
Networks are ``.json``/``.toml`` or ``.npz`` files with the same input and output sizes.

Exit codes: 0 success, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from solvers.numbers import InputError, fraction_str, to_fraction

__all__ = ["register", "run", "parse_box"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="bracket the worst error between two networks over a box",
                       description=__doc__.splitlines()[0])
    p.add_argument("net_a", metavar="NET_A", help="first network (.json, .toml or .npz)")
    p.add_argument("net_b", metavar="NET_B", help="second network, same input and output sizes")
    p.add_argument("--box", default="-1,1", metavar="LO,HI",
                   help="input box [LO, HI]^d, exact numbers (default -1,1)")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="seconds for the attack and the refinement (default 60)")
    p.add_argument("--no-branch", action="store_true",
                   help="no branch and bound on the box (default: on with <= 8 inputs)")
    p.add_argument("--seed", type=int, default=0, help="seed of the attack (default 0)")
    p.add_argument("--json", action="store_true", help="print the bracket as JSON")
    # "--box -1,1": let a value that starts like a negative number be a value, not an option
    p._negative_number_matcher = re.compile(r"^-\.?\d")
    p.set_defaults(func=run)


def parse_box(text: str, flag: str = "--box") -> tuple[Any, Any]:
    """``"LO,HI"`` into two exact Fractions with LO < HI.

    >>> parse_box("-1/2, 1")
    (Fraction(-1, 2), Fraction(1, 1))
    """
    parts = text.split(",")
    if len(parts) != 2:
        raise InputError(f"{flag} is {text!r}: expected LO,HI like -1,1")
    lo, hi = (to_fraction(v.strip(), flag) for v in parts)
    if not lo < hi:
        raise InputError(f"{flag} is {text!r}: expected LO < HI")
    return lo, hi


def run(args: argparse.Namespace) -> int:
    from solvers.bracket import error_bracket
    from solvers.networks import read_network

    box = parse_box(args.box)
    if not args.time_limit >= 0:
        raise InputError(f"--time-limit is {args.time_limit}: expected seconds >= 0")
    if args.seed < 0:
        raise InputError(f"--seed is {args.seed}: expected an integer >= 0")
    a, b = read_network(args.net_a), read_network(args.net_b)
    if a.sizes[0] != b.sizes[0] or a.sizes[-1] != b.sizes[-1]:
        raise InputError(f"{args.net_a} maps {a.sizes[0]} -> {a.sizes[-1]} but {args.net_b} maps "
                         f"{b.sizes[0]} -> {b.sizes[-1]}: the input and output sizes must agree")
    br = error_bracket(a, b, box, time_limit=args.time_limit, seed=args.seed,
                       branch=False if args.no_branch else None)
    report = {"net_a": str(args.net_a), "net_b": str(args.net_b), "sizes_a": list(a.sizes),
              "sizes_b": list(b.sizes), "box": [fraction_str(box[0]), fraction_str(box[1])],
              **br.to_json(), "attained_input": br.attained_input.tolist()}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    ratio = report["bracket_ratio"]
    print(f"networks   {args.net_a} {a.sizes}  vs  {args.net_b} {b.sizes}\n"
          f"box        [{report['box'][0]}, {report['box'][1]}]^{a.sizes[0]}\n"
          f"attained   {float(br.attained):.10g}  (exact {fraction_str(br.attained)}, output "
          f"{br.attained_output})\n"
          f"certified  {br.certified:.10g}  (rigorous upper bound, {br.method})\n"
          f"ratio      {'n/a' if ratio is None else f'{ratio:.6g}'}  ({br.status}, "
          f"{br.seconds:.2f} s)")
    return 0
