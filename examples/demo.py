"""skstab's main demo: StabilizedMLPClassifier against scikit-learn's MLPClassifier.

Both models see the same split of scikit-learn's bundled handwritten-digits
data, each behind a FeatureAligner fitted on the training rows only, with
default parameters. Both train under the same BLAS thread limit (printed), and
each fit time is the median of a few seeded fits, so one slow fit on a busy
machine does not decide the comparison. The script prints test accuracy, fit
time and epochs for both, and saves the training curves to
``demo_training_curves.png`` when matplotlib is installed.

Run it with ``python examples/demo.py``.
"""

import statistics
import time

from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_info, threadpool_limits

from skstab import FeatureAligner, StabilizedMLPClassifier, plot_training_curves

#: Fits per model; the reported time is their median.
N_FITS = 3
#: BLAS threads both models may use (the same for both, so neither gets more of the machine).
BLAS_THREADS = 1

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)

models = {
    "skstab StabilizedMLPClassifier": make_pipeline(FeatureAligner(), StabilizedMLPClassifier(random_state=0)),
    "sklearn MLPClassifier": make_pipeline(FeatureAligner(), MLPClassifier(random_state=0)),
}

print(f"digits: {X_train.shape[0]} training rows, {X_test.shape[0]} test rows, {X.shape[1]} features")
with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
    # numpy and scipy may each load their own copy of the library: list each kind once.
    blas = sorted(
        {
            f"{pool['internal_api']} ({pool['num_threads']} thread)"
            for pool in threadpool_info()
            if pool["user_api"] == "blas"
        }
    )
    print(f"BLAS: {', '.join(blas) or 'none found'}; fit time is the median of {N_FITS} fits\n")
    print(f"{'model':32s} {'test accuracy':>13s} {'fit time (s)':>12s} {'epochs':>7s}")
    for name, model in models.items():
        seconds = []
        for _ in range(N_FITS):
            fitted = clone(model)
            start = time.perf_counter()
            fitted.fit(X_train, y_train)
            seconds.append(time.perf_counter() - start)
        models[name] = fitted  # identical seeded fits: keep the last one
        accuracy = fitted.score(X_test, y_test)
        print(f"{name:32s} {accuracy:13.4f} {statistics.median(seconds):12.2f} {fitted[-1].n_iter_:7d}")

try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:
    print("\nmatplotlib is not installed: no plot (pip install 'skstab[plot]').")
else:
    axes = plot_training_curves(list(models.values()), labels=list(models))
    axes[0].figure.savefig("demo_training_curves.png", dpi=110)
    print("\nTraining curves saved to demo_training_curves.png")
