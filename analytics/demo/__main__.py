"""``python -m analytics.demo --seed N --patients N --out DIR``: write a synthetic clinic."""

import sys

from analytics.demo import main

sys.exit(main())
