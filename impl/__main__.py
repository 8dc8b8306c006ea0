"""``python -m impl``: the implementation's command line (``impl.sim_cli``; ``simulate`` for now).

Purpose and promises: those of ``impl.sim_cli.main``, whose exit status this returns.
"""

from __future__ import annotations

from impl.sim_cli import main

raise SystemExit(main())
