import sys

from eduportal.cli import main

sys.exit(main())
