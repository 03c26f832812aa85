"""Entry point for ``python -m colorgan``."""

from colorgan.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
