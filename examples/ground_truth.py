"""Ground truth for heuristics: exact optima of random instances, and how far baselines are.

Run: python examples/ground_truth.py   (about 20 s on 2 cores)

The same workflow on the command line:
    slth truth rss-uniform --n 24 --count 200 -o truth.jsonl
    slth score truth.jsonl --baseline karmarkar-karp --plot kk.png
    slth certify truth.jsonl
"""

import os
import tempfile

from verify.certify import certify_records
from verify.runtime import read_records
from verify.score import baseline_answers, score_answers
from verify.truth import generate_truth

if __name__ == "__main__":  # the process pool re-imports this file in its workers
    out = os.path.join(tempfile.mkdtemp(), "truth.jsonl")

    # 200 random instances (24 values uniform on [-1, 1]), each solved to proven optimality
    generate_truth("rss-uniform", 24, 200, out, seed=0, workers=2)
    truth = read_records(out)
    print(f"{len(truth)} records; the first optimum is {truth[0]['optimum']}")
    print("proof:", truth[0]["solution"]["proof"])

    # score three baselines exactly: gap = error - optimum, ratio = error / optimum
    print(f"{'baseline':<16} {'optimal':>8} {'mean gap':>10} {'median ratio':>13}")
    for name in ("greedy", "karmarkar-karp", "random-sampling"):
        rep = score_answers(truth, baseline_answers(truth, name))
        q = rep.ratio_quantiles()
        print(f"{name:<16} {rep.fraction_optimal:>8.1%} {rep.mean_gap:>10.3g} {q['q50']:>13.3g}")

    # a result file stands on its own: re-check the first 20 records by other exact methods
    checks = certify_records(truth[:20])
    print("certified:", all(c.outcome == "holds" for cs in checks for c in cs))

    # a tampered record is caught
    forged = dict(truth[0], optimum="0")
    print("tampered record:", [c.outcome for c in certify_records([forged])[0]][:3])
