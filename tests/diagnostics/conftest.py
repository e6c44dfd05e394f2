"""Fixtures of the diagnostics tests: small sampled eight-schools results, shared per session."""

from __future__ import annotations

from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"

EIGHT_DRAWS = dict(engine="pymc", draws=1000, tune=1000, chains=2, seed=20240611, progressbar=False)


@pytest.fixture(scope="session")
def eight_schools():
    """``{"centered": DataTree, "noncentered": DataTree}`` sampled with PyMC's NUTS (2 x 1000 draws)."""
    import ppl

    return {name: ppl.load(MODELS / f"eight_schools_{name}.ppl").sample(**EIGHT_DRAWS)
            for name in ("centered", "noncentered")}


@pytest.fixture(scope="session")
def eight_schools_files(eight_schools, tmp_path_factory):
    from ppl.output import write_result

    folder = tmp_path_factory.mktemp("results")
    paths = {}
    for name, tree in eight_schools.items():
        paths[name] = folder / f"{name}.nc"
        write_result(tree, str(paths[name]))
    return paths
