"""``QUBOHeadClassifier``: a softmax head with K-bit fixed-point weights, trained by iterated per-class QUBOs.

Each iteration (a majorize-minimize step, :mod:`annealq.head.surrogate`): softmax
probabilities and the gradient at the current weights ``W``, Böhning's class-separable
curvature ``H``, then per class the QUBO of the quadratic upper bound over the K-bit grid,
``(d + 1) K`` binary variables whatever the number of samples.  The C QUBOs go to
:func:`annealq.solve` (any route, or a dimod sampler) warm-started from ``W`` itself, which
lies on the grid, and from the surrogate's continuous minimiser rounded onto the grid (a
cheap start that greedy routes only polish).  ``W`` is always a candidate: of the solver's
answer and ``W`` the one with the lower TRUE loss is kept, so the training loss never goes
up.  The grid is fixed for the whole fit (so ``W`` stays encodable).

On a coarse grid the bound's step stalls early (every grid move is penalised by the loose
curvature): the QUBOs are then rebuilt with the curvature scaled down (``backoff``), and
such an answer too is kept only if the TRUE loss goes down; when the classes' steps together
do not lower it, each class's step alone is tried (:func:`class_moves`).  The fit stops when
the loss decreases by less than ``tol`` (relative), when no step lowers it, or after
``max_iter`` iterations.  The grid comes from the continuous bound iterate (``grid_rule``) and
the fit starts from it rounded (``init``); ``annealer=False`` is the no-annealer ablation.
Choices measured in benchmarks/results/head_grid_rule.txt and head_fmnist.txt.  With a
journal, iteration ``t``'s problems and answers are step ``iter-t`` of workflow ``head``: a
fit run again on the same journal reuses them (an interrupted fit resumes where it stopped,
bit for bit).

Example:
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(60, n_features=3, centers=3, random_state=0)
    >>> head = QUBOHeadClassifier(bits=3, solver=SolverConfig(route="exact"), max_iter=5).fit(X, y)
    >>> head.score(X, y) > 0.9, head.grid_.contains(head.coef_)
    (True, True)
    >>> losses = [h["loss"] for h in head.history_]
    >>> all(b <= a for a, b in zip(losses, losses[1:]))
    True
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import NotFittedError

from annealq.data.checks import check_inputs, check_labels
from annealq.records.journal import opened
from annealq.formulations.grids import LAYOUTS, MAX_BITS, Grid, check_bits
from annealq.head.surrogate import (augment, bound_iterate, class_problems, curvature, gradient, log_probabilities,
                                    loss)
from annealq.samplers.config import (Config, SolverConfig, check_choice, check_count, check_positive, check_seed)
from annealq.samplers.solve import solve
from annealq.report.tables import Column
from annealq.workflows import register_workflow, run

WORKFLOW = "head"
#: Grid half-range per class: this multiple of the range whose K-bit grid best fits (least
#: squares) the first surrogate step's continuous optimum, chosen by the training loss
#: (benchmarks/results/head_grid_backoff.txt): 3x is lowest at every K measured (1-10) with
#: the curvature back-off; a fixed multiple of the largest |weight| suits one K only.
RANGE_FACTOR = 3.0
#: Curvature multipliers tried when the bound's step stalls.  Measured on digits (d = 64, range factor 2, route
#: batched, 20 iterations; benchmarks/results/head_backoff.txt): the bound alone stalls at
#: training loss 1.20 / 0.74 / 0.53 / 0.36 for K = 1 / 2 / 3 / 4, with these 0.68 / 0.25 / 0.23 / 0.26.
BACKOFF = (0.5, 0.25, 0.125)
_RANGE_FRACTIONS = np.linspace(0.02, 1.0, 50)  # candidate half-ranges, fractions of the largest |weight|
#: ``first-step``: RANGE_FACTOR times the fitted range of the first bound step (the surrogate's minimiser from
#: W = 0); ``iterate``: the fitted range of the continuous bound iterate (:func:`bound_iterate`, at most
#: ITERATE_STEPS steps) times the factor of ITERATE_FACTORS whose grid rounds it to the lowest training loss.
GRID_RULES = ("first-step", "iterate")
ITERATE_FACTORS = (1.0, 1.25, 1.5, 2.0, 3.0)
ITERATE_STEPS = 50
#: The fit's first weights: ``zero`` rounded onto the grid, or ``rounded``: the better (training loss) of that
#: and the continuous bound iterate rounded onto the grid.
INITS = ("zero", "rounded")


@dataclass(frozen=True)
class HeadConfig(Config):
    """What makes a head fit's QUBOs (the journal's key; ``max_iter`` and ``tol`` are not in it,
    so a fit resumed with more iterations reuses every recorded one)."""

    bits: int = 10
    l2: float = 1e-4
    layout: str = "signed"
    range_factor: float = RANGE_FACTOR
    backoff: tuple = BACKOFF
    solver: SolverConfig = field(default_factory=SolverConfig)
    grid_rule: str = "iterate"
    init: str = "rounded"
    adaptive: bool = True

    def __post_init__(self):
        check_bits(self.bits, MAX_BITS)
        object.__setattr__(self, "backoff", tuple(self.backoff))
        if not all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 < b < 1 for b in self.backoff):
            raise ValueError(f"backoff must hold curvature multipliers between 0 and 1, got {self.backoff!r}")
        if isinstance(self.l2, bool) or not isinstance(self.l2, (int, float)) or not (self.l2 >= 0) \
                or not math.isfinite(self.l2):
            raise ValueError(f"l2 must be a finite number >= 0, got {self.l2!r}")
        check_choice("layout", self.layout, LAYOUTS)
        check_positive("range_factor", self.range_factor)
        check_choice("grid_rule", self.grid_rule, GRID_RULES)
        check_choice("init", self.init, INITS)
        if not isinstance(self.adaptive, bool):
            raise ValueError(f"adaptive must be True or False, got {self.adaptive!r}")


def check_training_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, d)`` float64 and labels ``(N,)``, with a one-line error for bad input."""
    X = np.asarray(check_inputs(X, "X (features)", ndim=2), dtype=np.float64)
    y = np.asarray(check_labels(y, "y (labels)", samples=X.shape[0], indices=False))
    if len(np.unique(y)) < 2:
        raise ValueError(f"y holds a single class ({y[0]!r}): a classifier needs at least two classes")
    return X, y


