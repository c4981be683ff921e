"""
A pandas workflow: from a DataFrame to a grid search
====================================================

A table with numeric and categorical columns and missing values goes through
a :class:`~sklearn.compose.ColumnTransformer` (impute, one-hot encode) into a
:class:`~skstab.StabilizedMLPClassifier`, which scales the numeric inputs
itself. :class:`~sklearn.model_selection.GridSearchCV` tunes it with a
progress bar (scikit-learn's callback API, when the installed scikit-learn
has it), and ``cv_results_`` comes back as a DataFrame.
"""

# %%
# A table with categories and holes
# ----------------------------------
# The breast-cancer measurements, a categorical size class derived from one of
# them, and 5% of the cells of three columns knocked out.
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skstab import StabilizedMLPClassifier

data = load_breast_cancer(as_frame=True)
frame, y = data.frame.drop(columns="target"), data.target
frame["size"] = pd.cut(frame["mean radius"], [0, 12, 15, 100], labels=["small", "medium", "large"]).astype(object)
rng = np.random.default_rng(0)
for column in ["mean texture", "worst area", "size"]:
    frame.loc[rng.random(len(frame)) < 0.05, column] = np.nan
X_train, X_test, y_train, y_test = train_test_split(frame, y, stratify=y, random_state=0)
frame.isna().sum().loc[lambda missing: missing > 0]

# %%
# The pipeline
# ------------
# Numbers are imputed with the median; categories with the most frequent one,
# then one-hot encoded. Scaling is the network's business (``input_scaling``).
preprocess = ColumnTransformer(
    [
        ("numbers", SimpleImputer(strategy="median"), make_column_selector(dtype_include="number")),
        (
            "categories",
            make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
            make_column_selector(dtype_exclude="number"),
        ),
    ]
)
model = make_pipeline(preprocess, StabilizedMLPClassifier(max_iter=30, random_state=0))

# %%
# A grid search with a progress bar
# ---------------------------------
grid = {
    "stabilizedmlpclassifier__learning_rate_init": [1e-3, 1e-2],
    "stabilizedmlpclassifier__hidden_layer_sizes": [(32,), (64, 64)],
}
search = GridSearchCV(model, grid, cv=3)
try:
    from sklearn.callback import ProgressBar

    search.set_callbacks(ProgressBar())
except ImportError:  # scikit-learn older than 1.9: no callback API, no bar
    pass
search.fit(X_train, y_train)
print(f"best {search.best_params_}: test accuracy {search.score(X_test, y_test):.3f}")

# %%
# The results as a DataFrame
# --------------------------
results = pd.DataFrame(search.cv_results_)
results[
    [
        "param_stabilizedmlpclassifier__learning_rate_init",
        "param_stabilizedmlpclassifier__hidden_layer_sizes",
        "mean_test_score",
        "std_test_score",
        "mean_fit_time",
        "rank_test_score",
    ]
].sort_values("rank_test_score")
