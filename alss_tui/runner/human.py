"""The label gate for a person: answer with the submitted round, or stop the runner.

The loop has already written the round's candidates to review/; a reviewer
(dashboard or `alss-tui label`) appends decisions to labels.jsonl and finally a
submit line. A person can take hours, and a process holding the models and the
pool would keep most of a gigabyte resident all that time, so the runner does not
wait: it stops here (AwaitingLabels) and the submit starts it again from its
checkpoint (runner/gate.py). Choices are seeded by (seed, round), so the restarted
runner proposes the same candidates and finds the person's decisions in the log.
"""

from __future__ import annotations

import numpy as np

from alss_tui.errors import LabelError
from alss_tui.store.labels import LabelLog
from alss_tui.store.run_folder import RunFolder


class AwaitingLabels(Exception):
    """Raised at the gate of a round nobody has submitted yet: the runner stops until they do.

    Not an AlssError: stopping here is the plan, not a failure.
    """

    def __init__(self, round: int):
        super().__init__(f"round {round} waits for a person's labels")
        self.round = round


class HumanOracle:
    name = "human"

    def __init__(self, folder: RunFolder, function=None):
        """`function`: an optional labelling function (images -> labels) whose answers for
        synthetic images are offered as suggestions; the person still decides."""
        self.folder = folder
        self.function = function

    def suggest(self, candidates, synthetic) -> dict[int, int | None]:
        """The labelling function's answers for the synthetic candidates (none without one)."""
        fake = [c for c in candidates if c.kind == "synthetic"]
        if self.function is None or not fake:
            return {}
        answers = list(self.function(np.stack([synthetic[c.item] for c in fake])))
        if len(answers) != len(fake):
            raise LabelError(f"the labelling function returned {len(answers)} labels for {len(fake)} images")
        return {c.item: None if y is None else int(y) for c, y in zip(fake, answers)}

    def answered(self, round: int) -> bool:
        """Is `round` submitted already (a runner restarted after the submit)?"""
        return LabelLog(self.folder.labels_path).round(round).is_submitted

    def label(self, round, candidates, synthetic):
        """{item: class, or None if rejected} for the candidates the person decided on.

        Raises AwaitingLabels while the round is not submitted. Candidates left
        undecided at submit are not returned: they stay in the pool, unlabelled and
        not counted against the budget. Synthetic (SI) items are labelled like pool
        items; their pixels are in the round's review file.
        """
        state = LabelLog(self.folder.labels_path).round(round)
        if not state.is_submitted:
            raise AwaitingLabels(round)
        proposed = {c.item for c in candidates}
        return {item: label for item, label in state.current().items() if item in proposed}
