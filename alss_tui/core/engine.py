"""The ALSS engine: each step is a generator of events; nothing here prints or waits.

A round is: select candidates (round 0: the random initial subset), have them
labelled (by whoever drives the engine), train the task model, evaluate.
The driver (runner, tests, benchmarks) decides when each step runs.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from alss_tui import config as config_mod
from alss_tui.config import RunConfig
from alss_tui.core.events import (
    AgreementMeasured, CandidatesProposed, Candidate, Evaluated, Event, LabelsApplied, LabelsCorrected, PhaseStarted,
    PseudoLabelled, RoundFinished, SuspectsFound,
)
from alss_tui.core.latent_index import LatentIndex
from alss_tui.core.pool_images import Images, PoolImages
from alss_tui.core.representation import Representation
from alss_tui.core.semi import (PIXEL_COMPONENTS, Consistency, Graph, PseudoLabels, label_propagation,
                                pixel_components, self_training)
from alss_tui.core import suspects as suspects_mod
from alss_tui.core.stopping import StopSignal
from alss_tui.core.strategies import get_strategy
from alss_tui.core.strategies.base import LabelledSynthetic, Selection, SelectionState
from alss_tui.core.synthetic import SyntheticImage, SyntheticSet
from alss_tui.core import training
from alss_tui.data.pool import Dataset, Pool, held_out_split
from alss_tui.errors import LabelError
from alss_tui.models.backbones import Classifier, make_head
from alss_tui.models.classifier import SmallCNN
from alss_tui.models.feature_vae import FeatureVAE
from alss_tui.models.vae import ConvVAE

CHECKPOINT_FORMAT = 1


class Engine:
    def __init__(self, cfg: RunConfig, dataset: Dataset, cache_root: Path | None = None):
        """`cache_root`: where derived data is kept (`<home>/cache`: the pool encoder and a frozen
        backbone's features); None keeps them in memory."""
        config_mod.check_budget(cfg, len(dataset.pool_images))
        self.cfg = cfg
        self.dataset = dataset
        self.n_classes = len(dataset.classes)
        self.device = training.resolve_device(cfg.device)
        self.pool = Pool(dataset.pool_images, dataset.pool_truth)
        # Stored bytes, read and converted a batch at a time: no float copy of the pool or the
        # held-out split. That split is the test split, or with task.evaluate_on = "validation"
        # the validation split (the test split is then never touched).
        self.images = PoolImages(dataset.pool_images, dataset.pixel_scale)
        held_out = held_out_split(dataset, cfg.task.evaluate_on)
        self.test_x = PoolImages(held_out.images, dataset.pixel_scale)
        self.test_y = torch.from_numpy(held_out.labels)
        self.held_out_name = "validation" if cfg.task.evaluate_on == "validation" else "test"
        # The backbone and its weights; with a frozen backbone, the features of every split.
        self.representation = Representation(cfg, dataset, self.device, cache_root)
        self.strategy = get_strategy(cfg.sampling.strategy, cfg=cfg.sampling)
        self.vae: ConvVAE | FeatureVAE | None = None
        self.codes: np.ndarray | None = None
        self.index: LatentIndex | None = None
        # The task model that trains: the small CNN, a backbone and head, or (frozen backbone) the head alone.
        self.model: nn.Module | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.round = -1  # last finished round
        # Labelled synthetic (SI) images, one record each (core/synthetic.py).
        self.synthetic = SyntheticSet()
        self.next_synthetic_id = -1
        # Synthetic (SI) images the oracle refused: they cost a look, so the budget counts them.
        self.synthetic_rejected = 0
        self._graph: Graph | None = None  # label propagation's neighbour graph, built on first use
        self.pending: Selection | None = None
        self.pending_round: int | None = None
        self.history: list[dict] = []
        self.last_accuracy = float("nan")
        # The stopping signal: predictions on a fixed seeded sample of the pool, round after round.
        self.stop_signal = StopSignal(len(self.pool), cfg.sampling.stop_sample, self._seed("stop-set"))
        # Suspect labels: the last round's queue, and the items a second look has settled.
        self.suspects: list[suspects_mod.Suspect] = []
        self.reviewed: set[int] = set()

    # --- derived facts ---------------------------------------------------------

    @property
    def labelled_count(self) -> int:
        return int(self.pool.labelled_mask.sum()) + len(self.synthetic)

    @property
    def shown_count(self) -> int:
        """Items put before the oracle so far (labelled or rejected): what the budget counts."""
        return self.labelled_count + int(self.pool.rejected.sum()) + self.synthetic_rejected

    @property
    def finished(self) -> bool:
        return self.round >= 0 and (self.shown_count >= self.cfg.sampling.budget
                                    or len(self.pool.unlabelled_indices) == 0)

    @property
    def stop_reason(self) -> str | None:
        """Why the run ends now ("budget", "pool", or "stable" with sampling.stop = stable); None: go on."""
        s = self.cfg.sampling
        if self.round < 0:
            return None
        if len(self.pool.unlabelled_indices) == 0:
            return "pool"
        if self.shown_count >= s.budget:
            return "budget"
        if s.stop == "stable" and self.stop_signal.stable(s.stop_window, s.stop_threshold):
            return "stable"
        return None

    def _seed(self, *parts: object) -> int:
        return training.derive_seed(self.cfg.seed, *parts)

    # --- representation -----------------------------------------------------------

    def prepare_representation(self) -> Iterator[Event]:
        """The backbone with its weights (the pool encoder trained first when asked) and, for a
        frozen backbone, its features of every split; nothing for today's CNN from scratch."""
        yield from self.representation.prepare()

    @property
    def inputs(self) -> Images:
        """What the task model reads for pool items: pixels, or a frozen backbone's features."""
        rep = self.representation
        return rep.features["pool"] if rep.frozen else self.images

    def _held_out_inputs(self) -> Images:
        rep = self.representation
        return rep.features[self.held_out_name] if rep.frozen else self.test_x

    def vae_inputs(self) -> Images:
        """What the VAE models: pool pixels, or (vae.input = features) the frozen backbone's features."""
        return self.inputs if self.cfg.vae.input == "features" else self.images

    def pixel_model(self) -> nn.Module:
        """The task model on pixels: itself, or the frozen backbone followed by the trained head."""
        assert self.model is not None
        if not self.representation.frozen:
            return self.model
        return Classifier(self.representation.backbone, self.model).eval()

    # --- VAE --------------------------------------------------------------------

    def _new_vae(self) -> ConvVAE | FeatureVAE:
        v = self.cfg.vae
        if v.input == "features":
            return FeatureVAE(self.representation.backbone.out_dim, v.latent_dim, v.width).to(self.device)
        return ConvVAE(self.dataset.shape, v.latent_dim, v.width).to(self.device)

    def fit_vae(self) -> Iterator[Event]:
        """Train the VAE on the whole pool, then encode every pool image once."""
        if not self.representation.ready:
            raise RuntimeError("prepare_representation() must run before fit_vae()")
        data = self.vae_inputs()
        torch.manual_seed(self._seed("vae-init"))
        self.vae = self._new_vae()
        if isinstance(self.vae, FeatureVAE):
            features = torch.from_numpy(np.asarray(data.pixels, dtype=np.float32))
            self.vae.set_statistics(features.mean(0).to(self.device), features.std(0).to(self.device))
        batches = -(-len(data) // self.cfg.vae.batch_size)
        yield PhaseStarted("vae", 0, self.cfg.vae.epochs * batches)
        yield from training.train_vae(self.vae, data, self.cfg.vae, self._seed("vae-train"), self.device)
        yield PhaseStarted("encode", 0, len(data))
        self._set_codes(training.encode_means(self.vae, data, self.device))

    def use_vae(self, vae_state: dict, codes: np.ndarray) -> None:
        """Take a VAE trained elsewhere and the pool's codes under it, in place of `fit_vae()`.

        `vae_state` is the VAE's state dict; `codes` its latent means of every pool
        image, in pool order. The bench trains one VAE per seed and hands it to
        every strategy's engine this way.
        """
        if len(codes) != len(self.pool):
            raise ValueError(f"{len(codes)} codes for a pool of {len(self.pool)} images")
        self.vae = self._vae_from_state(vae_state)
        self._set_codes(np.asarray(codes, dtype=np.float32))

    def _vae_from_state(self, vae_state: dict) -> ConvVAE | FeatureVAE:
        vae = self._new_vae()
        vae.load_state_dict(vae_state)
        vae.eval()
        return vae

    def _set_codes(self, codes: np.ndarray) -> None:
        self.codes = codes
        self.index = LatentIndex(codes, self.cfg.sampling.index)
        # A fixed 2-D PCA of the pool's codes: the latent map every consumer draws.
        self.latent_mean = codes.mean(axis=0)
        _, _, vt = np.linalg.svd(codes - self.latent_mean, full_matrices=False)
        self.latent_axes = vt[:2].astype(np.float32)

    def project(self, codes: np.ndarray) -> np.ndarray:
        """Latent codes -> 2-D latent-map coordinates."""
        return ((codes - self.latent_mean) @ self.latent_axes.T).astype(np.float32)

    def latent_map(self) -> dict[str, np.ndarray]:
        assert self.codes is not None
        return {"xy": self.project(self.codes), "mean": self.latent_mean.astype(np.float32),
                "axes": self.latent_axes}

    def labelled_image(self, item: int) -> np.ndarray:
        """A seed's pixels: a pool image, or a labelled synthetic one (negative id)."""
        return self.images.batch([item])[0].numpy() if item >= 0 else self.synthetic[item].image

    def labelled_code(self, item: int) -> np.ndarray:
        assert self.codes is not None
        return self.codes[item] if item >= 0 else self.synthetic[item].code

    # --- selection ----------------------------------------------------------------

    def round_size(self) -> int:
        s = self.cfg.sampling
        want = s.initial if self.round < 0 else s.per_round
        return max(0, min(want, s.budget - self.shown_count, len(self.pool.unlabelled_indices)))

    def needs_model(self, round: int) -> bool:
        """Does proposing `round` need the representation, the VAE or a task model? The random first
        round needs only the pool: the runner proposes it before anything trains. A typical or
        covering first round needs its embedding."""
        return round > 0 or self.cfg.sampling.initial_strategy != "random"

    def propose(self, round: int) -> Iterator[Event]:
        """Pick this round's candidates; round 0 is the random initial subset."""
        if self.needs_model(round) and (self.vae is None or not self.representation.ready):
            raise RuntimeError("prepare_representation() and fit_vae() must run before propose()")
        n = self.round_size()
        rng = np.random.default_rng(self._seed("select", round))
        yield PhaseStarted("propose", round, n)
        start = time.perf_counter()
        initial = self.cfg.sampling.initial_strategy
        if round == 0 and initial == "random":
            picked = rng.choice(self.pool.unlabelled_indices, size=n, replace=False)
            selection = Selection([Candidate(item=int(i)) for i in picked])
            name = "initial"
        elif round == 0:  # a typical or covering first round: the embedding, no model
            selection = get_strategy(initial, cfg=self.cfg.sampling).select(self._selection_state(round), n, rng)
            name = f"initial:{initial}"
        else:
            selection = self.strategy.select(self._selection_state(round), n, rng)
            name = self.cfg.sampling.strategy
        seconds = time.perf_counter() - start
        self.pending, self.pending_round = selection, round
        yield CandidatesProposed(round, name, tuple(selection.candidates), seconds,
                                 selection.forward_passes, selection.backward_passes)

    def _selection_state(self, round: int) -> SelectionState:
        assert self.vae is not None and self.index is not None
        assert self.model is not None or round == 0, "rounds after the first need a task model"
        synthetic = None
        if len(self.synthetic):
            synthetic = LabelledSynthetic(np.array(self.synthetic.items, dtype=np.int64), self.synthetic.codes(),
                                          np.array(self.synthetic.labels, dtype=np.int64), self.synthetic.images())
        # The ascent differentiates through what the VAE decodes: pixels into the task model on
        # pixels, or features into the head.
        decoded_model = None if self.model is None else (
            self.model if self.cfg.vae.input == "features" else self.pixel_model())
        return SelectionState(self.pool, self.images, self.codes, self.index, self.vae, decoded_model,
                              self.device, round, self.n_classes, self.next_synthetic_id, synthetic,
                              inputs=self.inputs, head=self.model, space_features=self._space_features())

    # --- labels -------------------------------------------------------------------

    def apply_labels(self, round: int, labels: dict[int, int | None]) -> Iterator[Event]:
        """Add the oracle's answers for the pending round: item -> class, or None to reject."""
        if self.pending is None or self.pending_round != round:
            raise LabelError(f"round {round} is not waiting for labels")
        proposed = {c.item for c in self.pending.candidates}
        unknown = set(labels) - proposed
        if unknown:
            raise LabelError(f"round {round}: item {min(unknown)} was not proposed")
        bad = {v for v in labels.values() if v is not None and not 0 <= v < self.n_classes}
        if bad:
            raise LabelError(f"round {round}: label {min(bad)} is not a class (0-{self.n_classes - 1})")
        pool_items = [(i, y) for i, y in labels.items() if i >= 0 and y is not None]
        rejected = [i for i, y in labels.items() if y is None]
        if pool_items:
            self.pool.add(np.array([i for i, _ in pool_items]), np.array([y for _, y in pool_items]))
        self.pool.reject(np.array([i for i in rejected if i >= 0], dtype=np.int64))
        rows = {c.item: k for k, c in enumerate(self.pending.candidates)}
        for item, y in labels.items():
            if item < 0 and y is not None:
                self.synthetic.add(SyntheticImage(int(item), self.pending.synthetic[item], int(y),
                                                  np.asarray(self.pending.ascended[rows[item]], dtype=np.float32)))
        self.synthetic_rejected += sum(1 for i in rejected if i < 0)
        if self.pending.synthetic:
            self.next_synthetic_id = min(self.pending.synthetic) - 1
        added = [y for y in labels.values() if y is not None]
        counts = np.bincount(np.array(added, dtype=np.int64), minlength=self.n_classes) if added else []
        self.pending, self.pending_round = None, None
        yield LabelsApplied(round, len(added), len(rejected), self.labelled_count,
                            {self.dataset.classes[c]: int(k) for c, k in enumerate(counts) if k},
                            tuple(int(i) for i in labels), tuple(labels.values()))

    def correct_labels(self, round: int, corrections: dict[int, int | None]) -> Iterator[Event]:
        """Second looks at labelled pool items (item -> its label now: the same one kept, another
        relabelled, None rejected); the round's training then uses them. Other items are refused."""
        items = sorted(corrections)
        bad = [i for i in items if not (0 <= i < len(self.pool) and self.pool.labels[i] >= 0)]
        if bad:
            raise LabelError(f"round {round}: item {bad[0]} is not a labelled pool item")
        wrong = {y for y in corrections.values() if y is not None and not 0 <= y < self.n_classes}
        if wrong:
            raise LabelError(f"round {round}: label {min(wrong)} is not a class (0-{self.n_classes - 1})")
        previous = [int(self.pool.labels[i]) for i in items]
        for i in items:
            y = corrections[i]
            if y is None:
                self.pool.labels[i] = -1
                self.pool.rejected[i] = True  # it was shown: it still counts against the budget
            else:
                self.pool.labels[i] = y
            self.reviewed.add(i)
        settled = set(items)
        self.suspects = [s for s in self.suspects if s.item not in settled]
        if items:
            yield LabelsCorrected(round, tuple(items), tuple(corrections[i] for i in items), tuple(previous))

    def _recover_synthetic_seeds(self, images: list[np.ndarray], labels: list[int]) -> None:
        """A checkpoint from before synthetic images were seeds: it kept their pixels only.

        Their codes become the VAE's encoding of those pixels (the moved codes are lost)
        and their ids fresh ones below every id used so far (the proposed ids are lost too).
        """
        k = len(images)
        items = [self.next_synthetic_id - j for j in range(k)]
        self.next_synthetic_id -= k
        self.synthetic = SyntheticSet()
        if k:
            if self.vae is None:
                raise ValueError("checkpoint holds synthetic images but no VAE to encode them")
            codes = training.encode_means(self.vae, torch.from_numpy(np.stack(images)), self.device)
            for item, image, label, code in zip(items, images, labels, codes):
                self.synthetic.add(SyntheticImage(item, image, label, code))

    # --- task model ---------------------------------------------------------------

    def training_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self.pool.labelled_indices
        x = self.inputs.batch(idx)  # the labelled items only: a budget-sized float copy
        y = torch.as_tensor(self.pool.labels[idx])
        if len(self.synthetic):
            extra = torch.from_numpy(self.synthetic.images())
            if self.representation.frozen:  # the head reads features: a synthetic image's go through the backbone
                with torch.no_grad():
                    extra = self.representation.backbone(extra.to(self.device)).cpu()
            x = torch.cat([x, extra])
            y = torch.cat([y, torch.as_tensor(self.synthetic.labels, dtype=torch.int64)])
        return x, y

    def new_task_model(self) -> nn.Module:
        """A fresh task model: today's small CNN (its body and embedding from the backbone's weights
        when there are any), a torchvision backbone with a head, or a head on frozen features."""
        t, rep = self.cfg.task, self.representation
        if rep.frozen:
            # A head rebuilt from a checkpoint before the features exist gets its statistics from the checkpoint.
            stats = rep.feature_statistics() if rep.features is not None else None
            return make_head(t.head, rep.backbone.out_dim, self.n_classes, stats).to(self.device)
        if t.model == "cnn":
            model = SmallCNN(self.dataset.shape, self.n_classes, t.width)
            if rep.active:
                model.load_state_dict(rep.backbone_state(), strict=False)  # body and embed; the head is new
            return model.to(self.device)
        backbone = rep.new_backbone()
        backbone.load_state_dict(rep.backbone.state_dict())
        return Classifier(backbone, make_head(t.head, backbone.out_dim, self.n_classes)).to(self.device)

    def train_task(self, round: int) -> Iterator[Event]:
        t = self.cfg.task
        if self.representation.frozen:
            t = replace(t, augment_shift=0)  # features are not images: nothing to translate
        # Weight init and dropout draw from torch's global generator: seeded every round,
        # restart or not, so a run resumed from a checkpoint draws what the uninterrupted
        # run drew.
        torch.manual_seed(self._seed("task-init", round))
        model_before = self.model  # self-training guesses with the model the last round left
        if self.model is None or t.restart_each_round:
            self.model = self.new_task_model()
            self.optimizer = training.make_task_optimizer(self.model, t)
        x, y = self.training_set()
        pseudo = self.pseudo_labels(model_before) if t.semi in ("self-training", "propagation") else None
        if pseudo is not None:
            yield PseudoLabelled(round, pseudo.method, len(pseudo), pseudo.accuracy(self.pool.truth))
        consistency = self.consistency_term(len(x)) if t.semi == "consistency" else None
        yield PhaseStarted("task", round, training.round_steps(t, len(x)))
        yield from training.train_classifier(
            self.model, x, y, t, self._seed("task-train", round), self.device, round, self.optimizer,
            (self.inputs, pseudo.items, torch.from_numpy(pseudo.labels)) if pseudo is not None else None,
            consistency)
        if consistency is not None:
            pseudo = consistency.pseudo_labels()
            yield PseudoLabelled(round, pseudo.method, len(pseudo), pseudo.accuracy(self.pool.truth))

    def consistency_term(self, labelled: int) -> Consistency | None:
        """This round's FixMatch term, or None when nothing is left unlabelled. It guesses while the
        round trains, so what it trained on is known (and reported) only afterwards."""
        t, candidates = self.cfg.task, self.pool.unlabelled_indices
        if len(candidates) == 0:
            return None
        return Consistency(self.inputs, candidates, t.consistency_ratio * min(t.batch_size, labelled),
                           t.pseudo_threshold, t.augment_shift)

    def pseudo_labels(self, model: nn.Module | None) -> PseudoLabels | None:
        """This round's pseudo-labels for unlabelled pool items (task.semi); `model`: the last round's."""
        t = self.cfg.task
        candidates = self.pool.unlabelled_indices
        if t.semi == "self-training":
            if model is None:  # the first round: no model has guessed anything yet
                return None
            return self_training(model, self.inputs, candidates, t.pseudo_threshold, self.device)
        if self._graph is None:
            self._graph = Graph(self.graph_embedding(), t.graph_k)  # once: the embedding never changes
        labelled = self.pool.labelled_indices
        return label_propagation(self._graph, labelled, self.pool.labels[labelled], candidates, self.n_classes,
                                 t.graph_alpha, t.graph_threshold)

    def graph_embedding(self) -> np.ndarray:
        """The pool in task.graph_space: the backbone's features (auto, with a backbone) or the VAE latent."""
        space, rep = self.cfg.task.graph_space, self.representation
        if space == "latent" or (space == "auto" and not rep.active):
            return self.codes
        if space == "pixels":
            return pixel_components(self.images, PIXEL_COMPONENTS)
        if rep.frozen:
            return np.asarray(rep.features["pool"].pixels, dtype=np.float32)
        return training.predict_logits(rep.backbone, self.images, self.device).numpy()

    def _space_features(self):
        """Where coverage strategies measure distance (sampling.space), as a function of no arguments
        that gives the pool's vectors: computed only when a strategy asks."""
        space = self.cfg.sampling.space
        if space == "latent":
            return lambda: torch.from_numpy(self.codes)
        if space == "backbone":
            rep = self.representation
            if rep.frozen:
                return lambda: rep.features["pool"].slice(0, len(self.pool))
            return lambda: training.predict_logits(rep.backbone, self.images, self.device)
        return None  # the task model's penultimate layer, on the model's own inputs

    def evaluate(self, round: int) -> Iterator[Event]:
        assert self.model is not None
        if len(self.test_y) == 0:  # an unlabelled folder has no test split
            self.last_accuracy = float("nan")
            return
        yield PhaseStarted("evaluate", round, len(self.test_y))
        logits = training.predict_logits(self.model, self._held_out_inputs(), self.device)
        acc, loss, recall = training.score(logits, self.test_y, self.n_classes)
        self.last_accuracy = acc
        yield Evaluated(round, self.labelled_count, acc, loss, recall, split=self.cfg.task.evaluate_on)

    def measure_agreement(self, round: int) -> Iterator[Event]:
        """The stopping signal: this round's predictions on the stop set against the last round's."""
        assert self.model is not None
        self.model.eval()
        with torch.no_grad():
            predictions = [self.model(x.to(self.device)).argmax(1).cpu().numpy()
                           for x in self.inputs.inference_batches(order=self.stop_signal.items)]
        s, signal = self.cfg.sampling, self.stop_signal
        kappa = signal.observe(round, np.concatenate(predictions), self.n_classes)
        yield AgreementMeasured(round, kappa, signal.mean(s.stop_window), s.stop_window, s.stop_threshold,
                                signal.stable(s.stop_window, s.stop_threshold))

    @property
    def wants_suspects(self) -> bool:
        s, o = self.cfg.suspects, self.cfg.oracle
        return s.find == "always" or (s.find == "auto" and (o.kind == "human" or o.flip > 0))

    def find_suspects(self, round: int) -> Iterator[Event]:
        """Score every labelled pool item out of sample; queue the labels confidently contradicted."""
        if not self.wants_suspects:
            return
        yield PhaseStarted("suspects", round, self.cfg.suspects.folds)
        found: list[suspects_mod.Suspect] = []
        for out in suspects_mod.find(self.new_task_model, self.inputs, self.pool.labels, self.reviewed, self.cfg,
                                     round, self.device, self.n_classes):
            if isinstance(out, list):
                found = out
            else:
                yield out
        self.suspects = found
        yield SuspectsFound(round, tuple(s.item for s in found), tuple(s.given for s in found),
                            tuple(s.suggested for s in found), tuple(round_to(s.probability) for s in found),
                            tuple(round_to(s.given_probability) for s in found), int(self.pool.labelled_mask.sum()))

    @property
    def accuracy_split(self) -> str | None:
        """The split `last_accuracy` was measured on (None: nothing held out)."""
        return None if math.isnan(self.last_accuracy) else self.cfg.task.evaluate_on

    def finish_round(self, round: int, seconds: float, phase_seconds: dict[str, float]) -> Iterator[Event]:
        self.round = round
        record = {"round": round, "labelled": self.labelled_count, "accuracy": self.last_accuracy,
                  "seconds": seconds, "phase_seconds": dict(phase_seconds)}
        self.history.append(record)
        yield RoundFinished(round, self.labelled_count, self.last_accuracy, seconds, dict(phase_seconds),
                            self.accuracy_split)

    # --- checkpoints ----------------------------------------------------------------

    def state_dict(self) -> dict:
        """Everything needed to resume: plain tensors and containers (weights_only loads)."""
        shape = self.dataset.shape
        return {
            "format": CHECKPOINT_FORMAT,
            "config": config_mod.to_dict(self.cfg),
            "round": self.round,
            # The backbone's weights in its own layout (None for the small CNN from scratch): a resume
            # needs neither the weights file nor the encoder cache to rebuild the same representation.
            "backbone": self.representation.backbone_state(),
            "vae": self.vae.state_dict() if self.vae is not None else None,
            "codes": torch.from_numpy(self.codes) if self.codes is not None else None,
            "model": self.model.state_dict() if self.model is not None else None,
            "optimizer": self.optimizer.state_dict() if self.optimizer is not None else None,
            "pool_labels": torch.from_numpy(self.pool.labels.copy()),
            "pool_rejected": torch.from_numpy(self.pool.rejected.copy()),
            "synthetic_images": torch.from_numpy(self.synthetic.images()) if len(self.synthetic)
            else torch.zeros((0, *shape)),
            "synthetic_labels": torch.as_tensor(self.synthetic.labels, dtype=torch.int64),
            "synthetic_items": torch.as_tensor(self.synthetic.items, dtype=torch.int64),
            "synthetic_codes": torch.from_numpy(self.synthetic.codes()) if len(self.synthetic)
            else torch.zeros((0, self.cfg.vae.latent_dim)),
            "next_synthetic_id": self.next_synthetic_id,
            "synthetic_rejected": self.synthetic_rejected,
            "history": [dict(h) for h in self.history],
            "stop_signal": self.stop_signal.state_dict(),
            "suspects": [dataclasses.asdict(s) for s in self.suspects],
            "reviewed": sorted(self.reviewed),
        }

    def load_state_dict(self, state: dict) -> None:
        if state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"checkpoint format {state.get('format')!r}, expected {CHECKPOINT_FORMAT}")
        if len(state["pool_labels"]) != len(self.pool):
            raise ValueError("checkpoint was written for a pool of another size")
        self.round = int(state["round"])
        if state.get("backbone") is not None:
            self.representation.use_backbone_state(state["backbone"])  # features follow in prepare_representation
        if state["vae"] is not None:
            self.vae = self._vae_from_state(state["vae"])
        if state["codes"] is not None:
            self._set_codes(state["codes"].numpy())
        if state["model"] is not None:
            self.model = self.new_task_model()
            self.model.load_state_dict(state["model"])
            self.model.eval()
            self.optimizer = training.make_task_optimizer(self.model, self.cfg.task)
            if state["optimizer"] is not None:
                self.optimizer.load_state_dict(state["optimizer"])
        self.pool.labels[:] = state["pool_labels"].numpy()
        self.pool.rejected[:] = state["pool_rejected"].numpy()
        images = [x.numpy() for x in state["synthetic_images"]]
        labels = [int(y) for y in state["synthetic_labels"]]
        self.next_synthetic_id = int(state["next_synthetic_id"])
        if "synthetic_codes" in state:
            self.synthetic = SyntheticSet()
            for item, image, label, code in zip(state["synthetic_items"], images, labels, state["synthetic_codes"]):
                self.synthetic.add(SyntheticImage(int(item), image, label, code.numpy()))
        else:
            self._recover_synthetic_seeds(images, labels)
        self.synthetic_rejected = int(state.get("synthetic_rejected", 0))
        self.history = [dict(h) for h in state["history"]]
        self.stop_signal.load_state_dict(state.get("stop_signal"))
        self.suspects = [suspects_mod.Suspect(**s) for s in state.get("suspects", [])]
        self.reviewed = {int(i) for i in state.get("reviewed", [])}
        self.last_accuracy = self.history[-1]["accuracy"] if self.history else math.nan


def round_to(x: float, digits: int = 4) -> float:
    return round(float(x), digits)
