"""Parameter and attribute descriptions shared by the two estimators' docstrings."""

SHARED_PARAMETERS = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Width of each hidden layer, as in scikit-learn's MLP.
    activation : {"relu", "gelu", "prelu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer nonlinearity. ReLU, GELU and PReLU layers start from
        He-uniform weights, the others from Glorot-uniform weights.
        ``"prelu"`` (:class:`skstab.nn.PReLU`) learns the slope of each unit's
        negative side, starting as a ReLU, at a tenth of the learning rate
        (RealMLP's parametric activation).
    input_scaling : {"robust", "standard", "quantile"} or None, default="robust"
        How the network scales its inputs, with statistics of the rows
        passed to ``fit`` (the first ``partial_fit`` call only: later chunks
        are scaled with them; to stream, pass a large first chunk or use
        ``None`` behind a ``FeatureAligner`` fitted by ``partial_fit``, see
        :ref:`streaming`), so raw features
        train like carefully preprocessed ones and features on very different
        scales cannot stall training. ``"robust"`` centres each feature on its
        median and divides by its inter-quartile range (half its range when
        the quartiles coincide; a constant feature is only centred), then
        clips smoothly with ``x / sqrt(1 + (x / 3) ** 2)``, which keeps
        outliers in order but within (-3, 3). ``"standard"`` is the z-score.
        Quantiles are inverted-CDF quantiles, so sample weights act as
        repeated rows. ``"quantile"`` maps each feature through its training
        quantiles to a standard normal, with scikit-learn's
        ``QuantileTransformer(output_distribution="normal")`` (up to 1,000
        quantiles and at most half the rows, so a saved model keeps no training
        column whole; 10,000 rows subsampled with a seed drawn from
        ``random_state``; see ``input_transformer_``): for skewed,
        heavy-tailed features such as counts and amounts of money. Its
        quantiles are unweighted: every row counts once, whatever its sample
        weight. ONNX export refuses it. ``None`` feeds the features as given,
        as does sparse input (centring would densify it: scale it
        beforehand). See :ref:`user_guide_scaling`.
    optimizer : {"adamw", "adam", "sgd", "rmsprop"}, default="adamw"
        Update rule. ``"adamw"`` shrinks the weights directly at every update
        (decoupled weight decay), so all weights are regularized at the same
        rate whatever their gradients; ``"adam"``, ``"sgd"`` and ``"rmsprop"``
        add ``weight_decay`` to the gradient as an L2 penalty. Biases and
        normalization parameters are never decayed. ``"sgd"`` uses
        ``momentum`` and ``nesterovs_momentum``; ``"rmsprop"`` averages squared
        gradients with decay 0.99 and uses ``epsilon``. Any name added to
        :data:`skstab.optim.OPTIMIZERS` is accepted too. See
        :ref:`user_guide_optimizer`.
    learning_rate_init : float, default=3e-3
        Peak learning rate, reached at the end of ``warmup``; the schedule
        decays from it. Higher than Adam's usual 1e-3 because small tabular
        datasets give only a few hundred updates in ``max_iter`` epochs, and
        a decay from 1e-3 ends before the loss levels off; 3e-3 scored higher
        on every bundled dataset of ``benchmarks/quality.py``. See
        :ref:`user_guide_schedule`.
    batch_size : int or "auto", default="auto"
        Rows per batch (all rows when larger than the training set). A last
        batch of fewer than 8 rows is merged into the one before it, because
        batch statistics from so few rows are mostly noise. ``"auto"``: 128
        rows when the call trains on at least 1,000 rows, else 32 (chosen
        with ``numerical_embedding="auto"`` on the development suite; see
        the performance guide).
    max_iter : int, default=50
        Epochs, as in scikit-learn's MLP. The learning-rate schedule is laid
        out over them, so a longer or shorter run stretches the decay rather
        than cutting it off.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first- and second-moment estimates of ``"adam"``
        and ``"adamw"``; the usual values.
    epsilon : float, default=1e-8
        Added by Adam and RMSProp to the root of the second-moment estimate,
        so that a zero gradient gives a zero step.
    momentum : float, default=0.9
        Momentum of ``optimizer="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for ``optimizer="sgd"``.
    weight_decay : float, default=0.01
        Weight-decay strength, applied to dense weights only. With
        ``"adamw"`` every update multiplies the weights by
        ``1 - learning_rate * weight_decay``; the other optimizers add
        ``weight_decay * weights`` to the gradient (see ``optimizer``).
    clip_norm : float or None, default=1.0
        Largest global gradient norm. When the norm of all gradients taken
        together exceeds it, the whole gradient is scaled down to it before
        the optimizer step, which bounds the damage of a rare huge gradient
        without changing its direction. ``None`` turns clipping off; the norm
        is still recorded in ``grad_norm_curve_``. See
        :ref:`user_guide_clipping`.
    lr_schedule : {"cosine", "linear", "step", "constant"}, default="cosine"
        Learning-rate decay after warmup, from ``learning_rate_init`` to
        ``min_learning_rate`` over the ``max_iter`` epochs. ``"step"``
        divides the rate by 10 three times, at evenly spaced epochs of the
        decay phase; ``"constant"`` keeps the peak rate. Cosine lowers the
        rate smoothly, slowly at first and near the end. Any name added to
        :data:`skstab.optim.SCHEDULES` is accepted too. See
        :ref:`user_guide_schedule`.
    min_learning_rate : float, default=1e-5
        Learning rate at the end of the decay; the schedule never goes below
        it. At most ``learning_rate_init``.
    warmup : int or float, default=0.05
        Linear warmup from a small rate up to ``learning_rate_init``: an int is
        a number of optimizer updates, a float in [0, 1) a fraction of all
        updates of the run. It keeps the first, noisiest updates small while
        momentum builds up; a fraction, unlike a fixed count, never outlasts
        a short run. See :ref:`user_guide_pitfall_momentum`.
    decay_start_epoch : float, default=0
        Hold the peak learning rate until this (possibly fractional) epoch,
        then decay over the remaining epochs. The decay never starts before
        the warmup ends.
    beta_1_warmup : bool, default=False
        For ``"adam"`` and ``"adamw"``: ramp ``beta_1`` linearly from 0.5 to
        its value over the warmup updates, so that the first, noisy gradients
        carry less momentum. The bias correction accounts for the changing
        ``beta_1``. Off by default: the learning-rate warmup usually suffices.
    normalization : {"auto", "batch", "layer", "group"} or None, default="auto"
        Normalization after each hidden dense layer; ``None`` for none.
        ``"auto"`` picks batch normalization when batches hold at least 8 rows
        and layer normalization otherwise, since batch statistics of fewer
        rows are noise; when layer normalization would be picked and a hidden
        layer has a single unit, whose layer-normalized output is constant,
        ``"auto"`` uses no normalization. An explicit ``"layer"`` with a
        one-unit layer, or ``"group"`` with groups of one unit (a width equal
        to ``n_groups``), raises a ValueError for the same reason. At prediction batch normalization uses its frozen
        running statistics (layer and group normalization work row by row),
        so a row's prediction never depends on the rows predicted with it.
        Any name added to :data:`skstab.nn.NORMALIZATIONS` is accepted too.
        See :ref:`user_guide_normalization`.
    norm_momentum : float, default=0.9
        Weight of the old running statistics in batch normalization: each
        batch updates ``running = norm_momentum * running + (1 -
        norm_momentum) * batch``. PyTorch's ``momentum=0.1`` is the same update.
    norm_epsilon : float, default=1e-5
        Added to the variance before the square root in the normalization
        layers.
    n_groups : int, default=4
        Groups of ``normalization="group"``; each hidden width must be a
        multiple of it.
    batchnorm_statistics : {"population", "running"}, default="population"
        The statistics batch normalization uses at prediction.
        ``"population"`` recomputes them at the end of training, exactly, from
        the training rows with the final weights (and for each epoch scored on
        held-out rows), so inference normalizes what the final network
        produces. ``"running"`` keeps the running averages gathered during
        training, which trail the weights: useful when the training rows are
        not at hand at the end (streaming with ``partial_fit``).
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling and the validation split. An
        int gives bit-identical fits.
    tol : float, default=1e-4
        Smallest improvement of the training loss (or of the validation score
        with ``early_stopping``) that counts as one, for ``n_iter_no_change``
        and for the end-of-fit convergence check.
    verbose : bool, default=False
        Log each epoch's loss (logger ``"skstab"``, shown on stderr when
        logging is not configured).
    warm_start : bool, default=False
        Continue from the previous fit's weights, with a fresh optimizer and
        schedule, as scikit-learn's MLP does. The network must stay the same:
        a warm start (or a later ``partial_fit``) after a change of
        ``hidden_layer_sizes``, ``activation``, an explicit ``normalization``
        or ``compute_dtype``, ``n_groups`` (group normalization), or the
        number of features or outputs raises a ValueError and leaves the model
        as it was, instead of silently keeping or replacing the network; set
        ``warm_start=False`` to train a new one. ``"auto"`` choices keep the
        existing network's. A warm-started ``fit`` of the classifier must see
        the same classes as the previous fit, as in scikit-learn (a
        ``partial_fit`` chunk may hold some of them).
    early_stopping : "auto" or bool, default=False
        Hold out ``validation_fraction`` of the rows, score them after every
        epoch (accuracy or R²) and restore the weights of the best epoch (the
        earliest of equal scores). Training still runs all ``max_iter`` epochs
        unless ``n_iter_no_change`` is set. ``"auto"`` holds out rows in
        ``fit`` from 2,000 samples on (as
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` does from
        10,000), never in ``partial_fit``; ``do_early_stopping_`` says whether
        a fit did. See :ref:`user_guide_stopping`.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int or None, default=None
        Plateau stopping: training stops after more than this many
        consecutive epochs without an improvement of ``tol`` (of the
        validation score with ``early_stopping``, else of the training loss).
        ``None`` runs every planned epoch, so the learning-rate decay is never
        cut short; scikit-learn's MLP uses 10.
    compute_dtype : {"auto", "float32", "float64"}, default="auto"
        Dtype of the network's arithmetic. ``"auto"`` computes float32 input
        in float32, and float64 input in float32 from 10,000 rows on (about
        twice as fast; minibatch noise dwarfs the rounding) and in float64
        below. Predictions come back in the input's dtype.
    gradient_accumulation_steps : int, default=1
        Batches whose gradients are averaged (weighted by rows) into each
        optimizer update, so each update follows ``batch_size *
        gradient_accumulation_steps`` rows. This keeps batch normalization
        usable when batches must stay small: each batch is still normalized
        with its own statistics, and ``SmallBatchNormWarning`` is not raised
        once the product reaches 8 rows.
    dropout : float or "auto", default="auto"
        Dropout rate after each hidden block's activation
        (:class:`skstab.nn.Dropout`): training zeroes each value with this
        probability and scales the others by ``1 / (1 - dropout)``; prediction
        uses every unit, unscaled. ``"auto"``: 0.1 from 1,000 training rows,
        where the default encoding over-fits some tables without it, else 0
        (see the performance guide); a continued network keeps its dropout.
    dropout_schedule : {"constant", "flat_cos"}, default="constant"
        How the dropout rate changes over the planned training batches of a
        fit. ``"flat_cos"`` (RealMLP's) keeps ``dropout`` for the first half,
        then lowers it along a half cosine to zero, so the last updates fit
        the network prediction uses. A warm start continues from where the
        schedule ended.
    numerical_embedding : {"auto", "periodic", "piecewise_linear"} or None, default="auto"
        ``"periodic"`` puts a :class:`skstab.nn.PeriodicEmbedding` in front of
        the network: each feature becomes itself plus 3 learned combinations
        of 16 learned cosines of it, which helps on features with sharp or
        periodic effects (RealMLP's PBLD embedding). Its parameters learn at
        a tenth of the learning rate and are not decayed. The first layer's
        input grows fourfold. ``"piecewise_linear"`` puts a
        :class:`skstab.nn.PiecewiseLinearEncoding` there (Gorishniy et al.,
        2022): each scaled feature is cut into up to 16 bins at its training
        quantiles (fewer for features with few distinct values, one for a
        constant), and a value in bin ``t`` becomes 1 for every bin before,
        its position within bin ``t``, and 0 after; the first layer then
        learns a piecewise-linear function of each feature, which suits
        irregular, multi-modal or thresholded features. The bins are fixed
        (weighted quantiles of the rows passed to ``fit``, or of the first
        ``partial_fit`` call) and learn nothing; the first layer's input grows
        up to sixteenfold; ONNX export covers it. ``None`` feeds the scaled
        features directly. ``"auto"`` (default): ``"piecewise_linear"`` when
        the network is built on at least 1,000 training rows, where it won on
        the development suite's mid-size tables, else ``None`` (on a few
        hundred rows its bins over-fit); a continued network keeps its own.
    feature_scale : bool, default=False
        Put a learned scale per input feature (:class:`skstab.nn.FeatureScale`,
        starting at 1) in front of the first dense layer, after any
        embedding, learning at 6 times the learning rate (RealMLP's front
        scale): a soft feature selection. Off by default.
    n_ensemble : int, default=4
        Members of a TabM-style ensemble trained as one network
        (:class:`skstab.nn.BatchEnsembleDense`): the members share every
        weight matrix and differ by per-member multipliers of its inputs and
        outputs and per-member biases, so parameters grow little and one
        matrix product per layer serves all members. Each member is trained
        on its own predictions (the loss is the mean of theirs); predictions
        average the members' probabilities (classifier) or values
        (regressor). Batch normalization pools the members' rows. ``1`` is a
        plain network. The default of 4 won on 10 of the 12 tables of the
        development suite for about 2.5 times the fit time of one member (see
        :ref:`performance`).
    accelerator : {"auto", "numpy", "numba"}, default="auto"
        How the training arithmetic outside the matrix products runs. ``"numba"``
        compiles the optimizer step, batch normalization (fused with a
        following ReLU) and the loss with its gradient into kernels that make
        one to three passes over memory where numpy makes a dozen; it needs
        numba (``pip install skstab[fast]``), and its first use after an
        install compiles the kernels once (they are cached on disk).
        ``"numpy"`` is the reference implementation. ``"auto"`` (default) is
        numba when it is installed and the fit is large enough for the
        compiled kernels to save more time than loading them costs (see
        ``accelerator_``), else numpy. The two agree to the rounding
        of the compute dtype, not bit for bit: a seeded fit reproduces
        exactly only with the same choice. Prediction runs the
        piecewise-linear encoding and the dense layer after it as one numba
        kernel when ``accelerator_`` is ``"numba"``, and every other layer
        with numpy.
        See :ref:`performance`.
    partial_fit_horizon : int or None, default=None
        How the learning rate evolves over ``partial_fit`` calls, read on the
        first call (``fit`` ignores it). The schedule counts optimizer
        updates, and one call of the first call's size is one planned epoch:
        with ``U`` the first call's updates, ``W`` the warmup updates
        (``warmup`` if an int, else ``max(round(warmup * P * U), 1)``) and
        ``s`` the 0-based update index. ``None``, for a stream of unknown
        length: a linear warmup then the constant peak rate, ``lr(s) =
        learning_rate_init * min((s + 1) / W, 1)`` with ``P = max_iter``;
        ``lr_schedule`` does not apply, as no decay can be laid out without an
        end. An int ``H``: ``lr_schedule`` laid out over ``P = H`` calls
        (``H * U`` updates), exactly as ``fit`` lays it out over ``max_iter``
        epochs; past them the rate holds at the schedule's end and
        :class:`~skstab.exceptions.HorizonExceededWarning` is raised once.
        Set it to chunks times passes to reproduce a ``fit``'s schedule.
        The first ``partial_fit`` after ``fit`` (or after a warm-start fit)
        restarts this schedule, from step 0, with its peak at 0.3 times
        ``learning_rate_init``: the fit's schedule ended near
        ``min_learning_rate``, where new data teaches almost nothing. See
        :ref:`streaming`.
    categorical_features : "from_dtype", array-like of int, str or bool, or None, \
            default="from_dtype"
        Which columns of X are categorical, as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
        ``"from_dtype"`` takes a pandas DataFrame's ``category``, string and
        text ``object`` columns and a polars DataFrame's ``Categorical``,
        ``Enum`` and ``String`` columns (boolean columns are numbers, 0 and
        1; arrays have no categorical columns); or integer indices, column
        names, a boolean mask of shape (n_features,), or ``None`` for none.
        Categorical columns are encoded inside the model (``encoder_``): a
        column of at most 16 levels (a missing value is a level of its own)
        is one-hot encoded, and a column of more levels is replaced by
        scikit-learn's :class:`~sklearn.preprocessing.TargetEncoder`,
        cross-fitted over 5 folds in ``fit`` (its statistics ignore
        ``sample_weight``). ``partial_fit``, multi-output targets and
        classes of fewer than 5 rows get no target statistics: such a column
        is one-hot encoded over its 15 most frequent levels plus one column
        for the others. Missing numbers are imputed with the column's median
        plus a missing-indicator column (for the columns with missing values
        in fit). The levels, medians and target statistics are those of the
        first ``fit`` or ``partial_fit`` call, never refitted; a level not
        seen then (or missing where none was) is "unknown", encoded as all
        zeros, the "others" column or the target mean, without an error.
        Numeric input without missing values and without categorical columns
        is not encoded at all (``encoder_`` is None): it trains and predicts
        exactly as before. ONNX export refuses a model with an
        ``encoder_``. See :ref:`user_guide_tables`."""


SHARED_ATTRIBUTES = """
    loss_ : float
        Weighted mean training loss of the last epoch.
    best_loss_ : float or None
        Lowest epoch loss; ``None`` with early stopping.
    loss_curve_ : list of float
        Loss of every epoch, accumulated over warm starts and partial fits.
    do_early_stopping_ : bool
        Whether the last ``fit`` held rows out to choose its best epoch.
    validation_scores_ : list of float or None
        Validation score of every epoch with early stopping, else ``None``.
    best_validation_score_ : float or None
        Best validation score, whose weights were restored; else ``None``.
    validation_loss_curve_ : list of float or None
        Loss of every epoch on the held-out rows with early stopping (the
        training loss function, in inference mode, on the same scale as
        ``loss_curve_``), else ``None``.
    lr_curve_ : ndarray of shape (n_updates,)
        Learning rate of every optimizer update, divergence halvings included.
    grad_norm_curve_ : ndarray of shape (n_updates,)
        Global gradient norm of every update, before clipping.
    clip_fraction_curve_ : list of float
        Share of each epoch's updates whose gradient was clipped.
    recoveries_ : list of dict
        One entry per divergence recovery: ``epoch`` and ``update`` (both
        counted across warm starts and ``partial_fit`` calls),
        ``reason`` (``"non-finite loss"``, ``"non-finite gradient"``,
        ``"non-finite parameters"``, after which the epoch was run again, or
        ``"exploding loss"``: an epoch's mean loss rose above the best epoch's
        by half the first epoch's loss, and training went on from the best
        epoch's weights; ``partial_fit`` judges a moving average over about
        the last 20 calls instead, so one noisy chunk is no explosion) and
        ``lr_scale``, the factor on the schedule from then on.
    input_center_ : ndarray of shape (n_inputs,) or None
        Per-input centre of ``input_scaling`` (median or mean), over the
        network's inputs (the encoded columns with an ``encoder_``); None
        when inputs are not scaled or scaled by quantiles.
    input_scale_ : ndarray of shape (n_inputs,) or None
        Per-feature divisor of ``input_scaling``; None when inputs are not
        scaled or scaled by quantiles.
    input_transformer_ : sklearn.preprocessing.QuantileTransformer or None
        The ``QuantileTransformer`` of ``input_scaling="quantile"``, fitted on
        the rows passed to ``fit`` (the first ``partial_fit`` call only: later
        chunks are scaled with it); None otherwise.
    accelerator_ : {"numpy", "numba"}
        What the training arithmetic outside the matrix products ran with
        (see ``accelerator``); ``"auto"`` gives ``"numba"`` only when numba is
        installed and the fit plans at least 5e8 parameter updates
        (parameters times optimizer updates), where compiling the kernels
        pays for itself.
    inference_gap_ : float
        Inference-mode loss minus training-mode loss on up to 2,048 training
        rows, as a share of the first epoch's loss: near zero when prediction
        normalizes as training did (``InferenceMismatchWarning`` above 0.1).
    n_iter_ : int
        Epochs run by the last call to ``fit``; after ``partial_fit``, the
        number of calls (passes over chunks) since the network was built or
        last fitted, as scikit-learn's SGD estimators count.
    t_ : int
        Training rows processed (each row once per epoch or call),
        accumulated like ``loss_curve_``.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of network outputs.
    out_activation_ : str
        Output link.
    net_ : skstab.nn.Sequential
        The trained network (dense, normalization and activation layers).
    coefs_ : list of ndarray
        Dense weight matrices, input to output; views into ``net_``. With
        ``n_ensemble > 1``, the weights the members share (each member scales
        their inputs and outputs by its own multipliers, in ``net_``).
    intercepts_ : list of ndarray
        Dense bias vectors, input to output; views into ``net_``. With
        ``n_ensemble > 1``, the members' biases, of shape
        ``(n_ensemble, n_units)``.
    encoder_ : TableEncoder or None
        What turns the raw columns of X into the network's input (see
        ``categorical_features``): imputed numbers and missing indicators,
        one-hot levels and target encodings; ``encoder_.get_feature_names_out()``
        names the encoded columns. None when the first fit had numbers only,
        none missing.
    n_features_in_ : int
        Number of features (raw columns) seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit, when X had string column names."""