def fitted_range(weights, bits: int, layout: str = "signed") -> np.ndarray:
    """Per row, the half-range whose K-bit grid rounds ``weights`` with the least squared error.

    >>> fitted_range(np.array([[1.0, -1.0, 0.5, -0.5]]), bits=1).round(2).tolist()  # mean |w| = 0.75, to the candidates
    [0.74]
    """
    w = np.asarray(weights, dtype=np.float64)
    top = np.abs(w).max(axis=1)
    top = np.where(top > 0, top, 1.0)
    errors = []
    for fraction in _RANGE_FRACTIONS:
        grid = Grid.from_range(bits, fraction * top, layout)
        errors.append(np.sum((grid.nearest(w) - w) ** 2, axis=1))
    return _RANGE_FRACTIONS[np.argmin(np.array(errors), axis=0)] * top


class QUBOHeadClassifier:
    """Multinomial logistic regression with K-bit fixed-point weights (scikit-learn style).

    Args:
        bits: K, bits per weight (bias included), 1 to 24.
        solver: a :class:`SolverConfig` (any route: ``sa``, ``tabu``, ``exact``, ``batched``,
            ``mock-qpu:<profile>``, ``qpu``, ``hybrid``, ...), a route name, or a dimod sampler.
        max_iter: most majorize-minimize iterations.
        tol: stop when an iteration lowers the loss by less than ``tol * loss``.
        l2: ridge term on the weights (not the biases) of the loss.
        layout: grid layout, ``signed`` (zero included) or ``midrise`` (:class:`annealq.formulations.grids.Grid`).
        range_factor: the ``first-step`` grid's half-range per class as a multiple of
            :func:`fitted_range` of the continuous minimiser of the first surrogate (from W = 0).
        backoff: curvature multipliers (each in (0, 1)) tried in turn when the bound's step does
            not lower the loss: their surrogates need not bound the loss, so their answers are
            kept only when the TRUE loss goes down (the guarantee stands).
        grid_range: a fixed half-range (scalar or one per class), or a :class:`~annealq.formulations.grids.Grid`,
            instead of ``grid_rule``.
        grid_rule: ``first-step`` or ``iterate`` (:data:`GRID_RULES`).
        init: ``zero`` or ``rounded`` (:data:`INITS`).
        adaptive: each iteration tries first the curvature multiplier one back-off beyond the
            last step's, then the milder ones down to the bound itself, then the rest
            (:func:`trial_order`); False: the bound first, then each back-off in turn.
        annealer: False for the no-annealer ablation: the same loop, each class's step the better
            (surrogate energy) of the two warm starts (the current weights and the surrogate's
            minimiser rounded onto the grid), nothing sent to a solver.
        random_state: the solver's seed when ``solver`` is a route name (a SolverConfig has its own).
        reference: a route name, SolverConfig or dimod sampler that solves the same QUBOs every
            iteration to report the route's energy gap to it (``history_``'s ``energy_gap``).
        journal: an :class:`annealq.records.Journal` to record and resume on.

    Attributes:
        coef_, intercept_: ``(C, d)`` and ``(C,)`` weights, on the grid.
        coef_int_, intercept_int_: their grid integers (``0 .. 2^K - 1``).
        step_, offset_: ``(C,)`` the grid of each class: ``w = offset_ + step_ * integer``.
        grid_: the :class:`~annealq.formulations.grids.Grid`; range_factor_: the ``iterate`` rule's factor chosen
            (None otherwise); classes_, n_iter_; stop_: why the fit stopped (``tol``: the loss
            dropped by less than ``tol``, ``stalled``: no step lowered it, ``max_iter``);
            history_ (one dict per iteration: loss, train accuracy, summed QUBO energy, energy gap
            to ``reference``, curvature multiplier, accepted, seconds).
    """

    def __init__(self, bits: int = 10, *, solver=None, max_iter: int = 100, tol: float = 1e-4, l2: float = 1e-4,
                 layout: str = "signed", range_factor: float = RANGE_FACTOR, backoff=BACKOFF, grid_range=None,
                 grid_rule: str = "iterate", init: str = "rounded", adaptive: bool = True, annealer: bool = True,
                 random_state: int | None = 0, reference=None, journal=None):
        self.bits = bits
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.l2 = l2
        self.layout = layout
        self.range_factor = range_factor
        self.backoff = backoff
        self.grid_range = grid_range
        self.grid_rule = grid_rule
        self.init = init
        self.adaptive = adaptive
        self.annealer = annealer
        self.random_state = random_state
        self.reference = reference
        self.journal = journal

    # -- set-up ----------------------------------------------------------------------------

    def _solver(self) -> tuple[SolverConfig, object]:
        """The solver config (the journal's key) and the sampler to call."""
        if isinstance(self.solver, SolverConfig):
            return self.solver, self.solver.route
        if self.solver is None or isinstance(self.solver, str):
            config = SolverConfig(route=self.solver or "sa", seed=check_seed(self.random_state))
            return config, config.route
        config = SolverConfig(route=f"sampler:{type(self.solver).__name__}", seed=check_seed(self.random_state))
        return config, self.solver

    def _grid(self, phi, labels, H, config: HeadConfig, classes: int) -> tuple[Grid, np.ndarray]:
        """The grid (``grid_range``, else ``grid_rule``) and the first weights (``init``) on it."""
        self.range_factor_ = None
        zero = np.zeros((classes, phi.shape[1]))
        iterate = None
        if config.init == "rounded" or (self.grid_range is None and config.grid_rule == "iterate"):
            iterate = bound_iterate(phi, labels, classes, H, config.l2, steps=ITERATE_STEPS, tol=self.tol)
        if isinstance(self.grid_range, Grid):
            if self.grid_range.bits != config.bits or len(self.grid_range.step) != classes:
                raise ValueError(f"grid_range is a {self.grid_range.bits}-bit grid of {len(self.grid_range.step)} "
                                 f"classes: give one of {config.bits} bits and {classes} classes")
            grid = self.grid_range
        elif self.grid_range is not None:
            r = np.broadcast_to(np.asarray(self.grid_range, dtype=np.float64), (classes,))
            grid = Grid.from_range(config.bits, r, config.layout)
        elif config.grid_rule == "first-step":
            first = -np.linalg.solve(H, gradient(phi, labels, zero, config.l2).T).T  # argmin of the first surrogate
            grid = Grid.from_range(config.bits, config.range_factor
                                             * fitted_range(first, config.bits, config.layout), config.layout)
        else:
            fitted = fitted_range(iterate, config.bits, config.layout)
            grids = [Grid.from_range(config.bits, f * fitted, config.layout) for f in ITERATE_FACTORS]
            best = int(np.argmin([loss(phi, labels, g.nearest(iterate), config.l2) for g in grids]))
            grid, self.range_factor_ = grids[best], ITERATE_FACTORS[best]
        starts = [grid.nearest(zero)] + ([grid.nearest(iterate)] if config.init == "rounded" else [])
        return grid, min(starts, key=lambda w: loss(phi, labels, w, config.l2))

    # -- fit -------------------------------------------------------------------------------

    def fit(self, X, y) -> "QUBOHeadClassifier":
        with opened(self.journal) as journal:  # a run folder path is opened for the fit
            return self._fit(X, y, journal)

    def _fit(self, X, y, journal) -> "QUBOHeadClassifier":
        X, y = check_training_data(X, y)
        check_count("max_iter", self.max_iter)
        check_positive("tol", self.tol)
        solver_config, sampler = self._solver()
        config = HeadConfig(check_bits(self.bits, MAX_BITS), self.l2, self.layout, self.range_factor, self.backoff,
                            solver_config, self.grid_rule, self.init, self.adaptive)
        self.classes_, labels = np.unique(y, return_inverse=True)
        phi = augment(X)
        H = curvature(phi, config.l2)
        if not np.all(np.linalg.eigvalsh(H) > 0) and config.l2 == 0:
            H = H + 1e-12 * np.eye(len(H))  # a feature constant on the training set
        classes = len(self.classes_)
        grid, weights = self._grid(phi, labels, H, config, classes)
        current = loss(phi, labels, weights, config.l2)
        self.history_ = []
        self.stop_ = "max_iter"
        level = 0  # the curvature multiplier (index) of the last step taken
        for t in range(self.max_iter):
            start = time.perf_counter()
            g = gradient(phi, labels, weights, config.l2)
            step = None if journal is None or not self.annealer else journal.step(WORKFLOW, config, f"iter-{t}")
            scales = (1.0, *config.backoff)
            for trial in trial_order(level if config.adaptive else 0, len(scales)):
                scale = scales[trial]
                problem = class_problems(weights, g, scale * H, bits=config.bits, step=grid.step, offset=grid.offset,
                                         ids=trial * classes + np.arange(classes))
                batch = problem.grouped_qubo
                warm = self._warm_starts(problem, grid, weights, g, scale * H) \
                    if solver_config.warm_start or not self.annealer else None
                states, energies = self._step(batch, sampler, solver_config, warm, step)
                energy = float(energies.sum())
                candidate = problem.decode(states)
                new = loss(phi, labels, candidate, config.l2)
                if new >= current:  # the classes' steps together overshoot: take those that help one by one
                    candidate, new = class_moves(phi, labels, weights, candidate, energies, config.l2)
                if new < current:
                    break
            accepted = new < current  # the current weights stay unless the TRUE loss goes down
            gain = current - new
            if accepted:
                weights, current, level = candidate, new, trial
            self.history_.append({
                "iteration": t + 1, "loss": current, "accuracy": self._accuracy(phi, labels, weights),
                "energy": energy, "energy_gap": self._gap(batch, warm, energy, solver_config), "curvature": scale,
                "accepted": bool(accepted), "seconds": time.perf_counter() - start})
            if not accepted or gain <= self.tol * max(current, 1e-12):
                self.stop_ = "tol" if accepted else "stalled"
                break
        self.n_iter_ = len(self.history_)
        self.grid_ = grid
        self._set_weights(weights)
        return self

    def _step(self, batch, sampler, solver_config: SolverConfig, warm, step) -> tuple[np.ndarray, np.ndarray]:
        """Every class's new state ``(C, m)`` and energy ``(C,)``: the solver's answers, or
        without the annealer the lower-energy warm start of each class."""
        if not self.annealer:
            energies = batch.energies(warm)
            pick = np.argmin(energies, axis=1)
            rows = np.arange(len(pick))
            return warm[rows, pick], energies[rows, pick]
        answers = solve(batch, sampler, config=solver_config, warm_starts=warm, journal=step, on_answer=release_model)
        return np.stack([a.state for a in answers]), np.array([a.energy for a in answers])

    @staticmethod
    def _warm_starts(problem, grid, weights, grad, H) -> np.ndarray:
        """``(C, 2, m)``: the current weights (the majorize-minimize candidate) and the surrogate's
        continuous minimiser ``w_c - H^-1 g_c`` rounded onto the grid."""
        newton = grid.nearest(weights - np.linalg.solve(H, grad.T).T)
        return np.stack([problem.encode(weights), problem.encode(newton)], axis=1)

    def _gap(self, batch, warm, energy: float, solver_config: SolverConfig) -> float | None:
        if self.reference is None:
            return None
        ref = self.reference
        config = ref if isinstance(ref, SolverConfig) else SolverConfig(route="exact", seed=solver_config.seed)
        sampler = config.route if isinstance(ref, SolverConfig) else ref
        best = sum(a.energy for a in solve(batch, sampler, config=config, warm_starts=warm))
        return float(energy - min(best, energy))

    @staticmethod
    def _accuracy(phi, labels, weights) -> float:
        return float(np.mean(np.argmax(phi @ weights.T, axis=1) == labels))

    def _set_weights(self, weights: np.ndarray) -> None:
        self.coef_, self.intercept_ = weights[:, :-1].copy(), weights[:, -1].copy()
        ints = self.grid_.codes(weights)
        self.coef_int_, self.intercept_int_ = ints[:, :-1], ints[:, -1]
        self.step_, self.offset_ = self.grid_.step, self.grid_.offset

    # -- predict ---------------------------------------------------------------------------

    def _weights(self) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise NotFittedError("this QUBOHeadClassifier is not fitted yet: call fit(X, y) first")
        return np.hstack([self.coef_, self.intercept_[:, None]])

    def _features(self, X) -> np.ndarray:
        W = self._weights()
        X = check_inputs(X, "X (features)", ndim=2, sample_shape=(W.shape[1] - 1,))
        return augment(np.asarray(X, dtype=np.float64))

    def decision_function(self, X) -> np.ndarray:
        return self._features(X) @ self._weights().T

    def predict_proba(self, X) -> np.ndarray:
        return np.exp(log_probabilities(self._features(X), self._weights()))

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X, y) -> float:
        """Mean accuracy on ``(X, y)``."""
        predicted = self.predict(X)
        return float(np.mean(predicted == check_labels(y, "y (labels)", samples=len(predicted), indices=False)))

    def loss(self, X, y) -> float:
        """The training objective (cross-entropy plus ridge) of the fitted head on ``(X, y)``."""
        phi = self._features(X)
        labels = np.searchsorted(self.classes_, check_labels(y, "y (labels)", samples=len(phi), indices=False))
        return loss(phi, labels, self._weights(), self.l2)


