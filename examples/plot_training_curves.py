"""
Reading the training curves
===========================

Every fitted skstab network records its history: the loss of each epoch, the
learning rate and the gradient norm of each optimizer update, the validation
score of each epoch with early stopping, and every divergence recovery.
:class:`~skstab.plotting.TrainingCurveDisplay` draws it in one call.
"""

# %%
# A healthy run
# -------------
# Digits behind a :class:`~skstab.FeatureAligner`, with early stopping: a tenth
# of the training rows is held out, and the weights of the epoch with the best
# validation score (the dash-dotted line) are restored at the end. The learning
# rate warms up, then follows the cosine decay; the gradient norm stays mostly
# below ``clip_norm`` (dashed), so clipping only trims the occasional spike.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.pipeline import make_pipeline

from skstab import FeatureAligner, StabilizedMLPClassifier
from skstab.exceptions import DivergenceRecoveryWarning, ScaleDisparityWarning
from skstab.plotting import TrainingCurveDisplay

X, y = load_digits(return_X_y=True)
network = StabilizedMLPClassifier(early_stopping=True, max_iter=60, random_state=0)
model = make_pipeline(FeatureAligner(), network).fit(X, y)
display = TrainingCurveDisplay.from_estimator(model)
display.figure_.suptitle(f"Digits: best validation accuracy {network.best_validation_score_:.3f}")
plt.show()

# %%
# A run that diverged
# -------------------
# The same network on the breast-cancer data without feature scaling (columns
# range from about 0.001 to 4000) and with a learning rate a thousand times too
# high (``fit`` warns about both, with a
# :class:`~skstab.exceptions.ScaleDisparityWarning` and a
# :class:`~skstab.exceptions.DivergenceRecoveryWarning`, silenced here). Each
# time the loss explodes, the estimator returns to its best weights and halves
# the learning rate. The dotted red lines mark these recoveries: each follows
# a jump of the loss, each is a step down in the learning-rate panel, and the
# gradient norm spikes far above ``clip_norm`` before them. A healthy run shows
# none of this; here the fix is a FeatureAligner and the default learning rate.
X, y = load_breast_cancer(return_X_y=True)
clf = StabilizedMLPClassifier(learning_rate_init=3.0, max_iter=40, input_scaling=None, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DivergenceRecoveryWarning)
    warnings.simplefilter("ignore", ScaleDisparityWarning)
    clf.fit(X, y)
print(f"{len(clf.recoveries_)} recoveries:")
for recovery in clf.recoveries_:
    print(recovery)
display = TrainingCurveDisplay.from_estimator(clf)
display.figure_.suptitle("Breast cancer, unscaled, learning_rate_init=3.0")
plt.show()

# %%
# The same Display can draw on axes you provide, and ``panels`` picks the
# panels to draw, for instance the loss alone:
fig, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
TrainingCurveDisplay.from_estimator(model, ax=[ax], panels=["loss"])
plt.show()
