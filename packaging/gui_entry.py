"""Entry point of the packaged desktop program (`inspector-gui`): `main.py gui` with its options."""
from __future__ import annotations

import sys

from main import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
