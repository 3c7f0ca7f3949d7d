"""``python -m hcs``: the same command line as the ``hcs`` script."""

import sys

from hcs.cli import main

sys.exit(main())
