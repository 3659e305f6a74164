"""The run configuration: frozen dataclasses, one per TOML section, each field declared once.

`setting(default, help, ...)` holds the field's range or choices and its line of help
(schema.py); the type is the annotation. The longer *why* of a default stays a comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alss_tui.config.schema import setting
from alss_tui.config.strategies import STRATEGY_NAMES

DATASETS = ("digits", "mnist", "cifar10", "folder", "array")
CHANNELS = ("auto", "1", "3")
DEVICES = ("auto", "cpu", "cuda")
ORACLES = ("simulated", "human", "file", "function")
SEED_CHOICES = ("random", "hardest", "uncertain")
# Where coverage strategies measure distance: the pixels' VAE latent, the backbone's
# features, or the task model's penultimate layer.
SPACES = ("penultimate", "latent", "backbone")
MODEL_TRAINING = ("full", "head")
HEADS = ("linear", "mlp")
VAE_INPUTS = ("pixels", "features")
ENCODER_METHODS = ("simclr",)
SEMI_METHODS = ("none", "self-training", "propagation", "consistency")
GRAPH_SPACES = ("auto", "latent", "backbone", "pixels")
INITIAL_STRATEGIES = ("random", "typiclust", "probcover", "maxherding")
LR_SCHEDULES = ("constant", "cosine")
INDEX_KINDS = ("auto", "flat", "ivf", "hnsw")
EVALUATION_SPLITS = ("test", "validation")
STOP_RULES = ("budget", "stable")
SUSPECT_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class DataConfig:
    dataset: str = setting("digits", "what data.data_root holds (docs/datasets.md); digits ships with the package",
                           choices=DATASETS)
    data_root: str = setting("", "the folder (or, for array, the folder of .npy files) holding the dataset")
    download: bool = setting(False, "fetch mnist or cifar10 into data.data_root when missing (needs a network)")
    test_fraction: float = setting(0.2, "share held out as the test split where a dataset has none of its own",
                                   low=0, high=1, low_open=True, high_open=True)
    validation_size: int = setting(0, "images carved from the pool as a validation split (never the test split)",
                                   low=0)
    pool_limit: int = setting(0, "use only the first N pool images; keeps quick experiments quick", low=0,
                              note="(0 = whole pool)")
    imbalance: float = setting(1.0, "long-tailed pool: the rarest class keeps 1/imbalance of the largest", low=1,
                               note="(1 = as distributed)")
    class_names: tuple[str, ...] = setting((), "class names of an unlabelled folder (a person labels it)")
    image_size: int = setting(32, "folders: the square side images are resized and centre-cropped to", low=4,
                              high=256)
    channels: str = setting("auto", "folders: auto (1 when every sampled image is grayscale, else 3), 1 or 3",
                            choices=CHANNELS, word_or_number=True)
    decode_workers: int = setting(0, "processes decoding a folder the first time it is opened", low=0,
                                  note="(0 = every core)")


@dataclass(frozen=True)
class VaeConfig:
    input: str = setting("pixels", "what the VAE models: pixels, or the frozen backbone's features "
                                   "(task.train = head)", choices=VAE_INPUTS)
    latent_dim: int = setting(16, "size of the VAE's latent code", low=1)
    width: int = setting(32, "channels of the VAE's first convolution (doubling per stage)", low=1)
    epochs: int = setting(20, "passes over the whole pool when training the VAE", low=1)
    batch_size: int = setting(128, "VAE mini-batch size", low=1)
    lr: float = setting(2e-3, "VAE Adam learning rate", low=0, low_open=True)
    beta: float = setting(1.0, "weight of the KL term (1 = the plain VAE)", low=0)


@dataclass(frozen=True)
class EncoderConfig:
    # SimCLR: two augmented views of each image should embed close and apart from the
    # batch's other images (docs/architecture.md, The representation); used by
    # task.weights = "pool", trained once per pool and seed and cached.
    method: str = setting("simclr", "self-supervised method for task.weights = pool", choices=ENCODER_METHODS)
    # 100: chosen on the CIFAR-10 subset's validation split among 20, 50 and 100
    # (experiments/rules/encoder-epochs.toml); the MNIST presets carry MNIST's own choice.
    epochs: int = setting(100, "passes over the whole pool when training the encoder (an epoch of a "
                               "60,000-image pool costs about 40 s on 2 CPU cores: set fewer there)", low=1)
    batch_size: int = setting(256, "images per contrastive batch (each gives two views)", low=8)
    lr: float = setting(1e-3, "encoder Adam learning rate", low=0, low_open=True)
    temperature: float = setting(0.5, "softmax temperature of the contrastive loss", low=0, high=10,
                                 low_open=True)
    projection_dim: int = setting(64, "size of the projection head the loss is computed on", low=2)
    min_crop: float = setting(0.5, "augmentation: smallest share of the image a random crop keeps", low=0.05,
                              high=1)


@dataclass(frozen=True)
class TaskConfig:
    # The classifier is a backbone (the small CNN, or any torchvision classification
    # model) and a head; with train = "head" the backbone is frozen and its features of
    # the whole pool are computed once (docs/architecture.md, The representation).
    model: str = setting("cnn", "backbone: cnn (the small CNN) or a torchvision classification model by name "
                                "(resnet18, mobilenet_v3_small, ...)")
    weights: str = setting("none", "none, imagenet (torchvision's default weights, from the torch cache), pool "
                                   "(an encoder trained on this pool), or a weights file's path")
    train: str = setting("full", "full: train backbone and head each round; head: freeze the backbone, train "
                                 "the head on features computed once", choices=MODEL_TRAINING)
    head: str = setting("linear", "the classifier on the backbone's features: linear or mlp (one hidden layer)",
                        choices=HEADS)
    input_size: int = setting(0, "side the backbone sees, images resized to it", low=0, high=512,
                              note="(0 = the weights' own size for imagenet, else the pool's)")
    width: int = setting(32, "channels of the task CNN's first convolution", low=1)
    # Optimiser steps per round: at least `steps`; with `epochs` > 0, enough for that
    # many passes over the labelled set (epochs x labelled / batch_size), at most
    # `max_steps`. Fixed steps converge at 50 labels; at a few thousand they are under
    # ten passes, so a growing labelled set needs steps that grow with it. 80 passes
    # won on an MNIST validation split (experiments/README.md): +1.1 points of
    # validation AUC over a fixed 300 steps, +1.6 at 2,000 labels.
    steps: int = setting(300, "Adam steps a round trains, at least", low=1)
    epochs: float = setting(80.0, "passes over the labelled set a round trains (steps grow with the labels)",
                            low=0, note="(0 = a fixed task.steps a round)")
    max_steps: int = setting(3000, "the most steps a round trains when task.epochs > 0", low=1)
    batch_size: int = setting(64, "task-model mini-batch size", low=1)
    lr: float = setting(2e-3, "task-model Adam learning rate", low=0, low_open=True)
    # "cosine" decays the rate to zero over a round's steps: the model a round ends
    # with no longer depends on where the last noisy steps landed (experiments/README.md).
    lr_schedule: str = setting("cosine", "constant, or cosine decay to zero over a round's steps",
                               choices=LR_SCHEDULES)
    weight_decay: float = setting(5e-4, "Adam weight decay", low=0)
    augment_shift: int = setting(0, "random translations of up to this many pixels per training image (0 = off)",
                                 low=0, high=8)
    # Continuing was chosen on validation by Rule 3a (experiments/): fewer runs whose
    # accuracy falls between rounds, +0.37 point of margin-sub's AUC on MNIST.
    restart_each_round: bool = setting(False, "false: continue from last round's weights; true: a fresh model "
                                              "each round")
    evaluate_on: str = setting("test", "the held-out split every round is scored on (validation never touches "
                                       "test)", choices=EVALUATION_SPLITS)
    # An item of a class with n labels is drawn with weight n ** -class_balance. On a
    # skewed pool the rare classes' one or two labels otherwise come and go from the
    # model between rounds. 1 was chosen on validation by Rule 4 (experiments/).
    class_balance: float = setting(1.0, "mini-batches lean to rare classes: weight n^-b (0 items alike, "
                                        "1 classes alike)", low=0, high=1)
    # Semi-supervised rounds (core/semi.py): unlabelled pool items with a confident guess join
    # each round's training as pseudo-labels, half of every mini-batch; they are never labels
    # (not in labels.jsonl, not counted against the budget, never exported).
    semi: str = setting("none", "learn from the unlabelled pool too: none, self-training (the last round's model's "
                                "confident predictions), propagation (labels spread over a nearest-neighbour "
                                "graph) or consistency (FixMatch: a confident guess on a weak view is the target "
                                "of a strong one)", choices=SEMI_METHODS)
    pseudo_threshold: float = setting(0.95, "self-training and consistency: the model's confidence a pseudo-label "
                                            "needs", low=0, high=1, low_open=True)
    pseudo_weight: float = setting(1.0, "semi: weight of the pseudo-labelled part of each step's loss",
                                   low=0, low_open=True)
    # Measured on MNIST (100 random labels, validation): consistency reached 95.4 % after
    # 1,500 steps and 97.1 % after 4,000; the round's own 300 steps are far too few for it.
    semi_steps: int = setting(0, "semi: the fewest steps a semi-supervised round trains (consistency needs "
                                 "thousands: 4,000 on MNIST)", low=0,
                              note="(0 = as many as without)")
    consistency_ratio: int = setting(3, "consistency: unlabelled items a step per labelled one (FixMatch's mu)",
                                     low=1, high=16)
    graph_k: int = setting(10, "propagation: neighbours per item in the graph", low=1, high=100)
    graph_alpha: float = setting(0.99, "propagation: how far labels spread (the rest stays at the seeds)",
                                 low=0, high=1, low_open=True, high_open=True)
    # Spread scores are flatter than a softmax: on MNIST (PCA pixels, 100 labels) scores of 0.6
    # and more were right 98-99 % of the time, 0.95 reached 22 items of 55,000.
    graph_threshold: float = setting(0.6, "propagation: the normalised spread score a pseudo-label needs",
                                     low=0, high=1, low_open=True)
    graph_space: str = setting("auto", "propagation's graph: auto (the backbone's features when the run has a "
                                       "backbone, else the VAE latent), latent, backbone, or pixels (their 50 "
                                       "principal components)", choices=GRAPH_SPACES)


@dataclass(frozen=True)
class SamplingConfig:
    # The default is what the evidence supports, not the paper's method
    # (experiments/README.md): margin-sub ties full-pool margin at a tenth of the cost.
    strategy: str = setting("margin-sub", "how each round picks what to label (docs/config.md#strategies)",
                            choices=STRATEGY_NAMES, noun="strategy")
    initial_strategy: str = setting("random", "how the first round (no model yet) picks: random, or typical "
                                              "(typiclust) or covering (probcover, maxherding) items of the embedding "
                                              "sampling.space names", choices=INITIAL_STRATEGIES)
    initial: int = setting(50, "labels of the first round", low=1)
    per_round: int = setting(50, "labels a round after the first", low=1)
    budget: int = setting(300, "labels in all, the first round's included", low=1)
    ascent_steps: int = setting(10, "latent strategies: gradient-ascent steps from each seed code", low=0)
    ascent_step_size: float = setting(0.2, "latent strategies: length of an ascent step", low=0, low_open=True)
    ascent_normalize: bool = setting(True, "true: unit-gradient steps of ascent_step_size; false: raw gradient "
                                           "times the step size")
    seed_choice: str = setting("random", "latent strategies' seeds: random labelled items, the hardest or the "
                                         "most uncertain", choices=SEED_CHOICES)
    candidates_per_pick: int = setting(10, "cost-matched and re-ranking strategies: candidates scored per label",
                                       low=1)
    space: str = setting("penultimate", "where coverage strategies (coreset) measure distance: the task model's "
                                        "penultimate layer, the pixels' VAE latent, or the backbone's features",
                         choices=SPACES)
    index: str = setting("auto", "nearest-neighbour index: flat (exact), ivf, hnsw, or auto (exact below "
                                 "100,000 codes)", choices=INDEX_KINDS)
    switch_at: int = setting(200, "typiclust-margin: labels from which rounds pick by margin instead", low=1)
    purity: float = setting(0.95, "probcover: share of pure balls the ball radius keeps (the paper's alpha)",
                            low=0, high=1, low_open=True, high_open=True)
    # Every round records the agreement (Cohen's kappa) of its model's predictions with the
    # last round's on a fixed sample of the pool (core/stopping.py); "stable" stops when its
    # mean over the last stop_window rounds reaches stop_threshold. 0.99 over 3 rounds is
    # Bloodgood and Vijay-Shanker's (2009) and small-text's KappaAverage default.
    stop: str = setting("budget", "when a run ends: budget (every label spent) or stable (the predictions "
                                  "stopped changing)", choices=STOP_RULES)
    stop_threshold: float = setting(0.99, "stop = stable: the mean kappa between consecutive rounds' predictions "
                                          "that ends the run", low=0, high=1, low_open=True)
    stop_window: int = setting(3, "stop = stable: consecutive kappas averaged", low=1)
    stop_sample: int = setting(1000, "pool items (a fixed seeded sample) whose predictions are compared each "
                                     "round", low=10)


@dataclass(frozen=True)
class OracleConfig:
    kind: str = setting("simulated", "who labels: the ground truth, a person, a CSV file or a function",
                        choices=ORACLES)
    path: str = setting("", "oracle.kind = file: a CSV of index,label")
    # The named code is imported and run: only name code you trust.
    function: str = setting("", "oracle.kind = function: \"module:function\" labelling synthetic (si) images; "
                                "imports and runs that code")
    # For measuring the suspects queue: a simulated labeller who gets a fixed, seeded share of
    # answers wrong, and who can look at the queue each round as a person would.
    flip: float = setting(0.0, "simulated oracle: share of pool items whose answer is a wrong class (fixed per item, "
                               "seeded)", low=0, high=1, high_open=True)
    review_suspects: bool = setting(False, "simulated oracle: answer each round's suspect labels with the truth")


@dataclass(frozen=True)
class SuspectsConfig:
    # After each round every labelled item is scored by models that did not train on it
    # (k-fold, short training) and confident learning flags the labels they contradict
    # (core/suspects.py). auto: when a person labels, or a simulated oracle flips labels.
    find: str = setting("auto", "look for suspect labels after each round: auto (a person labels, or "
                                "oracle.flip > 0), always or never", choices=SUSPECT_MODES)
    folds: int = setting(3, "folds of the labelled set: each is scored by a model trained on the others", low=2,
                         high=10)
    steps: int = setting(200, "Adam steps each fold's model trains", low=1)
    # On MNIST with 5 % of 400 simulated answers flipped (3 seeds, benchmarks/measure_suspects.py):
    # half of the queue was flipped and 0.89 of the flipped items were queued at 0.5; margins of 0
    # to 0.75 change that little, since confident learning's flags mostly have large margins.
    threshold: float = setting(0.5, "smallest margin (suggested minus given class probability) that is queued",
                               low=-1, high=1)


@dataclass(frozen=True)
class RunConfig:
    name: str = setting("run", "a name for the run, shown in lists")
    seed: int = setting(0, "one seed for the whole run: the same config and seed repeat on CPU", low=0)
    device: str = setting("auto", "auto uses CUDA when present, else the CPU", choices=DEVICES)
    data: DataConfig = field(default_factory=DataConfig)
    vae: VaeConfig = field(default_factory=VaeConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    oracle: OracleConfig = field(default_factory=OracleConfig)
    suspects: SuspectsConfig = field(default_factory=SuspectsConfig)

    @property
    def rounds(self) -> int:
        """Mining rounds after the initial subset."""
        extra = max(0, self.sampling.budget - self.sampling.initial)
        return -(-extra // self.sampling.per_round) if self.sampling.per_round else 0
