"""A generic dependency resolver (PubGrub) and the explanation of its failures.

It knows packages only through a :class:`Provider` (keys, candidates, requirements
of any hashable kind) and imports nothing of the rest of catalog but its error
tree; ``catalog_cli.provider`` adapts catalogs to it. The modules, bottom up:

- :mod:`.terms`: terms, incompatibilities and their causes;
- :mod:`.partial`: the partial solution (assignments, decision levels, backtracking);
- :mod:`.protocol`: the :class:`Provider` it asks and the :class:`Result` it gives;
- :mod:`.solver`: :class:`Resolver`, the algorithm;
- :mod:`.report`: :class:`Explanation`, a failure's derivation in sentences.

A failure raises ``errors.NoSolution`` (explained); a cycle or an exhausted budget
raises ``errors.ResolutionError``.
"""

from .protocol import Provider, Result
from .report import Explanation, Names
from .solver import MAX_SECONDS, MAX_STEPS, Resolver
from .terms import ROOT, Incompatibility, Term

__all__ = [
    "MAX_SECONDS",
    "MAX_STEPS",
    "ROOT",
    "Explanation",
    "Incompatibility",
    "Names",
    "Provider",
    "Resolver",
    "Result",
    "Term",
]