def trial_order(level: int, count: int) -> list[int]:
    """Curvature multipliers (indices into ``(1, *backoff)``) in the order an iteration tries them:
    one beyond the last step's ``level``, then back to the bound (0), then the rest.

    >>> trial_order(0, 4), trial_order(1, 4), trial_order(3, 4)
    ([1, 0, 2, 3], [2, 1, 0, 3], [3, 2, 1, 0])
    """
    first = min(level + 1, count - 1)
    return list(range(first, -1, -1)) + list(range(first + 1, count))


def class_moves(phi, labels, weights, candidate, energies, l2: float) -> tuple[np.ndarray, float]:
    """From ``weights``, each class's ``candidate`` row in turn (lowest surrogate energy first, negative
    energies only) kept when it lowers the TRUE loss: the weights reached and their loss.

    The surrogate is separable, so moving some classes only is a step of it too; with a backed-off
    curvature the joint step can overshoot where single classes' steps do not.
    """
    w = np.array(weights, dtype=np.float64)
    logits = phi @ w.T
    current = loss(phi, labels, w, l2, logits)
    for c in np.argsort(energies):
        if energies[c] >= 0 or np.array_equal(candidate[c], w[c]):
            continue
        trial_w, trial_logits = w.copy(), logits.copy()
        trial_w[c], trial_logits[:, c] = candidate[c], phi @ candidate[c]
        value = loss(phi, labels, trial_w, l2, trial_logits)
        if value < current:
            w, logits, current = trial_w, trial_logits, value
    return w, current


