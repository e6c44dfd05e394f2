"""A progress bar for long fits (on stderr; off with ``progressbar=False`` / ``--quiet``)."""

from __future__ import annotations

import math
from contextlib import contextmanager

__all__ = ["fit_progress"]


@contextmanager
def fit_progress(total: int, enabled: bool):
    """Yield ``update(steps_done, total, record, finished)``, drawing a bar when ``enabled``."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("fitting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ELBO {task.fields[elbo]}  lr {task.fields[lr]}"))
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("fit", total=total, elbo="-", lr="-")

        def update(done: int, total_steps: int, record, finished: bool = False) -> None:
            elbo = float(record["elbo"])
            bar.update(task, completed=done, total=done if finished else total_steps,
                       elbo=f"{elbo:.6g}" if math.isfinite(elbo) else "nan", lr=f"{float(record['lr']):.3g}")

        yield update
