"""`python -m kit.excel [folder]`: write the blank import templates (default `data/templates`)."""

import sys

from kit.excel.templates import write_blank

if __name__ == "__main__":
    for made in write_blank(sys.argv[1] if len(sys.argv) > 1 else "data/templates"):
        print(made)
