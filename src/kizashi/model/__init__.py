"""The risk model: the probability of a serious credit event within 12 months, explained.

A pure core beside the engine (no database, no web): ``features`` turns the engine's monthly
indicator rows (with peer percentiles), its flag episodes and the credit events into one numeric
row per business × month; ``labels`` says which rows had a serious credit event (延滞 ≥ 3 months,
条件変更, 事故報告, 代位弁済) within the following 12 months; ``split`` cuts them by time;
``fit`` trains LightGBM (monotone where the direction is known), the logistic baseline and the
calibration; ``explain`` turns SHAP values into sentences; ``registry`` keeps versioned model
files with their card in the data directory; ``drift`` measures population stability.

The score ranks dialogue: it never decides credit.
"""

import os

# LightGBM's OpenMP threads sleep at a barrier instead of spinning. The OpenMP runtime reads
# this when it loads (``import lightgbm``, in ``fit`` and ``registry``), hence here, before any
# submodule. On the shared 2-core machine a spinning thread waits for one the scheduler has set
# aside: 5.1–5.4 s per tree with two threads, 2.3–2.7 s with one, 1.4 s with two and this
# setting (load ~10; docs/performance.md). An operator's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
