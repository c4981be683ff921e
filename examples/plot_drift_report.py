"""
Checking that splits look alike
===============================

:class:`~skstab.FeatureAligner` learns its scaling from the training rows only
and can report, feature by feature, how far new data has drifted from them,
so a check that the splits share one distribution is a single call.
"""

# %%
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from skstab import FeatureAligner

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test = train_test_split(X, random_state=0)
aligner = FeatureAligner().fit(X_train)

# A random split: nothing should be flagged.
print(aligner.drift_report(X_test)["drifted"].sum(), "features drifted in the test split")

# %%
# Shift two features of the test rows, as a sensor recalibration would.
shifted = X_test.copy()
shifted["mean radius"] += 2 * X_train["mean radius"].std()
shifted["worst area"] *= 3
report = aligner.drift_report(shifted)
print(report.loc[report["drifted"], ["train_mean", "new_mean", "mean_shift", "std_ratio", "out_of_range"]].round(2))

# %%
# The fitted statistics are never touched by a report.
assert np.array_equal(aligner.mean_, FeatureAligner().fit(X_train).mean_)
