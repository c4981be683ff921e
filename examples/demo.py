"""skstab's main demo: StabilizedMLPClassifier against scikit-learn's MLPClassifier.

Both models see the same split of scikit-learn's bundled handwritten-digits
data, each behind a FeatureAligner fitted on the training rows only. The script
prints test accuracy, fit time and epochs for both, and saves the training
curves to ``demo_training_curves.png`` when matplotlib is installed.

Run it with ``python examples/demo.py``.
"""

import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier, plot_training_curves

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)

models = {
    "skstab StabilizedMLPClassifier": make_pipeline(FeatureAligner(), StabilizedMLPClassifier(random_state=0)),
    "sklearn MLPClassifier": make_pipeline(FeatureAligner(), MLPClassifier(random_state=0)),
}

print(f"digits: {X_train.shape[0]} training rows, {X_test.shape[0]} test rows, {X.shape[1]} features\n")
print(f"{'model':32s} {'test accuracy':>13s} {'fit time (s)':>12s} {'epochs':>7s}")
for name, model in models.items():
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    epochs = model[-1].n_iter_
    print(f"{name:32s} {model.score(X_test, y_test):13.4f} {seconds:12.2f} {epochs:7d}")

try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:
    print("\nmatplotlib is not installed: no plot (pip install 'skstab[plot]').")
else:
    axes = plot_training_curves(list(models.values()), labels=list(models))
    axes[0].figure.savefig("demo_training_curves.png", dpi=110)
    print("\nTraining curves saved to demo_training_curves.png")
