"""python -m promisetrack"""

from promisetrack.cli import main

raise SystemExit(main())
