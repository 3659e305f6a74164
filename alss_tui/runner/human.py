"""The label gate for a person: wait until the round's review is submitted, then answer.

The loop has already written the round's candidates to review/ and announced
LabelsRequested; a reviewer (dashboard or `alss-tui label`) appends decisions
to labels.jsonl and finally a submit line. Killed while waiting, the runner is
resumed, proposes the same candidates (choices are seeded by (seed, round)),
and finds every decision already made still in the log.
"""

from __future__ import annotations

import time

from alss_tui.store.labels import wait_for_submit
from alss_tui.store.run_folder import RunFolder

POLL_SECONDS = 1.0


class HumanOracle:
    name = "human"

    def __init__(self, folder: RunFolder, poll_seconds: float = POLL_SECONDS, sleep=time.sleep):
        self.folder = folder
        self.poll_seconds = poll_seconds
        self.sleep = sleep

    def label(self, round, candidates, synthetic):
        """{item: class, or None if rejected} for the candidates the person decided on.

        Candidates left undecided at submit are not returned: they stay in the pool,
        unlabelled and not counted against the budget. Synthetic (SI) items are
        labelled like pool items; their pixels are in the round's review file.
        """
        state = wait_for_submit(self.folder.labels_path, round, self.poll_seconds, self.sleep)
        proposed = {c.item for c in candidates}
        return {item: label for item, label in state.current().items() if item in proposed}
