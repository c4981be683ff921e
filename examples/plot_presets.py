"""
Presets for common situations
=============================

Each situation (little memory, a quick prototype, fine-tuning, tiny batches,
large global batches) has a preset, one call to ``from_preset``. This example
fits every preset on the bundled digits data, behind a :class:`~skstab.FeatureAligner`, and plots their loss curves and
learning-rate schedules.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skstab import PRESETS, FeatureAligner, StabilizedMLPClassifier

# 30 epochs keep the example quick; the losses are still falling, which the
# estimators report with a ConvergenceWarning.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

fig, (loss_ax, lr_ax) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
for name in PRESETS:
    model = make_pipeline(FeatureAligner(), StabilizedMLPClassifier.from_preset(name, max_iter=30, random_state=0))
    model.fit(X_train, y_train)
    network = model[-1]
    label = f"{name}: {model.score(X_test, y_test):.3f}"
    loss_ax.plot(range(1, network.n_iter_ + 1), network.loss_curve_, label=label)
    lr_ax.plot(network.lr_curve_ / network.learning_rate_init, label=name)
loss_ax.set(title="Training loss (legend: test accuracy)", xlabel="epoch", yscale="log")
lr_ax.set(title="Learning rate / peak", xlabel="optimizer update")
loss_ax.legend()
lr_ax.legend()
plt.show()

# %%
# Every preset is an ordinary estimator: ``get_params()`` lists every value it
# sets, so ``clone`` and ``GridSearchCV`` treat it like any other.
print(StabilizedMLPClassifier.from_preset("small-batch").get_params()["optimizer"])
