"""Proofs and audits: the seed slides' bound algebra, claim by claim, and the claim-audit engine.

- :mod:`proofs.grammar`: the claim language (a whitelist over Python's ``ast``; no ``eval``).
- :mod:`proofs.evaluate`: exact / interval (mpmath ``iv``) evaluation, and float64 for search.
- :mod:`proofs.claims`: claims, claim files (TOML/JSON) and audit results.
- :mod:`proofs.check`: the rigorous verdict at one point (the last word before ``refuted``).
- :mod:`proofs.search`: the counterexample search (corners, grids, random, local ascent).
- :mod:`proofs.prove`: sympy proofs, polynomial certificates, exhaustion, branch-and-bound.
- :mod:`proofs.engine`: ``audit_claim`` / ``audit_claims``, each claim in a time-limited child.
- :mod:`proofs.seed` and :mod:`proofs.lueker`: the slides' claims and their verdicts.
- :mod:`proofs.moments`: E[Z_k], E[Z_k^2] and the second-moment bound for the MRSS.

The package imports nothing at load time; import the module you need.
"""
