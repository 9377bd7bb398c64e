"""The ATCS pick (apparent tardiness cost with setups, Lee & Pinedo) for whole queues at once.

A machine of a large plant has tens to hundreds of operations waiting; scoring them one
by one in Python was most of a 20,000-order dispatch. Here each waiting operation is a
*mode* (an operation on one of its machines) and the queue is scored with numpy.
"""

from __future__ import annotations

import numpy as np

from scheduler.problem import NO_FAMILY, ProblemData


class AtcsPicker:
    """Scores the operations waiting for a machine; a waiting operation is given by its mode's
    position in :attr:`ProblemData.all_modes`."""

    def __init__(
        self, problem: ProblemData, tail: list[int], lookahead: float, setup_lookahead: float
    ) -> None:
        self.problem, self.lookahead, self.setup_lookahead = problem, lookahead, setup_lookahead
        modes = problem.all_modes
        orders = [problem.orders[op.order] for op in problem.operations]
        self.mode_op = np.repeat(
            np.arange(len(problem.operations)), [len(op.modes) for op in problem.operations]
        )
        self.duration = np.array([m.duration for m in modes], dtype=np.float64)
        self.family = np.array([m.family - NO_FAMILY for m in modes], dtype=np.int64)
        self.weight = np.array([o.weight for o in orders], dtype=np.float64)
        self.latest_start = np.array([o.due - tail[k] for k, o in enumerate(orders)], dtype=np.float64)
        self.due = [o.due for o in orders]
        self.frozen = np.array([op.order in problem.frozen_orders for op in problem.operations], dtype=bool)
        self.ready = np.zeros(len(problem.operations), dtype=np.int64)
        self._changeovers: dict[int, np.ndarray] = {}

    def changeover_matrix(self, m: int) -> np.ndarray:
        """Machine m's changeover minutes, [before family + 1, after family + 1] (0: no family)."""
        if m not in self._changeovers:
            size = len(self.problem.families) + 1
            matrix = np.zeros((size, size), dtype=np.float64)
            for (before, after), minutes in self.problem.machines[m].changeovers:
                matrix[before - NO_FAMILY, after - NO_FAMILY] = minutes
            matrix[0, :] = matrix[:, 0] = 0
            self._changeovers[m] = matrix
        return self._changeovers[m]

    def pick(self, m: int, now: int, waiting: list[int], last: int) -> int:
        """The operation machine m runs next at ``now`` among ``waiting`` modes (ties: earlier
        due, lower index); the frozen orders' operations first, for they must finish."""
        modes = np.array(waiting, dtype=np.int64)
        ops = self.mode_op[modes]
        ready = self.ready[ops] <= now
        if self.problem.frozen_orders and (ready & self.frozen[ops]).any():
            ready &= self.frozen[ops]
        modes, ops = modes[ready], ops[ready]
        duration = self.duration[modes]
        local_mean = max(1.0, float(duration.sum()) / len(duration))
        slack = np.maximum(0.0, self.latest_start[ops] - now)
        index = self.weight[ops] / np.maximum(1.0, duration) * np.exp(-slack / (self.lookahead * local_mean))
        machine = self.problem.machines[m]
        if machine.has_changeovers and last != NO_FAMILY:
            setups = self.changeover_matrix(m)[last - NO_FAMILY, self.family[modes]]
            mean_setup = float(setups.sum()) / len(setups)
            if mean_setup:
                index *= np.exp(-setups / (self.setup_lookahead * mean_setup))
        best = np.flatnonzero(index == index.max())
        if len(best) == 1:
            return int(ops[best[0]])
        return min((self.due[k], k) for k in ops[best].tolist())[1]
