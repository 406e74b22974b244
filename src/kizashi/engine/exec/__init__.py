"""What the engine executes: the declarations (``engine.spec``) compiled to SQL and run over the
panel by one :class:`~kizashi.engine.exec.executors.Executor` (arrays or the SQL reference), peer
statistics, episodes and summaries.
"""
