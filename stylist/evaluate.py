"""``python -m stylist.evaluate``: see :mod:`stylist.cli.evaluate`."""

from stylist.cli.evaluate import main

if __name__ == "__main__":
    main()
