"""``python -m trueneg``: the same command line as ``trueneg``."""

from trueneg.cli.main import main

if __name__ == "__main__":
    main()
