"""``ppl show MODEL``: the checked model and its PyMC graph."""

from __future__ import annotations

from .common import add_data_argument, load_model

__all__ = ["HELP", "add_arguments", "run"]

HELP = "show the checked model and its PyMC graph"


def add_arguments(p) -> None:
    p.add_argument("model")
    add_data_argument(p)
    p.add_argument("--no-marginalize", action="store_true", help="keep discrete latents as discrete variables")


def run(args) -> int:
    from .. import driver
    from ..errors import PplError
    from ..semantics.pretty import show_missing, show_model

    model = load_model(args.model, marginalize=not args.no_marginalize)
    print(show_model(model.ir))
    try:
        bound = model.bind(args.data)
        missing = show_missing(driver.on_data(model.ir, bound), {k: (int(v.sum()), v.size)
                                                                  for k, v in bound.missing.items()}, model.ir)
        if missing:
            print("\n" + missing)
        pm_model = driver.build(model.ir, bound).pm_model
    except PplError as exc:
        print(f"\n(no PyMC graph: {exc.diagnostic.message})")
        return 0
    print("\nPyMC model:")
    print(pm_model.str_repr())
    return 0
