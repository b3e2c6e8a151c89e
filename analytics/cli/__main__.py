"""``python -m analytics.cli``: the same as the ``paindiary`` command."""

import sys

from analytics.cli import main

sys.exit(main())
