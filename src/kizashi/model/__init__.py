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
