"""The native DataFrame path against one-hot encoding in a ColumnTransformer, on the penguins table.

5-fold stratified CV accuracy of ``StabilizedMLPClassifier`` fitted on the raw DataFrame (categorical
columns and missing values encoded inside the model) and of
``make_pipeline(ColumnTransformer(OneHotEncoder + SimpleImputer), StabilizedMLPClassifier())``, both
with their defaults, over 3 seeds (the seed drives the folds and the network). Needs
``pip install palmerpenguins``.

    python benchmarks/native_tables.py
"""

import time
import warnings

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skstab import StabilizedMLPClassifier

SEEDS = (0, 1, 2)


def load():
    from palmerpenguins import load_penguins

    table = load_penguins()
    return table.drop(columns="species"), table["species"].to_numpy(dtype=str)


def models(X, seed):
    categorical = [c for c in X.columns if X[c].dtype.kind not in "biuf"]
    numeric = [c for c in X.columns if c not in categorical]
    front = ColumnTransformer(
        [
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ("impute", SimpleImputer(), numeric),
        ]
    )
    return {
        "native (raw DataFrame)": StabilizedMLPClassifier(random_state=seed),
        "ColumnTransformer one-hot": make_pipeline(front, StabilizedMLPClassifier(random_state=seed)),
    }


def main():
    X, y = load()
    print(f"penguins: {X.shape[0]} rows, columns {list(X.columns)}, {int(X.isna().sum().sum())} missing cells")
    results = {}
    for seed in SEEDS:
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        for name, model in models(X, seed).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                score = cross_val_score(model, X, y, cv=folds).mean()
            results.setdefault(name, []).append(score)
            print(f"seed {seed}  {name:<28} {score:.4f}  ({time.perf_counter() - start:.1f} s)")
    print()
    for name, scores in results.items():
        print(f"{name:<28} mean {np.mean(scores):.4f} +/- {np.std(scores):.4f} (std over seeds {SEEDS})")


if __name__ == "__main__":
    main()
