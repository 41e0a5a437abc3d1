"""``python -m assistant.evaluation``: the retrieval evaluation run (see runner.py)."""

from assistant.evaluation.runner import main

raise SystemExit(main())
