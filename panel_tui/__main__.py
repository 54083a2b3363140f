from panel_tui import gc_pause

gc_pause.pause()  # before the imports: see panel_tui.gc_pause

from panel_tui.cli import main  # noqa: E402

raise SystemExit(main())
