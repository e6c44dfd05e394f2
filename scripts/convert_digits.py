"""Write the handwritten digits that scikit-learn ships as the default data of models/vae_digits.ppl.

scikit-learn's ``load_digits`` (the UCI "Optical Recognition of Handwritten
Digits" test set: 1797 images of 8x8 pixels with grey levels 0..16; Alpaydin
& Kaynak 1998) is bundled with scikit-learn, so nothing is downloaded.  Pixels
are binarised (grey level >= 8 is 1) for the Bernoulli decoder.  A stratified
random 300 images (seeded) are held out for the IWAE estimate:

* ``models/vae_digits.json``: ``x`` (1497 x 64, row-major 8x8 images) and ``label``;
* ``models/vae_digits.heldout.json``: the same for the 300 held-out images.

scikit-learn is a development tool here (``pip install scikit-learn``), not a
dependency of ppl: the JSON files are committed.

Usage::

    python scripts/convert_digits.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261206
HELD_OUT = 300
THRESHOLD = 8


def split(labels: np.ndarray, n_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held out): about ``n_out`` rows held out, the same share of every label."""
    rng = np.random.default_rng(seed)
    out = []
    share = n_out / labels.size
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        out.extend(rng.choice(rows, int(round(share * rows.size)), replace=False))
    out = np.sort(np.asarray(out[:n_out]))
    return np.setdiff1d(np.arange(labels.size), out), out


def write(path: Path, x: np.ndarray, label: np.ndarray) -> None:
    rows = ",\n  ".join(json.dumps(r) for r in x.tolist())
    path.write_text('{\n "x": [\n  ' + rows + '\n ],\n "label": ' + json.dumps(label.tolist()) + "\n}\n")


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data >= THRESHOLD).astype(int)
    label = digits.target.astype(int)
    train, held = split(label, HELD_OUT, SEED)
    write(ROOT / "models" / "vae_digits.json", x[train], label[train])
    write(ROOT / "models" / "vae_digits.heldout.json", x[held], label[held])
    print(f"wrote {train.size} training and {held.size} held-out images")


if __name__ == "__main__":
    main()
