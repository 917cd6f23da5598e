import sys

from arstudio.cli import main

sys.exit(main())
