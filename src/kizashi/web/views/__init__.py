"""View models: what a business's data looks like when it is shown, one set for the API and the pages.

One module per feature (``businesses``, ``monitoring``). Each holds pydantic models and the
builder functions that make them from what ``kizashi.access`` read: the API returns them as
JSON (they are its response models), the pages hand the same objects to the templates. So a
figure, a label or a flag's text is computed once, and the page and its API route cannot
drift apart (tests/web/test_views.py compares them).
"""
