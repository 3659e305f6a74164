"""The task-model recipe: learning-rate schedule, shift augmentation, the noise figure."""

from __future__ import annotations

import math

import pytest
import torch

from alss_tui.config import ConfigError, TaskConfig, apply_overrides, RunConfig
from alss_tui.core import training
from alss_tui.core.augment import random_shift
from alss_tui.bench.figures import largest_drop


def test_cosine_schedule_starts_at_the_rate_and_decays_to_nearly_zero():
    cfg = TaskConfig(steps=100, lr=0.01, lr_schedule="cosine")
    rates = [training.scheduled_lr(cfg, s, cfg.steps) for s in range(cfg.steps)]
    assert rates[0] == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(rates, rates[1:]))
    assert rates[-1] < 0.01 * 0.001
    assert rates[50] == pytest.approx(0.005)
    assert training.scheduled_lr(TaskConfig(steps=100, lr=0.01, lr_schedule="constant"), 99, 100) == 0.01


def test_training_applies_the_schedule_to_the_optimiser():
    cfg = TaskConfig(steps=20, lr=0.01, lr_schedule="cosine", width=4, batch_size=8, epochs=0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    opt = training.make_task_optimizer(model, cfg)
    x, y = torch.rand(32, 1, 4, 4), torch.randint(3, (32,))
    list(training.train_classifier(model, x, y, cfg, 0, torch.device("cpu"), 0, opt))
    assert opt.param_groups[0]["lr"] == pytest.approx(training.scheduled_lr(cfg, cfg.steps - 1, cfg.steps))


def test_random_shift_moves_each_image_whole_within_the_bound():
    x = torch.zeros(64, 1, 9, 9)
    x[:, 0, 4, 4] = 1.0  # one bright pixel in the centre
    out = random_shift(x, 2, training.torch_generator(0))
    assert out.shape == x.shape and out.sum().item() == pytest.approx(64.0)  # nothing lost at +-2 px
    positions = {tuple((img[0] == 1).nonzero()[0].tolist()) for img in out}
    assert all(abs(r - 4) <= 2 and abs(c - 4) <= 2 for r, c in positions)
    assert len(positions) > 10  # per-image offsets, not one shift for the batch


def test_recipe_fields_are_validated():
    with pytest.raises(ConfigError, match="task.lr_schedule"):
        apply_overrides(RunConfig(), ["task.lr_schedule=linear"])
    with pytest.raises(ConfigError, match="task.augment_shift"):
        apply_overrides(RunConfig(), ["task.augment_shift=20"])


def test_largest_drop_is_the_biggest_fall_between_rounds():
    assert largest_drop([0.8, 0.85, 0.83, 0.9, 0.86]) == pytest.approx(0.04)
    assert largest_drop([0.8, 0.9, 0.95]) == 0.0
    assert math.isclose(largest_drop([0.5]), 0.0)


def test_steps_grow_with_the_labelled_set_when_epochs_are_set():
    fixed = TaskConfig(steps=300, batch_size=64, epochs=0)
    assert [training.round_steps(fixed, n) for n in (50, 1000, 10_000)] == [300, 300, 300]
    growing = TaskConfig(steps=300, batch_size=64, epochs=40, max_steps=2000)
    assert TaskConfig().epochs > 0  # the default recipe grows
    # 40 passes over 1,000 labels is 625 steps; 100 labels stay at the floor; 10,000 hit the cap.
    assert [training.round_steps(growing, n) for n in (100, 480, 1000, 10_000)] == [300, 300, 625, 2000]


def test_a_growing_round_runs_its_steps_and_decays_over_all_of_them():
    cfg = TaskConfig(steps=10, lr=0.01, lr_schedule="cosine", width=4, batch_size=8, epochs=4, max_steps=100)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    opt = training.make_task_optimizer(model, cfg)
    x, y = torch.rand(64, 1, 4, 4), torch.randint(3, (64,))
    steps = training.round_steps(cfg, 64)
    assert steps == 32
    events = list(training.train_classifier(model, x, y, cfg, 0, torch.device("cpu"), 0, opt))
    assert opt.state[next(iter(model.parameters()))]["step"].item() == steps
    assert opt.param_groups[0]["lr"] == pytest.approx(training.scheduled_lr(cfg, steps - 1, steps))
    assert max(e.epoch for e in events if getattr(e, "epoch", None) is not None) == 10  # a tenth per point


def test_adaptive_step_fields_are_validated():
    with pytest.raises(ConfigError, match="task.epochs"):
        apply_overrides(RunConfig(), ["task.epochs=-1"])
    with pytest.raises(ConfigError, match="task.max_steps"):
        apply_overrides(RunConfig(), ["task.epochs=10", "task.steps=500", "task.max_steps=400"])
    apply_overrides(RunConfig(), ["task.epochs=0", "task.steps=20000"])  # the cap binds only growing rounds


class _LabelSpy(torch.nn.Module):
    """A classifier that records the labels it trains on (each image's pixels hold its label)."""

    def __init__(self, classes: int):
        super().__init__()
        self.head = torch.nn.Linear(1, classes)
        self.seen: list[int] = []

    def forward(self, x):
        if self.training:
            self.seen += x.flatten(1)[:, 0].round().long().tolist()
        return self.head(x.flatten(1)[:, :1])


@pytest.mark.parametrize("balance, rare_share", [(0.0, 0.1), (0.5, 0.25), (1.0, 0.5)])
def test_class_balance_leans_the_draws_toward_the_rarely_labelled_class(balance, rare_share):
    y = torch.tensor([0] * 90 + [1] * 10)  # 9 : 1; square-root sampling gives 3 : 1
    x = y.float().view(-1, 1, 1, 1).expand(-1, 1, 2, 2).contiguous()
    spy = _LabelSpy(2)
    cfg = TaskConfig(steps=400, epochs=0, batch_size=50, class_balance=balance)
    list(training.train_classifier(spy, x, y, cfg, 0, torch.device("cpu"), 0))
    share = sum(spy.seen) / len(spy.seen)  # 20,000 draws: a standard error under 0.004
    assert share == pytest.approx(rare_share, abs=0.02)


def test_class_balance_must_lie_between_items_alike_and_classes_alike():
    with pytest.raises(ConfigError, match="task.class_balance: must be between 0"):
        apply_overrides(RunConfig(), ["task.class_balance=1.5"])
    assert apply_overrides(RunConfig(), ["task.class_balance=0.5"]).task.class_balance == 0.5
