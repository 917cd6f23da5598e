"""Entry point of the frozen application: the same command line as the `arstudio` console script."""

import multiprocessing
import sys

from arstudio.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
