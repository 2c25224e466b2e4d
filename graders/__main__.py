"""``python -m graders``: see graders.cli."""

from graders.cli import main

raise SystemExit(main())
