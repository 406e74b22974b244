"""Every write goes through a ``do_<verb>_<noun>`` function here, which also audits it."""
