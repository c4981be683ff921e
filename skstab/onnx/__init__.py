"""ONNX export: importing this module registers skstab's converters with skl2onnx.

Needs the ``onnx`` extra (``pip install 'skstab[onnx]'``). After ``import
skstab.onnx``, :func:`skl2onnx.to_onnx` converts
:class:`~skstab.StabilizedMLPClassifier`, :class:`~skstab.StabilizedMLPRegressor`
and :class:`~skstab.FeatureAligner`, alone or inside scikit-learn pipelines.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> import skstab.onnx  # registers the converters
>>> from skstab import StabilizedMLPClassifier
>>> X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
>>> y = (X[:, 0] > 0).astype(int)
>>> clf = StabilizedMLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
>>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
>>> session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
>>> labels, proba = session.run(None, {"X": X})
>>> bool((labels == clf.predict(X)).all())
True
"""

from ._converters import CLASSIFIER_OPTIONS, MIN_OPSET, register_converters

__all__ = ["CLASSIFIER_OPTIONS", "MIN_OPSET", "register_converters"]

register_converters()
