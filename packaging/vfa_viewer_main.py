"""Entry script of the desktop bundle (PyInstaller): the viewer, ``vfa-viewer [--selftest]``."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