def release_model(answer) -> None:
    """Drop an answer's dense BQM once recorded: a class's BQM has ((d + 1) K)^2 / 2 couplings."""
    answer.model = None


def fit_head(X, y, config: HeadConfig, **kwargs) -> QUBOHeadClassifier:
    """Fit a :class:`QUBOHeadClassifier` built from ``config`` (``kwargs``: ``max_iter``, ``tol``,
    ``reference``, ``journal``, ``grid_range``, ``annealer``); another workflow's config is refused.

    >>> from annealq.workflows import workflow
    >>> workflow(HeadConfig(bits=2)).verb
    'annealq.head.fit_head'
    """
    return run("head", X, y, config, **kwargs)


@register_workflow("head", "annealq.head.fit_head", HeadConfig, row_key=("method", "bits"), columns=(
    Column("method"), Column("bits"), Column("accuracy", kind="percent"), Column("train_loss", "train loss", "fixed"),
    Column("iterations"), Column("seconds", kind="seconds")))
def _fit(X, y, config: HeadConfig, **kwargs) -> QUBOHeadClassifier:
    return QUBOHeadClassifier(config.bits, solver=config.solver, l2=config.l2, layout=config.layout,
                              range_factor=config.range_factor, backoff=config.backoff, grid_rule=config.grid_rule,
                              adaptive=config.adaptive,
                              init=config.init, **kwargs).fit(X, y)
