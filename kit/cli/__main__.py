"""`python -m kit.cli …`: the same as `kit …`."""

import sys

from kit.cli import main

if __name__ == "__main__":
    sys.exit(main())
