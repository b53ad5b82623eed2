"""`python -m tipline_tui` is the same as the `tipline` command."""

from tipline_tui.cli import main

raise SystemExit(main())
