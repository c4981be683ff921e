"""Parameter and attribute descriptions shared by the two estimators' docstrings."""

SHARED_PARAMETERS = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer.
    activation : {"relu", "gelu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer nonlinearity. ReLU and GELU layers start from He-uniform
        weights, the others from Glorot-uniform weights.
    optimizer : {"adamw", "adam", "sgd", "rmsprop"}, default="adamw"
        Update rule. ``"adamw"`` decays weights decoupled from the gradient
        (the guide's fix for Adam's generalization gap); ``"adam"``, ``"sgd"``
        and ``"rmsprop"`` add ``weight_decay`` to the gradient as an L2
        penalty. Biases and normalization parameters are never decayed.
        ``"sgd"`` uses ``momentum`` and ``nesterovs_momentum``; ``"rmsprop"``
        averages squared gradients with decay 0.99 and uses ``epsilon``.
    learning_rate_init : float, default=3e-3
        Peak learning rate, reached at the end of warmup. The guide's
        template uses 1e-3, but on tabular data of a few hundred rows 50
        epochs are only a few hundred updates, and a decay from 1e-3 freezes
        the model short of the loss basin (the guide's pitfall 5); 3e-3 scored
        higher on every bundled dataset of ``benchmarks/quality.py``.
    batch_size : int, default=32
        Rows per update (all rows when larger than the training set). A last
        batch of fewer than 8 rows is merged into the one before it.
    max_iter : int, default=50
        Epochs, as in scikit-learn's MLP. The learning-rate decay spans them.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's and RMSProp's denominator guard.
    momentum : float, default=0.9
        Momentum of ``optimizer="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for ``optimizer="sgd"``.
    weight_decay : float, default=0.01
        Weight-decay strength (see ``optimizer``).
    clip_norm : float or None, default=1.0
        Largest global gradient norm; larger gradients are scaled down before
        the optimizer step (the guide's cure for gradient explosion). ``None``
        turns clipping off; the norm is still recorded.
    lr_schedule : {"cosine", "linear", "step", "constant"}, default="cosine"
        Learning-rate decay after warmup, laid out over ``max_iter`` epochs
        so it is tied to epochs, not to a step count. ``"step"`` divides the
        rate by 10 three times, at evenly spaced epochs of the decay phase.
    min_learning_rate : float, default=1e-5
        Learning rate at the end of the decay.
    warmup : int or float, default=0.05
        Linear warmup: a number of optimizer steps, or a fraction of all steps
        of the run. The guide's template warms up for 500 steps; a fraction
        keeps warmup from outlasting a short run on small data.
    decay_start_epoch : float, default=0
        Hold the peak learning rate until this epoch, then decay.
    beta_1_warmup : bool, default=False
        Ramp Adam's ``beta_1`` linearly from 0.5 to its value over the warmup
        steps, with exact bias correction (the guide's momentum-overshoot fix).
    normalization : {"auto", "batch", "layer", "group"} or None, default="auto"
        Normalization after each hidden dense layer. ``"auto"`` is the guide's
        rule: batch normalization when batches hold at least 8 rows, layer
        normalization otherwise. Inference always uses frozen statistics.
    norm_momentum : float, default=0.9
        Weight of the old running statistics in batch normalization.
    norm_epsilon : float, default=1e-5
        Variance guard of the normalization layers.
    n_groups : int, default=4
        Groups of ``normalization="group"``; each hidden width must be a
        multiple of it.
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling and the validation split. An
        int gives bit-identical fits.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    verbose : bool, default=False
        Log each epoch's loss (logger ``"skstab"``, shown on stderr when
        logging is not configured).
    warm_start : bool, default=False
        Continue from the previous fit's weights, with a fresh optimizer and
        schedule, as scikit-learn's MLP does.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the validation
        score stalls, and restore the best weights.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated before stopping.
    compute_dtype : {"auto", "float32", "float64"}, default="auto"
        Dtype of the network's arithmetic. ``"auto"`` computes float32 input
        in float32, and float64 input in float32 from 10,000 rows on (about
        twice as fast; minibatch noise dwarfs the rounding) and in float64
        below. Predictions come back in the input's dtype.
    gradient_accumulation_steps : int, default=1
        Batches whose gradients are averaged (weighted by rows) into each
        optimizer update: the guide's way to keep batch normalization with
        batches too small for it, since updates then follow
        ``batch_size * gradient_accumulation_steps`` rows. Each batch is
        still normalized with its own statistics."""

SHARED_ATTRIBUTES = """
    loss_ : float
        Weighted mean training loss of the last epoch.
    best_loss_ : float or None
        Lowest epoch loss; ``None`` with early stopping.
    loss_curve_ : list of float
        Loss of every epoch, accumulated over warm starts and partial fits.
    validation_scores_ : list of float or None
        Validation score of every epoch with early stopping, else ``None``.
    best_validation_score_ : float or None
        Best validation score, whose weights were restored; else ``None``.
    lr_curve_ : ndarray of shape (n_updates,)
        Learning rate of every optimizer update.
    grad_norm_curve_ : ndarray of shape (n_updates,)
        Global gradient norm of every update, before clipping.
    clip_fraction_curve_ : list of float
        Share of each epoch's updates whose gradient was clipped.
    recoveries_ : list of dict
        One entry per divergence recovery: ``epoch``, ``update``,
        ``reason`` (``"non-finite loss"``, ``"non-finite gradient"``,
        ``"non-finite parameters"``, after which the epoch was run again, or
        ``"exploding loss"``: an epoch's mean loss rose above the best epoch's
        by half the first epoch's loss, and training went on from the best
        epoch's weights) and
        ``lr_scale``, the factor on the schedule from then on.
    n_iter_ : int
        Epochs run by the last call to ``fit`` (1 after ``partial_fit``).
    t_ : int
        Training rows processed, accumulated like ``loss_curve_``.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of network outputs.
    out_activation_ : str
        Output link.
    net_ : skstab.nn.Sequential
        The trained network (dense, normalization and activation layers).
    coefs_ : list of ndarray
        Dense weight matrices, input to output; views into ``net_``.
    intercepts_ : list of ndarray
        Dense bias vectors, input to output; views into ``net_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit, when X had string column names."""
