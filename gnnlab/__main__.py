import sys

from gnnlab.cli import main

sys.exit(main())
