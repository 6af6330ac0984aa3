"""``python -m stylist.compare``: see :mod:`stylist.cli.compare`."""

from stylist.cli.compare import main

if __name__ == "__main__":
    main()
