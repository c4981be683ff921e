"""
Choosing a normalization for the batch size
===========================================

Batch normalization normalizes each hidden unit with the statistics of the
batch, so it needs batches large enough for those statistics to mean
something; layer and group normalization work row by row and do not care. This
example trains the same network on the digits data with each normalization at
three batch sizes and compares test accuracy. ``normalization="auto"`` (the
default) picks batch normalization from 8 rows per batch and layer
normalization below.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skstab import StabilizedMLPClassifier
from skstab.exceptions import GradientClippingWarning, SmallBatchNormWarning

X, y = load_digits(return_X_y=True)
# 600 training rows keep the 4-row-batch runs quick.
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=600, stratify=y, random_state=0)

batch_sizes = [4, 16, 64]
normalizations = ["batch", "layer", "group", None]
scores = {}
for normalization in normalizations:
    for batch_size in batch_sizes:
        model = StabilizedMLPClassifier(
            hidden_layer_sizes=(64,), normalization=normalization, batch_size=batch_size, max_iter=20, random_state=0
        )
        with warnings.catch_warnings():
            # Batch norm on 4-row batches is the mistake this example shows, and 4-row batches give noisy
            # gradients that clipping often has to bound: fit warns about both.
            warnings.simplefilter("ignore", SmallBatchNormWarning)
            warnings.simplefilter("ignore", GradientClippingWarning)
            # 20 epochs keep the example fast; some runs were still improving slowly.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        scores[normalization, batch_size] = model.score(X_test, y_test)

# %%
# At 4 rows per batch, batch normalization trails the per-row normalizations:
# its statistics are mostly noise. From 16 rows on it is on par with them. All
# accuracies fall a little with larger batches here only because 20 epochs of
# 600 rows give large batches few updates.
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
width = 0.2
for i, normalization in enumerate(normalizations):
    positions = np.arange(len(batch_sizes)) + (i - 1.5) * width
    ax.bar(positions, [scores[normalization, b] for b in batch_sizes], width, label=str(normalization))
ax.set(
    xticks=range(len(batch_sizes)),
    xticklabels=[f"batch_size={b}" for b in batch_sizes],
    ylabel="test accuracy",
    ylim=(min(scores.values()) - 0.02, 1.0),
)
ax.legend(title="normalization", ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
plt.show()
